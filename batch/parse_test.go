package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/sscard/sscard/asm"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/des"
	"github.com/sscard/sscard/internal/race"
	"github.com/sscard/sscard/mac"
)

const goodPurchase = `{"type": "purchase", "alg": "sm4", "key_version": 1, "factors": ["3337313730307378", "0000000012345678"], "trans_type": "06", "amount": 1000, "terminal_id": "112233445566", "terminal_seq": "00000007", "date": "20261122", "time": "135100", "card_random": "A1B2C3D4", "offline_seq": 7, "mac1": "01020304", "mac2": "05060708", "tac": "090a0b0c"}`

func TestParseRecordFields(t *testing.T) {
	var r Record
	if err := ParseRecord([]byte(goodPurchase), &r); err != nil {
		t.Fatal(err)
	}
	want := Record{Kind: mac.KindPurchase, Type: 6, Alg: diversify.SM4, KeyVersion: 1, NFactors: 2,
		Amount: 1000, Terminal: [6]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66}, TermSeq: [4]byte{0, 0, 0, 7},
		Date: [4]byte{0x20, 0x26, 0x11, 0x22}, Time: [3]byte{0x13, 0x51, 0}, Random: [4]byte{0xa1, 0xb2, 0xc3, 0xd4},
		OfflineSeq: 7, Present: FieldMAC1 | FieldMAC2 | FieldTAC,
		MAC1: [4]byte{1, 2, 3, 4}, MAC2: [4]byte{5, 6, 7, 8}, TAC: [4]byte{9, 10, 11, 12}}
	want.Factors[0] = diversify.Factor{0x33, 0x37, 0x31, 0x37, 0x30, 0x30, 0x73, 0x78}
	want.Factors[1] = diversify.Factor{0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78}
	if r != want {
		t.Fatalf("got %+v\nwant %+v", r, want)
	}
	// Unknown fields (any JSON value), nulls and white space are skipped.
	line := strings.Replace(goodPurchase, `"amount": 1000,`,
		`"x": {"a": [1, -2.5e3, "s\"\\", {"b": null}], "c": true}, "amount": 1000, "balance": null, "y": "中文",`, 1)
	var r2 Record
	if err := ParseRecord([]byte(" \t"+line+" \r"), &r2); err != nil {
		t.Fatal(err)
	}
	if r2 != want {
		t.Fatalf("with extras: got %+v", r2)
	}
}

