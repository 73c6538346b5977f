package batch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// refDateOK is the reference of validDate: BCD digits, then the calendar
// of package time.
func refDateOK(d *[4]byte) bool {
	v := [4]int{}
	for i, b := range d {
		if b>>4 > 9 || b&0x0f > 9 {
			return false
		}
		v[i] = int(b>>4)*10 + int(b&0x0f)
	}
	y, m, day := v[0]*100+v[1], v[2], v[3]
	if m < 1 || m > 12 || day < 1 {
		return false
	}
	t := time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC)
	return t.Day() == day && int(t.Month()) == m
}

// TestValidDateTime checks the BCD date and time checks against package
// time and the checks as first written: every month and day byte in
// leap and common years (centuries included), every time, and random
// dates and times through validDateTime.
func TestValidDateTime(t *testing.T) {
	years := [][2]byte{{0x20, 0x24}, {0x20, 0x26}, {0x20, 0x00}, {0x19, 0x00}, {0x21, 0x00}, {0x24, 0x00}, {0x19, 0x96}, {0x9a, 0x24}, {0x20, 0x2f}}
	for _, y := range years {
		for m := 0; m < 256; m++ {
			for d := 0; d < 256; d++ {
				date := [4]byte{y[0], y[1], byte(m), byte(d)}
				want := refDateOK(&date)
				if got := validDate(&date); got != want {
					t.Fatalf("validDate(%x) = %v, want %v", date, got, want)
				}
				if got := refValidDate(&date); got != want {
					t.Fatalf("refValidDate(%x) = %v, want %v", date, got, want)
				}
			}
		}
	}
	for v := 0; v < 1<<24; v += 1 + v&3 {
		tm := [3]byte{byte(v >> 16), byte(v >> 8), byte(v)}
		if got, want := validTime(&tm), refValidTime(&tm); got != want {
			t.Fatalf("validTime(%x) = %v, want %v", tm, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1_000_000; i++ {
		var d [4]byte
		var tm [3]byte
		for j := range d {
			d[j] = byte(rng.Uint32())
		}
		for j := range tm {
			tm[j] = byte(rng.Uint32())
		}
		if i%2 == 0 { // mostly valid digits
			for j := range d {
				d[j] = bcd(rng.IntN(100))
			}
			tm = [3]byte{bcd(rng.IntN(26)), bcd(rng.IntN(62)), bcd(rng.IntN(62))}
			d[2], d[3] = bcd(rng.IntN(14)), bcd(rng.IntN(33))
		}
		want := refValidDate(&d) && refValidTime(&tm)
		if got := validDateTime(&d, &tm); got != want {
			t.Fatalf("validDateTime(%x, %x) = %v, want %v", d, tm, got, want)
		}
	}
}

// TestValidateMatchesReference checks Record.validate against the
// validation as first written on random and tampered records.
func TestValidateMatchesReference(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 40)
	g := newGen(ks, 41)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200_000; i++ {
		var f Field
		r, _ := g.next(&f)
		switch rng.IntN(8) {
		case 0:
			r.Kind = mac.Kind(rng.IntN(9))
		case 1:
			r.Type = byte(rng.IntN(20))
		case 2:
			r.Alg = diversify.Alg(rng.IntN(4))
		case 3:
			r.NFactors = uint8(rng.IntN(11))
		case 4:
			r.Date[rng.IntN(4)] = byte(rng.Uint32())
		case 5:
			r.Time[rng.IntN(3)] = byte(rng.Uint32())
		case 6:
			r.Present = Field(rng.IntN(16))
		case 7:
			r.OldLimit, r.NewLimit = rng.Uint32()>>uint(rng.IntN(32)), rng.Uint32()>>uint(rng.IntN(32))
		}
		if got, want := r.validate(), r.refValidate(); got != want {
			t.Fatalf("%+v: validate %v, reference %v", r, got, want)
		}
	}
}

// TestFastRoute runs runs of records that take the fast routes (purchase
// kinds, TAC only: keys of level 0 and 1 to one shared batch, keys of
// level 2 and 3 through the parent-key cache) with random dates and times
// (invalid ones, February 29 of leap and common years), tampered TACs,
// parents from a small pool (shared batches bind, the cache hits) or
// random, and header changes mid-run, in both factor orders, and checks the
// results against the scalar path.
func TestFastRoute(t *testing.T) {
	lowest := *mac.SM4Profile
	lowest.Name, lowest.FactorOrder = "SM4-lowest-first", mac.LowestFirst
	for _, p := range []*mac.Profile{mac.SM4Profile, &lowest} {
		t.Run("profile="+p.Name, func(t *testing.T) { testFastRoute(t, p) })
	}
}

func testFastRoute(t *testing.T, p *mac.Profile) {
	ks := testKeySet(p, 42)
	g := newGen(ks, 43)
	rng := rand.New(rand.NewPCG(5, 6))
	n := 30_000
	if testing.Short() {
		n = 6_000
	}
	var pool [5][MaxFactors]diversify.Factor
	for i := range pool {
		for j := range pool[i] {
			g.bytes(pool[i][j][:])
		}
	}
	// Parents 0 and 1 share their first factor: one parent below a
	// level-2 key, two (one province, two cities) below a level-3 key.
	pool[1][0] = pool[0][0]
	recs := make([]Record, 0, n)
	for len(recs) < n {
		// A run of one header.
		base := g.valid()
		base.Kind = []mac.Kind{mac.KindPurchase, mac.KindWithdrawal, mac.KindComposite}[rng.IntN(3)]
		base.Type = 0
		if base.Kind == mac.KindPurchase {
			base.Type = []byte{0, 5, 6}[rng.IntN(3)]
		}
		base.Alg = diversify.SM4
		if rng.IntN(5) < 2 {
			base.Alg = diversify.TDES
		}
		base.KeyVersion = uint8(1 + rng.IntN(4)) // levels 0..3
		base.NFactors = base.KeyVersion - 1
		base.Present = FieldTAC
		parents := 1 + rng.IntN(len(pool)) // 0: random parents
		if rng.IntN(4) == 0 {
			parents = 0
		}
		run := 1 + rng.IntN(200)
		for k := 0; k < run && len(recs) < n; k++ {
			r := base
			r.Amount = rng.Uint32()
			g.bytes(r.Terminal[:])
			g.bytes(r.TermSeq[:])
			for j := 0; j < int(r.NFactors); j++ {
				g.bytes(r.Factors[j][:])
			}
			if parents > 0 && r.NFactors >= 2 {
				// The parent's factors: all but the card's, which is
				// the last or, lowest first, the first.
				par := pool[rng.IntN(parents)][:r.NFactors-1]
				if p.FactorOrder == mac.LowestFirst {
					copy(r.Factors[1:], par)
				} else {
					copy(r.Factors[:], par)
				}
			}
			y := 1900 + rng.IntN(250)
			r.Date = [4]byte{bcd(y / 100), bcd(y % 100), bcd(1 + rng.IntN(12)), bcd(1 + rng.IntN(28))}
			r.Time = [3]byte{bcd(rng.IntN(24)), bcd(rng.IntN(60)), bcd(rng.IntN(60))}
			if rng.IntN(20) == 0 {
				r.Date[2], r.Date[3] = 0x02, 0x29
			}
			if err := ks.Sign(&r, FieldTAC); err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatal(err)
			}
			switch rng.IntN(24) {
			case 0:
				r.TAC[rng.IntN(4)] ^= 1 << rng.IntN(8)
			case 1:
				r.Date[rng.IntN(4)] = byte(rng.Uint32())
			case 2:
				r.Time[rng.IntN(3)] = byte(rng.Uint32())
			case 3:
				r.Date[3] = []byte{0x00, 0x29, 0x30, 0x31, 0x32}[rng.IntN(5)]
			case 4:
				r.Present |= FieldMAC1
			case 5:
				r.Type = 0x04
			case 6:
				r.Amount ^= 1
			case 7:
				r.NFactors = uint8(rng.IntN(MaxFactors + 2)) // levels mismatch, or too many
			case 8:
				r.KeyVersion = uint8(rng.IntN(6)) // another level, or unknown
			case 9:
				if r.NFactors > 0 {
					r.Factors[rng.IntN(int(r.NFactors))][rng.IntN(8)] ^= 1 << rng.IntN(8)
				}
			}
			recs = append(recs, r)
		}
	}
	v, err := NewVerifier(ks, &Options{Workers: 1, Scalar: true})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]Result, len(recs))
	v.Verify(recs, want)
	v.Close()
	counts := map[Status]int{}
	for _, r := range want {
		counts[r.Status]++
	}
	if counts[StatusOK] < n/2 || counts[StatusMismatch] == 0 || counts[StatusMalformed] == 0 || counts[StatusUnknownKey] == 0 {
		t.Fatalf("reference results %v: the test records miss a case", counts)
	}
	forEachPath(t, func(t *testing.T, scalar bool) {
		for _, workers := range []int{1, 2} {
			v, err := NewVerifier(ks, &Options{Workers: workers, Scalar: scalar})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			got := make([]Result, len(recs))
			for i := range got {
				got[i] = Result{Status: StatusUnknownKey, Fields: FieldMAC3} // stale
			}
			if err := v.Verify(recs, got); err != nil {
				t.Fatal(err)
			}
			for i := range recs {
				if got[i] != want[i] {
					t.Fatalf("workers=%d record %d (%+v): got %+v, want %+v", workers, i, recs[i], got[i], want[i])
				}
			}
		}
	})
}

