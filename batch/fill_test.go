package batch

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sscard/sscard/asm"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// TestFillTAC512 runs the vector fast-route filler against fillTAC on
// random runs of records, most of them on the route and some off it by a
// header byte or a bad date or time, from random lanes of batches filled
// with the same garbage: the count taken and every byte of the batches
// must agree.
// Both load paths run: gathers and, where the CPU has VBMI, the transpose.
func TestFillTAC512(t *testing.T) {
	if !hasFill512 {
		t.Skip("fillTAC512 did not run: this CPU (or build) lacks AVX-512 F/BW/VL and BMI2")
	}
	saved := fillTranspose
	defer func() { fillTranspose = saved }()
	for _, tr := range []bool{false, true} {
		name := "loads=gather"
		if tr {
			name = "loads=transpose"
		}
		t.Run(name, func(t *testing.T) {
			if tr && !hasFillTranspose {
				t.Skip("the transposed path did not run: this CPU lacks AVX512_VBMI")
			}
			fillTranspose = tr
			testFillTAC512(t, name)
		})
	}
}

func testFillTAC512(t *testing.T, path string) {
	rng := rand.New(rand.NewPCG(7, 512))
	iters := 20000
	if testing.Short() {
		iters = 2000
	}
	recs := make([]Record, 80)
	b1, b2 := new(laneBatch), new(laneBatch)
	taken, short := 0, 0
	for it := 0; it < iters; it++ {
		nf := uint8(rng.IntN(2))
		tmpl := Record{Kind: mac.KindPurchase + mac.Kind(rng.IntN(3)), Type: byte(rng.IntN(3)) * 6, Alg: diversify.SM4,
			KeyVersion: uint8(rng.IntN(256)), NFactors: nf, Present: FieldTAC}
		m := &master{}
		for j := range m.div0w {
			m.div0w[j] = rng.Uint32()
		}
		fr := &fastRoute{hdr: header(&tmpl), m: m, t: uint32(rng.IntN(256))}
		bad := rng.IntN(4) // how often a record leaves the route: 1 in 2^(2+bad)
		for i := range recs {
			r := &recs[i]
			fillRandom(rng, r)
			r.Kind, r.Type, r.Alg, r.KeyVersion, r.NFactors, r.Present = tmpl.Kind, tmpl.Type, tmpl.Alg, tmpl.KeyVersion, tmpl.NFactors, tmpl.Present
			r.Date = randomBCDDate(rng)
			r.Time = [3]byte{bcd(rng.IntN(24)), bcd(rng.IntN(60)), bcd(rng.IntN(60))}
			if rng.IntN(4<<bad) == 0 {
				spoilRecord(rng, r)
			}
		}
		fillGarbage(rng, b1)
		*b2 = *b1
		lane := rng.IntN(65)
		n := rng.IntN(65 - lane)
		base := rng.IntN(1 << 20)
		b1.f.N, b2.f.N = lane, lane
		k1 := fillTAC(b1, fr, recs[:n], base)
		var a tacFill
		a.set(b2, fr)
		k2 := 0
		if n > 0 {
			k2 = fillTAC512(&a, &recs[0], n, lane, base)
		}
		b2.f.N += k2
		if k1 != k2 {
			t.Fatalf("iteration %d: lane %d, n %d: fillTAC took %d records, fillTAC512 %d", it, lane, n, k1, k2)
		}
		if *b1 != *b2 {
			t.Fatalf("iteration %d: lane %d, n %d, took %d: the batches differ", it, lane, n, k1)
		}
		taken += k1
		if k1 < n {
			short++
		}
	}
	if short < iters/10 || taken < iters*5 {
		t.Fatalf("weak test: %d records taken, %d runs stopped early", taken, short)
	}
	t.Logf("fillTAC512 path ran: %s (%d runs, %d records taken, %d runs stopped at an off-route record)", path, iters, taken, short)
}

// randomBCDDate returns a valid date, February 29 of a leap year
// included (which the fast route leaves to record).
func randomBCDDate(rng *rand.Rand) [4]byte {
	y := 2000 + rng.IntN(100)
	m := 1 + rng.IntN(12)
	last := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	d := 1 + rng.IntN(last)
	return [4]byte{bcd(y / 100), bcd(y % 100), bcd(m), bcd(d)}
}