func TestParseRecordBad(t *testing.T) {
	deep := strings.Repeat("[", 100000)
	cases := map[string]string{
		"empty":         "",
		"blank":         "   \t",
		"garbage":       "hello world",
		"open":          "{",
		"empty object":  "{}",
		"array":         "[1,2]",
		"truncated":     goodPurchase[:len(goodPurchase)-20],
		"trailing":      goodPurchase + "x",
		"two objects":   goodPurchase + goodPurchase,
		"dup":           strings.Replace(goodPurchase, `"amount": 1000`, `"amount": 1000, "amount": 1000`, 1),
		"amount big":    strings.Replace(goodPurchase, `1000`, `4294967296`, 1),
		"amount neg":    strings.Replace(goodPurchase, `1000`, `-1`, 1),
		"amount frac":   strings.Replace(goodPurchase, `1000`, `1000.5`, 1),
		"amount string": strings.Replace(goodPurchase, `1000`, `"1000"`, 1),
		"version big":   strings.Replace(goodPurchase, `"key_version": 1`, `"key_version": 256`, 1),
		"term short":    strings.Replace(goodPurchase, `112233445566`, `1122334455`, 1),
		"term not hex":  strings.Replace(goodPurchase, `112233445566`, `11223344556g`, 1),
		"mac long":      strings.Replace(goodPurchase, `01020304`, `0102030405`, 1),
		"bad date":      strings.Replace(goodPurchase, `20261122`, `20261322`, 1),
		"feb 30":        strings.Replace(goodPurchase, `20261122`, `20260230`, 1),
		"bad time":      strings.Replace(goodPurchase, `135100`, `245100`, 1),
		"date letters":  strings.Replace(goodPurchase, `20261122`, `2026112a`, 1),
		"bad type":      strings.Replace(goodPurchase, `"purchase"`, `"refund"`, 1),
		"type mismatch": strings.Replace(goodPurchase, `"06"`, `"02"`, 1),
		"bad alg":       strings.Replace(goodPurchase, `"sm4"`, `"aes"`, 1),
		"factor odd":    strings.Replace(goodPurchase, `"0000000012345678"`, `"000"`, 1),
		"factor long":   strings.Replace(goodPurchase, `"0000000012345678"`, `"000000001234567800"`, 1),
		"factor empty":  strings.Replace(goodPurchase, `"0000000012345678"`, `""`, 1),
		"factor number": strings.Replace(goodPurchase, `"0000000012345678"`, `12`, 1),
		"nine factors":  strings.Replace(goodPurchase, `"0000000012345678"`, strings.Repeat(`"00",`, 8)+`"00"`, 1),
		"no mac":        `{"type": "purchase", "alg": "sm4", "key_version": 1, "factors": [], "amount": 1, "terminal_id": "112233445566", "terminal_seq": "00000007", "date": "20261122", "time": "135100"}`,
		"missing term":  strings.Replace(goodPurchase, `"terminal_id": "112233445566",`, ``, 1),
		"missing rand":  strings.Replace(goodPurchase, `"card_random": "A1B2C3D4",`, ``, 1),
		"invalid utf8":  strings.Replace(goodPurchase, `"sm4"`, "\"sm\xff4\"", 1),
		"utf8 unknown":  strings.Replace(goodPurchase, `"amount"`, "\"x\": \"\xff\xfe\", \"amount\"", 1),
		"utf8 key":      "{\"\xc3\x28\": 1}",
		"escape":        strings.Replace(goodPurchase, `"sm4"`, `"s\u006d4"`, 1),
		"control":       strings.Replace(goodPurchase, `"sm4"`, "\"sm\x014\"", 1),
		"deep":          `{"x": ` + deep,
		"nul":           "\x00\x00\x00",
		"load overflow": `{"type":"load","alg":"sm4","key_version":1,"factors":[],"amount":4294967295,"balance":1,"terminal_id":"112233445566","date":"20261122","time":"135100","online_seq":1,"tac":"00000000"}`,
		"limit big":     `{"type":"overdraw","alg":"sm4","key_version":1,"factors":[],"balance":1,"old_limit":16777216,"new_limit":0,"terminal_id":"112233445566","date":"20261122","time":"135100","online_seq":1,"tac":"00000000"}`,
		// Field names are matched as written: "t\u0061c" is "tac" to any
		// JSON reader, so it must not be skipped as an unknown field.
		"escaped key":     strings.Replace(goodPurchase, `"tac"`, `"t\u0061c"`, 1),
		"escaped key dup": strings.Replace(goodPurchase, `}`, `, "t\u0061c": "00000000"}`, 1),
		"null dup":        strings.Replace(goodPurchase, `}`, `, "tac": null}`, 1),
		"dup null":        strings.Replace(goodPurchase, `"tac": "090a0b0c"`, `"tac": null, "tac": "090a0b0c"`, 1),
		"bad escape":      strings.Replace(goodPurchase, `}`, `, "x": "\q"}`, 1),
		"escape ff":       strings.Replace(goodPurchase, `}`, ","+`"x": "\`+"\xff"+`"}`, 1),
		"escape ctrl":     strings.Replace(goodPurchase, `}`, ","+`"x": "\`+"\x01"+`"}`, 1),
		"short u":         strings.Replace(goodPurchase, `}`, `, "x": "\u12g4"}`, 1),
		"u at end":        strings.Replace(goodPurchase, `}`, `, "x": "\u12"}`, 1),
		"dash number":     strings.Replace(goodPurchase, `}`, `, "x": --}`, 1),
		"two dots":        strings.Replace(goodPurchase, `}`, `, "x": 1.2.3e}`, 1),
		"bare exponent":   strings.Replace(goodPurchase, `}`, `, "x": 1e}`, 1),
		"leading zero x":  strings.Replace(goodPurchase, `}`, `, "x": 01}`, 1),
		"plus number":     strings.Replace(goodPurchase, `}`, `, "x": +1}`, 1),
		"leading zero":    strings.Replace(goodPurchase, `"amount": 1000`, `"amount": 01000`, 1),
		"zero zero":       strings.Replace(goodPurchase, `"amount": 1000`, `"amount": 00`, 1),
	}
	for name, line := range cases {
		var r Record
		err := ParseRecord([]byte(line), &r)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", name, err)
		}
	}
	// Valid JSON that a strict reader accepts still parses: escapes in
	// unknown fields' strings, JSON numbers in unknown fields, a null MAC
	// (not checked), a zero amount.
	for name, line := range map[string]string{
		"escapes": strings.Replace(goodPurchase, `}`, `, "note": "a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00"}`, 1),
		// json.dumps(ensure_ascii=True) writes a remark column "备注" so;
		// escaped names that are no field name are unknown fields.
		"escaped names": strings.Replace(goodPurchase, `}`, `, "\u5907\u6ce8": "x", "n\u006fte": 1, "t\u0061c2": 2, "\u0074\u0061": 3}`, 1),
		"numbers":       strings.Replace(goodPurchase, `}`, `, "x": [0, -0, 1.5, -2e10, 3E+2, 4e-1, 0.0]}`, 1),
		"null mac2":     strings.Replace(goodPurchase, `"mac2": "05060708"`, `"mac2": null`, 1),
		"zero amount":   strings.Replace(goodPurchase, `"amount": 1000`, `"amount": 0`, 1),
	} {
		var r Record
		if err := ParseRecord([]byte(line), &r); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Fields a kind does not use are ignored: unload's tac is not required
	// and not checked.
	var r Record
	unload := `{"type":"unload","alg":"sm4","key_version":1,"factors":[],"amount":1,"balance":1,"terminal_id":"112233445566","date":"20261122","time":"135100","online_seq":1,"tac":"00000000","terminal_seq":"zz"}`
	if err := ParseRecord([]byte(unload), &r); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "terminal_seq") {
		t.Errorf("unload with bad terminal_seq: %v", err)
	}
	unload = strings.Replace(unload, `,"terminal_seq":"zz"`, ``, 1)
	if err := ParseRecord([]byte(unload), &r); err != errNoMAC {
		t.Errorf("unload with only a tac: %v, want %v", err, errNoMAC)
	}
}

// canonical zeroes the fields AppendJSON does not write for r.
func canonical(r Record) Record {
	w := r.written()
	if w&(1<<fAmount) == 0 {
		r.Amount = 0
	}
	if w&(1<<fBalance) == 0 {
		r.Balance = 0
	}
	if w&(1<<fTerminalSeq) == 0 {
		r.TermSeq = [4]byte{}
	}
	if w&(1<<fOfflineSeq) == 0 {
		r.OfflineSeq = 0
	}
	if w&(1<<fOnlineSeq) == 0 {
		r.OnlineSeq = 0
	}
	if w&(1<<fOldLimit) == 0 {
		r.OldLimit, r.NewLimit = 0, 0
	}
	for _, f := range []Field{FieldMAC1, FieldMAC2, FieldTAC, FieldMAC3} {
		if r.Present&f == 0 {
			*r.want(f) = [4]byte{}
		}
	}
	return r
}

func TestRoundTrip(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 3)
	g := newGen(ks, 4)
	hdr, err := ParseCSVHeader([]byte(CSVHeader))
	if err != nil {
		t.Fatal(err)
	}
	var line []byte
	for i := 0; i < 3000; i++ {
		r := canonical(g.valid())
		line = AppendJSON(line[:0], &r)
		var back Record
		if err := ParseRecord(line, &back); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if back != r {
			t.Fatalf("JSON round trip:\n%s\n%+v\n%+v", line, r, back)
		}
		line = AppendCSV(line[:0], &r)
		back = Record{}
		if err := hdr.ParseRecord(line, &back); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if back != r {
			t.Fatalf("CSV round trip:\n%s\n%+v\n%+v", line, r, back)
		}
	}
}

func TestParseZeroAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	var r Record
	line := []byte(goodPurchase)
	bad := []byte(strings.Replace(goodPurchase, `20261122`, `20261322`, 1))
	escName := []byte(strings.Replace(goodPurchase, `}`, `, "\u5907\u6ce8": "x", "n\u006fte": 1}`, 1))
	escField := []byte(strings.Replace(goodPurchase, `"tac"`, `"t\u0061c"`, 1))
	hdr, _ := ParseCSVHeader([]byte(CSVHeader))
	r0 := r
	ParseRecord(line, &r0)
	csv := AppendCSV(nil, &r0)
	var out []byte
	res := Result{Status: StatusMalformed, Err: errDate}
	out = AppendResultJSON(make([]byte, 0, 256), 1, &res)
	if a := testing.AllocsPerRun(100, func() {
		ParseRecord(line, &r)
		ParseRecord(bad, &r)
		ParseRecord(escName, &r)
		ParseRecord(escField, &r)
		hdr.ParseRecord(csv, &r)
		out = AppendResultJSON(out[:0], 12345, &res)
	}); a != 0 {
		t.Errorf("%v allocs", a)
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(goodPurchase))
	f.Add([]byte(`{"type":"load","alg":"3des","key_version":1,"factors":[],"amount":4096,"balance":0,"terminal_id":"001122334455","date":"20111221","time":"214822","card_random":"11223344","online_seq":0,"mac1":"2988AE5A"}`))
	f.Add([]byte(`{"x":[{"y":[]}],"type":"purchase"}`))
	f.Add([]byte("\xff{"))
	f.Fuzz(func(t *testing.T, line []byte) {
		var r Record
		if err := ParseRecord(line, &r); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		out := AppendJSON(nil, &r)
		var back Record
		if err := ParseRecord(out, &back); err != nil || back != r {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
	})
}

// TestStreamBadInput feeds VerifyStream blank lines, garbage, CRLF, a 1 MB
// line, invalid UTF-8 and a last line without a line end.
func TestStreamBadInput(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 5)
	g := newGen(ks, 6)
	var recs []string
	for i := 0; i < 4; i++ {
		r := g.valid()
		recs = append(recs, string(AppendJSON(nil, &r)))
	}
	big := `{"type": "` + strings.Repeat("a", 1<<20) + `"}`
	input := recs[0] + "\n" + // 1 ok
		"\n" + // 2 blank
		"garbage\n" + // 3
		recs[1] + "\r\n" + // 4 ok, CRLF
		big + "\n" + // 5 too long
		"{\"type\": \"\xff\xfe\"}\r\n" + // 6 invalid UTF-8
		"   \r\n" + // 7 blank with CR
		big[:70000] + "\r\n" + // 8 too long
		recs[2] + "\n" + // 9 ok
		recs[3] // 10 ok, no line end
	want := []string{"ok", "malformed", "malformed", "ok", "malformed", "malformed", "malformed", "malformed", "ok", "ok"}
	v, err := NewVerifier(ks, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	var out bytes.Buffer
	sum, err := v.VerifyStream(context.Background(), strings.NewReader(input), &out, &StreamOptions{BatchLines: 3})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d result lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, l := range lines {
		prefix := fmt.Sprintf(`{"line": %d, "status": "%s"`, i+1, want[i])
		if !strings.HasPrefix(l, prefix) {
			t.Errorf("line %d: %s, want prefix %s", i+1, l, prefix)
		}
	}
	if !strings.Contains(lines[4], "line too long") || !strings.Contains(lines[1], "empty line") {
		t.Errorf("errors: %s / %s", lines[1], lines[4])
	}
	if sum != (Summary{Lines: 10, OK: 4, Malformed: 6}) {
		t.Errorf("summary %+v", sum)
	}
	// Empty input: no lines. Only a newline: one blank line.
	for in, n := range map[string]int64{"": 0, "\n": 1, "\r\n\r\n": 2} {
		out.Reset()
		sum, err := v.VerifyStream(context.Background(), strings.NewReader(in), &out, nil)
		if err != nil || sum.Lines != n || sum.Malformed != n {
			t.Errorf("%q: %+v %v", in, sum, err)
		}
	}
}

