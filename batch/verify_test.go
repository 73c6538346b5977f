package batch

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/sscard/sscard/asm"
	demo "github.com/sscard/sscard/internal/gen"
	"github.com/sscard/sscard/internal/race"
	"github.com/sscard/sscard/mac"
)

// forEachPath runs f once on the scalar path and once per asm path
// available here (forced with asm.SetImpl, restored afterwards; the 3DES
// lanes follow: asm.DESImpl).
func forEachPath(t *testing.T, f func(t *testing.T, scalar bool)) {
	t.Run("impl=scalar", func(t *testing.T) { f(t, true) })
	saved := asm.Impl()
	defer asm.SetImpl(saved)
	for _, name := range asm.Impls() {
		if err := asm.SetImpl(name); err != nil {
			t.Fatal(err)
		}
		t.Run("impl="+name+"/des="+asm.DESImpl(), func(t *testing.T) { f(t, false) })
	}
	if err := asm.SetImpl(saved); err != nil {
		t.Fatal(err)
	}
}

type genCase struct {
	kind  int
	field Field
}

func genRecords(ks *KeySet, seed uint64, n int) ([]Record, []genCase) {
	g := newGen(ks, seed)
	recs := make([]Record, n)
	cases := make([]genCase, n)
	for i := range recs {
		recs[i], cases[i].kind = g.next(&cases[i].field)
	}
	return recs, cases
}

// expected returns the expected result of each generated record.
func expected(ks *KeySet, recs []Record, cases []genCase) []Result {
	want := make([]Result, len(recs))
	for i := range recs {
		switch cases[i].kind {
		case caseMalformed, caseLevels:
			want[i].Status = StatusMalformed
		case caseUnknown:
			want[i].Status = StatusUnknownKey
		default:
			want[i].Status, want[i].Fields = refResult(ks, &recs[i])
		}
	}
	return want
}

// verifyChecked builds a Verifier over ks with opts, verifies recs with it
// and checks the results against want (see checkResults). The caller closes
// the Verifier.
func verifyChecked(t *testing.T, ks *KeySet, opts *Options, recs []Record, cases []genCase, want []Result) *Verifier {
	t.Helper()
	v, err := NewVerifier(ks, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]Result, len(recs))
	if err := v.Verify(recs, got); err != nil {
		v.Close()
		t.Fatal(err)
	}
	checkResults(t, recs, cases, want, got)
	return v
}

func checkResults(t *testing.T, recs []Record, cases []genCase, want, got []Result) {
	t.Helper()
	errs := 0
	for i := range recs {
		w, g := want[i], got[i]
		bad := w.Status != g.Status || w.Fields != g.Fields
		switch cases[i].kind {
		case caseTamperMAC:
			bad = bad || g.Status != StatusMismatch || g.Fields != cases[i].field
		case caseLevels:
			bad = bad || !errors.Is(g.Err, ErrLevels)
		case caseMalformed:
			bad = bad || !errors.Is(g.Err, ErrMalformed)
		case caseUnknown:
			bad = bad || !errors.Is(g.Err, ErrUnknownKey)
		case caseOK:
			bad = bad || g.Status != StatusOK
		}
		if bad {
			errs++
			if errs <= 10 {
				t.Errorf("record %d (case %d, %v %v v%d levels %d present %v): got %v %v %v, want %v %v",
					i, cases[i].kind, recs[i].Kind, recs[i].Alg, recs[i].KeyVersion, recs[i].NFactors,
					recs[i].Present, g.Status, g.Fields, g.Err, w.Status, w.Fields)
			}
		}
	}
	if errs > 0 {
		t.Fatalf("%d of %d records wrong", errs, len(recs))
	}
}

// TestDifferential checks the Verifier against the scalar mac path on
// random records (all six kinds, SM4 and 3DES, 0-3 levels, tampered,
// unknown-key and malformed ones) on every path: 4 x 250,000 records
// (4 x 12,500 with -short).
func TestDifferential(t *testing.T) {
	n := 250_000
	if testing.Short() {
		n = 12_500
	}
	ks := testKeySet(mac.SM4Profile, 1)
	recs, cases := genRecords(ks, 2, n)
	want := expected(ks, recs, cases)
	counts := map[int]int{}
	for _, c := range cases {
		counts[c.kind]++
	}
	t.Logf("%d records: %d ok, %d MAC tampered, %d data tampered, %d unknown key, %d wrong levels, %d malformed",
		n, counts[caseOK], counts[caseTamperMAC], counts[caseTamperData], counts[caseUnknown], counts[caseLevels], counts[caseMalformed])
	forEachPath(t, func(t *testing.T, scalar bool) {
		v := verifyChecked(t, ks, &Options{Workers: 2, Scalar: scalar, CacheEntries: 64}, recs, cases, want)
		defer v.Close()
		lanes, records := wantDESLanes(recs, cases)
		if !desLanesOn(scalar) {
			lanes = 0
		}
		if g := desLanesRun(v); g != lanes {
			t.Errorf("%d lanes ran through asm.DESFused, want %d (%d 3DES records of level >= 1)", g, lanes, records)
		}
	})
}