// parseMutations returns variants of a JSON record line that exercise
// the parser's fast paths and their fallbacks.
func parseMutations(rng *rand.Rand, line []byte) [][]byte {
	s := string(line)
	out := [][]byte{line}
	add := func(x string) { out = append(out, []byte(x)) }
	add(strings.ReplaceAll(s, `":`, `": `))
	add(strings.ReplaceAll(strings.ReplaceAll(s, `,"`, ` , "`), `":`, "\t:\r\n"))
	add(strings.ToUpper(s))
	add(strings.Replace(s, `"type"`, `"t\u0079pe"`, 1))
	add(strings.Replace(s, `"amount":`, `"amount": null, "x":1,"amount":`, 1))
	add(strings.Replace(s, `"tac":"`, `"tac":"0`, 1))
	add(strings.Replace(s, `"factors":["`, `"factors":["00`, 1))
	add(strings.Replace(s, `"factors":[`, `"factors":[ "1234" ,`, 1))
	add(strings.Replace(s, `"factors":[`, `"factors":[`+strings.Repeat(`"0123456789abcdef",`, 1+rng.IntN(MaxFactors)), 1))
	add(strings.Replace(s, `"key_version":`, `"key_version":00`, 1))
	add(strings.Replace(s, `"amount":`, `"amount":-`, 1))
	add(strings.Replace(s, `,"date":"`, `,"date":"2`, 1))
	add(strings.Replace(s, `"`, `"\"`, 1+rng.IntN(3)))
	add(s[:rng.IntN(len(s)+1)])
	for k := 0; k < 12; k++ {
		b := []byte(s)
		for m := 0; m <= rng.IntN(3); m++ {
			i := rng.IntN(len(b))
			switch rng.IntN(4) {
			case 0:
				b[i] = byte(rng.Uint32())
			case 1:
				const chars = "0123456789abcdefABCDEF\" ,:{}[]\\-.e\x00\xff"
				b[i] = chars[rng.IntN(len(chars))]
			case 2:
				b = append(b[:i], b[i+1:]...)
			case 3:
				b = append(b[:i], append([]byte{"\" 0a,"[rng.IntN(5)]}, b[i:]...)...)
			}
		}
		out = append(out, b)
	}
	return out
}

