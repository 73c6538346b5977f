package asm

import (
	"encoding/binary"

	"github.com/sscard/sscard/internal/des"
)

// desSchedLen is the length of one single-DES key schedule in the AVX-512
// kernel's layout, per lane: 19 entries of 8 window bytes (the initial
// whitening K1, the 16 round differences, K16, and K16^K1).
const desSchedLen = 19 * 8

// MaxDESBlocks is the longest single-DES CBC-MAC chain (in 8-byte blocks)
// a DESFused lane may have: 32 bytes cover every MAC input of the PBOC
// purse transactions (the longest, the load TAC, is 24 bytes plus padding).
const MaxDESBlocks = 4

// DESKey is a pre-scheduled two-key triple-DES parent key for
// DESFused.Shared: the round keys for the generic path and, where the CPU
// has the AVX-512 DES lanes, the same round keys in the kernel's layout.
// Fill it with Init. It holds key material: call Wipe when done.
type DESKey struct {
	t des.Triple
	// raw is KL, KR as big-endian words with the parity bits cleared,
	// for the generic lanes.
	raw [2]uint64
	// v is the schedule in the AVX-512 kernel's layout (see desSchedLen)
	// for KL and KR, each window byte repeated in a 32-bit word so that the
	// kernel broadcasts it to the 64 lanes with a plain load.
	v    [2][desSchedLen]uint32
	hasV bool
}

// Init schedules the 16-byte key KL||KR. Parity bits are ignored.
func (k *DESKey) Init(key *[16]byte) {
	k.t.Init(key)
	k.raw[0] = getBE((*[8]byte)(key[0:8])) &^ 0x0101010101010101
	k.raw[1] = getBE((*[8]byte)(key[8:16])) &^ 0x0101010101010101
	k.hasV = desScheduleOne(&k.v, key)
}

// Wipe zeroes the key.
func (k *DESKey) Wipe() {
	*k = DESKey{}
}

// DESFused describes the fused 3DES verify pipeline of the legacy PBOC
// family on N lanes. For each lane i < N, with 3DES = E_KL(D_KR(E_KL(x))):
//
//	k     = 3DES(parent_i, Div_i) || 3DES(parent_i, ^Div_i)   // card key, 16 bytes
//	mk    = 3DES(k, D8_i)           if Session              // session key, 8 bytes
//	mk    = k[0:8] ^ k[8:16]        otherwise               // TAC key
//	Out_i  = single-DES CBC-MAC under mk of Msg[0]_i .. Msg[NBlocks_i-1]_i, IV = 0
//	Out2_i = CBC-MAC under mk of Msg2[0]_i .. Msg2[NBlocks2_i-1]_i, IV = 0
//
// parent_i is KL = Parent[0][i], KR = Parent[1][i], or the key Shared when
// it is not nil (one parent for all lanes, the common case of an issuer or
// city key). Every 8-byte value (key half, factor, D8, message block, result)
// is one uint64 holding the bytes big-endian: byte 0 is the most significant,
// so binary.BigEndian.Uint64(b[:]) loads it. Messages are already padded
// (ISO 9797-1 method 2); Out holds the full last CBC block and the MAC is its
// leftmost 4 bytes, Out_i >> 32. A lane with NBlocks_i == 0 yields 0. Every
// key schedule runs inside the call.
//
// The second chain (NBlocks2, Msg2, Out2) is optional: it verifies a second
// MAC under the same MAC key, for instance MAC1 and MAC2 of one PBOC 3DES
// purchase (both under its session key), so the key derivation runs once for
// both. Its padding rules are those of the first chain; a lane with
// NBlocks2_i == 0 has no second chain and yields Out2_i = 0. It costs
// nothing when every NBlocks2_i of the lanes < N is 0.
type DESFused struct {
	N       int
	Shared  *DESKey
	Parent  [2][MaxLanes]uint64
	Div     [MaxLanes]uint64
	Session bool
	D8      [MaxLanes]uint64
	NBlocks [MaxLanes]uint8
	Msg     [MaxDESBlocks][MaxLanes]uint64
	Out     [MaxLanes]uint64

	// NBlocks2, Msg2: an optional second CBC-MAC chain of each lane under
	// the same MAC key (IV 0, same padding rules); a lane with NBlocks2 == 0
	// has no second chain and yields Out2 = 0. No cost when every NBlocks2
	// of lanes < N is 0.
	NBlocks2 [MaxLanes]uint8
	Msg2     [MaxDESBlocks][MaxLanes]uint64
	Out2     [MaxLanes]uint64
}

