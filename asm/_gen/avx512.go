package main

import (
	"fmt"
)

// AVX-512 register plan. Z0..Z15: four groups of four state words (key or
// cipher). Z16..Z19: the S-box inputs of the four groups (see ldRound).
// Z20..Z23: temporaries. Z30, Z31: the S-box constants. The fused kernel's
// lockstep phases have their own plan (lsJ).
const (
	zPost = "Z30"
	zPre  = "Z31"
)

type grp [4]string

func zgrp(g int) grp {
	return grp{z(4 * g), z(4*g + 1), z(4*g + 2), z(4*g + 3)}
}

func z(i int) string { return fmt.Sprintf("Z%d", i) }

func mem(off int, base string) string { return fmt.Sprintf("%d(%s)", off, base) }

func loadConsts512() {
	p("VPBROADCASTQ sm4gfpre<>(SB), %s", zPre)
	p("VPBROADCASTQ sm4gfpost<>(SB), %s", zPost)
}

func sbox512(t string) {
	p("VGF2P8AFFINEQB $%#02x, %s, %s, %s", gfPreC, zPre, t, t)
	p("VGF2P8AFFINEINVQB $%#02x, %s, %s, %s", gfPostC, zPost, t, t)
}

// keyRound512 emits round i of the key schedule on group s in the
// low-depth form (see ldRound): s[i%4] ^= L'(S(t)), which is round key i,
// and t becomes the next round's S-box input, next being CK_{i+1} (a 32-bit
// memory operand, broadcast), or "" in the last round.
func keyRound512(s grp, t string, i int, next string, tmp [4]string) {
	a, c, d := s[i%4], s[(i+2)%4], s[(i+3)%4]
	q, u, v := tmp[0], tmp[1], tmp[2]
	if next != "" {
		p("VPXORD %s, %s, %s", c, d, q)
		p("VPTERNLOGD.BCST $0x96, %s, %s, %s", next, a, q)
	}
	sbox512(t)
	p("VPROLD $13, %s, %s", t, u)
	p("VPROLD $23, %s, %s", t, v)
	if next == "" {
		p("VPTERNLOGD $0x96, %s, %s, %s", u, t, a)
		p("VPXORD %s, %s, %s", v, a, a)
		return
	}
	p("VPXORD %s, %s, %s", q, t, t)
	p("VPTERNLOGD $0x96, %s, %s, %s", u, v, t)
	p("VPTERNLOGD $0x96, %s, %s, %s", q, t, a)
}

// loadKey512 loads a key (Blocks layout at off(base)) into s and applies FK.
func loadKey512(s grp, base string, off int) {
	for j := 0; j < 4; j++ {
		p("VMOVDQU32 %s, %s", mem(off+256*j, base), s[j])
		p("VPXORD.BCST sm4fk<>+%d(SB), %s, %s", 4*j, s[j], s[j])
	}
}

func loadBlock512(s grp, base string, off int) {
	for j := 0; j < 4; j++ {
		p("VMOVDQU32 %s, %s", mem(off+256*j, base), s[j])
	}
}

// storeOut512 stores the cipher output of s (word j is in s[3-j]) at
// off(base), under mask k when k != "".
func storeOut512(s grp, base string, off int, k string) {
	for j := 0; j < 4; j++ {
		if k != "" {
			p("VMOVDQU32 %s, %s, %s", s[3-j], k, mem(off+256*j, base))
		} else {
			p("VMOVDQU32 %s, %s", s[3-j], mem(off+256*j, base))
		}
	}
}

func zeroZMM() {
	for i := 0; i < 32; i++ {
		p("VPXORQ %s, %s, %s", z(i), z(i), z(i))
	}
	p("VZEROUPPER")
}

// groupMasks puts the 16-bit lane masks of the four groups of the 64-bit
// mask in k into k, k1, k2, k3.
func groupMasks(k string, ks [3]string) {
	p("KSHIFTRQ $16, %s, %s", k, ks[0])
	p("KSHIFTRQ $32, %s, %s", k, ks[1])
	p("KSHIFTRQ $48, %s, %s", k, ks[2])
}

var lbl int

func newLabel(s string) string { lbl++; return fmt.Sprintf("%s%d", s, lbl) }

