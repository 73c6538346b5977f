package batch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/sscard/sscard/asm"
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
