package main

import (
	"flag"
	"fmt"
)

var lockstepFlag = flag.Bool("lockstep", true, "run key schedules in lockstep with the encryptions (two passes of 32 lanes) rather than before them (64 lanes)")

// AVX-512 register plan. Z0..Z15: four groups of four state words (or two
// key-schedule groups Z0..Z7 and two cipher groups Z8..Z15 in lockstep).
// Z16..Z27: three temporaries per group. Z28..Z31: constants.
const (
	zRol16 = "Z28"
	zRol24 = "Z29"
	zPost  = "Z30"
	zPre   = "Z31"
)

type grp [4]string

func zgrp(g int) grp {
	return grp{z(4 * g), z(4*g + 1), z(4*g + 2), z(4*g + 3)}
}

func z(i int) string { return fmt.Sprintf("Z%d", i) }

func ztmp(slot int) [3]string { return [3]string{z(16 + 3*slot), z(17 + 3*slot), z(18 + 3*slot)} }

func mem(off int, base string) string { return fmt.Sprintf("%d(%s)", off, base) }

func loadConsts512() {
	p("VPBROADCASTQ sm4gfpre<>(SB), %s", zPre)
	p("VPBROADCASTQ sm4gfpost<>(SB), %s", zPost)
	p("VMOVDQU64 sm4rol24<>(SB), %s", zRol24)
	p("VMOVDQU64 sm4rol16<>(SB), %s", zRol16)
}

func sbox512(t string) {
	p("VGF2P8AFFINEQB $%#02x, %s, %s, %s", gfPreC, zPre, t, t)
	p("VGF2P8AFFINEINVQB $%#02x, %s, %s, %s", gfPostC, zPost, t, t)
}

// encRound512 emits round i of the cipher on group s: s[i%4] ^= T(...^rk).
// rk is a ZMM register, a memory operand, or (bcst) a 32-bit memory operand
// broadcast to all lanes.
func encRound512(s grp, i int, rk string, bcst bool, t [3]string) {
	a, b, c, d := s[i%4], s[(i+1)%4], s[(i+2)%4], s[(i+3)%4]
	tt, u, v := t[0], t[1], t[2]
	op := "VPTERNLOGD"
	if bcst {
		op += ".BCST"
	}
	p("VPXORD %s, %s, %s", b, c, tt)
	p("%s $0x96, %s, %s, %s", op, rk, d, tt)
	sbox512(tt)
	// L(x) = e ^ rol2(x ^ rol16 e) with e = x ^ rol24 x, since
	// rol16 e = rol16 x ^ rol8 x: six operations, two of them shuffles.
	p("VPSHUFB %s, %s, %s", zRol24, tt, u)
	p("VPXORD %s, %s, %s", tt, u, u)
	p("VPSHUFB %s, %s, %s", zRol16, u, v)
	p("VPXORD %s, %s, %s", tt, v, v)
	p("VPROLD $2, %s, %s", v, v)
	p("VPTERNLOGD $0x96, %s, %s, %s", u, v, a)
}

