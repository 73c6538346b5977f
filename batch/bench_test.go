package batch

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/sscard/sscard/asm"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// benchPurchaseTAC returns n single-level SM4 purchase records with only a
// TAC, all under one issuer key, and the key set.
func benchPurchaseTAC(n int) (*KeySet, []Record) {
	ks := &KeySet{Profile: mac.SM4Profile, Keys: []MasterKey{
		{Usage: UsageTAC, Alg: diversify.SM4, Version: 1, Levels: 1,
			Key: [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}},
	}}
	recs := make([]Record, n)
	for i := range recs {
		r := &recs[i]
		*r = Record{Kind: mac.KindPurchase, Alg: diversify.SM4, KeyVersion: 1, NFactors: 1, Amount: uint32(100 + i),
			Terminal: [6]byte{1, 2, 3, 4, 5, 6}, Date: [4]byte{0x20, 0x26, 0x11, 0x22}, Time: [3]byte{0x13, 0x51, 0}}
		binary.BigEndian.PutUint64(r.Factors[0][:], 0x1000000+uint64(i))
		binary.BigEndian.PutUint32(r.TermSeq[:], uint32(i))
		if err := ks.Sign(r, FieldTAC); err != nil {
			panic(err)
		}
	}
	return ks, recs
}

func benchVerify(b *testing.B, ks *KeySet, recs []Record, opts *Options) {
	v, err := NewVerifier(ks, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	res := make([]Result, len(recs))
	v.Verify(recs, res)
	for i := range res {
		if res[i].Status != StatusOK {
			b.Fatalf("record %d: %v %v", i, res[i].Status, res[i].Err)
		}
	}
	benchLoop(b, v, recs, res)
}

// benchLoop times v.Verify over recs and reports ns/txn and txn/s.
func benchLoop(b *testing.B, v *Verifier, recs []Record, res []Result) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		v.Verify(recs, res)
	}
	perTxn := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(len(recs))
	b.ReportMetric(perTxn, "ns/txn")
	b.ReportMetric(1e9/perTxn, "txn/s")
}

// forEachBenchPath runs f on the scalar path and on every asm path.
func forEachBenchPath(b *testing.B, f func(b *testing.B, scalar bool)) {
	b.Run("impl=scalar", func(b *testing.B) { f(b, true) })
	saved := asm.Impl()
	defer asm.SetImpl(saved)
	for _, name := range asm.Impls() {
		asm.SetImpl(name)
		b.Run("impl="+name, func(b *testing.B) { f(b, false) })
	}
}

// BenchmarkVerify: single-level SM4 purchase TAC records on one worker.
func BenchmarkVerify(b *testing.B) {
	ks, recs := benchPurchaseTAC(4096)
	forEachBenchPath(b, func(b *testing.B, scalar bool) {
		benchVerify(b, ks, recs, &Options{Workers: 1, Scalar: scalar})
	})
}

// benchPurchaseTAC3DES returns n single-level 3DES purchase records with
// only a TAC, all under one issuer key, and the key set.
func benchPurchaseTAC3DES(n int) (*KeySet, []Record) {
	ks := &KeySet{Profile: mac.PBOC3DES, Keys: []MasterKey{
		{Usage: UsageTAC, Alg: diversify.TDES, Version: 1, Levels: 1,
			Key: [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}},
	}}
	recs := make([]Record, n)
	for i := range recs {
		r := &recs[i]
		*r = Record{Kind: mac.KindPurchase, Alg: diversify.TDES, KeyVersion: 1, NFactors: 1, Amount: uint32(100 + i),
			Terminal: [6]byte{1, 2, 3, 4, 5, 6}, Date: [4]byte{0x20, 0x26, 0x11, 0x22}, Time: [3]byte{0x13, 0x51, 0}}
		binary.BigEndian.PutUint64(r.Factors[0][:], 0x1000000+uint64(i))
		binary.BigEndian.PutUint32(r.TermSeq[:], uint32(i))
		if err := ks.Sign(r, FieldTAC); err != nil {
			panic(err)
		}
	}
	return ks, recs
}

// BenchmarkVerify3DES: single-level 3DES purchase TAC records on one
// worker.
func BenchmarkVerify3DES(b *testing.B) {
	ks, recs := benchPurchaseTAC3DES(4096)
	forEachBenchPath(b, func(b *testing.B, scalar bool) {
		benchVerify(b, ks, recs, &Options{Workers: 1, Scalar: scalar})
	})
}

// BenchmarkVerifyMixed: the random mix of the differential test (all kinds,
// SM4 and 3DES, 0-3 levels, all MAC fields, some bad) on one worker.
func BenchmarkVerifyMixed(b *testing.B) {
	ks := testKeySet(mac.SM4Profile, 1)
	g := newGen(ks, 2)
	recs := make([]Record, 4096)
	for i := range recs {
		recs[i] = g.valid()
	}
	forEachBenchPath(b, func(b *testing.B, scalar bool) {
		benchVerify(b, ks, recs, &Options{Workers: 1, Scalar: scalar})
	})
}

