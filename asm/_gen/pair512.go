package main

import "fmt"

// ---------------------------------------------------------------------------
// Fused kernel on two batches (RunPair).
//
// A round is about 18 cycles deep. The lockstep phases (a key schedule
// beside the cipher that needs it) interleave eight chains and keep the
// pipes busy; the other phases (the card key under a shared parent, the
// MAC blocks after the first) have four chains, one a group of 16 lanes,
// and wait on latency. fusedPair512 runs the pipeline of two batches: the
// lockstep phases batch after batch as fused512 does, the others on the
// eight groups of both at once. Thirty-two state registers do not fit
// beside the temporaries and constants, so each group keeps its two newest
// state words in registers (Z2g, Z2g+1) and all four in memory (slot s of
// group g at pMS+512*s+64*g): a round reads its two oldest words as memory
// operands and stores the new one.
//
// Frame: scalars at 0(SP) (below), then 64-byte aligned at R13 (its
// address also at pvBase(SP)): the scratch of batch A (as fused512's:
// K' words, then the key), the scratch of batch B, the chain states of A
// and B (Blocks layout), the memory state slots.
const (
	pScrA = 0
	pScrB = scrSize
	pStA  = 2 * scrSize
	pStB  = pStA + 1024
	pMS   = pStB + 1024
	pSize = pMS + 2048

	pvMask  = 0  // lane masks of A, B
	pvMax1  = 16 // longest chain 1 of A, B (at least 1)
	pvMax2  = 32 // longest chain 2 of A, B
	pvBad1  = 48 // mismatch masks, chain 1, of A, B
	pvBad2  = 64 // chain 2
	pvM1    = 80 // longest chain 1 of both
	pvM2    = 88 // longest chain 2 of both
	pvBase  = 96 // R13
	pvWiped = 104
	pvSize  = 128
)

// pairBase loads the aligned frame base into r.
func pairBase(r string) { p("MOVQ %d(SP), %s", pvBase, r) }

// fusedArg loads the *Fused of batch x (0: a, 1: b) into r.
func fusedArg(x int, r string) {
	if x == 0 {
		p("MOVQ a+0(FP), %s", r)
	} else {
		p("MOVQ b+8(FP), %s", r)
	}
}

func msSlot(s, g int) string { return mem(pMS+512*s+64*g, "R13") }

func msReg(g, k int) string { return z(2*g + k) }

// msRound emits round i of group g on the memory state (R13 the frame
// base). rk is the round key operand; cinj, when not "", the 32-bit offset
// correction operand of the K' cipher (broadcast); wipe, when not "", a
// memory operand zeroed (from Z26) after the round.
func msRound(g, i int, rk string, bcst bool, cinj, wipe string) {
	a, b := msSlot(i%4, g), msSlot((i+1)%4, g)
	c, d := msReg(g, i%2), msReg(g, (i+1)%2)
	tt, u := z(16+2*(g%2)), z(17+2*(g%2))
	op := "VPTERNLOGD"
	if bcst {
		op += ".BCST"
	}
	p("VPXORD %s, %s, %s", b, c, tt)
	p("%s $0x96, %s, %s, %s", op, rk, d, tt)
	sbox512(tt)
	p("VPSHUFB %s, %s, %s", zRol24, tt, u)
	p("VPXORD %s, %s, %s", tt, u, u)
	p("VPSHUFB %s, %s, %s", zRol16, u, c)
	if cinj != "" {
		p("VPTERNLOGD.BCST $0x96, %s, %s, %s", cinj, tt, c)
	} else {
		p("VPXORD %s, %s, %s", tt, c, c)
	}
	p("VPROLD $2, %s, %s", c, c)
	p("VPTERNLOGD $0x96, %s, %s, %s", a, u, c)
	p("VMOVDQA64 %s, %s", c, a)
	if wipe != "" {
		p("VMOVDQA64 Z26, %s", wipe)
	}
}

// msIn stores input word j (in register r) of group g into the memory
// state: slot j, and the register of words 2 and 3.
func msIn(g, j int, r string) {
	p("VMOVDQA64 %s, %s", r, msSlot(j, g))
	if j >= 2 {
		p("VMOVDQA64 %s, %s", r, msReg(g, j-2))
	}
}

