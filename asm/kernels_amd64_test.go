//go:build amd64 && !purego

package asm

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sscard/sscard/sm4"
)

// Kernel-level tests of the assembly: every kernel and S-box flavour against
// the lane-by-lane reference (ref.go, built on package sm4), on random
// inputs, every lane count, ragged MAC lengths, and canaries in lanes >= n.

type kernelSet struct {
	name   string
	ok     bool
	mode   int // AVX2 S-box flavour
	expand func(*Keys, *Blocks, int)
	enc    func(*Blocks, *Keys, *Blocks, int)
	mac    func(*Blocks, *Keys, *[MaxMACBlocks]Blocks, *[MaxLanes]uint8, int)
	fused  func(*Fused)
}

func kernelSets() []kernelSet {
	return []kernelSet{
		{"avx512gfni", hasAVX512GFNI, -1, expandKeysAVX512, encryptAVX512, cbcmacAVX512, fusedAVX512},
		{"avx2gfni", avx2GFNI, modeGFNI, expandKeysAVX2, encryptAVX2, cbcmacAVX2, fusedAVX2},
		{"avx2vaes", avx2VAES, modeVAES, expandKeysAVX2, encryptAVX2, cbcmacAVX2, fusedAVX2},
		{"avx2aesni", avx2AES, modeAES, expandKeysAVX2, encryptAVX2, cbcmacAVX2, fusedAVX2},
	}
}

func forEachKernel(t *testing.T, fn func(t *testing.T, ks kernelSet)) {
	ran := 0
	for _, ks := range kernelSets() {
		t.Run(ks.name, func(t *testing.T) {
			if !ks.ok {
				t.Skipf("CPU lacks %s", ks.name)
			}
			if ks.mode >= 0 {
				old := avx2Mode
				avx2Mode = ks.mode
				defer func() { avx2Mode = old }()
			}
			ran++
			fn(t, ks)
		})
	}
	if ran == 0 {
		t.Skip("no assembly kernel runs on this CPU")
	}
}

func kRand(t testing.TB) *rand.Rand {
	seed := rand.Uint64()
	t.Logf("seed %#x", seed)
	return rand.New(rand.NewPCG(seed, 0x5eed))
}

func kRandBlocks(r *rand.Rand, b *Blocks) {
	for j := range b.W {
		for i := range b.W[j] {
			b.W[j][i] = r.Uint32()
		}
	}
}

const kCanary = 0xc0ffee00

func kCanaryBlocks(b *Blocks) {
	for j := range b.W {
		for i := range b.W[j] {
			b.W[j][i] = kCanary ^ uint32(j<<8|i)
		}
	}
}

func kCanaryKeys(k *Keys) {
	for r := range k.RK {
		for i := range k.RK[r] {
			k.RK[r][i] = kCanary ^ uint32(r<<8|i)
		}
	}
}

// kCheckBlocks compares lanes < n with want and lanes >= n with the canary.
func kCheckBlocks(t *testing.T, what string, got, want *Blocks, n int) {
	t.Helper()
	for j := range got.W {
		for i := range got.W[j] {
			w := want.W[j][i]
			if i >= n {
				w = kCanary ^ uint32(j<<8|i)
			}
			if got.W[j][i] != w {
				t.Fatalf("%s n=%d: word %d lane %d = %#08x, want %#08x", what, n, j, i, got.W[j][i], w)
			}
		}
	}
}

func kLaneCounts() []int {
	ns := []int{1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64}
	if !testing.Short() {
		ns = ns[:0]
		for n := 1; n <= MaxLanes; n++ {
			ns = append(ns, n)
		}
	}
	return ns
}

func TestKernelExpandKeys(t *testing.T) {
	forEachKernel(t, func(t *testing.T, ks kernelSet) {
		r := kRand(t)
		for _, n := range kLaneCounts() {
			var keys Blocks
			kRandBlocks(r, &keys)
			var got, want Keys
			kCanaryKeys(&got)
			refExpandKeys(&want, &keys, n)
			ks.expand(&got, &keys, n)
			for rr := range got.RK {
				for i := range got.RK[rr] {
					w := want.RK[rr][i]
					if i >= n {
						w = kCanary ^ uint32(rr<<8|i)
					}
					if got.RK[rr][i] != w {
						t.Fatalf("n=%d: rk[%d] lane %d = %#08x, want %#08x", n, rr, i, got.RK[rr][i], w)
					}
				}
			}
		}
	})
}

