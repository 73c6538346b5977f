package main

import "fmt"

type sboxMode int

const (
	modeGFNI sboxMode = iota // VEX-encoded GFNI on YMM
	modeAES                  // AES-NI on XMM halves
	modeVAES                 // VAES on YMM
)

var modeSuffix = [...]string{modeGFNI: "GFNI", modeAES: "AESNI", modeVAES: "VAES"}
var modeReq = [...]string{modeGFNI: "AVX, AVX2, GFNI", modeAES: "AES, AVX, AVX2", modeVAES: "AVX, AVX2, VAES"}

// AVX2 register plan: Y0..Y7 two groups of state; Y8..Y10 temporaries;
// Y11, Y12 GFNI matrices; Y13..Y15 byte rotations.
func y(i int) string { return fmt.Sprintf("Y%d", i) }
func x(i int) string { return fmt.Sprintf("X%d", i) }

func ygrp(g int) grp { return grp{y(4 * g), y(4*g + 1), y(4*g + 2), y(4*g + 3)} }

const (
	yT, yU, yV = "Y8", "Y9", "Y10"
	xT, xU     = "X8", "X9"
)

func loadConsts2(m sboxMode) {
	if m == modeGFNI {
		p("VPBROADCASTQ sm4gfpre<>(SB), Y11")
		p("VPBROADCASTQ sm4gfpost<>(SB), Y12")
	}
	p("VMOVDQU sm4rol8<>(SB), Y13")
	p("VMOVDQU sm4rol16<>(SB), Y14")
	p("VMOVDQU sm4rol24<>(SB), Y15")
}

func nibbleAffine(lo, hi string) {
	p("VPSRLD $4, %s, %s", yT, yU)
	p("VPAND sm4nib<>(SB), %s, %s", yT, yT)
	p("VPAND sm4nib<>(SB), %s, %s", yU, yU)
	p("VMOVDQU %s<>(SB), %s", lo, yV)
	p("VPSHUFB %s, %s, %s", yT, yV, yT)
	p("VMOVDQU %s<>(SB), %s", hi, yV)
	p("VPSHUFB %s, %s, %s", yU, yV, yU)
	p("VPXOR %s, %s, %s", yU, yT, yT)
}

// sbox2 applies the S-box to the bytes of yT (clobbers yU, yV).
func sbox2(m sboxMode) {
	switch m {
	case modeGFNI:
		p("VGF2P8AFFINEQB $%#02x, Y11, %s, %s", gfPreC, yT, yT)
		p("VGF2P8AFFINEINVQB $%#02x, Y12, %s, %s", gfPostC, yT, yT)
	case modeAES, modeVAES:
		nibbleAffine("sm4prelo", "sm4prehi")
		p("VPSHUFB sm4isr<>(SB), %s, %s", yT, yT)
		if m == modeVAES {
			p("VAESENCLAST sm4zero<>(SB), %s, %s", yT, yT)
		} else {
			p("VEXTRACTI128 $1, %s, %s", yT, xU)
			p("VAESENCLAST sm4zero<>(SB), %s, %s", xT, xT)
			p("VAESENCLAST sm4zero<>(SB), %s, %s", xU, xU)
			p("VINSERTI128 $1, %s, %s, %s", xU, yT, yT)
		}
		nibbleAffine("sm4postlo", "sm4posthi")
	}
}

// encRound2: rk is a memory operand (per lane) or, with bcst, a 32-bit
// memory operand to broadcast.
func encRound2(m sboxMode, s grp, i int, rk string, bcst bool) {
	a, b, c, d := s[i%4], s[(i+1)%4], s[(i+2)%4], s[(i+3)%4]
	p("VPXOR %s, %s, %s", c, b, yT)
	p("VPXOR %s, %s, %s", d, yT, yT)
	if bcst {
		p("VPBROADCASTD %s, %s", rk, yU)
		p("VPXOR %s, %s, %s", yU, yT, yT)
	} else {
		p("VPXOR %s, %s, %s", rk, yT, yT)
	}
	sbox2(m)
	p("VPSHUFB Y13, %s, %s", yT, yU)
	p("VPSHUFB Y14, %s, %s", yT, yV)
	p("VPXOR %s, %s, %s", yV, yU, yU)
	p("VPXOR %s, %s, %s", yT, yU, yU)
	p("VPSLLD $2, %s, %s", yU, yV)
	p("VPSRLD $30, %s, %s", yU, yU)
	p("VPXOR %s, %s, %s", yV, a, a)
	p("VPXOR %s, %s, %s", yU, a, a)
	p("VPSHUFB Y15, %s, %s", yT, yV)
	p("VPXOR %s, %s, %s", yV, a, a)
	p("VPXOR %s, %s, %s", yT, a, a)
}