// msLoopBcst runs the 32 rounds on the eight groups under the broadcast
// schedules at SI (groups 0-3) and DI (groups 4-7); SI and DI advance.
func msLoopBcst() {
	p("MOVQ $8, AX")
	l := newLabel("pbc_")
	label(l)
	for i := 0; i < 4; i++ {
		for g := 0; g < 8; g++ {
			base := "SI"
			if g >= 4 {
				base = "DI"
			}
			msRound(g, i, mem(4*i, base), true, "", "")
		}
	}
	p("ADDQ $16, SI")
	p("ADDQ $16, DI")
	p("DECQ AX")
	p("JNZ %s", l)
}

// msLoopK runs the 32 rounds on the eight groups under the K' words of
// both scratches (group g of batch g/4), offsets from sm4fused<>. With
// wipe, each round key is zeroed once read.
func msLoopK(wipe bool) {
	if wipe {
		p("VPXORD Z26, Z26, Z26")
	}
	p("LEAQ sm4fused<>(SB), CX")
	p("LEAQ %d(R13), R10", pScrA+scrK)
	p("MOVQ $8, AX")
	l := newLabel("pk_")
	label(l)
	for i := 0; i < 4; i++ {
		for g := 0; g < 8; g++ {
			rk := mem(pScrB*(g/4)+256*(i+4)+64*(g%4), "R10")
			w := ""
			if wipe {
				w = rk
			}
			msRound(g, i, rk, false, mem(tabCinj+4*i, "CX"), w)
		}
	}
	p("ADDQ $16, CX")
	p("ADDQ $1024, R10")
	p("DECQ AX")
	p("JNZ %s", l)
}

// pairPrefix emits, for batch x (its *Fused in R8, R13 the frame base),
// the card key (unless joint, when it is already in the scratch), the
// session key, the zero-length lanes of both chains and the first block of
// chain 1 in lockstep with the final key schedule; it leaves the chain
// state in the batch's state area and the scalars in the frame.
func pairPrefix(x int, joint bool) {
	scr := pScrA + x*scrSize
	st := pStA + x*1024
	comment("Batch %c.", 'A'+x)
	fusedArg(x, "R8")
	pairBase("R13")
	if scr != 0 {
		p("ADDQ $%d, R13", scr)
	}
	p("KMOVQ %d(SP), K1", pvMask+8*x)
	if !joint {
		comment("Card key = SM4(parent, div).")
		noShared := newLabel("pnoshared_")
		keyDone := newLabel("pkey_")
		p("LEAQ Fused_Div(R8), DX")
		p("MOVQ Fused_Shared(R8), SI")
		p("TESTQ SI, SI")
		p("JZ %s", noShared)
		for g := 0; g < 4; g++ {
			loadBlock512(zgrp(g), "DX", 64*g)
		}
		encLoop512("SI", true)
		p("JMP %s", keyDone)
		label(noShared)
		p("LEAQ Fused_Parent(R8), BX")
		lockstepK("BX", 0, "DX", 0)
		label(keyDone)
		for g := 0; g < 4; g++ {
			storeOut512(zgrp(g), "R13", scrKey+64*g, "")
		}
	}
	comment("Session key = SM4(card key, sess).")
	noSess := newLabel("pnosess_")
	p("CMPB Fused_Session(R8), $0")
	p("JEQ %s", noSess)
	p("LEAQ Fused_Sess(R8), DX")
	lockstepK("R13", scrKey, "DX", 0)
	for g := 0; g < 4; g++ {
		storeOut512(zgrp(g), "R13", scrKey+64*g, "")
	}
	label(noSess)
	comment("Longest chains (chain 1 at least one block: it carries the key schedule).")
	p("LEAQ Fused_NBlocks(R8), R12")
	maxBlocks512("R12", "R9")
	p("LEAQ Fused_NBlocks2(R8), DX")
	maxBlocks512("DX", "R10")
	p("MOVQ $1, AX")
	p("TESTQ R9, R9")
	p("CMOVQEQ AX, R9")
	p("MOVQ R9, %d(SP)", pvMax1+8*x)
	p("MOVQ R10, %d(SP)", pvMax2+8*x)
	comment("First block of chain 1 in lockstep with the final key schedule.")
	p("LEAQ Fused_Out(R8), DI")
	p("LEAQ Fused_Want(R8), SI")
	zeroCompare512()
	p("LEAQ Fused_Msg(R8), R11")
	lockstepK("R13", scrKey, "R11", 0)
	p("MOVQ $1, R10")
	endBlock512("R10")
	p("KMOVQ K7, %d(SP)", pvBad1+8*x)
	for g := 0; g < 4; g++ {
		storeOut512(zgrp(g), "R13", st-scr+64*g, "")
	}
	comment("Lanes without chain 2.")
	fusedArg(x, "R8")
	p("LEAQ Fused_Out2(R8), DI")
	p("LEAQ Fused_Want2(R8), SI")
	p("LEAQ Fused_NBlocks2(R8), R12")
	zeroCompare512()
	p("KMOVQ K7, %d(SP)", pvBad2+8*x)
}

