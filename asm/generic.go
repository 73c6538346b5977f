package asm

// The generic path: bitsliced SM4 on 64 lanes at once, in pure Go.
//
// A 32-bit word of every lane is held as 32 bit-planes ([32]uint64): bit i
// of plane j is bit j of lane i's word. In this form the S-box is a Boolean
// circuit (sboxBS, generated, see sboxgen_test.go) evaluated on 64 lanes with
// 64-bit AND/XOR, and the linear transforms L and L' (rotations of words) are
// re-indexing of planes plus XORs. There are no tables and no data-dependent
// branches or indices: the path is constant-time. It always computes all 64
// lanes; only lanes < n are read back.

import "github.com/sscard/sscard/sm4"

// planes holds one 32-bit word of 64 lanes as bit-planes.
type planes [32]uint64

// bsState holds four words (a block or a key) of 64 lanes.
type bsState [4]planes

// bsSchedule holds 32 round keys of 64 lanes.
type bsSchedule [32]planes

// sm4FK and sm4CK are the key-expansion constants of GB/T 32907.
var sm4FK = [4]uint32{0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc}

// sboxOffset is sboxInXor in every byte of a word: sboxBS computes
// S(x ^ sboxInXor), so every S-box input must carry it (see sboxgen_test.go
// for why). The key schedule folds it into CK. The cipher carries it in
// its state: with every state word X_j held as X_j ^ sboxOffset, the round
// input X_{i+1} ^ X_{i+2} ^ X_{i+3} ^ rk_i carries the offset once, and the
// new word X_i ^ T(...) carries it as the others do; encryptBS and
// encryptKeysBS add it on entry and remove it on exit.
const sboxOffset = sboxInXor * 0x01010101

// Bit-plane broadcasts of FK, CK (offset by sboxOffset) and sboxOffset:
// all-ones where the constant bit is 1.
var fkPlanes [4]planes
var ckPlanes [32]planes
var offsetPlanes planes

func init() {
	for i := range ckPlanes {
		var w uint32
		for j := 0; j < 4; j++ {
			w = w<<8 | uint32((4*i+j)*7%256)
		}
		broadcast(&ckPlanes[i], w^sboxOffset)
	}
	for i := range fkPlanes {
		broadcast(&fkPlanes[i], sm4FK[i])
	}
	broadcast(&offsetPlanes, sboxOffset)
}

// offsetState adds (or removes) sboxOffset to the four words of x.
func offsetState(x *bsState) {
	for j := range x {
		for b := range x[j] {
			x[j][b] ^= offsetPlanes[b]
		}
	}
}

// broadcast sets p to the word w in every lane.
func broadcast(p *planes, w uint32) {
	for j := range p {
		p[j] = -(uint64(w>>j) & 1)
	}
}

// toPlanes loads one word of all 64 lanes into bit-planes.
func toPlanes(p *planes, w *[MaxLanes]uint32) {
	for i := 0; i < 32; i++ {
		p[i] = uint64(w[i]) | uint64(w[i+32])<<32
	}
	transpose64x32(p)
}

// fromPlanes stores one word of lanes 0..n-1 from bit-planes; lanes >= n of
// w are not written.
func fromPlanes(w *[MaxLanes]uint32, p *planes, n int) {
	t := *p
	transpose64x32(&t)
	for i := 0; i < n && i < 32; i++ {
		w[i] = uint32(t[i])
	}
	for i := 32; i < n; i++ {
		w[i] = uint32(t[i-32] >> 32)
	}
	clear(t[:])
}

func toState(s *bsState, b *Blocks) {
	for j := range s {
		toPlanes(&s[j], &b.W[j])
	}
}

// encRound computes x0 ^= T(x1 ^ x2 ^ x3 ^ rk), T = L∘τ,
// L(B) = B ^ B<<<2 ^ B<<<10 ^ B<<<18 ^ B<<<24, on state words offset by
// sboxOffset. t is scratch owned (and wiped) by the caller.
func encRound(x0, x1, x2, x3, rk, t *planes) {
	sboxIn(t, x1, x2, x3, rk)
	lXor(x0, t)
}