func TestKernelEncrypt(t *testing.T) {
	forEachKernel(t, func(t *testing.T, ks kernelSet) {
		r := kRand(t)
		for _, n := range kLaneCounts() {
			var keys, src, want, got Blocks
			var k Keys
			kRandBlocks(r, &keys)
			kRandBlocks(r, &src)
			refExpandKeys(&k, &keys, MaxLanes)
			refEncrypt(&want, &k, &src, n)
			kCanaryBlocks(&got)
			ks.enc(&got, &k, &src, n)
			kCheckBlocks(t, "encrypt", &got, &want, n)
			// In place.
			inplace := src
			ks.enc(&inplace, &k, &inplace, n)
			for j := range want.W {
				copy(want.W[j][n:], src.W[j][n:])
			}
			if inplace != want {
				t.Fatalf("n=%d: in-place encryption differs", n)
			}
		}
	})
}

// TestKernelEncryptKnownAnswer: GB/T 32907 example (key = plaintext =
// 0123456789abcdeffedcba9876543210) in every lane.
func TestKernelEncryptKnownAnswer(t *testing.T) {
	forEachKernel(t, func(t *testing.T, ks kernelSet) {
		in := [4]uint32{0x01234567, 0x89abcdef, 0xfedcba98, 0x76543210}
		want := [4]uint32{0x681edf34, 0xd206965e, 0x86b3e94f, 0x536e4246}
		var b Blocks
		for j := range b.W {
			for i := range b.W[j] {
				b.W[j][i] = in[j]
			}
		}
		var k Keys
		ks.expand(&k, &b, MaxLanes)
		ks.enc(&b, &k, &b, MaxLanes)
		for j := range b.W {
			for i := range b.W[j] {
				if b.W[j][i] != want[j] {
					t.Fatalf("lane %d word %d = %#08x, want %#08x", i, j, b.W[j][i], want[j])
				}
			}
		}
	})
}

func kRefMAC(dst *Blocks, k *Keys, msg *[MaxMACBlocks]Blocks, nblocks *[MaxLanes]uint8, n int) {
	for i := 0; i < n; i++ {
		s := laneSchedule(k, i)
		var c [16]byte
		for b := 0; b < int(nblocks[i]); b++ {
			m := laneBlock(&msg[b], i)
			for j := range c {
				c[j] ^= m[j]
			}
			s.Encrypt(&c, &c)
		}
		setLaneBlock(dst, i, &c)
	}
}

func kRandNBlocks(r *rand.Rand, nb *[MaxLanes]uint8, n int) {
	maxb := r.IntN(MaxMACBlocks + 1)
	for i := range nb {
		nb[i] = uint8(r.IntN(maxb + 1))
		if i >= n {
			nb[i] = uint8(r.IntN(256)) // garbage beyond n must not matter
		}
	}
}

func TestKernelCBCMAC(t *testing.T) {
	forEachKernel(t, func(t *testing.T, ks kernelSet) {
		r := kRand(t)
		for _, n := range kLaneCounts() {
			for rep := 0; rep < 3; rep++ {
				var keys, want, got Blocks
				var k Keys
				var msg [MaxMACBlocks]Blocks
				var nb [MaxLanes]uint8
				kRandBlocks(r, &keys)
				for b := range msg {
					kRandBlocks(r, &msg[b])
				}
				kRandNBlocks(r, &nb, n)
				if rep == 2 {
					for i := 0; i < n; i++ {
						nb[i] = MaxMACBlocks
					}
				}
				refExpandKeys(&k, &keys, MaxLanes)
				kRefMAC(&want, &k, &msg, &nb, n)
				kCanaryBlocks(&got)
				ks.mac(&got, &k, &msg, &nb, n)
				kCheckBlocks(t, "cbcmac", &got, &want, n)
			}
		}
	})
}

func TestKernelFused(t *testing.T) {
	forEachKernel(t, func(t *testing.T, ks kernelSet) {
		r := kRand(t)
		for _, n := range kLaneCounts() {
			for _, shared := range []bool{false, true} {
				for _, session := range []bool{false, true} {
					f := new(Fused)
					f.N = n
					kRandBlocks(r, &f.Parent)
					kRandBlocks(r, &f.Div)
					kRandBlocks(r, &f.Sess)
					for b := range f.Msg {
						kRandBlocks(r, &f.Msg[b])
					}
					kRandNBlocks(r, &f.NBlocks, n)
					if r.IntN(2) == 0 {
						for b := range f.Msg2 {
							kRandBlocks(r, &f.Msg2[b])
						}
						kRandNBlocks(r, &f.NBlocks2, n)
					}
					if shared {
						var key [16]byte
						for i := range key {
							key[i] = byte(r.Uint32())
						}
						f.Shared = new(sm4.Schedule)
						f.Shared.Init(&key)
					}
					f.Session = session
					want := *f
					refFused(&want)
					kCanaryBlocks(&f.Out)
					kCanaryBlocks(&f.Out2)
					ks.fused(f)
					kCheckBlocks(t, "fused", &f.Out, &want.Out, n)
					kCheckBlocks(t, "fused chain 2", &f.Out2, &want.Out2, n)
				}
			}
		}
	})
}

