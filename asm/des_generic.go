package asm

import "github.com/sscard/sscard/internal/des"

// The portable DESFused path is bitsliced over the 64 lanes: plane j of a
// 64-bit value (a key half, a block) is one uint64 holding its bit j (FIPS
// bit j+1, the leftmost bit first) of every lane, lane i at bit 63-i. The
// lanes are turned into planes and back with a 64×64 bit-matrix transpose;
// IP, E, P, PC-1, PC-2 and the key rotations are then fixed re-indexings of
// planes (the tables and the round function are generated into
// des_generic_sbox.go by desbs_test.go), and the S-boxes are Boolean
// circuits. Per-lane keys are planes too, so the key schedule is picking
// planes: no work per round key. Nothing indexes memory by, or branches on,
// key or data: indices come from the public tables, lane counts and block
// counts.

// desBSState is the scratch of one bitsliced DESFused run; it holds key
// material and is wiped before the run returns.
type desBSState struct {
	kl, kr [64]uint64 // parent key planes
	cl, cr [64]uint64 // card key planes (3DES of Div, ^Div)
	mk     [64]uint64 // MAC key planes
	blk    [64]uint64 // block planes / transpose buffer
	c      [64]uint64 // CBC chain planes
	l, r   [32]uint64 // half-block planes inside a DES
}

// desTranspose transposes the 64×64 bit matrix a in place: bit 63-j of a[i]
// goes to bit 63-i of a[j] (so lanes become planes and planes lanes).
func desTranspose(a *[64]uint64) {
	desTransposeStage(a, 32, 0x00000000FFFFFFFF)
	desTransposeStage(a, 16, 0x0000FFFF0000FFFF)
	desTransposeStage(a, 8, 0x00FF00FF00FF00FF)
	desTransposeStage(a, 4, 0x0F0F0F0F0F0F0F0F)
	desTransposeStage(a, 2, 0x3333333333333333)
	desTransposeStage(a, 1, 0x5555555555555555)
}

// desTransposeStage swaps the off-diagonal j×j blocks of every 2j×2j block.
func desTransposeStage(a *[64]uint64, j uint, m uint64) {
	for k := uint(0); k < 64; k = (k + j + 1) &^ j {
		x, y := a[k&63], a[(k+j)&63]
		t := (x ^ y>>j) & m
		a[k&63] = x ^ t
		a[(k+j)&63] = y ^ t<<j
	}
}

// rounds runs the 16 DES rounds on the halves (a, b) = (L0, R0), leaving
// (L16, R16) in (a, b); decrypt takes the round keys in reverse.
func (s *desBSState) rounds(a, b *[32]uint64, k *[64]uint64, decrypt bool) {
	if decrypt {
		for i := 15; i > 0; i -= 2 {
			desFBS(a, b, k, &desKS[i])
			desFBS(b, a, k, &desKS[i-1])
		}
		return
	}
	for i := 0; i < 16; i += 2 {
		desFBS(a, b, k, &desKS[i])
		desFBS(b, a, k, &desKS[i+1])
	}
}

// initialPerm loads in through IP into s.l, s.r.
func (s *desBSState) initialPerm(in *[64]uint64) {
	for i := range 32 {
		s.l[i] = in[desIP[i]&63]
		s.r[i] = in[desIP[32+i]&63]
	}
}

// finalPerm stores the pre-output (first, second) through IP^-1 into out.
func finalPerm(out *[64]uint64, first, second *[32]uint64) {
	for i := range 32 {
		out[desIP[i]&63] = first[i]
		out[desIP[32+i]&63] = second[i]
	}
}

// encrypt is single DES: out = E_k(in) on planes. out and in may alias.
func (s *desBSState) encrypt(out, in, k *[64]uint64) {
	s.initialPerm(in)
	s.rounds(&s.l, &s.r, k, false)
	finalPerm(out, &s.r, &s.l)
}

// encrypt3 is two-key 3DES: out = E_kl(D_kr(E_kl(in))) on planes. IP and
// IP^-1 cancel between the stages, which leaves a swap of the halves.
func (s *desBSState) encrypt3(out, in, kl, kr *[64]uint64) {
	s.initialPerm(in)
	s.rounds(&s.l, &s.r, kl, false)
	s.rounds(&s.r, &s.l, kr, true)
	s.rounds(&s.l, &s.r, kl, false)
	finalPerm(out, &s.r, &s.l)
}

// sharedPlanes sets s.kl, s.kr to the planes of the shared parent key: each
// plane is all zeros or all ones (the key bit broadcast to every lane);
// parity bits, which DES ignores, are 0.
func (s *desBSState) sharedPlanes(k *DESKey) {
	for p := range 64 {
		s.kl[p] = -(k.raw[0] >> (63 - p) & 1)
		s.kr[p] = -(k.raw[1] >> (63 - p) & 1)
	}
}

// desBSMinLanes is the lane count from which the bitsliced path is faster
// than the scalar DES lane after lane (a bitsliced call costs about as much
// as 8 scalar lanes, whatever N).
const desBSMinLanes = 8