func genAVX512() {
	// expandKeys512(dst *Keys, keys *Blocks, mask uint64)
	fmt.Fprintf(&buf, "// func expandKeys512(dst *Keys, keys *Blocks, mask uint64)\n// Requires: AVX512F, AVX512BW, GFNI\n")
	fmt.Fprintf(&buf, "TEXT ·expandKeys512(SB), NOSPLIT, $0-24\n")
	p("MOVQ dst+0(FP), DI")
	p("MOVQ keys+8(FP), SI")
	p("KMOVQ mask+16(FP), K1")
	groupMasks("K1", [3]string{"K2", "K3", "K4"})
	loadConsts512()
	for g := 0; g < 4; g++ {
		loadKey512(zgrp(g), "SI", 64*g)
	}
	p("LEAQ sm4ck<>(SB), CX")
	for g := 0; g < 4; g++ {
		ldInit(zgrp(g), ldT(g), "(CX)", true)
	}
	ldLoop(func(i int, last bool) {
		next := ""
		if !last {
			next = mem(4*(i+1), "CX")
		}
		for g := 0; g < 4; g++ {
			keyRound512(zgrp(g), ldT(g), i, next, ldTmp)
			p("VMOVDQU32 %s, K%d, %s", zgrp(g)[i], g+1, mem(256*i+64*g, "DI"))
		}
	}, func() {
		p("ADDQ $16, CX")
		p("ADDQ $1024, DI")
	})
	zeroZMM()
	p("RET\n")

	// encrypt512(dst *Blocks, k *Keys, src *Blocks, mask uint64)
	fmt.Fprintf(&buf, "// func encrypt512(dst *Blocks, k *Keys, src *Blocks, mask uint64)\n// Requires: AVX512F, AVX512BW, GFNI\n")
	fmt.Fprintf(&buf, "TEXT ·encrypt512(SB), NOSPLIT, $0-32\n")
	p("MOVQ dst+0(FP), DI")
	p("MOVQ k+8(FP), SI")
	p("MOVQ src+16(FP), DX")
	p("KMOVQ mask+24(FP), K1")
	groupMasks("K1", [3]string{"K2", "K3", "K4"})
	loadConsts512()
	for g := 0; g < 4; g++ {
		loadBlock512(zgrp(g), "DX", 64*g)
	}
	encLoop512("SI", false)
	for g := 0; g < 4; g++ {
		storeOut512(zgrp(g), "DI", 64*g, fmt.Sprintf("K%d", g+1))
	}
	zeroZMM()
	p("RET\n")

	// cbcmac512(dst *Blocks, k *Keys, msg *[MaxMACBlocks]Blocks, nblocks *[MaxLanes]uint8, mask uint64, nb int)
	fmt.Fprintf(&buf, "// func cbcmac512(dst *Blocks, k *Keys, msg *[MaxMACBlocks]Blocks, nblocks *[MaxLanes]uint8, mask uint64, nb int)\n// Requires: AVX512F, AVX512BW, GFNI\n")
	fmt.Fprintf(&buf, "TEXT ·cbcmac512(SB), NOSPLIT, $0-48\n")
	p("MOVQ dst+0(FP), DI")
	p("MOVQ msg+16(FP), BX")
	p("MOVQ nblocks+24(FP), R12")
	p("KMOVQ mask+32(FP), K1")
	p("MOVQ nb+40(FP), R9")
	loadConsts512()
	zeroLanes512("R12")
	for i := 0; i < 16; i++ {
		p("VPXORD %s, %s, %s", z(i), z(i), z(i))
	}
	p("XORQ R10, R10")
	p("TESTQ R9, R9")
	done := newLabel("cm512done_")
	p("JZ %s", done)
	loop := newLabel("cm512blk_")
	label(loop)
	macBlock512("BX", "k+8(FP)", "R10", "R12")
	p("ADDQ $1024, BX")
	p("CMPQ R10, R9")
	p("JLT %s", loop)
	label(done)
	zeroZMM()
	p("RET\n")

	genFused512()
}

// zeroLanes512 stores zero to dst (DI) in the valid lanes (K1) whose block
// count (nblocks at nb) is zero.
func zeroLanes512(nb string) {
	p("VMOVDQU8 (%s), Z16", nb)
	p("VPTESTNMB Z16, Z16, K2")
	p("KANDQ K1, K2, K2")
	groupMasks("K2", [3]string{"K3", "K4", "K5"})
	p("VPXORD Z17, Z17, Z17")
	for g := 0; g < 4; g++ {
		k := fmt.Sprintf("K%d", g+2)
		for j := 0; j < 4; j++ {
			p("VMOVDQU32 Z17, %s, %s", k, mem(256*j+64*g, "DI"))
		}
	}
}

