package asm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// ErrUnsupported is returned (wrapped) by SetImpl for a path that this CPU,
// this build or this package does not have.
var ErrUnsupported = errors.New("asm: implementation not supported")

// Implementation paths, best last.
const (
	implGeneric = iota
	implAVX2
	implAVX512
)

var implNames = [...]string{
	implGeneric: "generic",
	implAVX2:    "avx2",
	implAVX512:  "avx512gfni",
}

// impl is the path in use, chosen once at init; SetImpl changes it.
var impl = bestImpl()

// EnvCap is the environment variable that switches SIMD paths off: set to a
// path name ("generic", "avx2"), it makes every better path unavailable, as
// if the CPU lacked it. CI runs the tests once per cap; operators can use it
// to rule a path out without rebuilding. Unknown values are ignored.
const EnvCap = "SSCARD_ASM"

// implCap is the best path EnvCap allows.
var implCap = func() int {
	v := os.Getenv(EnvCap)
	for i, n := range implNames {
		if n == v {
			return i
		}
	}
	return len(implNames) - 1
}()

// Capped reports whether EnvCap switched a path off.
func Capped() bool { return implCap < len(implNames)-1 }

func bestImpl() int {
	for i := len(implNames) - 1; i > implGeneric; i-- {
		if available(i) {
			return i
		}
	}
	return implGeneric
}

func available(i int) bool {
	if i > implCap {
		return false
	}
	switch i {
	case implGeneric:
		return true
	case implAVX2:
		return hasAVX2
	case implAVX512:
		return hasAVX512GFNI
	}
	return false
}

// Impls lists the paths available on this CPU and build, from the portable
// "generic" up to the best: some of "generic", "avx2", "avx512gfni".
func Impls() []string {
	var s []string
	for i, name := range implNames {
		if available(i) {
			s = append(s, name)
		}
	}
	return s
}

// Impl names the path in use.
func Impl() string { return implNames[impl] }

// SetImpl forces the path named name (one of Impls) for every later call,
// for tests and benchmarks. It returns an error wrapping ErrUnsupported if
// the path is unknown or not available here. It is not safe to call
// concurrently with the other functions of the package.
func SetImpl(name string) error {
	for i, n := range implNames {
		if n == name {
			if !available(i) {
				return fmt.Errorf("asm: implementation %q not available on this CPU or build: %w", name, ErrUnsupported)
			}
			impl = i
			return nil
		}
	}
	return fmt.Errorf("asm: unknown implementation %q: %w", name, ErrUnsupported)
}

// checkLanes panics on a lane count outside 0..MaxLanes (a programmer error)
// and reports whether there is any work.
func checkLanes(n int) bool {
	if n < 0 || n > MaxLanes {
		panic("asm: lane count out of range")
	}
	return n > 0
}

// checkBlocks panics if nblocks[i] > MaxMACBlocks for some i < n. Eight
// counts at a time: with the top bit of each byte cleared, adding
// 0x80-(MaxMACBlocks+1) sets it exactly in the bytes above MaxMACBlocks,
// without a carry into the next byte; bytes with the top bit set are
// caught by or-ing the counts themselves.
func checkBlocks(nblocks *[MaxLanes]uint8, n int) {
	const (
		ones = 0x0101010101010101
		low7 = 0x7f * ones
		top  = 0x80 * ones
		add  = (0x80 - (MaxMACBlocks + 1)) * ones
	)
	var bad uint64
	i := 0
	for ; i+8 <= n; i += 8 {
		x := binary.LittleEndian.Uint64(nblocks[i:])
		bad |= x&low7 + add | x
	}
	for ; i < n; i++ {
		if nblocks[i] > MaxMACBlocks {
			bad = top
		}
	}
	if bad&top != 0 {
		panic("asm: MAC block count above MaxMACBlocks")
	}
}

// ExpandKeys expands the keys of lanes 0..n-1 (keys.W[j][i] is word j of
// lane i's key) into dst. Lanes >= n of dst are not written. n must be in
// 0..MaxLanes (n == 0 does nothing); any other value panics.
func ExpandKeys(dst *Keys, keys *Blocks, n int) {
	if !checkLanes(n) {
		return
	}
	switch impl {
	case implAVX512:
		expandKeysAVX512(dst, keys, n)
	case implAVX2:
		expandKeysAVX2(dst, keys, n)
	default:
		expandKeysGeneric(dst, keys, n)
	}
}

// Encrypt encrypts one block per lane, lane i under the schedule of lane i
// in k, for lanes 0..n-1. dst may alias src. Lanes >= n of dst are not
// written. n must be in 0..MaxLanes; any other value panics.
func Encrypt(dst *Blocks, k *Keys, src *Blocks, n int) {
	if !checkLanes(n) {
		return
	}
	switch impl {
	case implAVX512:
		encryptAVX512(dst, k, src, n)
	case implAVX2:
		encryptAVX2(dst, k, src, n)
	default:
		encryptGeneric(dst, k, src, n)
	}
}

