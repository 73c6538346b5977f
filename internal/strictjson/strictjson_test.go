package strictjson

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestMembers(t *testing.T) {
	allowed := []string{"key", "kcv", "levels"}
	for _, c := range []struct {
		in   string
		want error
		n    int
	}{
		{`{"key": "00", "kcv": "abcdef"}`, nil, 2},
		{` {} `, nil, 0},
		{`{"key": {"nested": [1, {"x": 2}]}, "levels": 2}`, nil, 2},
		{`{"kvc": "abcdef"}`, ErrUnknown, 0},
		{`{"KCV": "abcdef"}`, ErrUnknown, 0},
		{`{"key": "00", "key": "11"}`, ErrDuplicate, 0},
		{`{"key": "00"} {}`, ErrTrailing, 0},
		{`{"key": "00"} x`, ErrTrailing, 0},
		{`["key"]`, ErrNotObject, 0},
		{`"key"`, ErrNotObject, 0},
		{`{"key": }`, ErrNotObject, 0},
		{`{"key": "00"`, ErrNotObject, 0},
		{``, ErrNotObject, 0},
		{`{"k\u0065y": "00"}`, ErrUnknown, 0},
		{`{"key": "a\"b", "kcv": [true, null, -1.5e3, "x\\"]}`, nil, 2},
		{`{"key": [1, 2}`, ErrNotObject, 0},
		{`{"key": "unterminated}`, ErrNotObject, 0},
		{`{"key" "00"}`, ErrNotObject, 0},
		{`{"key": 1,}`, ErrNotObject, 0},
	} {
		m, err := Members([]byte(c.in), allowed...)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.in, err, c.want)
			continue
		}
		if err == nil && len(m) != c.n {
			t.Errorf("%s: %d members, want %d", c.in, len(m), c.n)
		}
	}
	m, err := Members([]byte(`{"levels": 2, "key": "0011"}`), allowed...)
	if err != nil || string(m["levels"]) != "2" || string(m["key"]) != `"0011"` {
		t.Fatalf("values: %v %q", err, m)
	}
}

// FuzzMembers: no panic, and whatever Members accepts encoding/json parses
// as an object whenever it is valid JSON (Members checks structure only).
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{"key": "00"}`, `{"a": [1, {"b": "c"}]}`, `{}`, `[`, `{"key": "\u00"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Members(b, "key", "a")
		if err != nil {
			return
		}
		for _, v := range m {
			if len(v) == 0 {
				t.Fatalf("empty value in %q", b)
			}
		}
		if json.Valid(b) {
			var d map[string]any
			if err := json.Unmarshal(b, &d); err != nil || len(d) != len(m) {
				t.Fatalf("%q: Members found %d members, encoding/json %d (%v)", b, len(m), len(d), err)
			}
		}
	})
}

func TestElements(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		err  error
	}{
		{`[]`, nil, nil},
		{` [ {"a": 1}, "x", 2, [3] ] `, []string{`{"a": 1}`, `"x"`, `2`, `[3]`}, nil},
		{`[1,]`, nil, ErrNotObject},
		{`{}`, nil, ErrNotObject},
		{`[1] 2`, nil, ErrTrailing},
	} {
		got, err := Elements([]byte(c.in))
		if !errors.Is(err, c.err) || len(got) != len(c.want) {
			t.Errorf("%s: %q %v, want %q %v", c.in, got, err, c.want, c.err)
			continue
		}
		for i := range got {
			if string(got[i]) != c.want[i] {
				t.Errorf("%s: element %d = %s, want %s", c.in, i, got[i], c.want[i])
			}
		}
	}
}
