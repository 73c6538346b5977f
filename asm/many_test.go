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

// TestManyRange checks that lane counts beyond the batches given panic.
func TestManyRange(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func()
	}{
		{"ExpandKeysMany n<0", func() { ExpandKeysMany(make([]Keys, 1), make([]Blocks, 1), -1) }},
		{"ExpandKeysMany n>batches", func() { ExpandKeysMany(make([]Keys, 2), make([]Blocks, 1), MaxLanes+1) }},
		{"EncryptMany n>batches", func() { EncryptMany(make([]Blocks, 2), make([]Keys, 2), make([]Blocks, 1), MaxLanes+1) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			c.fn()
		}()
	}
}