func TestKernelAllocs(t *testing.T) {
	if testRace {
		t.Skip("allocation counts are not meaningful under -race")
	}
	forEachKernel(t, func(t *testing.T, ks kernelSet) {
		f := new(Fused)
		f.N = 50
		for i := range f.NBlocks {
			f.NBlocks[i] = 2
		}
		var k Keys
		var b Blocks
		if a := testing.AllocsPerRun(10, func() {
			ks.expand(&k, &b, 50)
			ks.enc(&b, &k, &b, 50)
			ks.mac(&b, &k, &f.Msg, &f.NBlocks, 50)
			ks.fused(f)
		}); a != 0 {
			t.Fatalf("%v allocations, want 0", a)
		}
	})
}

// spin is a chain of dependent 64-bit multiplies (3 cycles each on current
// x86 cores), used to estimate the core clock for cycle counts.
func spin(n int) uint64 {
	x := uint64(3)
	for i := 0; i < n; i++ {
		x *= x
	}
	return x
}

var spinSink uint64

// kBatch is the number of kernel calls BenchmarkKernel times at once.
const kBatch = 8

// kGHz estimates the clock frequency now, in GHz.
func kGHz() float64 {
	const n = 10_000_000
	best := 0.0
	for k := 0; k < 10; k++ {
		t := time.Now()
		spinSink += spin(n)
		if f := 3 * n / float64(time.Since(t).Nanoseconds()); f > best {
			best = f
		}
	}
	return best
}

// BenchmarkKernel measures every kernel and S-box flavour on 64 lanes (128
// for the two-batch kernels, x2) and reports ns and estimated core cycles
// per lane (per key schedule, block, or verify). Fused shapes: tac = Shared
// parent, no session key, 2 MAC blocks; session = the same plus a session
// key.
func BenchmarkKernel(b *testing.B) {
	for _, ks := range kernelSets() {
		if !ks.ok {
			continue
		}
		run := func(name, unit string, lanes int, fn func()) {
			b.Run("impl="+ks.name+"/op="+name, func(b *testing.B) {
				if ks.mode >= 0 {
					old := avx2Mode
					avx2Mode = ks.mode
					defer func() { avx2Mode = old }()
				}
				b.ReportAllocs()
				ghz := kGHz()
				// The machine may be shared: besides the mean, keep the
				// fastest batch of kBatch calls, which other processes
				// are least likely to have interrupted.
				best := time.Duration(1 << 62)
				for b.Loop() {
					t := time.Now()
					for range kBatch {
						fn()
					}
					best = min(best, time.Since(t))
				}
				ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*kBatch*lanes)
				bestNs := float64(best.Nanoseconds()) / float64(kBatch*lanes)
				b.ReportMetric(ns, "ns/"+unit)
				b.ReportMetric(ns*ghz, "cycles/"+unit)
				b.ReportMetric(bestNs, "best-ns/"+unit)
				b.ReportMetric(bestNs*ghz, "best-cycles/"+unit)
			})
		}
		r := rand.New(rand.NewPCG(1, 2))
		var keys, x Blocks
		kRandBlocks(r, &keys)
		kRandBlocks(r, &x)
		var k Keys
		refExpandKeys(&k, &keys, MaxLanes)
		run("expand", "key", MaxLanes, func() { ks.expand(&k, &keys, MaxLanes) })
		run("encrypt", "block", MaxLanes, func() { ks.enc(&x, &k, &x, MaxLanes) })
		if ks.name == "avx512gfni" {
			// The two-batch kernels (ExpandKeysMany, EncryptMany).
			var keys2, x2 [2]Blocks
			var k2 [2]Keys
			keys2[0], keys2[1] = keys, keys
			x2[0], x2[1] = x, x
			run("expand-x2", "key", 2*MaxLanes, func() { expandKeysAVX512x2(&k2[0], &k2[1], &keys2[0], &keys2[1], MaxLanes) })
			run("encrypt-x2", "block", 2*MaxLanes, func() {
				encryptAVX512x2(&x2[0], &x2[1], &k2[0], &k2[1], &x2[0], &x2[1], MaxLanes)
			})
		}
		var msg [MaxMACBlocks]Blocks
		var nb [MaxLanes]uint8
		for i := range nb {
			nb[i] = 2
		}
		run("cbcmac2", "txn", MaxLanes, func() { ks.mac(&x, &k, &msg, &nb, MaxLanes) })
		for _, session := range []bool{false, true} {
			f := new(Fused)
			f.N = MaxLanes
			var key [16]byte
			f.Shared = new(sm4.Schedule)
			f.Shared.Init(&key)
			f.Session = session
			kRandBlocks(r, &f.Div)
			f.NBlocks = nb
			name := "fused-tac"
			if session {
				name = "fused-session"
			}
			run(name, "txn", MaxLanes, func() { ks.fused(f) })
			if session {
				f.NBlocks2 = nb
				run("fused-session2", "txn", MaxLanes, func() { ks.fused(f) })
			}
		}
	}
}