// finishMask512 sets K2..K5 to the valid lanes whose block count equals
// the register cnt.
func finishMask512(cnt, nb string) {
	p("VPBROADCASTB %s, Z16", cnt)
	p("VMOVDQU8 (%s), Z17", nb)
	p("VPCMPEQB Z16, Z17, K2")
	p("KANDQ K1, K2, K2")
	groupMasks("K2", [3]string{"K3", "K4", "K5"})
}

// macBlock512 runs one CBC block on the four groups: the chaining value is in
// the registers in output order (word j in s[3-j]), the message block at
// (msg); the round keys are per lane at keys (reloaded into SI). It then
// increments cnt and stores the lanes that end here.
func macBlock512(msg, keys, cnt, nb string) {
	for g := 0; g < 4; g++ {
		s := zgrp(g)
		t := ldTmp[0]
		o := 64 * g
		p("VPXORD %s, %s, %s", mem(o, msg), s[3], t)
		p("VPXORD %s, %s, %s", mem(o+768, msg), s[0], s[3])
		p("VMOVDQA64 %s, %s", t, s[0])
		p("VPXORD %s, %s, %s", mem(o+256, msg), s[2], t)
		p("VPXORD %s, %s, %s", mem(o+512, msg), s[1], s[2])
		p("VMOVDQA64 %s, %s", t, s[1])
	}
	p("MOVQ %s, SI", keys)
	encLoop512("SI", false)
	p("INCQ %s", cnt)
	finishMask512(cnt, nb)
	for g := 0; g < 4; g++ {
		storeOut512(zgrp(g), "DI", 64*g, fmt.Sprintf("K%d", g+2))
	}
}

// Low-depth rounds. A round of the cipher on 16 lanes is latency-bound: the
// kernels' first form (L computed as e ^ rol2(x ^ rol16 e), e = x ^ rol24 x)
// takes five shuffle-port operations but chains nine cycles of them after
// the S-box, about 22 cycles a round on Zen 5 (ubench). The low-depth form
// carries the S-box input T from round to round and computes L from four
// rotations in parallel: with Q = X_i ^ X_{i+2} ^ X_{i+3} ^ rk_{i+1},
//
//	T_{i+1} = Q ^ L(S(T_i)),  X_{i+4} = X_i ^ T_{i+1} ^ Q,
//
// twelve operations of which six need the shuffle ports, and only two
// levels of logic after the rotations (about 14 cycles a round). Round i
// reads the next round's key; the last round of a cipher, which has none,
// only updates X_35.

// ldT is the S-box input register of group g in the loops (Z16..Z19);
// ldTmp the four temporaries, shared by the groups (register renaming
// keeps them apart).
func ldT(g int) string { return z(16 + g) }

var ldTmp = [4]string{"Z20", "Z21", "Z22", "Z23"}

// ldInit sets t to the S-box input of round 0 of state s under round key
// rk0 (a register or a memory operand; a broadcast 32-bit operand when
// bcst).
func ldInit(s grp, t, rk0 string, bcst bool) {
	op := "VPTERNLOGD"
	if bcst {
		op += ".BCST"
	}
	p("VPXORD %s, %s, %s", s[1], s[2], t)
	p("%s $0x96, %s, %s, %s", op, rk0, s[3], t)
}

// ldRound emits round i of state s (S-box input in t) in the low-depth
// form. next is the next round's key (as in ldInit), or "" for the last
// round; corr, when not "", a broadcast 32-bit constant XORed into the new
// word (the offset correction of the fused kernel).
func ldRound(s grp, t string, i int, next string, bcst bool, corr string, tmp [4]string) {
	a, c, d := s[i%4], s[(i+2)%4], s[(i+3)%4]
	q, r1, r2, r3 := tmp[0], tmp[1], tmp[2], tmp[3]
	if next != "" {
		op := "VPTERNLOGD"
		if bcst {
			op += ".BCST"
		}
		p("VPXORD %s, %s, %s", c, d, q)
		p("%s $0x96, %s, %s, %s", op, next, a, q)
	}
	sbox512(t)
	p("VPROLD $2, %s, %s", t, r1)
	p("VPROLD $10, %s, %s", t, r2)
	if next == "" {
		if corr != "" {
			panic("correction in the last round")
		}
		p("VPTERNLOGD $0x96, %s, %s, %s", r1, t, a)
	} else {
		p("VPTERNLOGD $0x96, %s, %s, %s", q, t, r1)
	}
	p("VPROLD $18, %s, %s", t, r3)
	p("VPROLD $24, %s, %s", t, t)
	p("VPTERNLOGD $0x96, %s, %s, %s", r2, r3, t)
	switch {
	case next == "":
		p("VPXORD %s, %s, %s", t, a, a)
		return
	case corr != "":
		p("VPTERNLOGD.BCST $0x96, %s, %s, %s", corr, r1, t)
	default:
		p("VPXORD %s, %s, %s", r1, t, t)
	}
	p("VPTERNLOGD $0x96, %s, %s, %s", q, t, a)
}