// keyRound computes k0 ^= T'(k1 ^ k2 ^ k3 ^ ck), T' = L'∘τ,
// L'(B) = B ^ B<<<13 ^ B<<<23, ck offset by sboxOffset (ckPlanes).
// t is scratch owned (and wiped) by the caller.
func keyRound(k0, k1, k2, k3, ck, t *planes) {
	sboxIn(t, k1, k2, k3, ck)
	lKeyXor(k0, t)
}

// encryptBS encrypts the 64 blocks in x in place under the schedule rk and
// leaves the output words in SM4 order (the reversal R is applied).
func encryptBS(x *bsState, rk *bsSchedule, t *planes) {
	offsetState(x)
	for i := 0; i < 32; i += 4 {
		encRound(&x[0], &x[1], &x[2], &x[3], &rk[i], t)
		encRound(&x[1], &x[2], &x[3], &x[0], &rk[i+1], t)
		encRound(&x[2], &x[3], &x[0], &x[1], &rk[i+2], t)
		encRound(&x[3], &x[0], &x[1], &x[2], &rk[i+3], t)
	}
	x[0], x[3] = x[3], x[0]
	x[1], x[2] = x[2], x[1]
	offsetState(x)
}

// encryptKeysBS encrypts x in place with the round keys of 64 lanes given in
// the Keys layout, loading each round key into planes just before its round.
func encryptKeysBS(x *bsState, k *Keys, rk, t *planes) {
	offsetState(x)
	for i := 0; i < 32; i += 4 {
		toPlanes(rk, &k.RK[i])
		encRound(&x[0], &x[1], &x[2], &x[3], rk, t)
		toPlanes(rk, &k.RK[i+1])
		encRound(&x[1], &x[2], &x[3], &x[0], rk, t)
		toPlanes(rk, &k.RK[i+2])
		encRound(&x[2], &x[3], &x[0], &x[1], rk, t)
		toPlanes(rk, &k.RK[i+3])
		encRound(&x[3], &x[0], &x[1], &x[2], rk, t)
	}
	x[0], x[3] = x[3], x[0]
	x[1], x[2] = x[2], x[1]
	offsetState(x)
}

// expandBS expands the 64 keys in k (consumed) into rk.
func expandBS(rk *bsSchedule, k *bsState, t *planes) {
	for j := range k {
		for b := range k[j] {
			k[j][b] ^= fkPlanes[j][b]
		}
	}
	for i := 0; i < 32; i += 4 {
		keyRound(&k[0], &k[1], &k[2], &k[3], &ckPlanes[i], t)
		rk[i] = k[0]
		keyRound(&k[1], &k[2], &k[3], &k[0], &ckPlanes[i+1], t)
		rk[i+1] = k[1]
		keyRound(&k[2], &k[3], &k[0], &k[1], &ckPlanes[i+2], t)
		rk[i+2] = k[2]
		keyRound(&k[3], &k[0], &k[1], &k[2], &ckPlanes[i+3], t)
		rk[i+3] = k[3]
	}
}

// sharedBS broadcasts one schedule to all lanes.
func sharedBS(rk *bsSchedule, s *sm4.Schedule) {
	for i := range rk {
		broadcast(&rk[i], s[i])
	}
}

// genericKeyScratch is the scratch of expandKeysGeneric.
type genericKeyScratch struct {
	k bsState
	t planes
}

func expandKeysGeneric(dst *Keys, keys *Blocks, n int) {
	var s genericKeyScratch
	expandKeysGenericS(dst, keys, n, &s)
	clear(s.k[:])
	clear(s.t[:])
}

func expandKeysGenericS(dst *Keys, keys *Blocks, n int, s *genericKeyScratch) {
	toState(&s.k, keys)
	k, t := &s.k, &s.t
	for j := range k {
		for b := range k[j] {
			k[j][b] ^= fkPlanes[j][b]
		}
	}
	for i := 0; i < 32; i += 4 {
		keyRound(&k[0], &k[1], &k[2], &k[3], &ckPlanes[i], t)
		fromPlanes(&dst.RK[i], &k[0], n)
		keyRound(&k[1], &k[2], &k[3], &k[0], &ckPlanes[i+1], t)
		fromPlanes(&dst.RK[i+1], &k[1], n)
		keyRound(&k[2], &k[3], &k[0], &k[1], &ckPlanes[i+2], t)
		fromPlanes(&dst.RK[i+2], &k[2], n)
		keyRound(&k[3], &k[0], &k[1], &k[2], &ckPlanes[i+3], t)
		fromPlanes(&dst.RK[i+3], &k[3], n)
	}
}

