package batch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"
	"testing"

	"github.com/sscard/sscard/asm"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// desLanesOn reports whether the engine routes 3DES records of level >= 1
// through the lanes (see useDES).
func desLanesOn(scalar bool) bool {
	return !scalar
}

// desLanesRun returns the number of lanes v's workers have run through
// asm.DESFused.
func desLanesRun(v *Verifier) uint64 {
	var n uint64
	for _, w := range v.workers {
		n += w.desLanes
	}
	return n
}

// wantDESLanes returns how many lanes the 3DES lanes must run for recs, for
// each 3DES record of level >= 1 that gets as far as verification
// (well-formed, keys found, levels right): one for the TAC, one per pair of
// session MACs present (MAC1 and MAC2 share a lane's two chains; a third
// takes a lane of its own).
func wantDESLanes(recs []Record, cases []genCase) (lanes uint64, records int) {
	for i := range recs {
		r := &recs[i]
		switch cases[i].kind {
		case caseOK, caseTamperMAC, caseTamperData:
		default:
			continue
		}
		if r.Alg != diversify.TDES || r.NFactors == 0 {
			continue
		}
		f := r.Present & refFields(r.Kind)
		if f&FieldTAC != 0 {
			lanes++
		}
		lanes += uint64(bits.OnesCount(uint(f&sessionFields))+1) / 2
		records++
	}
	return
}

// TestDESLanesUsed checks that 3DES records of keys above the card level go
// through the 3DES lanes (exactly one lane per MAC field) wherever the
// engine routes them there (every asm path with the AVX-512 DES kernel, and
// the generic DES lanes when forced), through none otherwise, that the
// results still match the reference, and that both DES paths ran: the
// AVX-512 kernel wherever this CPU has it (unless SSCARD_ASM caps the
// paths), the generic one always.
func TestDESLanesUsed(t *testing.T) {
	n := 20_000
	if testing.Short() {
		n = 5_000
	}
	ks := testKeySet(mac.SM4Profile, 50)
	recs, cases := genRecords(ks, 51, n)
	want := expected(ks, recs, cases)
	lanes, records := wantDESLanes(recs, cases)
	if records < n/4 {
		t.Fatalf("only %d of %d records are 3DES records of level >= 1", records, n)
	}
	t.Logf("%d 3DES records of level >= 1 (%d MAC fields) among %d", records, lanes, n)
	var desPaths []string
	forEachPath(t, func(t *testing.T, scalar bool) {
		for _, workers := range []int{1, 2} {
			v := verifyChecked(t, ks, &Options{Workers: workers, Scalar: scalar, CacheEntries: 16}, recs, cases, want)
			wantLanes := lanes
			if !desLanesOn(scalar) {
				wantLanes = 0
			}
			if g := desLanesRun(v); g != wantLanes {
				t.Errorf("workers=%d: %d lanes ran through asm.DESFused, want %d", workers, g, wantLanes)
			}
			v.Close()
		}
		if desLanesOn(scalar) && !slices.Contains(desPaths, asm.DESImpl()) {
			desPaths = append(desPaths, asm.DESImpl())
		}
	})
	t.Logf("asm.DESFused paths run: %v", desPaths)
	if !slices.Contains(desPaths, "generic") {
		t.Error("the generic DES lanes did not run")
	}
	if asm.Capped() {
		return
	}
	saved := asm.Impl()
	defer asm.SetImpl(saved)
	for _, name := range asm.Impls() {
		asm.SetImpl(name)
		if d := asm.DESImpl(); !slices.Contains(desPaths, d) {
			t.Errorf("DES path %s (impl %s) did not run", d, name)
		}
	}
}

// TestDESLevel0: 3DES keys of level 0 have no lane input (see des.go);
// their records, tampered ones included, take record0DES (never the lanes)
// under both paddings, and package mac with Options.Scalar.
func TestDESLevel0(t *testing.T) {
	for _, p := range []*mac.Profile{mac.PBOC3DES, {Name: "ifneeded", AllowTDES: true, Padding: mac.PadIfNeeded}} {
		ks := testKeySet(p, 52)
		g := newGen(ks, 53)
		var recs []Record
		var cases []genCase
		for len(recs) < 2000 {
			var c genCase
			r, kind := g.next(&c.field)
			if r.NFactors != 0 || (kind != caseOK && kind != caseTamperMAC && kind != caseTamperData) {
				continue
			}
			c.kind = kind
			recs, cases = append(recs, r), append(cases, c)
		}
		want := expected(ks, recs, cases)
		bad := 0
		for i := range want {
			if want[i].Status != StatusOK {
				bad++
			}
		}
		if bad < 100 {
			t.Fatalf("only %d tampered records", bad)
		}
		t.Run("profile="+p.Name, func(t *testing.T) {
			forEachPath(t, func(t *testing.T, scalar bool) {
				v := verifyChecked(t, ks, &Options{Workers: 1, Scalar: scalar}, recs, cases, want)
				defer v.Close()
				if n := desLanesRun(v); n != 0 {
					t.Errorf("%d lanes ran for level-0 keys", n)
				}
				n0 := uint64(len(recs))
				if scalar {
					n0 = 0
				}
				if n := v.workers[0].des0; n != n0 {
					t.Errorf("record0DES verified %d records, want %d", n, n0)
				}
			})
		})
	}
}

