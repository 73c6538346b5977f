// Command gen writes ../sm4_amd64.s, the GFNI and AES-NI single-block SM4
// kernels. Run it with go generate in package sm4 (see dispatch_amd64.go).
// The constants the kernels read are derived in ../consts_amd64.go; the
// struct offsets below must match that file (TestConstLayout checks them).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
)

// gfniConsts offsets.
const (
	gNEnc   = 0
	gNKey   = 64
	gM      = 128
	gMInv   = 144
	gLoad   = 160
	gRKMask = 224
	gBswap  = 240
	gD      = 256
	gFK     = 272
	gCK     = 336
)

// aesConsts offsets.
const (
	aEncLo  = 0
	aEncHi  = 64
	aKeyLo  = 128
	aKeyHi  = 192
	aMLo    = 256
	aMHi    = 272
	aMInvLo = 288
	aMInvHi = 304
	aRot    = 320
	aLoad   = 384
	aBswap  = 448
	aLow4   = 464
	aD      = 480
	aFK     = 496
	aCK     = 560
)

// Immediates; consts_amd64.go checks them (immD, immKEnc, immKKey).
const (
	immD    = 0x3e
	immKEnc = 0x63
	immKKey = 0xc5
)

var out bytes.Buffer

// useTern selects AVX-512VL VPTERNLOGD for the XOR trees of the GFNI
// kernels (the "512" variants); it relieves the vector ports.
var useTern bool

func f(format string, a ...any) { fmt.Fprintf(&out, "\t"+format+"\n", a...) }

func comment(format string, a ...any) { fmt.Fprintf(&out, "\n\t// "+format+"\n", a...) }

func cmem(off int) string { return fmt.Sprintf("%d(CX)", off) }

// ---- GFNI (VEX-encoded, AVX + GFNI) ----

type chain struct {
	st   [4]string // Y_i .. Y_{i+3} registers, rotated each round
	y    string    // S-box input of the current round
	mats [4]string // N_0..N_3 operands
	imm  int
	tmp  [4]string // T, R1, R2, R3
}

func (c *chain) rotate() { c.st = [4]string{c.st[1], c.st[2], c.st[3], c.st[0]} }

// gfniRound emits round i of a chain. rkNext emits code for the next round's
// key addend and returns an operand for VPXOR (nil on the last round).
func gfniRound(c *chain, rkNext func() (string, string)) {
	a, b, cc, d := c.st[0], c.st[1], c.st[2], c.st[3]
	_ = b
	t, r1, r2, r3 := c.tmp[0], c.tmp[1], c.tmp[2], c.tmp[3]
	y := c.y
	f("VPSHUFD $0x39, %s, %s", y, r1)
	f("VPSHUFD $0x4e, %s, %s", y, r2)
	f("VPSHUFD $0x93, %s, %s", y, r3)
	f("VGF2P8AFFINEINVQB $0x%02x, %s, %s, %s", c.imm, c.mats[0], y, y)
	f("VGF2P8AFFINEINVQB $0, %s, %s, %s", c.mats[1], r1, r1)
	f("VGF2P8AFFINEINVQB $0, %s, %s, %s", c.mats[2], r2, r2)
	f("VGF2P8AFFINEINVQB $0, %s, %s, %s", c.mats[3], r3, r3)
	if useTern && rkNext != nil {
		rk1, rk2 := rkNext()
		if rk2 != "" {
			f("VPXOR %s, %s, %s", rk1, d, t)
			f("VPTERNLOGD $0x96, %s, %s, %s", rk2, cc, t) // t ^= C ^ rk2
		} else {
			f("VMOVDQU %s, %s", rk1, t)
			f("VPTERNLOGD $0x96, %s, %s, %s", cc, d, t)
		}
		f("VPTERNLOGD $0x96, %s, %s, %s", t, y, a)    // A ^ T ^ I0
		f("VPTERNLOGD $0x96, %s, %s, %s", r2, r1, r3) // I1 ^ I2 ^ I3
		f("VPXOR %s, %s, %s", r3, a, y)               // next S-box input
		f("VPXOR %s, %s, %s", y, t, a)                // Y_{i+4}
		c.rotate()
		return
	}
	if rkNext == nil {
		f("VPXOR %s, %s, %s", y, a, a)
		f("VPXOR %s, %s, %s", r3, a, a)
		f("VPXOR %s, %s, %s", r1, r2, r1)
		f("VPXOR %s, %s, %s", r1, a, a)
	} else {
		rk1, rk2 := rkNext()
		f("VPXOR %s, %s, %s", cc, d, t)
		f("VPXOR %s, %s, %s", rk1, t, t)
		if rk2 != "" {
			f("VPXOR %s, %s, %s", rk2, t, t)
		}
		f("VPXOR %s, %s, %s", t, a, a) // U = A ^ T
		f("VPXOR %s, %s, %s", y, a, y) // U ^ I0
		f("VPXOR %s, %s, %s", r3, y, y)
		f("VPXOR %s, %s, %s", r1, r2, r1)
		f("VPXOR %s, %s, %s", r1, y, y) // next S-box input
		f("VPXOR %s, %s, %s", y, t, a)  // Y_{i+4}
	}
	c.rotate()
}