// spoilRecord takes r off the route: one header byte, or the date or time
// made invalid (or merely odd, such as February 29).
func spoilRecord(rng *rand.Rand, r *Record) {
	switch rng.IntN(12) {
	case 0:
		r.Kind ^= mac.Kind(1 + rng.IntN(255))
	case 1:
		r.Type ^= byte(1 + rng.IntN(255))
	case 2:
		r.Alg ^= diversify.Alg(1 + rng.IntN(255))
	case 3:
		r.KeyVersion ^= uint8(1 + rng.IntN(255))
	case 4:
		r.NFactors ^= uint8(1 + rng.IntN(255))
	case 5:
		r.Present ^= Field(1 + rng.IntN(255))
	case 6:
		r.Date[rng.IntN(4)] = byte(rng.IntN(256))
	case 7:
		r.Time[rng.IntN(3)] = byte(rng.IntN(256))
	case 8:
		r.Date[2], r.Date[3] = 0x02, 0x29
	case 9:
		r.Date[2] = [...]byte{0x00, 0x13, 0x20, 0x1a, 0x0a, 0x21, 0x91}[rng.IntN(7)]
	case 10:
		r.Date[3] = [...]byte{0x00, 0x32, 0x31, 0x30, 0x3a, 0x0f}[rng.IntN(6)]
	case 11:
		r.Time = [3]byte{[...]byte{0x23, 0x24, 0x29, 0x30}[rng.IntN(4)], [...]byte{0x59, 0x60, 0x5a}[rng.IntN(3)], [...]byte{0x00, 0x60, 0x99}[rng.IntN(3)]}
	}
}

// fillRandom fills every data field of r with random bytes.
func fillRandom(rng *rand.Rand, r *Record) {
	for i := range r.Factors {
		for j := range r.Factors[i] {
			r.Factors[i][j] = byte(rng.Uint32())
		}
	}
	r.Amount, r.Balance = rng.Uint32(), rng.Uint32()
	for _, s := range [][]byte{r.Terminal[:], r.TermSeq[:], r.Random[:], r.MAC1[:], r.MAC2[:], r.TAC[:], r.MAC3[:]} {
		for j := range s {
			s[j] = byte(rng.Uint32())
		}
	}
	r.OfflineSeq, r.OnlineSeq = uint16(rng.Uint32()), uint16(rng.Uint32())
	r.OldLimit, r.NewLimit = rng.Uint32(), rng.Uint32()
}

// fillGarbage fills the lane arrays of b with random words.
func fillGarbage(rng *rand.Rand, b *laneBatch) {
	for j := 0; j < 4; j++ {
		for l := range b.f.Div.W[j] {
			b.f.Div.W[j][l] = rng.Uint32()
			b.f.Want[l] = rng.Uint32()
			b.idx[l] = int32(rng.Uint32())
			b.field[l] = Field(rng.Uint32())
			b.f.NBlocks[l] = uint8(rng.Uint32())
			for k := range b.f.Msg {
				b.f.Msg[k].W[j][l] = rng.Uint32()
			}
		}
	}
}

// BenchmarkFill: the fast-route fillers alone, 64 on-route records into an
// empty batch.
func BenchmarkFill(b *testing.B) {
	_, recs := benchPurchaseTAC(64)
	tmpl := recs[0]
	fr := &fastRoute{hdr: header(&tmpl), m: &master{}, t: 0x06}
	lb := new(laneBatch)
	b.Run("impl=go", func(b *testing.B) {
		for b.Loop() {
			lb.f.N = 0
			if fillTAC(lb, fr, recs, 0) != len(recs) {
				b.Fatal("short")
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
	})
	if !hasFill512 {
		return
	}
	for _, tr := range []bool{false, true} {
		name := "impl=avx512-gather"
		if tr {
			if !hasFillTranspose {
				continue
			}
			name = "impl=avx512-transpose"
		}
		b.Run(name, func(b *testing.B) {
			var a tacFill
			a.set(lb, fr)
			a.transpose = 0
			if tr {
				a.transpose = 1
			}
			for b.Loop() {
				if fillTAC512(&a, &recs[0], len(recs), 0, 0) != len(recs) {
					b.Fatal("short")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
		})
	}
}

// BenchmarkVerifyFill: BenchmarkVerify's records on the avx512gfni path
// with each loading of the AVX-512 fast-route filler (gathers, or plain
// loads and a transpose), to choose between them on a CPU.
func BenchmarkVerifyFill(b *testing.B) {
	if !hasFill512 || !slices.Contains(asm.Impls(), "avx512gfni") {
		b.Skip("no AVX-512 filler on this CPU (or build)")
	}
	saved, savedImpl := fillTranspose, asm.Impl()
	defer func() { fillTranspose = saved; asm.SetImpl(savedImpl) }()
	asm.SetImpl("avx512gfni")
	ks, recs := benchPurchaseTAC(4096)
	for _, tr := range []bool{false, true} {
		if tr && !hasFillTranspose {
			continue
		}
		fillTranspose = tr
		name := "fill=gather"
		if tr {
			name = "fill=transpose"
		}
		b.Run(name, func(b *testing.B) { benchVerify(b, ks, recs, &Options{Workers: 1}) })
	}
}