// Run computes the pipeline documented on DESFused for lanes 0..f.N-1 and
// stores the results in f.Out and f.Out2 (0 in the lanes without a second
// chain); lanes >= f.N of f.Out and f.Out2 are not written. f.N must be in
// 0..MaxLanes and every f.NBlocks[i] and f.NBlocks2[i], i < f.N, at most
// MaxDESBlocks; other values panic (programmer errors). Run keeps no key
// material beyond the call (its scratch is wiped); f itself is the caller's
// to wipe. Every path is constant-time: no branch or memory address depends
// on keys or data (lane counts and block counts are public).
func (f *DESFused) Run() {
	if !checkLanes(f.N) {
		return
	}
	checkDESBlocks(f)
	if desUseAVX512() && (f.Shared == nil || f.Shared.hasV) {
		desFusedAVX512(f)
		return
	}
	desFusedGeneric(f)
}

// RunDES4 runs the pipelines fs[0..3] that are not nil as Run would, with
// the same results and the same checks; a pipeline with N == 0 is left
// alone. Where DESQuad reports true it runs two or more of them together,
// bitsliced over 256 lanes in AVX2, for about the cost of one Run, provided
// the pipelines with lanes agree on Session (otherwise, and on other CPUs,
// they run one after another).
func RunDES4(fs *[4]*DESFused) {
	var ps [4]*DESFused
	n, sessions := 0, 0
	for q, f := range fs {
		if f == nil || !checkLanes(f.N) {
			continue
		}
		checkDESBlocks(f)
		ps[q] = f
		n++
		if f.Session {
			sessions |= 1
		} else {
			sessions |= 2
		}
	}
	if n > 1 && sessions != 3 && desUseAVX2() {
		desFusedAVX2(&ps)
		return
	}
	for _, f := range ps {
		if f != nil {
			f.Run()
		}
	}
}

// DESQuad reports whether RunDES4 runs four pipelines for about the cost
// of one on this CPU under the current Impl (the AVX2 lanes): callers with
// many lanes should then hand it four full pipelines at a time.
func DESQuad() bool { return desUseAVX2() }

// DESImpl names the DES lanes in use under the current Impl:
// "avx512vbmi" (the AVX-512 lanes, which run under Impl "avx512gfni" when
// the CPU also has AVX512_VBMI), "avx2" (RunDES4 runs the AVX2 lanes,
// under Impl "avx2", or "avx512gfni" without VBMI; a pipeline on its own
// takes the generic lanes, cheaper for one) or "generic".
func DESImpl() string {
	switch {
	case desUseAVX512():
		return "avx512vbmi"
	case desUseAVX2():
		return "avx2"
	}
	return "generic"
}

// checkDESBlocks panics if a block count of a lane below f.N is above
// MaxDESBlocks.
func checkDESBlocks(f *DESFused) {
	for i := 0; i < f.N; i++ {
		if f.NBlocks[i] > MaxDESBlocks || f.NBlocks2[i] > MaxDESBlocks {
			panic("asm: DES MAC block count above MaxDESBlocks")
		}
	}
}

// desMaxBlocks returns the longest chain of nblocks[:n] (block counts are
// public).
func desMaxBlocks(nblocks *[MaxLanes]uint8, n int) int {
	nb := uint8(0)
	for _, v := range nblocks[:n] {
		nb = max(nb, v)
	}
	return int(nb)
}

func desUseAVX512() bool { return impl == implAVX512 && hasDESAVX512 }

func putBE(b *[8]byte, v uint64) { binary.BigEndian.PutUint64(b[:], v) }
func getBE(b *[8]byte) uint64    { return binary.BigEndian.Uint64(b[:]) }