// ldLoop emits the 32 rounds as seven iterations of a loop of four rounds
// and a last iteration whose fourth round ends the cipher. round(i, last)
// emits round i (0..3) of an iteration for every group; step advances the
// pointers from one iteration to the next.
func ldLoop(round func(i int, last bool), step func()) {
	p("MOVQ $7, AX")
	l := newLabel("ld512_")
	label(l)
	for i := 0; i < 4; i++ {
		round(i, false)
	}
	step()
	p("DECQ AX")
	p("JNZ %s", l)
	for i := 0; i < 4; i++ {
		round(i, i == 3)
	}
}

// encLoop512 runs the 32 rounds on the four groups with round keys at rk
// (per lane, Keys layout, or a broadcast schedule when bcst); rk advances.
func encLoop512(rk string, bcst bool) {
	key := func(i, g int) string {
		if bcst {
			return mem(4*i, rk)
		}
		return mem(256*i+64*g, rk)
	}
	for g := 0; g < 4; g++ {
		ldInit(zgrp(g), ldT(g), key(0, g), bcst)
	}
	ldLoop(func(i int, last bool) {
		for g := 0; g < 4; g++ {
			next := ""
			if !last {
				next = key(i+1, g)
			}
			ldRound(zgrp(g), ldT(g), i, next, bcst, "", ldTmp)
		}
	}, func() {
		if bcst {
			p("ADDQ $16, %s", rk)
		} else {
			p("ADDQ $1024, %s", rk)
		}
	})
}

// ---------------------------------------------------------------------------
// Fused kernel.
//
// The fused verify runs three kinds of chains of 16 lanes: key schedules,
// encryptions under per-lane round keys produced by a key schedule, and (with
// a Shared parent) encryptions under broadcast round keys. One group of 16
// lanes is latency-bound (a round is ~19 cycles deep, 5 cycles of port
// time), so each key schedule runs in lockstep with the encryption that
// needs it, all four groups at once: eight independent chains.
//
// Offsets. The key-schedule chains keep K'_j = K_j ^ delta_j instead of the
// key words K_j, with public constants delta chosen so that
// delta_{i+1}^delta_{i+2}^delta_{i+3} = CK_i: the S-box input of round i is
// then J_i = K'_{i+1}^K'_{i+2}^K'_{i+3}, updated by one ternary XOR per
// round (J_{i+1} = J_i ^ K'_{i+1} ^ K'_{i+4}), and CK disappears. The new
// word is K'_{i+4} = K'_i ^ L'(S(J_i)) ^ gamma_i, gamma_i = delta_i ^
// delta_{i+4}: seven vector operations per round instead of eight.
//
// The encryption chains under K' keep X'_j = X_j ^ eps_j with
// eps_{i+1}^eps_{i+2}^eps_{i+3} = delta_{i+4}, so that the round input
// X'_{i+1}^X'_{i+2}^X'_{i+3}^K'_{i+4} is the true one; the correction
// corr_i = eps_i ^ eps_{i+4} of the new word is injected for free into the
// low-depth round (the XOR that ends T_{i+1} becomes a ternary XOR). The
// round keys stored for later MAC blocks are the K' words; the same offsets
// apply. In lockstep the key schedule runs a round ahead of the cipher,
// whose round i needs K'_{i+5}.

var (
	fDelta [36]uint32 // delta_j
	fEps   [36]uint32 // eps_j
	fGamma [32]uint32 // gamma_i
	fCorr  [32]uint32 // corr_i
)

// deriveOffsets computes the offset constants from CK and checks them.
func deriveOffsets(ck []uint32) {
	d := &fDelta
	for i := 0; i < 32; i++ {
		d[i+3] = ck[i] ^ d[i+1] ^ d[i+2]
	}
	d[0] = d[4]   // gamma_0 = 0
	d[35] = d[31] // gamma_31 = 0
	e := &fEps
	for i := 0; i < 32; i++ {
		e[i+3] = d[i+4] ^ e[i+1] ^ e[i+2]
	}
	e[35] = e[31] // corr_31 = 0: the last round has no correction
	for i := 0; i < 32; i++ {
		fGamma[i] = d[i] ^ d[i+4]
		fCorr[i] = e[i] ^ e[i+4]
		if i == 31 && fCorr[i] != 0 {
			panic("corr_31")
		}
		if d[i+1]^d[i+2]^d[i+3] != ck[i] || e[i+1]^e[i+2]^e[i+3] != d[i+4] {
			panic("offset constants")
		}
	}
}