// gfniLoadBlock loads src (in SI) into layout M-basis registers regs, XORing
// xorOff(j) (a cmem offset) when >= 0.
func gfniLoad(ptr string, regs [4]string, tmp string, xorOff func(int) int) {
	f("VMOVDQU (%s), %s", ptr, tmp)
	for j, r := range regs {
		f("VPSHUFB %s, %s, %s", cmem(gLoad+16*j), tmp, r)
		f("VGF2P8AFFINEQB $0, %s, %s, %s", cmem(gM), r, r)
		if xorOff != nil {
			f("VPXOR %s, %s, %s", cmem(xorOff(j)), r, r)
		}
	}
}

// gfniPack packs dword 0 of w0..w3 into dst (w0 lowest), maps it back with
// M⁻¹ and optionally byte-swaps each word.
func gfniPack(w [4]string, dst, tmp string, bswap bool) {
	f("VPUNPCKLDQ %s, %s, %s", w[1], w[0], dst)
	f("VPUNPCKLDQ %s, %s, %s", w[3], w[2], tmp)
	f("VPUNPCKLQDQ %s, %s, %s", tmp, dst, dst)
	f("VGF2P8AFFINEQB $0, %s, %s, %s", cmem(gMInv), dst, dst)
	if bswap {
		f("VPSHUFB %s, %s, %s", cmem(gBswap), dst, dst)
	}
}

func gfniBlockFunc(name string, dec bool) {
	name += sfx()
	fmt.Fprintf(&out, "\n// func %s(c *gfniConsts, s *Schedule, dst, src *[BlockSize]byte)\n", name)
	fmt.Fprintf(&out, "// Requires: %s\nTEXT ·%s(SB), NOSPLIT, $0-32\n", requires(), name)
	f("MOVQ c+0(FP), CX")
	f("MOVQ s+8(FP), DX")
	f("MOVQ dst+16(FP), DI")
	f("MOVQ src+24(FP), SI")
	rkOff := func(i int) int {
		if dec {
			return 4 * (31 - i)
		}
		return 4 * i
	}
	loadRK := func(i int, reg string) {
		f("VMOVD %d(DX), %s", rkOff(i), reg)
		f("VPSHUFB %s, %s, %s", cmem(gRKMask), reg, reg)
		f("VGF2P8AFFINEQB $0x%02x, %s, %s, %s", immD, cmem(gM), reg, reg)
	}
	ch := &chain{
		st:   [4]string{"X0", "X1", "X2", "X3"},
		y:    "X4",
		mats: [4]string{"X5", "X6", "X7", "X9"},
		imm:  immKEnc,
		tmp:  [4]string{"X10", "X11", "X12", "X13"},
	}
	for k := 0; k < 4; k++ {
		f("VMOVDQU %s, %s", cmem(gNEnc+16*k), ch.mats[k])
	}
	gfniLoad("SI", ch.st, "X8", nil)
	loadRK(0, "X8")
	f("VPXOR X1, X2, X4")
	f("VPXOR X3, X4, X4")
	f("VPXOR X8, X4, X4")
	for i := 0; i < 32; i++ {
		comment("round %d", i)
		if i == 31 {
			gfniRound(ch, nil)
			continue
		}
		gfniRound(ch, func() (string, string) {
			loadRK(i+1, "X8")
			return "X8", ""
		})
	}
	comment("output: words Y35, Y34, Y33, Y32")
	gfniPack([4]string{"X3", "X2", "X1", "X0"}, "X8", "X10", true)
	f("VMOVDQU X8, (DI)")
	f("RET")
}