// desFusedGeneric is the portable DESFused path, bitsliced over the 64
// lanes (lanes >= f.N are computed on whatever they hold and not stored),
// or lane after lane for fewer than desBSMinLanes lanes. Its scratch is
// wiped.
func desFusedGeneric(f *DESFused) {
	if f.N < desBSMinLanes {
		desFusedLanes(f)
		return
	}
	var s desBSState
	if f.Shared != nil {
		s.sharedPlanes(f.Shared)
	} else {
		s.kl = f.Parent[0]
		s.kr = f.Parent[1]
		desTranspose(&s.kl)
		desTranspose(&s.kr)
	}
	// Card key: 3DES(parent, Div) || 3DES(parent, ^Div).
	s.blk = f.Div
	desTranspose(&s.blk)
	s.encrypt3(&s.cl, &s.blk, &s.kl, &s.kr)
	for j := range s.blk {
		s.blk[j] = ^s.blk[j]
	}
	s.encrypt3(&s.cr, &s.blk, &s.kl, &s.kr)
	if f.Session {
		s.blk = f.D8
		desTranspose(&s.blk)
		s.encrypt3(&s.mk, &s.blk, &s.cl, &s.cr)
	} else {
		for j := range s.mk {
			s.mk[j] = s.cl[j] ^ s.cr[j]
		}
	}
	s.cbcMAC(&f.Out, f.N, &f.NBlocks, &f.Msg)
	s.cbcMAC(&f.Out2, f.N, &f.NBlocks2, &f.Msg2)
	clear(s.kl[:])
	clear(s.kr[:])
	clear(s.cl[:])
	clear(s.cr[:])
	clear(s.mk[:])
	clear(s.blk[:])
	clear(s.c[:])
	clear(s.l[:])
	clear(s.r[:])
}

// cbcMAC runs the single-DES CBC-MAC under the planes s.mk on the lanes
// i < n, nblocks[i] blocks of msg each, and stores lane i in out[i] (0 for
// a lane without blocks). Lanes past their block count keep their chain
// value; with no blocks at all it only zeroes out[:n].
func (s *desBSState) cbcMAC(out *[MaxLanes]uint64, n int, nblocks *[MaxLanes]uint8, msg *[MaxDESBlocks][MaxLanes]uint64) {
	nb := desMaxBlocks(nblocks, n)
	if nb == 0 {
		clear(out[:n])
		return
	}
	clear(s.c[:])
	for b := range nb {
		var mask uint64
		for i, v := range nblocks[:n] {
			if int(v) > b {
				mask |= 1 << (63 - i)
			}
		}
		s.blk = msg[b]
		desTranspose(&s.blk)
		for j := range s.blk {
			s.blk[j] ^= s.c[j]
		}
		s.encrypt(&s.blk, &s.blk, &s.mk)
		for j := range s.c {
			s.c[j] ^= (s.blk[j] ^ s.c[j]) & mask
		}
	}
	desTranspose(&s.c)
	copy(out[:n], s.c[:n])
}

// desMACLane is the single-DES CBC-MAC under mac of the nb blocks of lane i
// of msg; blk is its scratch.
func desMACLane(mac *des.Schedule, blk *[8]byte, msg *[MaxDESBlocks][MaxLanes]uint64, nb uint8, i int) uint64 {
	var c uint64
	for b := 0; b < int(nb); b++ {
		putBE(blk, c^msg[b][i])
		mac.Encrypt(blk, blk)
		c = getBE(blk)
	}
	return c
}

// desFusedLanes computes DESFused lane after lane on the constant-time
// scalar DES of internal/des: below desBSMinLanes lanes it beats the
// bitsliced path, whose cost does not depend on N. Its scratch is wiped.
func desFusedLanes(f *DESFused) {
	var own des.Triple
	var card des.Triple
	var mac des.Schedule
	var key [16]byte
	var blk [8]byte
	for i := 0; i < f.N; i++ {
		parent := &own
		if f.Shared != nil {
			parent = &f.Shared.t
		} else {
			putBE((*[8]byte)(key[0:8]), f.Parent[0][i])
			putBE((*[8]byte)(key[8:16]), f.Parent[1][i])
			own.Init(&key)
		}
		putBE((*[8]byte)(key[0:8]), f.Div[i])
		putBE((*[8]byte)(key[8:16]), ^f.Div[i])
		parent.Encrypt((*[8]byte)(key[0:8]), (*[8]byte)(key[0:8]))
		parent.Encrypt((*[8]byte)(key[8:16]), (*[8]byte)(key[8:16]))
		if f.Session {
			card.Init(&key)
			putBE(&blk, f.D8[i])
			card.Encrypt(&blk, &blk)
		} else {
			putBE(&blk, getBE((*[8]byte)(key[0:8]))^getBE((*[8]byte)(key[8:16])))
		}
		mac.Init(&blk)
		f.Out[i] = desMACLane(&mac, &blk, &f.Msg, f.NBlocks[i], i)
		f.Out2[i] = desMACLane(&mac, &blk, &f.Msg2, f.NBlocks2[i], i)
	}
	own.Wipe()
	card.Wipe()
	mac.Wipe()
	clear(key[:])
	clear(blk[:])
}