// TestStreamMatchesVerify checks VerifyStream against Verify on generated
// records, in JSON Lines and CSV.
func TestStreamMatchesVerify(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 7)
	n := 20000
	if testing.Short() {
		n = 3000
	}
	recs, cases := genRecords(ks, 8, n)
	v, err := NewVerifier(ks, &Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	res := make([]Result, n)
	if err := v.Verify(recs, res); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	var js, csv []byte
	csv = append(csv, CSVHeader+"\r\n"...)
	lineNo := 0
	for i := range recs {
		if cases[i].kind == caseMalformed {
			continue // AppendJSON cannot write every malformed record
		}
		lineNo++
		js = AppendJSON(js, &recs[i])
		js = append(js, '\n')
		csv = AppendCSV(csv, &recs[i])
		csv = append(csv, '\n')
		want.Write(AppendResultJSON(nil, int64(lineNo), &res[i]))
		want.WriteByte('\n')
	}
	var out bytes.Buffer
	if _, err := v.VerifyStream(context.Background(), bytes.NewReader(js), &out, &StreamOptions{BatchLines: 1000}); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Fatal("JSON stream differs from Verify")
	}
	// CSV: the header is line 1, so every result line number is one more.
	out.Reset()
	if _, err := v.VerifyStream(context.Background(), bytes.NewReader(csv), &out, nil); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(out.String(), "\n")
	exp := strings.Split(want.String(), "\n")
	if len(got) != len(exp) {
		t.Fatalf("CSV: %d lines, want %d", len(got), len(exp))
	}
	for i := range exp[:len(exp)-1] {
		e := strings.Replace(exp[i], fmt.Sprintf(`"line": %d,`, i+1), fmt.Sprintf(`"line": %d,`, i+2), 1)
		if got[i] != e {
			t.Fatalf("CSV line %d: %s, want %s", i, got[i], e)
		}
	}
	// An explicit CSV format with a bad header is an error; auto-detect
	// treats such a first line as a malformed JSON line.
	if _, err := v.VerifyStream(context.Background(), strings.NewReader("foo,bar\n"), &out, &StreamOptions{Format: FormatCSV}); !errors.Is(err, ErrCSVHeader) {
		t.Errorf("bad header: %v", err)
	}
}

// failWriter accepts n bytes, then fails.
type failWriter struct {
	w   bytes.Buffer
	n   int
	err error
}

func (f *failWriter) Write(p []byte) (int, error) {
	if f.w.Len()+len(p) > f.n {
		k := f.n - f.w.Len()
		f.w.Write(p[:k])
		return k, f.err
	}
	return f.w.Write(p)
}

// failReader yields n bytes of r, then fails with err (calling hook
// first, when set).
type failReader struct {
	r    io.Reader
	n    int
	err  error
	hook func()
}

func (f *failReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		if f.hook != nil {
			f.hook()
		}
		return 0, f.err
	}
	m, err := f.r.Read(p[:min(len(p), f.n)])
	f.n -= m
	return m, err
}