func sfx() string {
	if useTern {
		return "512"
	}
	return ""
}

func requires() string {
	if useTern {
		return "AVX, AVX512F, AVX512VL, GFNI, SSSE3"
	}
	return "AVX, GFNI, SSSE3"
}

func gfniKeyFunc() {
	fmt.Fprintf(&out, "\n// func keyGFNI%s(c *gfniConsts, s *Schedule, key *[KeySize]byte)\n", sfx())
	fmt.Fprintf(&out, "// Requires: %s\nTEXT ·keyGFNI%s(SB), NOSPLIT, $0-24\n", requires(), sfx())
	f("MOVQ c+0(FP), CX")
	f("MOVQ s+8(FP), DX")
	f("MOVQ key+16(FP), SI")
	ch := &chain{
		st:   [4]string{"X0", "X1", "X2", "X3"},
		y:    "X4",
		mats: [4]string{"X5", "X6", "X7", "X9"},
		imm:  immKKey,
		tmp:  [4]string{"X10", "X11", "X12", "X13"},
	}
	for k := 0; k < 4; k++ {
		f("VMOVDQU %s, %s", cmem(gNKey+16*k), ch.mats[k])
	}
	gfniLoad("SI", ch.st, "X8", func(j int) int { return gFK + 16*j })
	f("VPXOR X1, X2, X4")
	f("VPXOR X3, X4, X4")
	f("VPXOR %s, X4, X4", cmem(gCK))
	for i := 0; i < 32; i++ {
		comment("round %d", i)
		if i == 31 {
			gfniRound(ch, nil)
		} else {
			gfniRound(ch, func() (string, string) { return cmem(gCK + 16*(i+1)), "" })
		}
		if i%4 == 3 {
			gfniPack(ch.st, "X8", "X14", false)
			f("VMOVDQU X8, %d(DX)", 4*(i-3))
		}
	}
	f("RET")
}

func gfniInitEncFunc() {
	fmt.Fprintf(&out, "\n// func initEncGFNI%s(c *gfniConsts, s *Schedule, key *[KeySize]byte, dst, src *[BlockSize]byte)\n", sfx())
	fmt.Fprintf(&out, "// Requires: %s\nTEXT ·initEncGFNI%s(SB), NOSPLIT, $0-40\n", requires(), sfx())
	f("MOVQ c+0(FP), CX")
	f("MOVQ s+8(FP), DX")
	f("MOVQ key+16(FP), SI")
	f("MOVQ dst+24(FP), DI")
	f("MOVQ src+32(FP), BX")
	kc := &chain{
		st:  [4]string{"X0", "X1", "X2", "X3"},
		y:   "X4",
		imm: immKKey,
		tmp: [4]string{"X10", "X11", "X12", "X13"},
	}
	bc := &chain{
		st:  [4]string{"X5", "X6", "X7", "X8"},
		y:   "X9",
		imm: immKEnc,
		tmp: [4]string{"X14", "X15", "X11", "X12"},
	}
	for k := 0; k < 4; k++ {
		kc.mats[k] = cmem(gNKey + 16*k)
		bc.mats[k] = cmem(gNEnc + 16*k)
	}
	gfniLoad("SI", kc.st, "X9", func(j int) int { return gFK + 16*j })
	gfniLoad("BX", bc.st, "X9", nil)
	f("VPXOR X1, X2, X4")
	f("VPXOR X3, X4, X4")
	f("VPXOR %s, X4, X4", cmem(gCK))
	// keyY[i+4] is the register st[3] of the key chain right after key round i.
	var keyOut [32]string
	keyRound := func(i int) {
		comment("key round %d", i)
		if i == 31 {
			gfniRound(kc, nil)
		} else {
			gfniRound(kc, func() (string, string) { return cmem(gCK + 16*(i+1)), "" })
		}
		keyOut[i] = kc.st[3]
		if i%4 == 3 {
			gfniPack(kc.st, "X13", "X10", false)
			f("VMOVDQU X13, %d(DX)", 4*(i-3))
		}
	}
	blockRound := func(i int) {
		comment("block round %d", i)
		if i == 31 {
			gfniRound(bc, nil)
		} else {
			gfniRound(bc, func() (string, string) { return keyOut[i+1], cmem(gD) })
		}
	}
	keyRound(0)
	f("VPXOR X6, X7, X9")
	f("VPXOR X8, X9, X9")
	f("VPXOR %s, X9, X9", keyOut[0])
	f("VPXOR %s, X9, X9", cmem(gD))
	for i := 1; i < 32; i++ {
		keyRound(i)
		blockRound(i - 1)
	}
	blockRound(31)
	comment("output")
	gfniPack([4]string{bc.st[3], bc.st[2], bc.st[1], bc.st[0]}, "X13", "X10", true)
	f("VMOVDQU X13, (DI)")
	f("RET")
}