// Fused kernel scratch, at R13 (64-byte aligned): the key words K'_0..K'_35
// of the last key schedule (slot j at 256*j, round key i in slot i+4), and
// an intermediate key in Blocks layout.
const (
	scrK     = 0
	scrKey   = 36 * 256
	scrSize  = scrKey + 1024
	tabGamma = 0   // offsets in sm4fused<>: gamma_i
	tabCorr  = 128 // corr_i
)

// Lockstep register plan: Z0..Z15 the encryption states of the four groups,
// Z16..Z19 the J words of the four key schedules, Z20..Z23 the S-box inputs
// T of the four cipher chains, Z24..Z28 temporaries, Z30, Z31 constants.
func lsJ(g int) string { return z(16 + g) }

func lsT(g int) string { return z(20 + g) }

// lsKeyTmp are the key round's temporaries (the third returns the round
// key); lsEncTmp the cipher round's, whose first is free during the key
// round.
var (
	lsKeyTmp = [4]string{"Z24", "Z25", "Z26", "Z27"}
	lsEncTmp = [4]string{"Z28", "Z24", "Z25", "Z27"}
)

// keyRoundK emits key-schedule round i (0..3 within a loop iteration) of
// group g with the K' words in memory at R10 (slot i at 256*i): it leaves
// K'_{i+4} in the returned register and stores it to slot i+4.
func keyRoundK(g, i int) string {
	p0, tt, u, v := lsKeyTmp[0], lsKeyTmp[1], lsKeyTmp[2], lsKeyTmp[3]
	j := lsJ(g)
	// Low-depth: J_{i+1} = (J_i ^ K'_{i+1} ^ K'_i) ^ gamma_i ^ L'(S(J_i))
	// and K'_{i+4} = J_{i+1} ^ J_i ^ K'_{i+1}, three operations deep after
	// the S-box instead of five.
	p("VPXORD %s, %s, %s", mem(256*(i+1)+64*g, "R10"), j, p0)
	p("VGF2P8AFFINEQB $%#02x, %s, %s, %s", gfPreC, zPre, j, tt)
	p("VPXORD %s, %s, %s", mem(256*i+64*g, "R10"), p0, j)
	p("VGF2P8AFFINEINVQB $%#02x, %s, %s, %s", gfPostC, zPost, tt, tt)
	p("VPROLD $13, %s, %s", tt, u)
	p("VPROLD $23, %s, %s", tt, v)
	p("VPTERNLOGD.BCST $0x96, %s, %s, %s", mem(tabGamma+4*i, "CX"), tt, j)
	p("VPTERNLOGD $0x96, %s, %s, %s", u, v, j)
	p("VPXORD %s, %s, %s", p0, j, u)
	p("VMOVDQA64 %s, %s", u, mem(256*(i+4)+64*g, "R10"))
	return u
}

// xorConst emits r ^= c (a 32-bit constant of sm4fused<> at off) unless c
// is zero.
func xorConst(r string, c uint32, off int) {
	if c != 0 {
		p("VPXORD.BCST sm4fused<>+%d(SB), %s, %s", off, r, r)
	}
}

// Offsets of further constants in sm4fused<>.
const (
	tabFK  = 256 // FK_j ^ delta_j, j = 0..3
	tabEps = 272 // eps_j, j = 0..35
)

// epsIn applies the input offsets eps_0..eps_3 to a state in registers
// (word j in s[j]).
func epsIn(s grp) {
	for j := 0; j < 4; j++ {
		xorConst(s[j], fEps[j], tabEps+4*j)
	}
}

// epsOut removes the output offsets eps_32..eps_35 (X_j in s[j%4]).
func epsOut(s grp) {
	for j := 32; j < 36; j++ {
		xorConst(s[j%4], fEps[j], tabEps+4*j)
	}
}

