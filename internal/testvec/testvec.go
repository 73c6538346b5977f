// Package testvec loads the published known-answer vectors kept in the
// module's testdata directory, for tests only.
package testvec

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Vector is one published vector: string inputs and expected outputs.
type Vector struct {
	ID        string            `json:"id"`
	Kind      string            `json:"kind"`
	Algorithm string            `json:"algorithm"`
	Variant   string            `json:"variant"`
	Inputs    map[string]any    `json:"inputs"`
	Expected  map[string]string `json:"expected"`
}

// Dir returns the module's testdata directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}

// Load returns the vectors of one file (e.g. "mac.json") whose kind is kind
// (all when kind is ""). It fails the test when the file cannot be read or no
// vector matches.
func Load(t testing.TB, file, kind string) []Vector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), file))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var doc struct {
		Vectors []Vector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	var out []Vector
	for _, v := range doc.Vectors {
		if kind == "" || v.Kind == kind {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no vectors of kind %q", file, kind)
	}
	return out
}

// In returns input name as a string ("" when absent).
func (v Vector) In(name string) string {
	s, _ := v.Inputs[name].(string)
	return s
}

// Hex decodes a hex string, failing the test on bad hex.
func Hex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// Key16 decodes a 32-digit hex key.
func Key16(t testing.TB, s string) *[16]byte {
	t.Helper()
	b := Hex(t, s)
	if len(b) != 16 {
		t.Fatalf("key %q is %d bytes, want 16", s, len(b))
	}
	return (*[16]byte)(b)
}