// ---- AES-NI (legacy SSE encoding: SSE2, SSSE3, AES) ----
// Registers: X14 = 0x0f bytes, X15 = zero.

type aesChain struct {
	st     [4]string
	y      string
	lo, hi int // table offsets
}

// aesRound: y holds the S-box input; rk is a register with the next round's
// key addend (or "" on the last round).
func aesRound(c *aesChain, rk string, rkExtra string) {
	a, cc, d := c.st[0], c.st[2], c.st[3]
	y := c.y
	f("AESENCLAST X15, %s", y)
	f("MOVOU %s, X5", y)
	f("PSRLW $4, X5")
	f("PAND X14, %s", y)
	f("PAND X14, X5")
	// term r in X6 (r=0), X7, X8, X9 (rotated).
	regs := []string{"X6", "X7", "X8", "X9"}
	for r := 0; r < 4; r++ {
		tr := regs[r]
		f("MOVOU %s, %s", cmem(c.lo+16*r), tr)
		f("PSHUFB %s, %s", y, tr)
		f("MOVOU %s, X10", cmem(c.hi+16*r))
		f("PSHUFB X5, X10")
		f("PXOR X10, %s", tr)
		if r > 0 {
			f("PSHUFB %s, %s", cmem(aRot+16*r), tr)
		}
	}
	if rk == "" {
		f("PXOR X6, %s", a)
		f("PXOR X7, X8")
		f("PXOR X9, %s", a)
		f("PXOR X8, %s", a)
	} else {
		f("MOVOU %s, X11", cc)
		f("PXOR %s, X11", d)
		f("PXOR %s, X11", rk)
		if rkExtra != "" {
			f("PXOR %s, X11", rkExtra)
		}
		f("PXOR X11, %s", a) // U
		f("PXOR X6, %s", a)
		f("PXOR X7, X8")
		f("PXOR X9, %s", a)
		f("PXOR X8, %s", a) // next S-box input
		f("MOVOU %s, %s", a, y)
		f("PXOR X11, %s", a) // Y_{i+4}
	}
	c.st = [4]string{c.st[1], c.st[2], c.st[3], c.st[0]}
}

// aesLoad loads the 4 words at ptr into broadcast M-basis registers.
func aesLoad(ptr string, regs [4]string, xorOff func(int) int) {
	f("MOVOU (%s), X6", ptr)
	for j, r := range regs {
		f("MOVOU X6, %s", r)
		f("PSHUFB %s, %s", cmem(aLoad+16*j), r)
		aesLin(r, aMLo, aMHi)
		if xorOff == nil {
			f("PXOR %s, %s", cmem(aD), r) // tables include d; state is linear
		} else {
			f("PXOR %s, %s", cmem(aD), r)
			f("PXOR %s, %s", cmem(xorOff(j)), r)
		}
	}
}

// aesLin applies the nibble tables at lo/hi to reg (clobbers X10, X11).
func aesLin(reg string, lo, hi int) {
	f("MOVOU %s, X10", reg)
	f("PSRLW $4, X10")
	f("PAND X14, %s", reg)
	f("PAND X14, X10")
	f("MOVOU %s, X11", cmem(lo))
	f("PSHUFB %s, X11", reg)
	f("MOVOU %s, %s", cmem(hi), reg)
	f("PSHUFB X10, %s", reg)
	f("PXOR X11, %s", reg)
}