// lockstepK emits a key schedule of the four groups of the key at
// keyOff(keyBase) (Blocks layout) in lockstep with the encryption of the
// blocks at encOff(encBase) (or of the states already in Z0..Z15 when
// encBase is ""), leaving the outputs in Z0..Z15 (word j of group g in
// zgrp(g)[3-j]) and the K' words in the scratch.
func lockstepK(keyBase string, keyOff int, encBase string, encOff int) {
	for g := 0; g < 4; g++ {
		t := [4]string{"Z24", "Z25", "Z26", "Z27"}
		for j := 0; j < 4; j++ {
			p("VMOVDQU32 %s, %s", mem(keyOff+256*j+64*g, keyBase), t[j])
			p("VPXORD.BCST sm4fused<>+%d(SB), %s, %s", tabFK+4*j, t[j], t[j])
			p("VMOVDQA64 %s, %s", t[j], mem(scrK+256*j+64*g, "R13"))
		}
		p("VPTERNLOGD $0x96, %s, %s, %s", t[1], t[2], t[3])
		p("VMOVDQA64 %s, %s", t[3], lsJ(g))
		if encBase != "" {
			loadBlock512(zgrp(g), encBase, encOff+64*g)
		}
		epsIn(zgrp(g))
	}
	p("LEAQ sm4fused<>(SB), CX")
	p("LEAQ %d(R13), R10", scrK)
	comment("Key-schedule round 0; cipher round i runs with key round i+1.")
	for g := 0; g < 4; g++ {
		ldInit(zgrp(g), lsT(g), keyRoundK(g, 0), false)
	}
	ldLoop(func(i int, last bool) {
		for g := 0; g < 4; g++ {
			next, corr := "", ""
			if !last {
				next = keyRoundK(g, i+1)
				corr = mem(tabCorr+4*i, "CX")
			}
			ldRound(zgrp(g), lsT(g), i, next, false, corr, lsEncTmp)
		}
	}, func() {
		p("ADDQ $16, CX")
		p("ADDQ $1024, R10")
	})
	for g := 0; g < 4; g++ {
		epsOut(zgrp(g))
	}
}

// encLoopK runs the 32 rounds on the four groups (states in Z0..Z15, word j
// of group g in zgrp(g)[j]) under the K' words in the scratch. With wipe,
// each round key slot is zeroed (from Z26) once read: the last block wipes
// the schedule on store ports the rounds leave idle.
func encLoopK(wipe bool) {
	if wipe {
		p("VPXORD Z26, Z26, Z26")
	}
	for g := 0; g < 4; g++ {
		epsIn(zgrp(g))
	}
	p("LEAQ sm4fused<>(SB), CX")
	p("LEAQ %d(R13), R10", scrK)
	slot := func(i, g int) string { return mem(256*(i+4)+64*g, "R10") }
	for g := 0; g < 4; g++ {
		ldInit(zgrp(g), ldT(g), slot(0, g), false)
		if wipe {
			p("VMOVDQA64 Z26, %s", slot(0, g))
		}
	}
	ldLoop(func(i int, last bool) {
		for g := 0; g < 4; g++ {
			if last {
				ldRound(zgrp(g), ldT(g), i, "", false, "", ldTmp)
				continue
			}
			ldRound(zgrp(g), ldT(g), i, slot(i+1, g), false, mem(tabCorr+4*i, "CX"), ldTmp)
			if wipe {
				p("VMOVDQA64 Z26, %s", slot(i+1, g))
			}
		}
	}, func() {
		p("ADDQ $16, CX")
		p("ADDQ $1024, R10")
	})
	for g := 0; g < 4; g++ {
		epsOut(zgrp(g))
	}
}

func emitFusedData(fk []uint32) {
	var b []uint32
	b = append(b, fGamma[:]...)
	b = append(b, fCorr[:]...)
	for j := 0; j < 4; j++ {
		b = append(b, fk[j]^fDelta[j])
	}
	b = append(b, fEps[:]...)
	for len(b)%2 != 0 {
		b = append(b, 0)
	}
	data("sm4fused", words(b))
}

// chainBlock512 turns the cipher output in Z0..Z15 (word j in s[3-j]) into
// the next CBC input: word j in s[j], xored with the message block at (msg).
func chainBlock512(msg string) {
	for g := 0; g < 4; g++ {
		s := zgrp(g)
		t := "Z20"
		o := 64 * g
		p("VPXORD %s, %s, %s", mem(o, msg), s[3], t)
		p("VPXORD %s, %s, %s", mem(o+768, msg), s[0], s[3])
		p("VMOVDQA64 %s, %s", t, s[0])
		p("VPXORD %s, %s, %s", mem(o+256, msg), s[2], t)
		p("VPXORD %s, %s, %s", mem(o+512, msg), s[1], s[2])
		p("VMOVDQA64 %s, %s", t, s[1])
	}
}