// TestStreamErrors: a write error, a read error and a cancellation in the
// middle of a stream of many batches (the workers verifying one while the
// reader and writer work on its neighbours). Each is returned, what was
// written is a prefix of the full output in whole lines (the write error
// aside), and the Verifier stays usable.
func TestStreamErrors(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 19)
	g := newGen(ks, 20)
	var in []byte
	for i := 0; i < 3000; i++ {
		r := g.valid()
		in = append(AppendJSON(in, &r), '\n')
	}
	v, err := NewVerifier(ks, &Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	opts := &StreamOptions{BatchLines: 100}
	var full bytes.Buffer
	if sum, err := v.VerifyStream(context.Background(), bytes.NewReader(in), &full, opts); err != nil || sum.Lines != 3000 {
		t.Fatalf("%+v %v", sum, err)
	}
	check := func(name string, got []byte, sum Summary, whole bool) {
		t.Helper()
		if !bytes.HasPrefix(full.Bytes(), got) {
			t.Errorf("%s: output is not a prefix of the full output", name)
		}
		if lines := int64(bytes.Count(got, []byte("\n"))); whole && (lines != sum.Lines || len(got) > 0 && got[len(got)-1] != '\n') {
			t.Errorf("%s: %d lines written, summary %+v", name, lines, sum)
		}
		var again bytes.Buffer
		if _, err := v.VerifyStream(context.Background(), bytes.NewReader(in), &again, opts); err != nil || again.String() != full.String() {
			t.Errorf("%s: the next stream differs (%v)", name, err)
		}
	}

	errBoom := errors.New("boom")
	fw := &failWriter{n: full.Len() / 2, err: errBoom}
	sum, err := v.VerifyStream(context.Background(), bytes.NewReader(in), fw, opts)
	if !errors.Is(err, errBoom) || sum.Lines == 0 || sum.Lines >= 3000 {
		t.Errorf("write error: %+v %v", sum, err)
	}
	check("write error", fw.w.Bytes(), sum, false)

	var out bytes.Buffer
	sum, err = v.VerifyStream(context.Background(), &failReader{r: bytes.NewReader(in), n: len(in) / 2, err: errBoom}, &out, opts)
	if !errors.Is(err, errBoom) || sum.Lines < 1000 || sum.Lines >= 1500 {
		t.Errorf("read error half way: %+v %v", sum, err)
	}
	check("read error", out.Bytes(), sum, true)

	ctx, cancel := context.WithCancel(context.Background())
	out.Reset()
	sum, err = v.VerifyStream(ctx, &failReader{r: bytes.NewReader(in), n: len(in) / 2, err: io.EOF, hook: cancel}, &out, opts)
	if !errors.Is(err, context.Canceled) || sum.Lines >= 1500 {
		t.Errorf("cancelled half way: %+v %v", sum, err)
	}
	check("cancel", out.Bytes(), sum, true)
}

func TestContextCancel(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 9)
	recs, _ := genRecords(ks, 10, 50000)
	res := make([]Result, len(recs))
	v, err := NewVerifier(ks, &Options{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := v.VerifyContext(ctx, recs, res); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v", err)
	}
	if _, err := v.VerifyStream(ctx, strings.NewReader(goodPurchase), &bytes.Buffer{}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("stream: %v", err)
	}
	// Cancelled while running: either finishes or reports the cancellation,
	// and the Verifier stays usable.
	ctx, cancel = context.WithCancel(context.Background())
	cancelled := make(chan struct{})
	go func() { time.Sleep(time.Millisecond); cancel(); close(cancelled) }()
	if err := v.VerifyContext(ctx, recs, res); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled during: %v", err)
	}
	<-cancelled // no goroutine of this test outlives it (TestNoGoroutineLeak counts them)
	deadline, cancel2 := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel2()
	time.Sleep(time.Millisecond)
	if err := v.VerifyContext(deadline, recs, res); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v", err)
	}
	if err := v.Verify(recs[:10], res); err != nil {
		t.Errorf("after cancel: %v", err)
	}
	if err := v.Verify(recs, res[:5]); err != ErrShortResults {
		t.Errorf("short results: %v", err)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	// The goroutine of the previous test may still be on its way out:
	// take the lowest count over a few milliseconds as the baseline.
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		time.Sleep(time.Millisecond)
		before = min(before, runtime.NumGoroutine())
	}
	ks := testKeySet(mac.SM4Profile, 11)
	recs, _ := genRecords(ks, 12, 5000)
	res := make([]Result, len(recs))
	for i := 0; i < 3; i++ {
		v, err := NewVerifier(ks, &Options{Workers: 8})
		if err != nil {
			t.Fatal(err)
		}
		if got := runtime.NumGoroutine(); got < before+7 {
			t.Errorf("%d goroutines with 8 workers, %d before", got, before)
		}
		v.Verify(recs, res)
		v.VerifyStream(context.Background(), strings.NewReader(goodPurchase+"\n"), &bytes.Buffer{}, nil)
		v.Close()
		v.Close()
		if err := v.Verify(recs, res); err != ErrClosed {
			t.Errorf("after Close: %v", err)
		}
	}
	for i := 0; i < 100 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines after Close, %d before", after, before)
	}
}

func TestVerifyZeroAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	// A profile with redefined layouts sends unload and overdraw records
	// to the scalar path, which allocates nothing either.
	layouts := *mac.SM4Profile
	layouts.Name = "layouts"
	layouts.UnloadMAC3 = mac.Layout{mac.ItemAmount, mac.ItemTerminal}
	for _, p := range []*mac.Profile{mac.SM4Profile, &layouts} {
		t.Run("profile="+p.Name, func(t *testing.T) { verifyZeroAllocs(t, p) })
	}
}

func verifyZeroAllocs(t *testing.T, p *mac.Profile) {
	ks := testKeySet(p, 13)
	recs, _ := genRecords(ks, 14, 4096)
	res := make([]Result, len(recs))
	for _, workers := range []int{1, 2} {
		forEachPath(t, func(t *testing.T, scalar bool) {
			v, err := NewVerifier(ks, &Options{Workers: workers, Scalar: scalar})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			v.Verify(recs, res)
			if a := testing.AllocsPerRun(20, func() { v.Verify(recs, res) }); a != 0 {
				t.Errorf("workers=%d: %v allocs per Verify", workers, a)
			}
		})
	}
}

