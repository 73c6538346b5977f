package main

import "fmt"

// ---------------------------------------------------------------------------
// Two-batch kernels: key schedules and encryptions of 128 lanes, eight
// groups of 16 in flight.
//
// Four groups of low-depth rounds leave the shuffle ports idle part of the
// time on Zen 5: a round is about 14 cycles deep. Eight groups fill them,
// but hold more state than the 32 registers: each group keeps its two
// newest words and its S-box input T in registers (24 in all) and reads the
// oldest word X_i, which a round uses twice but never on its chain, from
// memory: for the key schedule the round keys already stored in dst (K_i is
// round key i-4) or, for the first four rounds, the scratch; for the cipher
// a ring of four words a group in the scratch (64-byte aligned: split lines
// made the loop a third slower). Round i of a group with registers (c, d) =
// (X_{i+2}, X_{i+3}) writes X_{i+4} over c, after which the registers swap
// roles (d, c). The first form of the round (five shuffle-port operations
// instead of six, but 22 cycles deep) measured no faster with eight groups.
// The first batch is always full (the caller fills batches in order), so
// only the second one is masked, with K1..K4.

const x2Frame = 4 * 8 * 64 // four words of eight groups

// x2Regs returns the two state registers of group g (0..7): Z0..Z15; the S-box
// inputs are Z16..Z23 (x2T), the temporaries Z24..Z26 (shared by the groups:
// register renaming keeps them apart).
func x2Regs(g int) (a, b string) { return z(2 * g), z(2*g + 1) }

// x2Slot is the scratch slot of word j (0..3) of group g.
func x2Slot(j, g int) string { return fmt.Sprintf("%d(R13)", 64*(8*j+g)) }

// x2T is the S-box input register of group g in the low-depth form.
func x2T(g int) string { return z(16 + g) }

// x2Round emits round i (only its parity matters) of group g in the
// low-depth form (ldRound), the S-box input carried in x2T(g): old is X_i
// (a memory operand), next the next round's key or constant operand (a
// broadcast 32-bit one when bcst), "" in the last round; L is the key
// schedule's L' when key. It leaves X_{i+4} in the returned register, over
// X_{i+2}. Unlike ldRound it computes X_{i+4} first and T_{i+1} = P ^
// X_{i+4} from it: one level deeper, which eight groups hide, but one
// operation fewer; on Zen 5 the XORs share the four vector pipes with the
// rotations and S-boxes, so every one counts (block 7.4 -> 6.9 cycles).
func x2Round(g, i int, old, next string, bcst, key bool) string {
	ra, rb := x2Regs(g)
	c, d := ra, rb
	if i%2 == 1 {
		c, d = rb, ra
	}
	t := x2T(g)
	u, v, w := "Z24", "Z25", "Z26"
	if next != "" {
		// c = P = X_{i+2} ^ X_{i+3} ^ k_{i+1}; then u = X_{i+4} = X_i ^
		// L(S(T)) and T_{i+1} = P ^ X_{i+4}.
		op := "VPTERNLOGD"
		if bcst {
			op += ".BCST"
		}
		p("%s $0x96, %s, %s, %s", op, next, d, c)
	}
	sbox512(t)
	if key {
		p("VPROLD $13, %s, %s", t, u)
		p("VPROLD $23, %s, %s", t, v)
		p("VPTERNLOGD $0x96, %s, %s, %s", old, t, u)
		p("VPXORD %s, %s, %s", v, u, u)
	} else {
		p("VPROLD $2, %s, %s", t, u)
		p("VPROLD $10, %s, %s", t, v)
		p("VPTERNLOGD $0x96, %s, %s, %s", old, t, u)
		p("VPROLD $18, %s, %s", t, w)
		p("VPROLD $24, %s, %s", t, t)
		p("VPTERNLOGD $0x96, %s, %s, %s", v, w, t)
		p("VPXORD %s, %s, %s", t, u, u)
	}
	if next != "" {
		p("VPXORD %s, %s, %s", u, c, t)
	}
	p("VMOVDQA64 %s, %s", u, c)
	return c
}

// x2Align points R13 at the 64-byte aligned scratch in the frame: split
// cache lines would cost every ring access.
func x2Align() {
	p("LEAQ 63(SP), R13")
	p("ANDQ $-64, R13")
}

// x2Wipe zeroes the scratch and the vector registers.
func x2Wipe() {
	p("VPXORD Z0, Z0, Z0")
	for off := 0; off < x2Frame; off += 64 {
		p("VMOVDQA64 Z0, %d(R13)", off)
	}
	zeroZMM()
}

// x2Base returns the base register of group g's batch and the group's
// offset in it.
func x2Base(g int, b0, b1 string) (string, int) {
	if g < 4 {
		return b0, 64 * g
	}
	return b1, 64 * (g - 4)
}

// x2Store stores word w of group g at off(base) (plus the group's offset),
// masked for the second batch.
func x2Store(g int, w string, b0, b1 string, off int) {
	base, o := x2Base(g, b0, b1)
	if g < 4 {
		p("VMOVDQU32 %s, %s", w, mem(off+o, base))
	} else {
		p("VMOVDQU32 %s, K%d, %s", w, g-3, mem(off+o, base))
	}
}