// pairBlock emits one CBC block of the chain ("" for chain 1, "2" for
// chain 2) on both batches: block BX (0-based; the message block index),
// from the chain states, with the K' words (wiping them when wipe). It
// stores the new chain states, increments BX, and ends the block for each
// batch.
func pairBlock(chain string, wipe bool) {
	pairBase("R13")
	p("MOVQ BX, DX")
	p("SHLQ $10, DX")
	for x := 0; x < 2; x++ {
		fusedArg(x, "R8")
		p("LEAQ Fused_Msg%s(R8)(DX*1), R11", chain)
		st := pStA + x*1024
		for gg := 0; gg < 4; gg++ {
			g := 4*x + gg
			for j := 0; j < 4; j++ {
				p("VMOVDQA64 %s, Z20", mem(st+256*j+64*gg, "R13"))
				p("VPXORD %s, Z20, Z20", mem(256*j+64*gg, "R11"))
				xorConst("Z20", fEps[j], tabEps+4*j)
				msIn(g, j, "Z20")
			}
		}
	}
	msLoopK(wipe)
	comment("Chain states: word j = X_{35-j}, offsets removed.")
	for x := 0; x < 2; x++ {
		st := pStA + x*1024
		for gg := 0; gg < 4; gg++ {
			g := 4*x + gg
			for j := 0; j < 4; j++ {
				p("VMOVDQA64 %s, Z20", msSlot(3-j, g))
				xorConst("Z20", fEps[35-j], tabEps+4*(35-j))
				p("VMOVDQA64 Z20, %s", mem(st+256*j+64*gg, "R13"))
			}
		}
	}
	p("INCQ BX")
	for x := 0; x < 2; x++ {
		st := pStA + x*1024
		fusedArg(x, "R8")
		p("LEAQ Fused_Out%s(R8), DI", chain)
		p("LEAQ Fused_Want%s(R8), SI", chain)
		p("LEAQ Fused_NBlocks%s(R8), R12", chain)
		p("KMOVQ %d(SP), K1", pvMask+8*x)
		bad := pvBad1
		if chain != "" {
			bad = pvBad2
		}
		p("KMOVQ %d(SP), K7", bad+8*x)
		for g := 0; g < 4; g++ {
			s := zgrp(g)
			for j := 0; j < 4; j++ {
				p("VMOVDQA64 %s, %s", mem(st+256*j+64*g, "R13"), s[3-j])
			}
		}
		endBlock512("BX")
		p("KMOVQ K7, %d(SP)", bad+8*x)
	}
}

// pairChain emits the blocks of a chain while BX < the longest (at
// pvM1/pvM2(SP)); the last block of the last chain (last: no chain 2, or
// this is chain 2) wipes the round keys.
func pairChain(chain string, maxVar int, last string) {
	loop := newLabel("pch_")
	mid := newLabel("pmid_")
	done := newLabel("pchd_")
	label(loop)
	p("MOVQ %d(SP), AX", maxVar)
	p("CMPQ BX, AX")
	p("JGE %s", done)
	p("DECQ AX")
	p("CMPQ BX, AX")
	p("JNE %s", mid)
	if last != "" {
		p("CMPQ %s, $0", last)
		p("JNE %s", mid)
	}
	pairBlock(chain, true)
	p("MOVQ $1, %d(SP)", pvWiped)
	p("JMP %s", loop)
	label(mid)
	pairBlock(chain, false)
	p("JMP %s", loop)
	label(done)
}