func TestCloseWipes(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 15)
	recs, _ := genRecords(ks, 16, 2000)
	v, err := NewVerifier(ks, &Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	v.Verify(recs, make([]Result, len(recs)))
	// There was something to wipe.
	dks := 0
	for _, w := range v.workers {
		for i := range w.cacheDES {
			if w.cacheDES[i].dkReady {
				dks++
			}
		}
	}
	if desLanesRun(v) == 0 || dks == 0 {
		t.Fatalf("%d 3DES lanes, %d lane-scheduled cache entries: nothing to check", desLanesRun(v), dks)
	}
	v.Close()
	for i := range v.masters {
		m := &v.masters[i]
		if m.key != ([16]byte{}) || m.div0 != ([16]byte{}) || m.sm4[0] != 0 || m.dk != (asm.DESKey{}) || m.tac0 != (des.Schedule{}) {
			t.Fatalf("master %d not wiped", i)
		}
	}
	for _, w := range v.workers {
		for i := range w.cache {
			if e, d := &w.cache[i], &w.cacheDES[i]; e.key != ([16]byte{}) || e.sm4[0] != 0 || d.dk != (asm.DESKey{}) || d.tdes != (des.Triple{}) {
				t.Fatal("cache not wiped")
			}
		}
		if w.sess.mixed.f.Parent.W[0][0] != 0 || w.tac.shared[0].pkey != ([16]byte{}) {
			t.Fatal("lanes not wiped")
		}
		for _, g := range []*desGroup{&w.dsess, &w.dtac} {
			if g.mixed.f.Parent != ([2][asm.MaxLanes]uint64{}) || g.shared[0].pk != (asm.DESKey{}) || g.shared[0].pkl != 0 {
				t.Fatal("3DES lanes not wiped")
			}
		}
	}
}