// aesPack packs dword 0 of w0..w3 into X12, maps back with M⁻¹, optional bswap.
func aesPack(w [4]string, bswap bool) {
	f("MOVOU %s, X12", w[0])
	f("PUNPCKLLQ %s, X12", w[1])
	f("MOVOU %s, X13", w[2])
	f("PUNPCKLLQ %s, X13", w[3])
	f("PUNPCKLQDQ X13, X12")
	aesLin("X12", aMInvLo, aMInvHi)
	if bswap {
		f("PSHUFB %s, X12", cmem(aBswap))
	}
}

func aesPrologue() {
	f("MOVOU %s, X14", cmem(aLow4))
	f("PXOR X15, X15")
}

func aesBlockFunc(name string, dec bool) {
	fmt.Fprintf(&out, "\n// func %s(c *aesConsts, s *Schedule, dst, src *[BlockSize]byte)\n", name)
	fmt.Fprintf(&out, "// Requires: AES, SSSE3\nTEXT ·%s(SB), NOSPLIT, $0-32\n", name)
	f("MOVQ c+0(FP), CX")
	f("MOVQ s+8(FP), DX")
	f("MOVQ dst+16(FP), DI")
	f("MOVQ src+24(FP), SI")
	aesPrologue()
	rkOff := func(i int) int {
		if dec {
			return 4 * (31 - i)
		}
		return 4 * i
	}
	loadRK := func(i int, reg string) {
		f("MOVL %d(DX), AX", rkOff(i))
		f("MOVQ AX, %s", reg)
		f("PSHUFD $0, %s, %s", reg, reg)
		aesLin(reg, aMLo, aMHi)
	}
	ch := &aesChain{st: [4]string{"X0", "X1", "X2", "X3"}, y: "X4", lo: aEncLo, hi: aEncHi}
	aesLoad("SI", ch.st, nil)
	loadRK(0, "X4")
	f("PXOR X1, X4")
	f("PXOR X2, X4")
	f("PXOR X3, X4")
	for i := 0; i < 32; i++ {
		comment("round %d", i)
		if i == 31 {
			aesRound(ch, "", "")
			continue
		}
		loadRK(i+1, "X13")
		aesRound(ch, "X13", "")
	}
	comment("output: words Y35, Y34, Y33, Y32")
	aesPack([4]string{"X3", "X2", "X1", "X0"}, true)
	f("MOVOU X12, (DI)")
	f("RET")
}

func aesKeyFunc() {
	fmt.Fprintf(&out, "\n// func keyAES(c *aesConsts, s *Schedule, key *[KeySize]byte)\n")
	fmt.Fprintf(&out, "// Requires: AES, SSSE3\nTEXT ·keyAES(SB), NOSPLIT, $0-24\n")
	f("MOVQ c+0(FP), CX")
	f("MOVQ s+8(FP), DX")
	f("MOVQ key+16(FP), SI")
	aesPrologue()
	ch := &aesChain{st: [4]string{"X0", "X1", "X2", "X3"}, y: "X4", lo: aKeyLo, hi: aKeyHi}
	aesLoad("SI", ch.st, func(j int) int { return aFK + 16*j })
	f("MOVOU X1, X4")
	f("PXOR X2, X4")
	f("PXOR X3, X4")
	f("PXOR %s, X4", cmem(aCK))
	for i := 0; i < 32; i++ {
		comment("round %d", i)
		if i == 31 {
			aesRound(ch, "", "")
		} else {
			aesRound(ch, cmem(aCK+16*(i+1)), "")
		}
		if i%4 == 3 {
			aesPack(ch.st, false)
			f("MOVOU X12, %d(DX)", 4*(i-3))
		}
	}
	f("RET")
}

func main() {
	outFile := flag.String("out", "sm4_amd64.s", "output file")
	flag.Parse()
	out.WriteString("// Code generated by _asm/gen.go. DO NOT EDIT.\n\n//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	for _, tern := range []bool{false, true} {
		useTern = tern
		gfniBlockFunc("encGFNI", false)
		gfniBlockFunc("decGFNI", true)
		gfniKeyFunc()
		gfniInitEncFunc()
	}
	useTern = false
	aesBlockFunc("encAES", false)
	aesBlockFunc("decAES", true)
	aesKeyFunc()
	if err := os.WriteFile(*outFile, out.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
