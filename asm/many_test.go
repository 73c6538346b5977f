package asm

import (
	"slices"
	"testing"
)

// manyCounts are the lane counts of the multi-batch tests: every edge of the
// one- and two-batch steps over four batches.
var manyCounts = []int{0, 1, 63, 64, 65, 100, 127, 128, 129, 191, 192, 193, 255, 256}

// TestExpandKeysMany checks ExpandKeysMany on four batches against the
// reference schedule of every lane, with untouched lanes >= n, on every
// path (the AVX-512 one runs batches two at a time).
func TestExpandKeysMany(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := newRand(t)
		const nb = 4
		for _, n := range manyCounts {
			keys := make([]Blocks, nb)
			got := make([]Keys, nb)
			for b := range keys {
				randBlocks(r, &keys[b])
				for rr := range got[b].RK {
					for i := range got[b].RK[rr] {
						got[b].RK[rr][i] = canaryWord(rr, i) ^ uint32(b)<<24
					}
				}
			}
			ExpandKeysMany(got, keys, n)
			for b := range keys {
				var want Keys
				refExpandKeys(&want, &keys[b], MaxLanes)
				for rr := range want.RK {
					for i := range want.RK[rr] {
						w := want.RK[rr][i]
						if b*MaxLanes+i >= n {
							w = canaryWord(rr, i) ^ uint32(b)<<24
						}
						if g := got[b].RK[rr][i]; g != w {
							t.Fatalf("n=%d: batch %d RK[%d][%d] = %#x, want %#x", n, b, rr, i, g, w)
						}
					}
				}
			}
		}
	})
}

// TestEncryptMany checks EncryptMany on four batches against the reference
// and emmansun/gmsm, out of place (lanes >= n untouched) and in place, on
// every path.
func TestEncryptMany(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := newRand(t)
		const nb = 4
		for _, n := range manyCounts {
			keys := make([]Blocks, nb)
			src := make([]Blocks, nb)
			k := make([]Keys, nb)
			got := make([]Blocks, nb)
			for b := range keys {
				randBlocks(r, &keys[b])
				randBlocks(r, &src[b])
				refExpandKeys(&k[b], &keys[b], MaxLanes)
				fillCanary(&got[b])
			}
			EncryptMany(got, k, src, n)
			inplace := slices.Clone(src)
			EncryptMany(inplace, k, inplace, n)
			for b := range keys {
				var want Blocks
				refEncrypt(&want, &k[b], &src[b], MaxLanes)
				m := min(max(n-b*MaxLanes, 0), MaxLanes)
				checkCanary(t, "EncryptMany", &got[b], m)
				for i := 0; i < MaxLanes; i++ {
					wIn := laneBlock(&src[b], i)
					if i < m {
						wIn = laneBlock(&want, i)
						g := laneBlock(&got[b], i)
						if g != wIn {
							t.Fatalf("n=%d batch %d lane %d: got %x, ref %x", n, b, i, g, wIn)
						}
						if i%7 == 0 {
							if w := gmsmEncrypt(t, laneBlock(&keys[b], i), laneBlock(&src[b], i)); g != w {
								t.Fatalf("n=%d batch %d lane %d: got %x, gmsm %x", n, b, i, g, w)
							}
						}
					}
					if g := laneBlock(&inplace[b], i); g != wIn {
						t.Fatalf("in place n=%d batch %d lane %d: got %x, want %x", n, b, i, g, wIn)
					}
				}
			}
		}
	})
}

// TestManyRange checks that lane counts outside the batches given panic
// before anything is written.
func TestManyRange(t *testing.T) {
	forEachImpl(t, testManyRange)
}

func testManyRange(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func(dk []Keys, db []Blocks)
	}{
		{"ExpandKeysMany n<0", func(dk []Keys, _ []Blocks) { ExpandKeysMany(dk, make([]Blocks, 2), -1) }},
		{"ExpandKeysMany n>batches", func(dk []Keys, _ []Blocks) { ExpandKeysMany(dk, make([]Blocks, 1), MaxLanes+1) }},
		{"EncryptMany n<0", func(_ []Keys, db []Blocks) { EncryptMany(db, make([]Keys, 2), make([]Blocks, 2), -1) }},
		{"EncryptMany n>batches", func(_ []Keys, db []Blocks) {
			EncryptMany(db, make([]Keys, 2), make([]Blocks, 1), MaxLanes+1)
		}},
	} {
		dk := make([]Keys, 2)
		db := make([]Blocks, 2)
		for b := range db {
			fillCanary(&db[b])
			for r := range dk[b].RK {
				for i := range dk[b].RK[r] {
					dk[b].RK[r][i] = canaryWord(r, i)
				}
			}
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			c.fn(dk, db)
		}()
		for b := range db {
			checkCanary(t, c.name, &db[b], 0)
			for r := range dk[b].RK {
				for i := range dk[b].RK[r] {
					if dk[b].RK[r][i] != canaryWord(r, i) {
						t.Fatalf("%s: batch %d written before the panic", c.name, b)
					}
				}
			}
		}
	}
}