// TestTinyCache runs the differential check with a parent-key cache of one
// set of four ways, so that parents are evicted all the time, some while
// shared batches bound to them hold lanes: those lanes must still run,
// under the key they were queued with.
func TestTinyCache(t *testing.T) {
	n := 50_000
	if testing.Short() {
		n = 10_000
	}
	ks := testKeySet(mac.SM4Profile, 3)
	recs, cases := genRecords(ks, 4, n)
	want := expected(ks, recs, cases)
	forEachPath(t, func(t *testing.T, scalar bool) {
		for _, workers := range []int{1, 2} {
			v := verifyChecked(t, ks, &Options{Workers: workers, Scalar: scalar, CacheEntries: 4}, recs, cases, want)
			fills := uint64(0)
			for _, w := range v.workers {
				fills += w.nextID - 1<<32
			}
			if fills < uint64(n)/10 {
				t.Errorf("workers=%d: %d cache fills for %d records: the cache did not churn", workers, fills, n)
			}
			v.Close()
		}
	})
}

// TestProfiles runs the differential check under profiles with the other
// SM4 rules: session-key padding variants, the XOR-halves TAC key (scalar
// fallback), pad-if-needed, lowest-first factor order, and PBOC-3DES.
func TestProfiles(t *testing.T) {
	n := 20_000
	if testing.Short() {
		n = 4_000
	}
	profiles := []*mac.Profile{
		mac.PBOC3DES,
		{Name: "zero", AllowSM4: true, SM4Session: mac.SessionZeroPad},
		{Name: "pad80", AllowSM4: true, AllowTDES: true, SM4Session: mac.SessionPad80, Padding: mac.PadIfNeeded},
		{Name: "xor", AllowSM4: true, AllowTDES: true, SM4TACKey: mac.KeyXORHalves, FactorOrder: mac.LowestFirst},
		// Redefined unload MAC3 and overdraw TAC inputs: those records
		// take the scalar path, the rest the lanes.
		{Name: "layouts", AllowSM4: true, AllowTDES: true,
			UnloadMAC3:  mac.Layout{mac.ItemBalanceBefore, mac.ItemAmount, mac.ItemType, mac.ItemTerminal, mac.ItemOnlineSeq},
			OverdrawTAC: mac.Layout{mac.ItemOldLimit, mac.ItemNewLimit, mac.ItemBalanceAfter, mac.ItemDate, mac.ItemTime, mac.ItemTerminal}},
	}
	for pi, p := range profiles {
		ks := testKeySet(p, uint64(10+pi))
		recs, cases := genRecords(ks, uint64(20+pi), n)
		want := expected(ks, recs, cases)
		t.Run("profile="+p.Name, func(t *testing.T) {
			forEachPath(t, func(t *testing.T, scalar bool) {
				v := verifyChecked(t, ks, &Options{Workers: 2, Scalar: scalar}, recs, cases, want)
				defer v.Close()
				lanes, _ := wantDESLanes(recs, cases)
				if !p.DefaultLayouts() {
					lanes, _ = wantDESLanes(layoutFree(recs, cases))
				}
				if !desLanesOn(scalar) || !p.AllowTDES {
					lanes = 0
				}
				if g := desLanesRun(v); g != lanes {
					t.Errorf("%d lanes ran through asm.DESFused, want %d", g, lanes)
				}
			})
		})
	}
}

// layoutFree drops the records a redefined unload MAC3 or overdraw TAC
// layout sends to the scalar path.
func layoutFree(recs []Record, cases []genCase) ([]Record, []genCase) {
	var r2 []Record
	var c2 []genCase
	for i := range recs {
		f := recs[i].Present & refFields(recs[i].Kind)
		if recs[i].Kind == mac.KindUnload && f&FieldMAC3 != 0 || recs[i].Kind == mac.KindOverdraw && f&FieldTAC != 0 {
			continue
		}
		r2, c2 = append(r2, recs[i]), append(c2, cases[i])
	}
	return r2, c2
}