func genX2() {
	// expandKeys512x2(dst0, dst1 *Keys, keys0, keys1 *Blocks, mask1 uint64)
	fmt.Fprintf(&buf, "// func expandKeys512x2(dst0 *Keys, dst1 *Keys, keys0 *Blocks, keys1 *Blocks, mask1 uint64)\n// Requires: AVX512F, AVX512BW, GFNI\n")
	fmt.Fprintf(&buf, "TEXT ·expandKeys512x2(SB), 0, $%d-40\n", x2Frame+64)
	x2Align()
	p("MOVQ dst0+0(FP), DI")
	p("MOVQ dst1+8(FP), R8")
	p("MOVQ keys0+16(FP), SI")
	p("MOVQ keys1+24(FP), DX")
	p("KMOVQ mask1+32(FP), K1")
	groupMasks("K1", [3]string{"K2", "K3", "K4"})
	loadConsts512()
	comment("K_0..K_3 (FK applied) to the scratch, K_2, K_3 and T_0 to registers.")
	for g := 0; g < 8; g++ {
		base, o := x2Base(g, "SI", "DX")
		ra, rb := x2Regs(g)
		w := [4]string{"Z24", "Z25", ra, rb}
		for j := 0; j < 4; j++ {
			p("VMOVDQU32 %s, %s", mem(o+256*j, base), w[j])
			p("VPXORD.BCST sm4fk<>+%d(SB), %s, %s", 4*j, w[j], w[j])
			p("VMOVDQU64 %s, %s", w[j], x2Slot(j, g))
		}
		p("VPXORD %s, %s, %s", w[1], w[2], x2T(g))
		p("VPTERNLOGD.BCST $0x96, sm4ck<>(SB), %s, %s", w[3], x2T(g))
	}
	p("LEAQ sm4ck<>(SB), CX")
	keyIter := func(first, last bool) {
		for i := 0; i < 4; i++ {
			for g := 0; g < 8; g++ {
				old := x2Slot(i, g)
				if !first {
					base, o := x2Base(g, "DI", "R8")
					old = mem(-1024+256*i+o, base)
				}
				next := mem(4*(i+1), "CX")
				if last && i == 3 {
					next = ""
				}
				w := x2Round(g, i, old, next, true, true)
				x2Store(g, w, "DI", "R8", 256*i)
			}
		}
	}
	step := func() {
		p("ADDQ $16, CX")
		p("ADDQ $1024, DI")
		p("ADDQ $1024, R8")
	}
	keyIter(true, false)
	step()
	p("MOVQ $6, AX")
	l := newLabel("ekx2_")
	label(l)
	keyIter(false, false)
	step()
	p("DECQ AX")
	p("JNZ %s", l)
	keyIter(false, true)
	x2Wipe()
	p("RET\n")

	// encrypt512x2(dst0, dst1 *Blocks, k0, k1 *Keys, src0, src1 *Blocks, mask1 uint64)
	fmt.Fprintf(&buf, "// func encrypt512x2(dst0 *Blocks, dst1 *Blocks, k0 *Keys, k1 *Keys, src0 *Blocks, src1 *Blocks, mask1 uint64)\n// Requires: AVX512F, AVX512BW, GFNI\n")
	fmt.Fprintf(&buf, "TEXT ·encrypt512x2(SB), 0, $%d-56\n", x2Frame+64)
	x2Align()
	p("MOVQ k0+16(FP), SI")
	p("MOVQ k1+24(FP), DX")
	p("MOVQ src0+32(FP), R9")
	p("MOVQ src1+40(FP), R10")
	p("KMOVQ mask1+48(FP), K1")
	groupMasks("K1", [3]string{"K2", "K3", "K4"})
	loadConsts512()
	comment("X_0..X_3 to the ring, X_2 and X_3 to registers.")
	for g := 0; g < 8; g++ {
		base, o := x2Base(g, "R9", "R10")
		kb, _ := x2Base(g, "SI", "DX")
		ra, rb := x2Regs(g)
		w := [4]string{"Z24", "Z25", ra, rb}
		for j := 0; j < 4; j++ {
			p("VMOVDQU32 %s, %s", mem(o+256*j, base), w[j])
			p("VMOVDQU64 %s, %s", w[j], x2Slot(j, g))
		}
		p("VPXORD %s, %s, %s", w[1], w[2], x2T(g))
		p("VPTERNLOGD $0x96, %s, %s, %s", mem(o, kb), w[3], x2T(g))
	}
	encIter := func(last bool) {
		for i := 0; i < 4; i++ {
			for g := 0; g < 8; g++ {
				kb, o := x2Base(g, "SI", "DX")
				next := mem(256*(i+1)+o, kb)
				if last && i == 3 {
					next = ""
				}
				w := x2Round(g, i, x2Slot(i, g), next, false, false)
				if !last || i < 2 {
					p("VMOVDQU64 %s, %s", w, x2Slot(i, g))
				}
			}
		}
	}
	p("MOVQ $7, AX")
	l = newLabel("encx2_")
	label(l)
	encIter(false)
	p("ADDQ $1024, SI")
	p("ADDQ $1024, DX")
	p("DECQ AX")
	p("JNZ %s", l)
	encIter(true)
	comment("Output word j = X_{35-j}: X_35, X_34 in registers, X_33, X_32 in the ring.")
	p("MOVQ dst0+0(FP), DI")
	p("MOVQ dst1+8(FP), R8")
	for g := 0; g < 8; g++ {
		ra, rb := x2Regs(g)
		// Round 31 (odd) left X_35 in rb, round 30 X_34 in ra.
		x2Store(g, rb, "DI", "R8", 0)
		x2Store(g, ra, "DI", "R8", 256)
		p("VMOVDQU64 %s, Z24", x2Slot(1, g))
		x2Store(g, "Z24", "DI", "R8", 512)
		p("VMOVDQU64 %s, Z25", x2Slot(0, g))
		x2Store(g, "Z25", "DI", "R8", 768)
	}
	x2Wipe()
	p("RET\n")
}