// TestStreamBuffers: VerifyStream sizes its buffers to the input (a first
// call on a tiny input allocates little) and reuses them on the same
// Verifier (later calls allocate nothing), while a bufio.Reader or Writer
// of the caller is left as it was.
func TestStreamBuffers(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	ks := testKeySet(mac.SM4Profile, 17)
	g := newGen(ks, 18)
	var in []byte
	for i := 0; i < 3; i++ {
		r := g.valid()
		in = append(AppendJSON(in, &r), '\n')
	}
	in = append(in, "garbage\n"...)
	v, err := NewVerifier(ks, &Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	var out bytes.Buffer
	out.Grow(4096)
	rd := bytes.NewReader(in)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sum, err := v.VerifyStream(context.Background(), rd, &out, nil)
	runtime.ReadMemStats(&after)
	if err != nil || sum != (Summary{Lines: 4, OK: 3, Malformed: 1}) {
		t.Fatalf("%+v %v", sum, err)
	}
	// Reader and writer buffers (64 KiB each by default) and a few
	// records: far below the megabytes a full batch takes.
	if got := after.TotalAlloc - before.TotalAlloc; got > 256<<10 {
		t.Errorf("first call on a 4-line input allocated %d bytes", got)
	}
	want := out.String()
	if a := testing.AllocsPerRun(20, func() {
		out.Reset()
		rd.Reset(in)
		if _, err := v.VerifyStream(context.Background(), rd, &out, nil); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("%v allocs per VerifyStream call on a reused Verifier", a)
	}
	if out.String() != want {
		t.Errorf("second call wrote %q, first %q", out.String(), want)
	}
	// The caller's bufio.Writer is used as is and not reset; its reader
	// keeps whatever follows what VerifyStream read (nothing here).
	out.Reset()
	bw := bufio.NewWriterSize(&out, 1<<20)
	bw.WriteString("head\n")
	if _, err := v.VerifyStream(context.Background(), bytes.NewReader(in), bw, nil); err != nil {
		t.Fatal(err)
	}
	bw.WriteString("tail\n")
	bw.Flush()
	if out.String() != "head\n"+want+"tail\n" {
		t.Errorf("through a bufio.Writer: %q", out.String())
	}
}

// TestStreamBatchSizes: the output of VerifyStream must not depend on how
// the input is cut into batches, on inputs where the first lines decide
// the format (blank, white space, too long or garbage lines before a CSV
// header or the first record), lines near the length limit, CRLF and a
// last line without line end. Every physical line gets one result, in
// order, but the CSV header.
func TestStreamBatchSizes(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 23)
	g := newGen(ks, 24)
	v, err := NewVerifier(ks, &Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	rng := rand.New(rand.NewPCG(25, 26))
	iters := 1000
	if testing.Short() {
		iters = 200
	}
	for it := 0; it < iters; it++ {
		csv := rng.IntN(2) == 0
		var in []byte
		nl := func() { in = append(in, []string{"\n", "\r\n"}[rng.IntN(2)]...) }
		junk := func() {
			switch rng.IntN(5) {
			case 1:
				in = append(in, " \t"...)
			case 2:
				in = append(in, strings.Repeat("x", rng.IntN(3000))...)
			case 3:
				in = append(in, strings.Repeat(" ", rng.IntN(3000))...)
			case 4:
				in = append(in, "{"...)
			}
		}
		for k := rng.IntN(4); k > 0; k-- {
			junk()
			nl()
		}
		if csv && rng.IntN(5) != 0 {
			in = append(in, CSVHeader...)
			nl()
		}
		for k := rng.IntN(40); k > 0; k-- {
			if rng.IntN(4) == 0 {
				junk()
			} else if r := g.valid(); csv {
				in = AppendCSV(in, &r)
			} else {
				in = AppendJSON(in, &r)
			}
			nl()
		}
		if rng.IntN(2) == 0 && len(in) > 0 {
			in = in[:len(in)-1-rng.IntN(min(len(in), 3))]
		}
		o := StreamOptions{Format: Format(rng.IntN(3))}
		if rng.IntN(2) == 0 {
			o.MaxLineBytes = 100 + rng.IntN(2000)
		}
		var whole bytes.Buffer
		sum, err := v.VerifyStream(context.Background(), bytes.NewReader(in), &whole, &o)
		if err != nil && (o.Format != FormatCSV || !errors.Is(err, ErrCSVHeader)) {
			t.Fatalf("case %d: %v", it, err)
		}
		o.BatchLines = 1 + rng.IntN(3)
		var small bytes.Buffer
		sum2, err2 := v.VerifyStream(context.Background(), bytes.NewReader(in), &small, &o)
		if err != nil {
			// A bad CSV header: the lines before it may or may not have
			// been written (the output is incomplete after an error).
			if fmt.Sprint(err2) != fmt.Sprint(err) {
				t.Fatalf("case %d: batches of %d lines: %v, one batch: %v", it, o.BatchLines, err2, err)
			}
			continue
		}
		if sum2 != sum || err2 != nil || !bytes.Equal(small.Bytes(), whole.Bytes()) {
			t.Fatalf("case %d, %+v: batches of %d lines give %+v %v, one batch %+v %v; output equal %v",
				it, o, o.BatchLines, sum2, err2, sum, err, bytes.Equal(small.Bytes(), whole.Bytes()))
		}
		var phys [][]byte // the physical lines
		if len(in) > 0 {
			phys = bytes.Split(bytes.TrimSuffix(in, []byte("\n")), []byte("\n"))
		}
		isHeader := func(line []byte) bool {
			_, err := ParseCSVHeader(bytes.TrimSuffix(line, []byte("\r")))
			return err == nil
		}
		next, header := int64(1), int64(0)
		for _, res := range bytes.Split(bytes.TrimSuffix(whole.Bytes(), []byte("\n")), []byte("\n")) {
			if len(res) == 0 {
				break
			}
			var n int64
			if _, err := fmt.Sscanf(string(res), `{"line": %d,`, &n); err != nil {
				t.Fatalf("case %d: result %q: %v", it, res, err)
			}
			if n != next && !(header == 0 && n == next+1 && isHeader(phys[next-1])) {
				t.Fatalf("case %d: result for line %d, want %d", it, n, next)
			}
			if n != next {
				header = next
			}
			next = n + 1
		}
		// A header as the last line has no result after it to show it.
		lastIsHeader := len(phys) > 0 && isHeader(phys[len(phys)-1])
		if last := next - 1; last != int64(len(phys)) && !(header == 0 && last == int64(len(phys))-1 && lastIsHeader) {
			t.Fatalf("case %d: last result for line %d of %d; input %.300q, output %q, %+v", it, last, len(phys), in, whole.Bytes(), o)
		}
	}
}

// TestCSVRows: a row must have the header's column count (a short row is a
// cut-off line whose missing cells would otherwise read as absent MACs);
// RFC 4180 quoted cells may hold commas and "" quotes; numbers may have
// leading zeros in CSV.
func TestCSVRows(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 61)
	g := newGen(ks, 62)
	r := g.valid()
	r.Present |= FieldTAC // a TAC cell, so that cutting it off matters
	r.TAC = [4]byte{1, 2, 3, 4}
	row := string(AppendCSV(nil, &r))
	hdr, err := ParseCSVHeader([]byte(CSVHeader))
	if err != nil {
		t.Fatal(err)
	}
	var want, got Record
	if err := hdr.ParseRecord([]byte(row), &want); err != nil {
		t.Fatalf("%s: %v", row, err)
	}
	cells := strings.Split(row, ",")
	for k := 1; k < len(cells); k++ {
		short := strings.Join(cells[:k], ",")
		if err := hdr.ParseRecord([]byte(short), &got); err != errColumns {
			t.Errorf("row cut to %d of %d cells: %v, want %v", k, len(cells), err, errColumns)
		}
	}
	if err := hdr.ParseRecord([]byte(row+","), &got); err != errColumns {
		t.Errorf("row with an extra cell: %v", err)
	}
	// Quoted cells: a note column, before and after the fields, holding
	// commas and quotes; the fields themselves quoted.
	for _, c := range []struct{ header, row string }{
		{CSVHeader + ",note", row + `,"ok, checked ""twice"""`},
		{"note," + CSVHeader, `"a,b",` + row},
		{"note," + CSVHeader, ` "a,b" ,` + row},
		{`"note, x",` + CSVHeader, `"",` + row},
		{CSVHeader, `"` + strings.Join(cells, `","`) + `"`},
	} {
		h, err := ParseCSVHeader([]byte(c.header))
		if err != nil {
			t.Fatalf("%s: %v", c.header, err)
		}
		if err := h.ParseRecord([]byte(c.row), &got); err != nil || got != want {
			t.Errorf("%s / %s: %v\n got %+v\nwant %+v", c.header, c.row, err, got, want)
		}
	}
	h, _ := ParseCSVHeader([]byte(CSVHeader + ",note"))
	if err := h.ParseRecord([]byte(row+`,"unterminated, note`), &got); err != errCSVQuote {
		t.Errorf("unterminated quote: %v", err)
	}
	if _, err := ParseCSVHeader([]byte(CSVHeader + `,"note`)); !errors.Is(err, ErrCSVHeader) {
		t.Errorf("header with an unterminated quote: %v", err)
	}
	// Leading zeros: CSV has no number grammar; spreadsheets write them.
	lz := strings.Replace(row, fmt.Sprintf(",%d,", r.Amount), fmt.Sprintf(",000%d,", r.Amount), 1)
	if lz == row {
		t.Fatal("amount cell not found")
	}
	if err := hdr.ParseRecord([]byte(lz), &got); err != nil || got != want {
		t.Errorf("leading zeros: %v", err)
	}
}

// TestStreamBOM: a UTF-8 byte order mark at the start of the input is not
// part of line 1, in JSON Lines (auto-detected or given) and in CSV.
func TestStreamBOM(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 63)
	g := newGen(ks, 64)
	r1, r2 := g.valid(), g.valid()
	js := string(AppendJSON(nil, &r1)) + "\n" + string(AppendJSON(nil, &r2)) + "\n"
	csv := CSVHeader + "\n" + string(AppendCSV(nil, &r1)) + "\n" + string(AppendCSV(nil, &r2)) + "\n"
	v, err := NewVerifier(ks, &Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for _, c := range []struct {
		in   string
		f    Format
		want Summary
	}{
		{"\xef\xbb\xbf" + js, FormatAuto, Summary{Lines: 2, OK: 2}},
		{"\xef\xbb\xbf" + js, FormatJSON, Summary{Lines: 2, OK: 2}},
		{"\xef\xbb\xbf" + csv, FormatAuto, Summary{Lines: 2, OK: 2}},
		{"\xef\xbb\xbf" + csv, FormatCSV, Summary{Lines: 2, OK: 2}},
		{"\xef\xbb\xbf", FormatAuto, Summary{}},
		{"\xef\xbb", FormatJSON, Summary{Lines: 1, Malformed: 1}},
		{js[:len(js)-1] + "\xef\xbb\xbf\n", FormatJSON, Summary{Lines: 2, OK: 1, Malformed: 1}}, // not at the start
	} {
		for _, bl := range []int{1, 0} {
			var out bytes.Buffer
			sum, err := v.VerifyStream(context.Background(), iotest.OneByteReader(strings.NewReader(c.in)), &out, &StreamOptions{Format: c.f, BatchLines: bl})
			if err != nil || sum != c.want {
				t.Errorf("%q format %d: %+v %v, want %+v\n%s", c.in[:min(len(c.in), 8)], c.f, sum, err, c.want, out.String())
			}
		}
	}
}

func TestWorkersBound(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 65)
	if _, err := NewVerifier(ks, &Options{Workers: MaxWorkers + 1}); !errors.Is(err, ErrOptions) {
		t.Errorf("Workers %d: %v, want ErrOptions", MaxWorkers+1, err)
	}
	v, err := NewVerifier(ks, &Options{Workers: 3})
	if err != nil || v.Workers() != 3 {
		t.Fatalf("Workers 3: %v", err)
	}
	v.Close()
}