// checkParse compares ParseRecord with the reference parser on line.
func checkParse(t *testing.T, line []byte) {
	t.Helper()
	var got, want Record
	gerr := ParseRecord(line, &got)
	werr := refParseRecord(line, &want)
	if gerr != werr {
		t.Fatalf("%q: error %v, reference %v", line, gerr, werr)
	}
	if gerr == nil && got != want {
		t.Fatalf("%q:\n got %+v\nwant %+v", line, got, want)
	}
}

// TestParseMatchesReference checks ParseRecord against the parser as
// first written on generated records (every kind, with the separators and
// spacing of AppendJSON and of hand-written files) and mutations of them.
func TestParseMatchesReference(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 44)
	g := newGen(ks, 45)
	rng := rand.New(rand.NewPCG(7, 8))
	n := 20_000
	if testing.Short() {
		n = 3_000
	}
	checkParse(t, []byte(goodPurchase))
	for i := 0; i < n; i++ {
		var f Field
		r, _ := g.next(&f)
		if rng.IntN(4) == 0 {
			r.NFactors = uint8(rng.IntN(MaxFactors + 1))
			for j := range r.NFactors {
				g.bytes(r.Factors[j][:])
			}
		}
		for _, line := range parseMutations(rng, AppendJSON(nil, &r)) {
			checkParse(t, line)
			checkParse(t, bytes.TrimSuffix(line, []byte("}")))
		}
		for _, line := range keyOrders(rng, &r) {
			checkParse(t, line)
		}
	}
}