// maxBlocks512 sets dst = min(max(nblocks[lane] for the lanes in K1),
// MaxMACBlocks), nblocks at (ptr); Z0, Z1 and AX are clobbered.
func maxBlocks512(ptr, dst string) {
	p("VMOVDQU8.Z (%s), K1, Z0", ptr)
	p("VEXTRACTI64X4 $1, Z0, Y1")
	p("VPMAXUB Y1, Y0, Y0")
	p("VEXTRACTI128 $1, Y0, X1")
	p("VPMAXUB X1, X0, X0")
	for _, sh := range []int{8, 4, 2, 1} {
		p("VPSRLDQ $%d, X0, X1", sh)
		p("VPMAXUB X1, X0, X0")
	}
	p("VPEXTRB $0, X0, %s", dst)
	p("MOVQ $%d, AX", 4)
	p("CMPQ %s, AX", dst)
	p("CMOVQGT AX, %s", dst)
}

// macLoop512 emits the CBC blocks BX+1 .. max of a chain under the K' words
// in the scratch: the cipher output of block BX is in Z0..Z15 (zero before
// the first block), the message block BX at 1024(R11), the block counts at
// (R12), the outputs at (DI), the expected MACs at (SI); mismatching lanes
// are added to K7. The last block wipes the round keys, unless the register
// keep is not zero (another chain follows); a wiped chain ends at wiped,
// any other at exit.
func macLoop512(max, keep, exit, wiped string) {
	loop := newLabel("f512blk_")
	mid := newLabel("f512mid_")
	last := newLabel("f512last_")
	label(loop)
	p("CMPQ BX, %s", max)
	p("JGE %s", exit)
	p("ADDQ $1024, R11")
	chainBlock512("R11")
	p("INCQ BX")
	p("CMPQ BX, %s", max)
	p("JNE %s", mid)
	if keep != "" {
		p("TESTQ %s, %s", keep, keep)
		p("JNZ %s", mid)
	}
	p("JMP %s", last)
	label(mid)
	encLoopK(false)
	endBlock512("BX")
	p("JMP %s", loop)
	label(last)
	encLoopK(true)
	endBlock512("BX")
	comment("Wipe what the last block left: K'_0..K'_3 and the key.")
	for off := scrK; off < scrK+4*256; off += 64 {
		p("VMOVDQA64 Z26, %s", mem(off, "R13"))
	}
	for off := scrKey; off < scrSize; off += 64 {
		p("VMOVDQA64 Z26, %s", mem(off, "R13"))
	}
	p("JMP %s", wiped)
}

// endBlock512 ends CBC block cnt (a register) of a chain: it stores the
// cipher output in Z0..Z15 to (DI) for the lanes whose chain ends here
// (block counts at (R12)) and adds those of them whose MAC differs from
// the expected one (at SI) to K7.
func endBlock512(cnt string) {
	finishMask512(cnt, "R12")
	// When no lane ends here (all of a TAC's lanes after their first block,
	// say), the masked stores would only wait for the block's last rounds.
	none := newLabel("f512none_")
	p("KORTESTQ K2, K2")
	p("JZ %s", none)
	for g := 0; g < 4; g++ {
		storeOut512(zgrp(g), "DI", 64*g, fmt.Sprintf("K%d", g+2))
	}
	compareOut512()
	label(none)
}

// zeroCompare512 stores zero to the output lanes (at DI) in K1 whose block
// count (at R12) is zero and sets K7 to those of them whose expected MAC (at
// SI) is not zero.
func zeroCompare512() {
	zeroLanes512("R12")
	for g := 0; g < 4; g++ {
		p("VPCMPUD $4, %s, Z17, K%d, K%d", mem(64*g, "SI"), g+2, g+2)
	}
	gatherMask("K7")
}