// FuzzCSVCells checks the CSV cell splitting against encoding/csv: where
// encoding/csv (strict quotes) reads a line, nextCell finds as many cells,
// and csvCell gives each cell's text (for cells without quotes inside,
// which record fields never have): blanks around an unquoted cell trimmed,
// a quoted one's kept.
func FuzzCSVCells(f *testing.F) {
	f.Add(`a,"b,c",d`)
	f.Add(`"x""y",,"",z`)
	f.Add(` a , b `)
	f.Add(CSVHeader)
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\r\n") || !utf8.ValidString(line) {
			return
		}
		r := csv.NewReader(strings.NewReader(line))
		r.FieldsPerRecord = -1
		want, err := r.Read()
		if err != nil || len(want) == 0 {
			return
		}
		rest := []byte(line)
		more := true
		for i := 0; more; i++ {
			var cell []byte
			var ok bool
			cell, rest, more, ok = nextCell(rest)
			if !ok {
				t.Fatalf("%q: cell %d unterminated; encoding/csv read %q", line, i, want)
			}
			if i >= len(want) {
				t.Fatalf("%q: more than the %d cells of encoding/csv %q", line, len(want), want)
			}
			w := want[i] // a quoted cell's text is kept as quoted
			if raw := bytes.Trim(cell, " \t"); len(raw) == 0 || raw[0] != '"' {
				w = strings.Trim(w, " \t")
			}
			if !strings.Contains(want[i], `"`) && string(csvCell(cell)) != w {
				t.Fatalf("%q: cell %d is %q, encoding/csv %q", line, i, csvCell(cell), w)
			}
			if !more && i != len(want)-1 {
				t.Fatalf("%q: %d cells, encoding/csv %d: %q", line, i+1, len(want), want)
			}
		}
	})
}