// TestEncodeMatchesMac checks the package's MAC inputs (written straight
// into a lane as big-endian words, padding included) byte for byte against
// the Append methods of package mac padded under both rules, on every lane
// index.
func TestEncodeMatchesMac(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 30)
	g := newGen(ks, 31)
	var msg [asm.MaxMACBlocks]asm.Blocks
	for i := 0; i < 20000; i++ {
		r := g.valid()
		tr := refTxn(&r)
		lane := i % asm.MaxLanes
		for _, f := range []Field{FieldMAC1, FieldMAC2, FieldTAC, FieldMAC3} {
			var want []byte
			switch f {
			case FieldMAC1:
				want = tr.AppendMAC1(nil)
			case FieldMAC2:
				want = tr.AppendMAC2(nil)
			case FieldTAC:
				if r.Kind == mac.KindUnload {
					continue
				}
				want = tr.AppendSeal(nil)
			default:
				if r.Kind != mac.KindUnload {
					continue
				}
				want = tr.AppendSeal(nil)
			}
			// Poison the lane and its neighbours: every word of the
			// message must be written, and no other lane.
			for b := range msg {
				for j := range msg[b].W {
					for l := range msg[b].W[j] {
						msg[b].W[j][l] = 0xdeadbeef
					}
				}
			}
			nb := int(r.encodeLane(&msg, lane, f, uint32(typeTab[r.Kind][r.Type])))
			var got []byte
			for b := 0; b < nb; b++ {
				for j := 0; j < 4; j++ {
					got = binary.BigEndian.AppendUint32(got, msg[b].W[j][lane])
				}
			}
			for b := range msg {
				for j := range msg[b].W {
					for l := range msg[b].W[j] {
						if l != lane && msg[b].W[j][l] != 0xdeadbeef {
							t.Fatalf("%v %v: lane %d written", r.Kind, f, l)
						}
					}
				}
			}
			for _, p := range []mac.Padding{mac.PadAlways, mac.PadIfNeeded} {
				padded := append([]byte{}, want...)
				if len(want)%16 != 0 || p == mac.PadAlways {
					padded = append(padded, 0x80)
					for len(padded)%16 != 0 {
						padded = append(padded, 0)
					}
				}
				if !bytes.Equal(got, padded) || nb != len(padded)/16 {
					t.Fatalf("%v %v padded %v: %x (%d blocks), want %x", r.Kind, f, p, got, nb, padded)
				}
			}
		}
	}
}

// TestCacheGrows: a key set with more parents than the parent-key cache's
// first size (3600 here, against 1024) makes it grow, up to the bound;
// the results stay right (each tampered record, and only those, is
// rejected) while it grows, and once grown a call allocates nothing. A
// key set with few parents leaves it at its first size.
func TestCacheGrows(t *testing.T) {
	workload := func(cities, n int) (*KeySet, []Record, []bool) {
		ks, err := ParseKeySet(demo.AppendKeySetJSON(nil, demo.DemoProfile, demo.Demo()))
		if err != nil {
			t.Fatal(err)
		}
		g, err := demo.New(ks.Profile, demo.Demo(), demo.Options{Seed: 3, Tamper: 0.01, Cities: cities})
		if err != nil {
			t.Fatal(err)
		}
		recs := make([]Record, n)
		tampered := make([]bool, n)
		var line []byte
		for i := range recs {
			line, tampered[i] = g.Next(line[:0])
			if err := ParseRecord(line, &recs[i]); err != nil {
				t.Fatal(err)
			}
		}
		return ks, recs, tampered
	}
	n := 30_000
	if testing.Short() {
		n = 15_000
	}
	check := func(v *Verifier, recs []Record, tampered []bool, res []Result) {
		t.Helper()
		if err := v.Verify(recs, res); err != nil {
			t.Fatal(err)
		}
		for i := range res {
			if (res[i].Status != StatusOK) != tampered[i] || tampered[i] && res[i].Status != StatusMismatch {
				t.Fatalf("record %d: status %v, tampered %v", i, res[i].Status, tampered[i])
			}
		}
	}
	ks, recs, tampered := workload(600, n)
	// Sorted by city, records of one parent come in runs and share a lane
	// batch bound to its cache entry: growing the cache must run those
	// lanes first.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return bytes.Compare(recs[a].Factors[0][:], recs[b].Factors[0][:])
	})
	sorted, sortedTampered := make([]Record, n), make([]bool, n)
	for i, j := range order {
		sorted[i], sortedTampered[i] = recs[j], tampered[j]
	}
	res := make([]Result, n)
	forEachPath(t, func(t *testing.T, scalar bool) {
		// The default bound on one worker, a lower one on two.
		for _, c := range []struct{ workers, bound int }{{1, 0}, {2, 2048}} {
			workers, bound := c.workers, c.bound
			v, err := NewVerifier(ks, &Options{Workers: workers, CacheEntries: bound, Scalar: scalar})
			if err != nil {
				t.Fatal(err)
			}
			want := cmp.Or(bound, 4096)
			w := v.workers[0]
			if len(w.cache) != initialEntries {
				t.Fatalf("bound %d: first size %d", bound, len(w.cache))
			}
			sizes := []int{len(w.cache)}
			for i := 0; i < 3; i++ {
				if i == 0 {
					check(v, sorted, sortedTampered, res)
				} else {
					check(v, recs, tampered, res)
				}
				sizes = append(sizes, len(w.cache))
			}
			t.Logf("bound %d, %d workers: worker 0's cache sizes %v", bound, workers, sizes)
			for _, w := range v.workers {
				if len(w.cache) != want {
					t.Errorf("bound %d: the cache grew to %d, want %d", bound, len(w.cache), want)
				}
			}
			if !race.Enabled {
				if a := testing.AllocsPerRun(2, func() { v.Verify(recs, res) }); a != 0 {
					t.Errorf("bound %d: %v allocations per call once grown", bound, a)
				}
			}
			v.Close()
		}
	})
	ks, recs, tampered = workload(16, n)
	v, err := NewVerifier(ks, &Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for i := 0; i < 3; i++ {
		check(v, recs, tampered, res)
	}
	for _, w := range v.workers {
		if len(w.cache) != initialEntries {
			t.Errorf("96 parents: the cache grew to %d", len(w.cache))
		}
	}
}