func genFusedPair512() {
	frame := pvSize + 64 + pSize
	fmt.Fprintf(&buf, "// func fusedPair512(a *Fused, b *Fused, maskA uint64, maskB uint64)\n// Requires: AVX512F, AVX512BW, GFNI\n")
	fmt.Fprintf(&buf, "TEXT ·fusedPair512(SB), 0, $%d-32\n", frame)
	p("LEAQ %d(SP), R13", pvSize+63)
	p("ANDQ $-64, R13")
	p("MOVQ R13, %d(SP)", pvBase)
	p("MOVQ maskA+16(FP), AX")
	p("MOVQ AX, %d(SP)", pvMask)
	p("MOVQ maskB+24(FP), AX")
	p("MOVQ AX, %d(SP)", pvMask+8)
	p("MOVQ $0, %d(SP)", pvWiped)
	loadConsts512()

	comment("Both batches under a shared parent: their card keys on eight groups.")
	seq := newLabel("pseq_")
	prefixes := newLabel("ppre_")
	fusedArg(0, "R8")
	fusedArg(1, "R9")
	p("MOVQ Fused_Shared(R8), SI")
	p("MOVQ Fused_Shared(R9), DI")
	p("TESTQ SI, SI")
	p("JZ %s", seq)
	p("TESTQ DI, DI")
	p("JZ %s", seq)
	for x, f := range []string{"R8", "R9"} {
		p("LEAQ Fused_Div(%s), DX", f)
		for gg := 0; gg < 4; gg++ {
			for j := 0; j < 4; j++ {
				p("VMOVDQU32 %s, Z20", mem(256*j+64*gg, "DX"))
				msIn(4*x+gg, j, "Z20")
			}
		}
	}
	msLoopBcst()
	for x := 0; x < 2; x++ {
		for gg := 0; gg < 4; gg++ {
			for j := 0; j < 4; j++ {
				p("VMOVDQA64 %s, Z20", msSlot(3-j, 4*x+gg))
				p("VMOVDQA64 Z20, %s", mem(pScrA+x*scrSize+scrKey+256*j+64*gg, "R13"))
			}
		}
	}
	pairPrefix(0, true)
	pairPrefix(1, true)
	p("JMP %s", prefixes)
	label(seq)
	pairPrefix(0, false)
	pairPrefix(1, false)
	label(prefixes)

	comment("Longest chains of both.")
	p("MOVQ %d(SP), AX", pvMax1)
	p("MOVQ %d(SP), CX", pvMax1+8)
	p("CMPQ CX, AX")
	p("CMOVQGT CX, AX")
	p("MOVQ AX, %d(SP)", pvM1)
	p("MOVQ %d(SP), AX", pvMax2)
	p("MOVQ %d(SP), CX", pvMax2+8)
	p("CMPQ CX, AX")
	p("CMOVQGT CX, AX")
	p("MOVQ AX, %d(SP)", pvM2)

	comment("Chain 1, blocks 2.. of both batches on eight groups.")
	p("MOVQ $1, BX")
	pairChain("", pvM1, fmt.Sprintf("%d(SP)", pvM2))

	comment("Chain 2 from a zero chaining value.")
	pairBase("R13")
	p("VPXORD Z20, Z20, Z20")
	for off := pStA; off < pStB+1024; off += 64 {
		p("VMOVDQA64 Z20, %s", mem(off, "R13"))
	}
	p("XORQ BX, BX")
	pairChain("2", pvM2, "")

	comment("Round keys not wiped by a last block (every chain one block long).")
	pairBase("R13")
	p("VPXORD Z26, Z26, Z26")
	wiped := newLabel("pwiped_")
	p("CMPQ %d(SP), $0", pvWiped)
	p("JNE %s", wiped)
	for x := 0; x < 2; x++ {
		for off := scrK + 4*256; off < scrKey; off += 64 {
			p("VMOVDQA64 Z26, %s", mem(pScrA+x*scrSize+off, "R13"))
		}
	}
	label(wiped)
	comment("Wipe K'_0..K'_3, the keys, the chain states and the memory state.")
	for x := 0; x < 2; x++ {
		for off := scrK; off < scrK+4*256; off += 64 {
			p("VMOVDQA64 Z26, %s", mem(pScrA+x*scrSize+off, "R13"))
		}
		for off := scrKey; off < scrSize; off += 64 {
			p("VMOVDQA64 Z26, %s", mem(pScrA+x*scrSize+off, "R13"))
		}
	}
	for off := pStA; off < pSize; off += 64 {
		p("VMOVDQA64 Z26, %s", mem(off, "R13"))
	}
	for x := 0; x < 2; x++ {
		fusedArg(x, "R8")
		p("MOVQ %d(SP), AX", pvBad1+8*x)
		p("MOVQ AX, Fused_Bad(R8)")
		p("MOVQ %d(SP), AX", pvBad2+8*x)
		p("MOVQ AX, Fused_Bad2(R8)")
	}
	comment("Zero the registers.")
	zeroZMM()
	p("RET\n")
}
