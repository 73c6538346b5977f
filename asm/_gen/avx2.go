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

// AVX2 plan: four groups of 8 lanes (32 lanes). Each group keeps its four
// state words in a stack slot (slot j at 32*(4*g+j)(SP)) and only the newest
// word in a register (Y0..Y3, "hot"), so the dependency chain never goes
// through memory. Y8..Y10 temporaries; Y11, Y12 GFNI matrices; Y14, Y15
// byte rotations.
func y(i int) string { return fmt.Sprintf("Y%d", i) }

const (
	yT, yU, yV = "Y8", "Y9", "Y10"
	xT, xU     = "X8", "X9"
	groups2    = 4
)

func hot(g int) string { return y(g) }

// slot is state word j of group g on the stack.
func slot(g, j int) string { return fmt.Sprintf("%d(SP)", 32*(4*g+j%4)) }

func loadConsts2(m sboxMode) {
	if m == modeGFNI {
		p("VPBROADCASTQ sm4gfpre<>(SB), Y11")
		p("VPBROADCASTQ sm4gfpost<>(SB), Y12")
	}
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

// roundIn2 computes yT = x[i+1]^x[i+2]^x[i+3]^k for group g (hot holds
// x[i+3]); k is a memory operand, or a 32-bit one to broadcast.
func roundIn2(g, i int, k string, bcst bool) {
	p("VPXOR %s, %s, %s", slot(g, i+1), hot(g), yT)
	p("VPXOR %s, %s, %s", slot(g, i+2), yT, yT)
	if bcst {
		p("VPBROADCASTD %s, %s", k, yU)
		p("VPXOR %s, %s, %s", yU, yT, yT)
	} else {
		p("VPXOR %s, %s, %s", k, yT, yT)
	}
}

// encRound2 emits round i of the cipher on group g: x[i+4] = x[i] ^ T(...).
func encRound2(m sboxMode, g, i int, rk string, bcst bool) {
	a := hot(g)
	roundIn2(g, i, rk, bcst)
	sbox2(m)
	// L(x) = e ^ rol2(x ^ rol16 e) with e = x ^ rol24 x.
	p("VPSHUFB Y15, %s, %s", yT, yU)
	p("VPXOR %s, %s, %s", yT, yU, yU)
	p("VPXOR %s, %s, %s", slot(g, i), yU, a)
	p("VPSHUFB Y14, %s, %s", yU, yV)
	p("VPXOR %s, %s, %s", yT, yV, yV)
	p("VPSLLD $2, %s, %s", yV, yU)
	p("VPSRLD $30, %s, %s", yV, yV)
	p("VPXOR %s, %s, %s", yU, a, a)
	p("VPXOR %s, %s, %s", yV, a, a)
	p("VMOVDQU %s, %s", a, slot(g, i))
}

// keyRound2 emits round i of the key schedule on group g; ck is a memory
// operand holding ck[i] in all 8 lanes. The hot register ends as rk[i].
func keyRound2(m sboxMode, g, i int, ck string) {
	a := hot(g)
	roundIn2(g, i, ck, false)
	sbox2(m)
	p("VPXOR %s, %s, %s", slot(g, i), yT, a)
	p("VPSLLD $13, %s, %s", yT, yU)
	p("VPSRLD $19, %s, %s", yT, yV)
	p("VPXOR %s, %s, %s", yU, a, a)
	p("VPXOR %s, %s, %s", yV, a, a)
	p("VPSLLD $23, %s, %s", yT, yU)
	p("VPSRLD $9, %s, %s", yT, yV)
	p("VPXOR %s, %s, %s", yU, a, a)
	p("VPXOR %s, %s, %s", yV, a, a)
	p("VMOVDQU %s, %s", a, slot(g, i))
}

// wipe2 zeroes the slots and the registers.
func wipe2() {
	for i := 0; i < 16; i++ {
		p("VPXOR %s, %s, %s", y(i), y(i), y(i))
	}
	for i := 0; i < 4*groups2; i++ {
		p("VMOVDQU Y0, %d(SP)", 32*i)
	}
	p("VZEROUPPER")
}

// loadState2 copies the blocks at (base) of the four groups into the slots
// (hot = word 3); with fk the words are xored with FK first.
func loadState2(base string, fk bool) {
	for g := 0; g < groups2; g++ {
		for j := 0; j < 4; j++ {
			r := yT
			if j == 3 {
				r = hot(g)
			}
			if fk {
				p("VPBROADCASTD sm4fk<>+%d(SB), %s", 4*j, r)
				p("VPXOR %s, %s, %s", mem(256*j+32*g, base), r, r)
			} else {
				p("VMOVDQU %s, %s", mem(256*j+32*g, base), r)
			}
			p("VMOVDQU %s, %s", r, slot(g, j))
		}
	}
}

// storeOut2 writes the cipher output (word j in slot 3-j) to (base).
func storeOut2(base string) {
	for g := 0; g < groups2; g++ {
		for j := 0; j < 4; j++ {
			p("VMOVDQU %s, %s", slot(g, 3-j), yT)
			p("VMOVDQU %s, %s", yT, mem(256*j+32*g, base))
		}
	}
}

func genAVX2(m sboxMode) {
	sfx := modeSuffix[m]
	frame := fmt.Sprintf("$%d", 128*groups2)
	hdr := func(sig, name, args string) {
		fmt.Fprintf(&buf, "// func %s\n// Requires: %s\n", sig, modeReq[m])
		fmt.Fprintf(&buf, "TEXT ·%s%s(SB), 0, %s-%s\n", name, sfx, frame, args)
	}
	// Every kernel works on the 32 lanes starting at lane off/4 (off is a
	// byte offset), four groups of 8.

	hdr("expandKeys"+sfx+"(dst *Keys, keys *Blocks, off int)", "expandKeys", "24")
	p("MOVQ dst+0(FP), DI")
	p("MOVQ keys+8(FP), SI")
	p("MOVQ off+16(FP), DX")
	p("ADDQ DX, DI")
	p("ADDQ DX, SI")
	loadConsts2(m)
	loadState2("SI", true)
	p("LEAQ sm4ck8<>(SB), CX")
	p("MOVQ $8, AX")
	l := newLabel("ek2_")
	label(l)
	for i := 0; i < 4; i++ {
		for g := 0; g < groups2; g++ {
			keyRound2(m, g, i, mem(32*i, "CX"))
			p("VMOVDQU %s, %s", hot(g), mem(256*i+32*g, "DI"))
		}
	}
	p("ADDQ $128, CX")
	p("ADDQ $1024, DI")
	p("DECQ AX")
	p("JNZ %s", l)
	wipe2()
	p("RET\n")

	for _, bc := range []bool{false, true} {
		if bc {
			hdr("encryptBcst"+sfx+"(dst *Blocks, rk *sm4.Schedule, src *Blocks, off int)", "encryptBcst", "32")
			p("MOVQ rk+8(FP), SI")
		} else {
			hdr("encrypt"+sfx+"(dst *Blocks, k *Keys, src *Blocks, off int)", "encrypt", "32")
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
		loadState2("BX", false)
		encLoop2(m, "SI", bc)
		storeOut2("DI")
		wipe2()
		p("RET\n")
	}

	hdr("cbcmac"+sfx+"(dst *Blocks, k *Keys, msg *[MaxMACBlocks]Blocks, nblocks *[MaxLanes]uint8, nb int, off int)", "cbcmac", "48")
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
	p("VPXOR %s, %s, %s", yT, yT, yT)
	for g := 0; g < groups2; g++ {
		for j := 0; j < 4; j++ {
			p("VMOVDQU %s, %s", yT, slot(g, j))
		}
	}
	p("XORQ R10, R10")
	blend2()
	done := newLabel("cm2done_")
	p("TESTQ R9, R9")
	p("JZ %s", done)
	loop := newLabel("cm2blk_")
	label(loop)
	// Input word j = output word j (slot 3-j) ^ message word j.
	for g := 0; g < groups2; g++ {
		o := 32 * g
		p("VMOVDQU %s, %s", slot(g, 3), yT)
		p("VPXOR %s, %s, %s", mem(o, "BX"), yT, yT)
		p("VMOVDQU %s, %s", slot(g, 0), hot(g))
		p("VPXOR %s, %s, %s", mem(o+768, "BX"), hot(g), hot(g))
		p("VMOVDQU %s, %s", yT, slot(g, 0))
		p("VMOVDQU %s, %s", hot(g), slot(g, 3))
		p("VMOVDQU %s, %s", slot(g, 2), yT)
		p("VPXOR %s, %s, %s", mem(o+256, "BX"), yT, yT)
		p("VMOVDQU %s, %s", slot(g, 1), yU)
		p("VPXOR %s, %s, %s", mem(o+512, "BX"), yU, yU)
		p("VMOVDQU %s, %s", yT, slot(g, 1))
		p("VMOVDQU %s, %s", yU, slot(g, 2))
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
	wipe2()
	p("RET\n")
}

// blend2 writes the chaining value (output word j in slot 3-j) to (DI) in
// the lanes whose block count (at R12) equals R10.
func blend2() {
	p("VMOVQ R10, X10")
	p("VPBROADCASTD X10, Y10")
	for g := 0; g < groups2; g++ {
		p("VPMOVZXBD %d(R12), %s", 8*g, yU)
		p("VPCMPEQD %s, %s, %s", yV, yU, yU)
		for j := 0; j < 4; j++ {
			p("VMOVDQU %s, Y4", mem(256*j+32*g, "DI"))
			p("VPBLENDVB %s, %s, Y4, %s", yU, slot(g, 3-j), yT)
			p("VMOVDQU %s, %s", yT, mem(256*j+32*g, "DI"))
		}
	}
}

func encLoop2(m sboxMode, rk string, bcst bool) {
	p("MOVQ $8, AX")
	l := newLabel("enc2_")
	label(l)
	for i := 0; i < 4; i++ {
		for g := 0; g < groups2; g++ {
			if bcst {
				encRound2(m, g, i, mem(4*i, rk), true)
			} else {
				encRound2(m, g, i, mem(256*i+32*g, rk), false)
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