// checkMany panics unless n is in 0..MaxLanes*batches.
func checkMany(n, batches int) {
	if n < 0 || n > MaxLanes*batches {
		panic("asm: lane count out of range")
	}
}

// ExpandKeysMany expands the keys of n lanes held in consecutive batches:
// lane i is lane i%MaxLanes of keys[i/MaxLanes] and its schedule goes to
// dst[i/MaxLanes], as ExpandKeys would put it. Lanes >= n are not written,
// though the AVX-512 path reads those of the last batch (it reads round
// keys back from dst; the values are unused).
// n must be in 0..MaxLanes*min(len(dst), len(keys)); any other value
// panics. The AVX-512 path runs two batches at a time, eight groups of 16
// lanes in flight, which hides the round latency that four groups cannot:
// a schedule costs about three quarters of what ExpandKeys's does.
func ExpandKeysMany(dst []Keys, keys []Blocks, n int) {
	checkMany(n, min(len(dst), len(keys)))
	for b := 0; n > 0; {
		if impl == implAVX512 && n > MaxLanes {
			m := min(n-MaxLanes, MaxLanes)
			expandKeysAVX512x2(&dst[b], &dst[b+1], &keys[b], &keys[b+1], m)
			b, n = b+2, n-MaxLanes-m
			continue
		}
		m := min(n, MaxLanes)
		ExpandKeys(&dst[b], &keys[b], m)
		b, n = b+1, n-m
	}
}

// EncryptMany encrypts one block per lane for n lanes held in consecutive
// batches: lane i is lane i%MaxLanes of src[i/MaxLanes], under its schedule
// in k[i/MaxLanes], and its output goes to dst[i/MaxLanes], as Encrypt
// would put it. dst may alias src (batch for batch). Lanes >= n are not
// written. n must be in 0..MaxLanes*min(len(dst), len(k), len(src)); any
// other value panics. The AVX-512 path runs two batches at a time, as
// ExpandKeysMany does.
func EncryptMany(dst []Blocks, k []Keys, src []Blocks, n int) {
	checkMany(n, min(len(dst), len(k), len(src)))
	for b := 0; n > 0; {
		if impl == implAVX512 && n > MaxLanes {
			m := min(n-MaxLanes, MaxLanes)
			encryptAVX512x2(&dst[b], &dst[b+1], &k[b], &k[b+1], &src[b], &src[b+1], m)
			b, n = b+2, n-MaxLanes-m
			continue
		}
		m := min(n, MaxLanes)
		Encrypt(&dst[b], &k[b], &src[b], m)
		b, n = b+1, n-m
	}
}

// CBCMAC computes, for each lane i < n, the SM4 CBC-MAC (zero IV) of the
// nblocks[i] blocks msg[0] .. msg[nblocks[i]-1] of that lane under its
// schedule in k, and stores the last CBC block in dst (a lane with no block
// yields zero). Messages are already padded. Lanes may have different
// lengths. Lanes >= n of dst are not written. n must be in 0..MaxLanes and
// every nblocks[i], i < n, at most MaxMACBlocks; other values panic.
func CBCMAC(dst *Blocks, k *Keys, msg *[MaxMACBlocks]Blocks, nblocks *[MaxLanes]uint8, n int) {
	if !checkLanes(n) {
		return
	}
	checkBlocks(nblocks, n)
	switch impl {
	case implAVX512:
		cbcmacAVX512(dst, k, msg, nblocks, n)
	case implAVX2:
		cbcmacAVX2(dst, k, msg, nblocks, n)
	default:
		cbcmacGeneric(dst, k, msg, nblocks, n)
	}
}

// Run computes the fused pipeline documented on Fused for lanes 0..f.N-1 and
// stores the results in f.Out, f.Out2, f.Bad and f.Bad2; lanes >= f.N of
// f.Out and f.Out2 are not written. f.N must be in 0..MaxLanes and every
// f.NBlocks[i] and f.NBlocks2[i], i < f.N, at most MaxMACBlocks; other
// values panic. Run keeps no key material beyond the
// call (its scratch is wiped); f itself is the caller's to wipe.
func (f *Fused) Run() {
	if !checkLanes(f.N) {
		return
	}
	checkBlocks(&f.NBlocks, f.N)
	checkBlocks(&f.NBlocks2, f.N)
	switch impl {
	case implAVX512:
		fusedAVX512(f) // compares in the kernel
		return
	case implAVX2:
		fusedAVX2(f)
	default:
		fusedGeneric(f)
	}
	f.Bad = mismatches(&f.Out.W[0], &f.Want, f.N)
	f.Bad2 = mismatches(&f.Out2.W[0], &f.Want2, f.N)
}

// mismatches returns the mask of lanes i < n with out[i] != want[i], in
// constant time.
func mismatches(out, want *[MaxLanes]uint32, n int) uint64 {
	var bad uint64
	for i := range out {
		x := out[i] ^ want[i]
		bad |= uint64((x|-x)>>31) << i
	}
	return bad & (1<<uint(n) - 1) // all ones for n == 64
}