func genFused512() {
	fmt.Fprintf(&buf, "// func fused512(out *Blocks, shared *sm4.Schedule, parent *Blocks, div *Blocks, sess *Blocks, msg *[MaxMACBlocks]Blocks, nblocks *[MaxLanes]uint8, mask uint64, want *[MaxLanes]uint32, bad *uint64, out2 *Blocks, msg2 *[MaxMACBlocks]Blocks, nblocks2 *[MaxLanes]uint8, want2 *[MaxLanes]uint32, bad2 *uint64)\n// Requires: AVX512F, AVX512BW, GFNI\n")
	fmt.Fprintf(&buf, "TEXT ·fused512(SB), 0, $%d-120\n", scrSize+64)
	p("MOVQ out+0(FP), DI")
	p("MOVQ shared+8(FP), SI")
	p("MOVQ parent+16(FP), BX")
	p("MOVQ div+24(FP), DX")
	p("MOVQ sess+32(FP), R8")
	p("MOVQ msg+40(FP), R11")
	p("MOVQ nblocks+48(FP), R12")
	p("KMOVQ mask+56(FP), K1")
	p("LEAQ 63(SP), R13")
	p("ANDQ $-64, R13")
	loadConsts512()

	comment("Card key = SM4(parent, div).")
	noShared := newLabel("f512noshared_")
	phase2 := newLabel("f512sess_")
	p("TESTQ SI, SI")
	p("JZ %s", noShared)
	for g := 0; g < 4; g++ {
		loadBlock512(zgrp(g), "DX", 64*g)
	}
	encLoop512("SI", true)
	p("JMP %s", phase2)
	label(noShared)
	lockstepK("BX", 0, "DX", 0)
	label(phase2)
	for g := 0; g < 4; g++ {
		storeOut512(zgrp(g), "R13", scrKey+64*g, "")
	}

	comment("Session key = SM4(card key, sess).")
	phase3 := newLabel("f512mac_")
	p("TESTQ R8, R8")
	p("JZ %s", phase3)
	lockstepK("R13", scrKey, "R8", 0)
	for g := 0; g < 4; g++ {
		storeOut512(zgrp(g), "R13", scrKey+64*g, "")
	}

	label(phase3)
	comment("R9, R8 = the longest chain 1, chain 2 of the lanes in mask. Chain 1 runs")
	comment("at least one block when chain 2 has any: its first block carries the key schedule.")
	maxBlocks512("R12", "R9")
	p("MOVQ nblocks2+96(FP), DX")
	maxBlocks512("DX", "R8")
	one := newLabel("f512one_")
	p("TESTQ R9, R9")
	p("JNZ %s", one)
	p("TESTQ R8, R8")
	p("JZ %s", one)
	p("MOVQ $1, R9")
	label(one)

	comment("First MAC block of chain 1 in lockstep with the final key schedule.")
	p("MOVQ want+64(FP), SI")
	zeroCompare512()
	wipe := newLabel("f512wipe_")
	exit1 := newLabel("f512exit1_")
	chain2 := newLabel("f512chain2_")
	done := newLabel("f512done_")
	p("TESTQ R9, R9")
	p("JZ %s", wipe)
	lockstepK("R13", scrKey, "R11", 0)
	p("MOVQ $1, R10")
	endBlock512("R10")
	comment("Remaining blocks of chain 1; its last wipes the round keys unless chain 2 follows.")
	p("MOVQ $1, BX")
	macLoop512("R9", "R8", exit1, chain2)
	label(exit1)
	p("TESTQ R8, R8")
	p("JNZ %s", chain2)

	label(wipe)
	comment("Wipe the scratch.")
	p("VPXORQ Z0, Z0, Z0")
	for off := 0; off < scrSize; off += 64 {
		p("VMOVDQA64 Z0, %s", mem(off, "R13"))
	}

	label(chain2)
	comment("Chain 2 under the same round keys, from a zero chaining value.")
	p("MOVQ bad+72(FP), SI")
	p("KMOVQ K7, (SI)")
	p("MOVQ out2+80(FP), DI")
	p("MOVQ msg2+88(FP), R11")
	p("SUBQ $1024, R11")
	p("MOVQ DX, R12")
	p("MOVQ want2+104(FP), SI")
	zeroCompare512()
	p("TESTQ R8, R8")
	p("JZ %s", done)
	for i := 0; i < 16; i++ {
		p("VPXORD %s, %s, %s", z(i), z(i), z(i))
	}
	p("XORQ BX, BX")
	macLoop512("R8", "", done, done)

	label(done)
	p("MOVQ bad2+112(FP), SI")
	p("KMOVQ K7, (SI)")
	comment("Zero the registers.")
	zeroZMM()
	p("RET\n")
}

// gatherMask sets k to the 64-bit mask of the group masks K2..K5 (K2 the
// low 16 bits); K2 is clobbered.
func gatherMask(k string) {
	p("KUNPCKWD K2, K3, K6")
	p("KUNPCKWD K4, K5, K2")
	p("KUNPCKDQ K6, K2, %s", k)
}

// compareOut512 adds to K7 the lanes that end at this block (K2..K5) whose
// MAC (word 0, in zgrp(g)[3]) differs from want (at SI).
func compareOut512() {
	for g := 0; g < 4; g++ {
		p("VPCMPUD $4, %s, %s, K%d, K%d", mem(64*g, "SI"), zgrp(g)[3], g+2, g+2)
	}
	gatherMask("K6")
	p("KORQ K6, K7, K7")
}