// BenchmarkVerifyParallel: BenchmarkVerify's records on 1..GOMAXPROCS
// workers, best asm path.
func BenchmarkVerifyParallel(b *testing.B) {
	ks, recs := benchPurchaseTAC(1 << 16)
	for w := 1; ; w *= 2 {
		if w > runtime.GOMAXPROCS(0) {
			w = runtime.GOMAXPROCS(0)
		}
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			benchVerify(b, ks, recs, &Options{Workers: w})
		})
		if w == runtime.GOMAXPROCS(0) {
			break
		}
	}
}

// BenchmarkStream: VerifyStream over JSON Lines (parse-bound), all workers.
func BenchmarkStream(b *testing.B) {
	ks, recs := benchPurchaseTAC(1 << 14)
	var in []byte
	for i := range recs {
		in = AppendJSON(in, &recs[i])
		in = append(in, '\n')
	}
	for _, format := range []string{"json", "csv"} {
		data := in
		if format == "csv" {
			data = append([]byte(CSVHeader+"\n"), nil...)
			for i := range recs {
				data = AppendCSV(data, &recs[i])
				data = append(data, '\n')
			}
		}
		b.Run("format="+format, func(b *testing.B) {
			v, err := NewVerifier(ks, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer v.Close()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				sum, err := v.VerifyStream(context.Background(), bytes.NewReader(data), io.Discard, nil)
				if err != nil || sum.OK != int64(len(recs)) {
					b.Fatalf("%+v %v", sum, err)
				}
			}
			perLine := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(len(recs))
			b.ReportMetric(perLine, "ns/line")
			b.ReportMetric(1e9/perLine, "lines/s")
		})
	}
}

// BenchmarkParseRecord: the JSON parser alone.
func BenchmarkParseRecord(b *testing.B) {
	for _, c := range []struct{ name, line string }{
		{"spaced", goodPurchase},
		{"compact", strings.NewReplacer(`": `, `":`, `, "`, `,"`).Replace(goodPurchase)}, // as sscard gen writes
	} {
		b.Run("line="+c.name, func(b *testing.B) {
			line := []byte(c.line)
			var r Record
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				if err := ParseRecord(line, &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLineReader: what VerifyStream's calling goroutine does per line
// besides writing (reading the input into batches, counting line ends),
// the part of the stream that does not scale with the workers; and the
// workers' splitting of those batches into lines.
func BenchmarkLineReader(b *testing.B) {
	_, recs := benchPurchaseTAC(1 << 14)
	var in []byte
	for i := range recs {
		in = AppendJSON(in, &recs[i])
		in = append(in, '\n')
	}
	for _, split := range []bool{false, true} {
		b.Run(fmt.Sprintf("split=%v", split), func(b *testing.B) {
			st := new(streamState)
			lines := 0
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				st.lr = lineReader{r: bytes.NewReader(in), max: 64 << 10, batch: minBatchBytes, piece: pieceBytes}
				st.format, st.lineNo = FormatJSON, 0
				for k := 0; ; k++ {
					s := &st.slots[k%3]
					eof, err := st.cut(s, minBatchLines)
					if err != nil {
						b.Fatal(err)
					}
					if split {
						s.lb.split(0, s.lb.n)
					}
					if eof {
						break
					}
				}
				if lines = int(st.lineNo); lines != len(recs) {
					b.Fatalf("%d lines, want %d", lines, len(recs))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(lines), "ns/line")
		})
	}
}

// benchCityTAC returns n two-level purchase records of algorithm alg with
// only a TAC (the shape of a clearing file: the issuer key, a city factor,
// the card's serial), spread over cities cities in random order, and the
// key set.
func benchCityTAC(alg diversify.Alg, n, cities int) (*KeySet, []Record) {
	ks := &KeySet{Profile: mac.SM4Profile, Keys: []MasterKey{
		{Usage: UsageTAC, Alg: alg, Version: 1, Levels: 2,
			Key: [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}},
	}}
	recs := make([]Record, n)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range recs {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		r := &recs[i]
		*r = Record{Kind: mac.KindPurchase, Alg: alg, KeyVersion: 1, NFactors: 2, Amount: uint32(100 + i),
			Terminal: [6]byte{1, 2, 3, 4, 5, 6}, Date: [4]byte{0x20, 0x26, 0x11, 0x22}, Time: [3]byte{0x13, 0x51, 0}}
		binary.BigEndian.PutUint64(r.Factors[0][:], 0x3300000000007378+uint64(x%uint64(cities))<<16)
		binary.BigEndian.PutUint64(r.Factors[1][:], 0x1000000+uint64(i))
		binary.BigEndian.PutUint32(r.TermSeq[:], uint32(i))
		if err := ks.Sign(r, FieldTAC); err != nil {
			panic(err)
		}
	}
	return ks, recs
}

// BenchmarkVerifyCity: two-level purchase TAC records on one worker, the
// city key cached per worker: a city's own cards (one city) and a clearing
// centre's mix (300 cities, random order), SM4 and 3DES.
func BenchmarkVerifyCity(b *testing.B) {
	for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
		for _, cities := range []int{1, 300} {
			ks, recs := benchCityTAC(alg, 4096, cities)
			b.Run(fmt.Sprintf("alg=%v/cities=%d", alg, cities), func(b *testing.B) {
				forEachBenchPath(b, func(b *testing.B, scalar bool) {
					benchVerify(b, ks, recs, &Options{Workers: 1, Scalar: scalar})
				})
			})
		}
	}
}