// keyRound512 emits round i of the key schedule on group s:
// s[i%4] ^= T'(... ^ ck[i]), which is round key i. ck is a 32-bit memory
// operand, broadcast.
func keyRound512(s grp, i int, ck string, t [3]string) {
	a, b, c, d := s[i%4], s[(i+1)%4], s[(i+2)%4], s[(i+3)%4]
	tt, u, v := t[0], t[1], t[2]
	p("VPXORD %s, %s, %s", b, c, tt)
	p("VPTERNLOGD.BCST $0x96, %s, %s, %s", ck, d, tt)
	sbox512(tt)
	// L'(x) = x ^ rol13 x ^ rol23 x
	p("VPROLD $13, %s, %s", tt, u)
	p("VPROLD $23, %s, %s", tt, v)
	p("VPTERNLOGD $0x96, %s, %s, %s", tt, u, a)
	p("VPXORD %s, %s, %s", v, a, a)
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
	p("MOVQ $8, AX")
	l := newLabel("ek512_")
	label(l)
	for i := 0; i < 4; i++ {
		for g := 0; g < 4; g++ {
			keyRound512(zgrp(g), i, mem(4*i, "CX"), ztmp(g))
			p("VMOVDQU32 %s, K%d, %s", zgrp(g)[i], g+1, mem(256*i+64*g, "DI"))
		}
	}
	p("ADDQ $16, CX")
	p("ADDQ $1024, DI")
	p("DECQ AX")
	p("JNZ %s", l)
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
		t := ztmp(g)[0]
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

// encLoop512 runs the 32 rounds on the four groups with round keys at rk
// (per lane, Keys layout, or a broadcast schedule when bcst); rk advances.
func encLoop512(rk string, bcst bool) {
	p("MOVQ $8, AX")
	l := newLabel("enc512_")
	label(l)
	for i := 0; i < 4; i++ {
		for g := 0; g < 4; g++ {
			if bcst {
				encRound512(zgrp(g), i, mem(4*i, rk), true, ztmp(g))
			} else {
				encRound512(zgrp(g), i, mem(256*i+64*g, rk), false, ztmp(g))
			}
		}
	}
	if bcst {
		p("ADDQ $16, %s", rk)
	} else {
		p("ADDQ $1024, %s", rk)
	}
	p("DECQ AX")
	p("JNZ %s", l)
}

// Fused kernel scratch, at R13 (64-byte aligned): round keys, key, chain.
const (
	scrRK    = 0
	scrKey   = 8192
	scrChain = 9216
	scrSize  = 10240
)

// lockstep emits one pass (32 lanes: lanes 32*pass..) of a key schedule of
// the keys at keyOff(keyBase) (+FK) in lockstep with the encryption of the
// blocks at encOff(encBase); the cipher output goes to outOff(outBase). With
// storeRK the round keys go to the scratch; outMask names the first of two
// mask registers for a masked copy of the output to (DI).
func lockstep(pass int, keyBase string, keyOff int, encBase string, encOff int, outBase string, outOff int, storeRK bool, outMask int) {
	kg := [2]grp{zgrp(0), zgrp(1)}
	eg := [2]grp{zgrp(2), zgrp(3)}
	po := 128 * pass
	for g := 0; g < 2; g++ {
		loadKey512(kg[g], keyBase, keyOff+po+64*g)
		loadBlock512(eg[g], encBase, encOff+po+64*g)
	}
	p("LEAQ sm4ck<>(SB), CX")
	if storeRK {
		p("LEAQ %d(R13), R10", scrRK+po)
	}
	p("MOVQ $8, AX")
	l := newLabel("lock512_")
	label(l)
	for i := 0; i < 4; i++ {
		for g := 0; g < 2; g++ {
			keyRound512(kg[g], i, mem(4*i, "CX"), ztmp(g))
			if storeRK {
				p("VMOVDQA64 %s, %s", kg[g][i], mem(256*i+64*g, "R10"))
			}
		}
		for g := 0; g < 2; g++ {
			encRound512(eg[g], i, kg[g][i], false, ztmp(2+g))
		}
	}
	p("ADDQ $16, CX")
	if storeRK {
		p("ADDQ $1024, R10")
	}
	p("DECQ AX")
	p("JNZ %s", l)
	for g := 0; g < 2; g++ {
		storeOut512(eg[g], outBase, outOff+po+64*g, "")
		if outMask != 0 {
			storeOut512(eg[g], "DI", po+64*g, fmt.Sprintf("K%d", outMask+g))
		}
	}
}

// split is the alternative to two lockstep passes: the key schedule of all
// four groups into the scratch, then the encryption of four groups.
func split(keyBase string, keyOff int, encBase string, encOff int, outBase string, outOff int, outMask bool) {
	for g := 0; g < 4; g++ {
		loadKey512(zgrp(g), keyBase, keyOff+64*g)
	}
	p("LEAQ sm4ck<>(SB), CX")
	p("MOVQ R13, R10")
	p("MOVQ $8, AX")
	l := newLabel("split512_")
	label(l)
	for i := 0; i < 4; i++ {
		for g := 0; g < 4; g++ {
			keyRound512(zgrp(g), i, mem(4*i, "CX"), ztmp(g))
			p("VMOVDQA64 %s, %s", zgrp(g)[i], mem(256*i+64*g, "R10"))
		}
	}
	p("ADDQ $16, CX")
	p("ADDQ $1024, R10")
	p("DECQ AX")
	p("JNZ %s", l)
	for g := 0; g < 4; g++ {
		loadBlock512(zgrp(g), encBase, encOff+64*g)
	}
	p("MOVQ R13, SI")
	encLoop512("SI", false)
	for g := 0; g < 4; g++ {
		storeOut512(zgrp(g), outBase, outOff+64*g, "")
		if outMask {
			storeOut512(zgrp(g), "DI", 64*g, fmt.Sprintf("K%d", g+2))
		}
	}
}

// pipe runs a key schedule and an encryption under it, in lockstep or split.
func pipe(keyBase string, keyOff int, encBase string, encOff int, outBase string, outOff int, storeRK, outMask bool) {
	if !*lockstepFlag {
		split(keyBase, keyOff, encBase, encOff, outBase, outOff, outMask)
		return
	}
	for pass := 0; pass < 2; pass++ {
		m := 0
		if outMask {
			m = 2 + 2*pass
		}
		lockstep(pass, keyBase, keyOff, encBase, encOff, outBase, outOff, storeRK, m)
	}
}

func genFused512() {
	fmt.Fprintf(&buf, "// func fused512(out *Blocks, shared *sm4.Schedule, parent *Blocks, div *Blocks, sess *Blocks, msg *[MaxMACBlocks]Blocks, nblocks *[MaxLanes]uint8, mask uint64, nb int)\n// Requires: AVX512F, AVX512BW, GFNI\n")
	fmt.Fprintf(&buf, "TEXT ·fused512(SB), 0, $%d-72\n", scrSize+64)
	p("MOVQ out+0(FP), DI")
	p("MOVQ shared+8(FP), SI")
	p("MOVQ parent+16(FP), BX")
	p("MOVQ div+24(FP), DX")
	p("MOVQ sess+32(FP), R8")
	p("MOVQ msg+40(FP), R11")
	p("MOVQ nblocks+48(FP), R12")
	p("KMOVQ mask+56(FP), K1")
	p("MOVQ nb+64(FP), R9")
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
	for g := 0; g < 4; g++ {
		storeOut512(zgrp(g), "R13", scrKey+64*g, "")
	}
	p("JMP %s", phase2)
	label(noShared)
	pipe("BX", 0, "DX", 0, "R13", scrKey, false, false)

	label(phase2)
	comment("Session key = SM4(card key, sess).")
	phase3 := newLabel("f512mac_")
	p("TESTQ R8, R8")
	p("JZ %s", phase3)
	pipe("R13", scrKey, "R8", 0, "R13", scrKey, false, false)

	label(phase3)
	comment("First MAC block in lockstep with the final key schedule.")
	zeroLanes512("R12")
	p("MOVQ $1, R10")
	finishMask512("R10", "R12")
	pipe("R13", scrKey, "R11", 0, "R13", scrChain, true, true)

	comment("Remaining MAC blocks, four groups.")
	wipe := newLabel("f512wipe_")
	p("CMPQ R9, $2")
	p("JLT %s", wipe)
	for g := 0; g < 4; g++ {
		s := zgrp(g)
		for j := 0; j < 4; j++ {
			p("VMOVDQA64 %s, %s", mem(scrChain+256*j+64*g, "R13"), s[3-j])
		}
	}
	p("MOVQ $1, R10")
	p("ADDQ $1024, R11")
	loop := newLabel("f512blk_")
	label(loop)
	macBlock512("R11", "R13", "R10", "R12")
	p("ADDQ $1024, R11")
	p("CMPQ R10, R9")
	p("JLT %s", loop)

	label(wipe)
	comment("Wipe the scratch and the registers.")
	p("VPXORQ Z0, Z0, Z0")
	for off := 0; off < scrSize; off += 64 {
		p("VMOVDQA64 Z0, %s", mem(off, "R13"))
	}
	zeroZMM()
	p("RET\n")
}