// TestDESProfileFallback: both shipped paddings fit the 3DES lanes, and a
// padding outside mac's constants (which fits none) is refused when the key
// set is loaded, not read as a default.
func TestDESProfileFallback(t *testing.T) {
	for _, p := range []mac.Padding{mac.PadAlways, mac.PadIfNeeded} {
		if !desLanesFit(&mac.Profile{AllowTDES: true, Padding: p}) {
			t.Errorf("padding %d does not fit the lanes", p)
		}
	}
	odd := &mac.Profile{Name: "odd", AllowTDES: true, Padding: 7}
	if desLanesFit(odd) {
		t.Fatal("padding 7 fits the lanes")
	}
	ks := testKeySet(mac.PBOC3DES, 54)
	ks.Profile = odd
	if v, err := NewVerifier(ks, &Options{Workers: 1}); !errors.Is(err, ErrKeySet) || !errors.Is(err, mac.ErrBadProfile) {
		if v != nil {
			v.Close()
		}
		t.Fatalf("NewVerifier under padding 7: %v, want ErrKeySet and mac.ErrBadProfile", err)
	}
}

// TestEncodeDESMatchesMac checks the 3DES lane MAC inputs (big-endian
// 8-byte words, padding included) byte for byte against the Append methods
// of package mac padded with method 2 to 8-byte blocks under both padding
// rules, on every lane index, and that the data-length table the lanes
// are gated on is right.
func TestEncodeDESMatchesMac(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 56)
	g := newGen(ks, 57)
	var msg [asm.MaxDESBlocks][asm.MaxLanes]uint64
	const poison = 0xdeadbeefcafef00d
	for i := 0; i < 20000; i++ {
		r := g.valid()
		tr := refTxn(&r)
		lane := i % asm.MaxLanes
		for fi, f := range []Field{FieldMAC1, FieldMAC2, FieldTAC, FieldMAC3} {
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
			if desDataLen[r.Kind][fi] != len(want) {
				t.Fatalf("%v %v: desDataLen %d, data %d bytes", r.Kind, f, desDataLen[r.Kind][fi], len(want))
			}
			for _, p := range []mac.Padding{mac.PadAlways, mac.PadIfNeeded} {
				for b := range msg {
					for l := range msg[b] {
						msg[b][l] = poison
					}
				}
				nb := int(r.encodeDES(&msg, lane, f, uint64(typeTab[r.Kind][r.Type]), p == mac.PadAlways))
				var got []byte
				for b := 0; b < nb; b++ {
					got = binary.BigEndian.AppendUint64(got, msg[b][lane])
				}
				for b := range msg {
					for l := range msg[b] {
						if (l != lane || b >= nb) && msg[b][l] != poison {
							t.Fatalf("%v %v: block %d of lane %d written", r.Kind, f, b, l)
						}
					}
				}
				padded := append([]byte{}, want...)
				if len(want)%8 != 0 || p == mac.PadAlways {
					padded = append(padded, 0x80)
					for len(padded)%8 != 0 {
						padded = append(padded, 0)
					}
				}
				if !bytes.Equal(got, padded) || nb != len(padded)/8 || nb != desBlocks(len(want), p) {
					t.Fatalf("%v %v padded %v: %x (%d blocks), want %x", r.Kind, f, p, got, nb, padded)
				}
			}
		}
	}
}

// TestDESSharedAndMixed: one parent for all records (shared batches
// only), then a parent per record (mixed batches only), then runs of 1..40
// alike parents (merges into the mixed batch at flush), with a tiny cache
// (refills while lanes of an entry are pending): all must agree with the
// reference, and every 3DES lane must run.
func TestDESSharedAndMixed(t *testing.T) {
	ks := testKeySet(mac.PBOC3DES, 58)
	g := newGen(ks, 59)
	var recs []Record
	for len(recs) < 3000 {
		r := g.valid()
		if r.NFactors < 2 {
			continue
		}
		switch {
		case len(recs) < 1000:
			r.Factors[0] = g.cities[0]
		case len(recs) < 2000:
			binary.BigEndian.PutUint64(r.Factors[0][:], g.rng.Uint64())
		default:
			r.Factors[0] = g.cities[(len(recs)/(1+len(recs)%40))%len(g.cities)]
		}
		m1, m2, tac, m3, _, _ := refMACs(ks, &r)
		r.MAC1, r.MAC2, r.TAC, r.MAC3 = m1, m2, tac, m3
		if g.rng.IntN(10) == 0 {
			r.want(r.Present & -r.Present)[0] ^= 1
		}
		recs = append(recs, r)
	}
	cases := make([]genCase, len(recs))
	want := expected(ks, recs, cases)
	for i := range cases {
		cases[i].kind = -1 // compare with want only
	}
	forEachPath(t, func(t *testing.T, scalar bool) {
		v := verifyChecked(t, ks, &Options{Workers: 1, Scalar: scalar, CacheEntries: 4}, recs, cases, want)
		defer v.Close()
		lanes, _ := wantDESLanes(recs, make([]genCase, len(recs)))
		if !desLanesOn(scalar) {
			lanes = 0
		}
		if desLanesRun(v) != lanes {
			t.Errorf("%d lanes ran, want %d", desLanesRun(v), lanes)
		}
	})
}
