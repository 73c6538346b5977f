package batch

import (
	"testing"

	"github.com/sscard/sscard/diversify"
	demo "github.com/sscard/sscard/internal/gen"
	"github.com/sscard/sscard/mac"
)

// demoWorkload returns n records of the main job's workload (sscard
// bench): the demo key set, purchase and load records with every MAC
// field, 0.1 % tampered.
func demoWorkload(tb testing.TB, algs []diversify.Alg, n int) (*KeySet, []Record) {
	ks, err := ParseKeySet(demo.AppendKeySetJSON(nil, demo.DemoProfile, demo.Demo()))
	if err != nil {
		tb.Fatal(err)
	}
	g, err := demo.New(ks.Profile, demo.Demo(), demo.Options{Seed: 1, Tamper: 0.001, Algs: algs,
		Kinds: []mac.Kind{mac.KindPurchase, mac.KindLoad}})
	if err != nil {
		tb.Fatal(err)
	}
	recs := make([]Record, n)
	var line []byte
	for i := range recs {
		line, _ = g.Next(line[:0])
		if err := ParseRecord(line, &recs[i]); err != nil {
			tb.Fatal(err)
		}
	}
	return ks, recs
}

// BenchmarkDemo: the main job's workload on one worker, per algorithm mix
// and path.
func BenchmarkDemo(b *testing.B) {
	for _, mix := range []struct {
		name string
		algs []diversify.Alg
	}{{"sm4", []diversify.Alg{diversify.SM4}}, {"3des", []diversify.Alg{diversify.TDES}}, {"mixed", []diversify.Alg{diversify.SM4, diversify.TDES}}} {
		ks, recs := demoWorkload(b, mix.algs, 1<<15)
		b.Run("alg="+mix.name, func(b *testing.B) {
			forEachBenchPath(b, func(b *testing.B, scalar bool) {
				v, err := NewVerifier(ks, &Options{Workers: 1, Scalar: scalar})
				if err != nil {
					b.Fatal(err)
				}
				defer v.Close()
				benchLoop(b, v, recs, make([]Result, len(recs)))
			})
		})
	}
}

// BenchmarkParentCache: the parent-key cache alone, the two lookups (session
// key, then TAC key through the session key's entry, as record does) of
// each SM4 demo record, all hits.
func BenchmarkParentCache(b *testing.B) {
	ks, recs := demoWorkload(b, []diversify.Alg{diversify.SM4}, 4096)
	v, err := NewVerifier(ks, &Options{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	w := v.workers[0]
	v.Verify(recs, make([]Result, len(recs))) // fills the cache
	var ids uint64
	for b.Loop() {
		for i := range recs {
			r := &recs[i]
			prefix := r.Factors[:r.NFactors-1]
			e := w.lookupCache(w.lookup(sessionUsageTab[r.Kind&7], r.Alg, r.KeyVersion), prefix)
			ids += e.id + w.entry(w.lookup(UsageTAC, r.Alg, r.KeyVersion), prefix, e).id
		}
	}
	if ids == 0 {
		b.Fatal("no entries")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