// keyOrders returns AppendJSON's line of r with its keys in reverse order
// and in a random order: ParseRecord predicts each key to be the next one
// of AppendJSON's order, and must parse any other order the same.
func keyOrders(rng *rand.Rand, r *Record) [][]byte {
	var fs []int
	for f := 0; f < nFields; f++ {
		if r.written()&(1<<f) != 0 {
			fs = append(fs, f)
		}
	}
	line := func(order []int) []byte {
		b := []byte{'{'}
		for i, f := range order {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, recordFieldNames[f]...)
			b = append(b, '"', ':')
			b = appendField(b, r, f, true)
		}
		return append(b, '}')
	}
	rev := slices.Clone(fs)
	slices.Reverse(rev)
	perm := slices.Clone(fs)
	rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	return [][]byte{line(rev), line(perm)}
}

func FuzzParseMatchesReference(f *testing.F) {
	f.Add([]byte(goodPurchase))
	f.Add([]byte(`{"type":"load","alg":"3des","key_version":1,"factors":[],"amount":4096,"balance":0,"terminal_id":"001122334455","date":"20111221","time":"214822","card_random":"11223344","online_seq":0,"mac1":"2988AE5A"}`))
	f.Add([]byte(`{"type":"overdraw","alg":"sm4","key_version":9,"factors":["0011223344556677" , "0a"],"balance":1,"old_limit":16777215,"new_limit":0,"terminal_id":"112233445566","date":"20240229","time":"235959","online_seq":65535,"tac":"00000000","mac2":null}`))
	f.Add([]byte(`{"type":"purchase","alg":"sm4","key_version":1,"factors":["3717","00112233445566778899aabbccddeeff"],"amount":1,"terminal_id":"001122334455","terminal_seq":"00000001","date":"20261205","time":"102030","card_random":"01020304","offline_seq":7,"tac":"00000000"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		checkParse(t, line)
	})
}

// refReadLine is the line splitting of VerifyStream as first written
// (bufio.Reader.ReadSlice with a buffer of max+2 bytes, at least 16): the
// reference of TestLineReader.
func refReadLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	line, err = br.ReadSlice('\n')
	for err == bufio.ErrBufferFull {
		tooLong = true
		_, err = br.ReadSlice('\n')
	}
	if tooLong {
		if err == io.EOF {
			return nil, true, nil
		}
		return nil, true, err
	}
	if err != nil && err != io.EOF {
		return nil, false, err
	}
	if err == io.EOF && len(line) == 0 {
		return nil, false, io.EOF
	}
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	line = line[:n]
	if len(line) > max {
		return nil, true, nil
	}
	return line, false, nil
}

// TestLineReader checks the batches of lines of VerifyStream against the
// reference on random inputs (lines around the length limit, CR, CRLF, no
// final line end) read in pieces of every size, cut into batches of few
// lines or bytes and counted in pieces of few bytes, the workers' chunks
// split in any order. As in VerifyStream, three batches take turns: the
// lines of the batch before must stay intact while the next is read.
func TestLineReader(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	iters := 3000
	if testing.Short() {
		iters = 600
	}
	for it := 0; it < iters; it++ {
		max := 1 + rng.IntN(40)
		if it%50 == 0 {
			max = 1 + rng.IntN(20000)
		}
		var in []byte
		for n := rng.IntN(30); n > 0; n-- {
			l := rng.IntN(max + 4)
			if rng.IntN(10) == 0 {
				l = rng.IntN(3*max + 70000*(it%50/49))
			}
			for k := 0; k < l; k++ {
				in = append(in, "ab\r"[rng.IntN(3)])
			}
			in = append(in, []string{"\n", "\r\n", "\n", "\r\r\n"}[rng.IntN(4)]...)
		}
		if rng.IntN(2) == 0 && len(in) > 0 {
			in = in[:len(in)-1-rng.IntN(min(len(in), 3))]
		}
		var want [][]byte
		var wantLong []bool
		br := bufio.NewReaderSize(bytes.NewReader(in), max+2)
		for {
			line, tl, err := refReadLine(br, max)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, bytes.Clone(line))
			wantLong = append(wantLong, tl)
		}
		var r io.Reader = bytes.NewReader(in)
		switch rng.IntN(3) {
		case 0:
			r = iotest.OneByteReader(r)
		case 1:
			r = iotest.HalfReader(r)
		}
		if rng.IntN(2) == 0 {
			r = iotest.DataErrReader(r)
		}
		st := &streamState{format: FormatJSON}
		if rng.IntN(2) == 0 {
			// Lines of a, b and CR are no CSV header: the first
			// non-blank line makes it JSON Lines.
			st.format = FormatAuto
		}
		lr := lineReader{r: r, max: max, batch: minBatchBytes, piece: pieceBytes}
		if rng.IntN(4) != 0 {
			lr.batch = 1 + rng.IntN(3*max)
		}
		if rng.IntN(4) != 0 {
			lr.piece = 1 + rng.IntN(2*max)
		}
		st.lr = lr
		maxLines := 1 << 20
		if rng.IntN(2) == 0 {
			maxLines = 1 + rng.IntN(5)
		}
		desc := fmt.Sprintf("input of %d bytes, max %d, batches of %d bytes or %d lines, pieces of %d bytes",
			len(in), max, lr.batch, maxLines, lr.piece)
		check := func(lb *lineBatch, i int) {
			t.Helper()
			n := int(lb.first) - 1 + i
			s := lb.lines[i]
			var got []byte
			if s.end >= 0 {
				got = lb.data[s.start:s.end]
			}
			if n >= len(want) || (s.end < 0) != wantLong[n] || !bytes.Equal(got, want[n]) {
				var w []byte
				var wl bool
				if n < len(want) {
					w, wl = want[n], wantLong[n]
				}
				if len(in) < 400 {
					t.Logf("input %q; want %q %v", in, want, wantLong)
				}
				t.Fatalf("%s: line %d %.80q (%d bytes, too long %v), want %.80q (%d bytes, %v)",
					desc, n, got, len(got), s.end < 0, w, len(w), wl)
			}
		}
		lines := 0
		var before *lineBatch
		for k := 0; ; k++ {
			lb := &st.slots[k%3].lb
			eof, err := st.cut(&st.slots[k%3], maxLines)
			if err != nil {
				t.Fatalf("%s: %v", desc, err)
			}
			if lb.n > maxLines || int(lb.first) != lines+1 || lb.n == 0 && !eof {
				t.Fatalf("%s: batch %d: lines %d.., %d of them; eof %v", desc, k, lb.first, lb.n, eof)
			}
			if before != nil {
				for i := range before.n {
					check(before, i)
				}
			}
			// Split in chunks of random size, in random order.
			var chunks [][2]int
			for lo := 0; lo < lb.n; {
				hi := min(lb.n, lo+1+rng.IntN(4))
				chunks = append(chunks, [2]int{lo, hi})
				lo = hi
			}
			rng.Shuffle(len(chunks), func(a, b int) { chunks[a], chunks[b] = chunks[b], chunks[a] })
			for _, c := range chunks {
				lb.split(c[0], c[1])
			}
			for i := range lb.n {
				check(lb, i)
			}
			lines += lb.n
			before = lb
			if eof {
				break
			}
		}
		if lines != len(want) {
			t.Fatalf("%s: %d lines, want %d", desc, lines, len(want))
		}
	}
}