// keyRound2: ck is a memory operand holding ck[i] in all 8 lanes.
func keyRound2(m sboxMode, s grp, i int, ck string) {
	a, b, c, d := s[i%4], s[(i+1)%4], s[(i+2)%4], s[(i+3)%4]
	p("VPXOR %s, %s, %s", c, b, yT)
	p("VPXOR %s, %s, %s", d, yT, yT)
	p("VPXOR %s, %s, %s", ck, yT, yT)
	sbox2(m)
	p("VPXOR %s, %s, %s", yT, a, a)
	p("VPSLLD $13, %s, %s", yT, yU)
	p("VPSRLD $19, %s, %s", yT, yV)
	p("VPXOR %s, %s, %s", yU, a, a)
	p("VPXOR %s, %s, %s", yV, a, a)
	p("VPSLLD $23, %s, %s", yT, yU)
	p("VPSRLD $9, %s, %s", yT, yV)
	p("VPXOR %s, %s, %s", yU, a, a)
	p("VPXOR %s, %s, %s", yV, a, a)
}

func zeroYMM() {
	for i := 0; i < 16; i++ {
		p("VPXOR %s, %s, %s", y(i), y(i), y(i))
	}
	p("VZEROUPPER")
}

func genAVX2(m sboxMode) {
	sfx := modeSuffix[m]
	hdr := func(sig, name, frame string) {
		fmt.Fprintf(&buf, "// func %s\n// Requires: %s\n", sig, modeReq[m])
		fmt.Fprintf(&buf, "TEXT ·%s%s(SB), NOSPLIT, %s\n", name, sfx, frame)
	}
	// Every kernel works on the 16 lanes starting at lane off/4 (off is a
	// byte offset), two groups of 8.

	hdr("expandKeys"+sfx+"(dst *Keys, keys *Blocks, off int)", "expandKeys", "$0-24")
	p("MOVQ dst+0(FP), DI")
	p("MOVQ keys+8(FP), SI")
	p("MOVQ off+16(FP), DX")
	p("ADDQ DX, DI")
	p("ADDQ DX, SI")
	loadConsts2(m)
	for g := 0; g < 2; g++ {
		s := ygrp(g)
		for j := 0; j < 4; j++ {
			p("VPBROADCASTD sm4fk<>+%d(SB), %s", 4*j, yT)
			p("VPXOR %s, %s, %s", mem(256*j+32*g, "SI"), yT, s[j])
		}
	}
	p("LEAQ sm4ck8<>(SB), CX")
	p("MOVQ $8, AX")
	l := newLabel("ek2_")
	label(l)
	for i := 0; i < 4; i++ {
		for g := 0; g < 2; g++ {
			keyRound2(m, ygrp(g), i, mem(32*i, "CX"))
			p("VMOVDQU %s, %s", ygrp(g)[i], mem(256*i+32*g, "DI"))
		}
	}
	p("ADDQ $128, CX")
	p("ADDQ $1024, DI")
	p("DECQ AX")
	p("JNZ %s", l)
	zeroYMM()
	p("RET\n")

	for _, bc := range []bool{false, true} {
		if bc {
			hdr("encryptBcst"+sfx+"(dst *Blocks, rk *sm4.Schedule, src *Blocks, off int)", "encryptBcst", "$0-32")
			p("MOVQ rk+8(FP), SI")
		} else {
			hdr("encrypt"+sfx+"(dst *Blocks, k *Keys, src *Blocks, off int)", "encrypt", "$0-32")
			p("MOVQ k+8(FP), SI")
		}
		p("MOVQ dst+0(FP), DI")
		p("MOVQ src+16(FP), BX")
		p("MOVQ off+24(FP), DX")
		p("ADDQ DX, DI")
		p("ADDQ DX, BX")
		if !bc {
			p("ADDQ DX, SI")
		}
		loadConsts2(m)
		for g := 0; g < 2; g++ {
			for j := 0; j < 4; j++ {
				p("VMOVDQU %s, %s", mem(256*j+32*g, "BX"), ygrp(g)[j])
			}
		}
		encLoop2(m, "SI", bc)
		for g := 0; g < 2; g++ {
			for j := 0; j < 4; j++ {
				p("VMOVDQU %s, %s", ygrp(g)[3-j], mem(256*j+32*g, "DI"))
			}
		}
		zeroYMM()
		p("RET\n")
	}

	hdr("cbcmac"+sfx+"(dst *Blocks, k *Keys, msg *[MaxMACBlocks]Blocks, nblocks *[MaxLanes]uint8, nb int, off int)", "cbcmac", "$0-48")
	p("MOVQ dst+0(FP), DI")
	p("MOVQ msg+16(FP), BX")
	p("MOVQ nblocks+24(FP), R12")
	p("MOVQ nb+32(FP), R9")
	p("MOVQ off+40(FP), DX")
	p("ADDQ DX, DI")
	p("ADDQ DX, BX")
	p("SHRQ $2, DX")
	p("ADDQ DX, R12")
	loadConsts2(m)
	for i := 0; i < 8; i++ {
		p("VPXOR %s, %s, %s", y(i), y(i), y(i))
	}
	p("XORQ R10, R10")
	blend2()
	done := newLabel("cm2done_")
	p("TESTQ R9, R9")
	p("JZ %s", done)
	loop := newLabel("cm2blk_")
	label(loop)
	for g := 0; g < 2; g++ {
		s := ygrp(g)
		o := 32 * g
		p("VPXOR %s, %s, %s", mem(o, "BX"), s[3], yT)
		p("VPXOR %s, %s, %s", mem(o+768, "BX"), s[0], s[3])
		p("VMOVDQA %s, %s", yT, s[0])
		p("VPXOR %s, %s, %s", mem(o+256, "BX"), s[2], yT)
		p("VPXOR %s, %s, %s", mem(o+512, "BX"), s[1], s[2])
		p("VMOVDQA %s, %s", yT, s[1])
	}
	p("MOVQ k+8(FP), SI")
	p("MOVQ off+40(FP), DX")
	p("ADDQ DX, SI")
	encLoop2(m, "SI", false)
	p("INCQ R10")
	blend2()
	p("ADDQ $1024, BX")
	p("CMPQ R10, R9")
	p("JLT %s", loop)
	label(done)
	zeroYMM()
	p("RET\n")
}

// blend2 writes the chaining value (output order) to (DI) in the lanes whose
// block count (at R12) equals R10.
func blend2() {
	p("VMOVQ R10, X10")
	p("VPBROADCASTD X10, Y10")
	for g := 0; g < 2; g++ {
		s := ygrp(g)
		p("VPMOVZXBD %d(R12), %s", 8*g, yU)
		p("VPCMPEQD %s, %s, %s", yV, yU, yU)
		for j := 0; j < 4; j++ {
			p("VMOVDQU %s, %s", mem(256*j+32*g, "DI"), yT)
			p("VPBLENDVB %s, %s, %s, %s", yU, s[3-j], yT, yT)
			p("VMOVDQU %s, %s", yT, mem(256*j+32*g, "DI"))
		}
	}
}

func encLoop2(m sboxMode, rk string, bcst bool) {
	p("MOVQ $8, AX")
	l := newLabel("enc2_")
	label(l)
	for i := 0; i < 4; i++ {
		for g := 0; g < 2; g++ {
			if bcst {
				encRound2(m, ygrp(g), i, mem(4*i, rk), true)
			} else {
				encRound2(m, ygrp(g), i, mem(256*i+32*g, rk), false)
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