// genericEncScratch is the scratch of encryptGeneric.
type genericEncScratch struct {
	x  bsState
	rk planes
	t  planes
}

func encryptGeneric(dst *Blocks, k *Keys, src *Blocks, n int) {
	var s genericEncScratch
	toState(&s.x, src)
	encryptKeysBS(&s.x, k, &s.rk, &s.t)
	for j := range s.x {
		fromPlanes(&dst.W[j], &s.x[j], n)
	}
	clear(s.x[:])
	clear(s.rk[:])
	clear(s.t[:])
}

// genericMACScratch is the scratch of cbcmacGeneric and fusedGeneric.
type genericMACScratch struct {
	rk bsSchedule
	k  bsState
	c  bsState
	x  bsState
	t  planes
}

func (s *genericMACScratch) wipe() {
	clear(s.rk[:])
	clear(s.k[:])
	clear(s.c[:])
	clear(s.x[:])
	clear(s.t[:])
}

// laneMasks returns, for each block index b, the bitmask of lanes i < n with
// nblocks[i] > b, and the largest block count.
func laneMasks(nblocks *[MaxLanes]uint8, n int) (masks [MaxMACBlocks]uint64, nmax int) {
	for i := 0; i < n; i++ {
		nb := int(nblocks[i])
		nmax = max(nmax, nb)
		for b := 0; b < MaxMACBlocks; b++ {
			if nb > b {
				masks[b] |= 1 << i
			}
		}
	}
	return masks, min(nmax, MaxMACBlocks)
}

// macBS runs the CBC-MAC of msg under rk into s.c (zero IV).
func macBS(s *genericMACScratch, msg *[MaxMACBlocks]Blocks, nblocks *[MaxLanes]uint8, n int) {
	masks, nmax := laneMasks(nblocks, n)
	s.c = bsState{}
	for b := 0; b < nmax; b++ {
		toState(&s.x, &msg[b])
		for j := range s.x {
			for p := range s.x[j] {
				s.x[j][p] ^= s.c[j][p]
			}
		}
		encryptBS(&s.x, &s.rk, &s.t)
		m := masks[b]
		for j := range s.x {
			for p := range s.x[j] {
				s.c[j][p] = s.x[j][p]&m | s.c[j][p]&^m
			}
		}
	}
}

func cbcmacGeneric(dst *Blocks, k *Keys, msg *[MaxMACBlocks]Blocks, nblocks *[MaxLanes]uint8, n int) {
	var s genericMACScratch
	for i := range s.rk {
		toPlanes(&s.rk[i], &k.RK[i])
	}
	macBS(&s, msg, nblocks, n)
	for j := range s.c {
		fromPlanes(&dst.W[j], &s.c[j], n)
	}
	s.wipe()
}

func fusedGeneric(f *Fused) {
	var s genericMACScratch
	if f.Shared != nil {
		sharedBS(&s.rk, f.Shared)
	} else {
		toState(&s.k, &f.Parent)
		expandBS(&s.rk, &s.k, &s.t)
	}
	toState(&s.k, &f.Div)
	encryptBS(&s.k, &s.rk, &s.t)
	expandBS(&s.rk, &s.k, &s.t)
	if f.Session {
		toState(&s.k, &f.Sess)
		encryptBS(&s.k, &s.rk, &s.t)
		expandBS(&s.rk, &s.k, &s.t)
	}
	macBS(&s, &f.Msg, &f.NBlocks, f.N)
	for j := range s.c {
		fromPlanes(&f.Out.W[j], &s.c[j], f.N)
	}
	macBS(&s, &f.Msg2, &f.NBlocks2, f.N) // no rounds when there is no second chain
	for j := range s.c {
		fromPlanes(&f.Out2.W[j], &s.c[j], f.N)
	}
	s.wipe()
}
