package asm

import (
	"bytes"
	"fmt"
)

// The AVX2 DES rounds (des_bs4_amd64.s) are the bitsliced round of
// des_generic_sbox.go on 256 lanes: a plane is a YMM register (four 64-lane
// words, one per DESFused of RunDES4). genDESBS4 writes them from the same
// circuits as the Go round, with the register allocation below; the test
// that keeps des_generic_sbox.go up to date (TestDESBSGenerated) keeps this
// file up to date too.

// bs4Alloc assigns the values of one S-box circuit to the sixteen YMM
// registers, spilling to 32-byte stack slots: the value whose next use is
// furthest leaves first (Belady), and an operand that waits in its slot is
// read from there when the instruction can take a memory operand.
type bs4Alloc struct {
	w     *bytes.Buffer
	c     *dcircuit
	uses  [][]int // uses[v]: the steps that read value v, ascending
	reg   []int   // reg[v]: the register holding v, or -1
	slot  []int   // slot[v]: v's stack slot once stored, or -1
	owner [16]int // owner[r]: the value in register r, or -1
	step  int
	slots int // slots used by this circuit
}

func (a *bs4Alloc) p(format string, args ...any) { fmt.Fprintf(a.w, "\t"+format+"\n", args...) }

// nextUse returns the first step at or after a.step that reads v, or a
// large number.
func (a *bs4Alloc) nextUse(v int) int {
	for _, u := range a.uses[v] {
		if u >= a.step {
			return u
		}
	}
	return 1 << 30
}

func (a *bs4Alloc) slotAddr(v int) string { return fmt.Sprintf("%d(SP)", 32*a.slot[v]) }

// free returns a register, evicting a value (not one of keep) if none is
// free.
func (a *bs4Alloc) free(keep ...int) int {
	for r, v := range a.owner {
		if v < 0 {
			return r
		}
	}
	best, far := -1, -1
	for r, v := range a.owner {
		skip := false
		for _, k := range keep {
			if v == k {
				skip = true
			}
		}
		if skip {
			continue
		}
		if n := a.nextUse(v); n > far {
			best, far = r, n
		}
	}
	v := a.owner[best]
	if far < 1<<30 && a.slot[v] < 0 {
		a.slot[v] = a.slots
		a.slots++
		a.p("VMOVDQU Y%d, %s", best, a.slotAddr(v))
	}
	a.reg[v], a.owner[best] = -1, -1
	return best
}

// load puts v in a register.
func (a *bs4Alloc) load(v int, keep ...int) int {
	if r := a.reg[v]; r >= 0 {
		return r
	}
	r := a.free(keep...)
	a.p("VMOVDQU %s, Y%d", a.slotAddr(v), r)
	a.reg[v], a.owner[r] = r, v
	return r
}

// operand returns v as an operand: its register, or its slot when mem.
func (a *bs4Alloc) operand(v int, mem bool, keep ...int) string {
	if a.reg[v] < 0 && mem {
		return a.slotAddr(v)
	}
	return fmt.Sprintf("Y%d", a.load(v, keep...))
}

// release frees the registers of the values no step after a.step reads.
func (a *bs4Alloc) release(vs ...int) {
	for _, v := range vs {
		if r := a.reg[v]; r >= 0 && a.uses[v][len(a.uses[v])-1] <= a.step {
			a.reg[v], a.owner[r] = -1, -1
		}
	}
}

// genDESBS4Sbox writes S-box s of a round: the six inputs are planes
// b[in[m]] (SI) XOR key planes at the offsets ks[6s+m] (BX) from DX, the
// four outputs are XORed into planes a[out[j]] (DI).
func genDESBS4Sbox(w *bytes.Buffer, c *dcircuit, s int, in [6]int, out [4]int) int {
	n := 6 + len(c.gates)
	a := &bs4Alloc{w: w, c: c, uses: make([][]int, n), reg: make([]int, n), slot: make([]int, n)}
	for v := range n {
		a.reg[v], a.slot[v] = -1, -1
	}
	for r := range a.owner {
		a.owner[r] = -1
	}
	// Steps: 0..5 define the inputs, 6+i is gate i, 6+G+j stores output j.
	for i, g := range c.gates {
		a.uses[g.a] = append(a.uses[g.a], 6+i)
		if g.op != gNot {
			a.uses[g.b] = append(a.uses[g.b], 6+i)
		}
	}
	for j, v := range c.out {
		a.uses[v] = append(a.uses[v], 6+len(c.gates)+j)
	}
	fmt.Fprintf(w, "\t// S%d\n", s+1)
	for m := range 6 {
		a.step = m
		r := a.free()
		a.p("MOVWQZX %d(BX), R8", 2*(6*s+m))
		a.p("VMOVDQU %d(SI), Y%d", 32*in[m], r)
		a.p("VPXOR (DX)(R8*1), Y%d, Y%d", r, r)
		a.reg[m], a.owner[r] = r, m
	}
	ops := [...]string{gXor: "VPXOR", gAnd: "VPAND", gAndNot: "VPANDN", gOr: "VPOR"}
	for i, g := range c.gates {
		a.step = 6 + i
		v := 6 + i
		var ins string
		switch g.op {
		case gNot:
			ra := a.load(g.a)
			a.release(g.a)
			r := a.free(g.a)
			ins = fmt.Sprintf("VPXOR desones<>(SB), Y%d, Y%d", ra, r)
			a.reg[v], a.owner[r] = r, v
		case gAndNot:
			// a &^ b: VPANDN src, neg, dst is ^neg & src; src may be memory.
			rb := a.load(g.b, g.a)
			src := a.operand(g.a, true, g.b)
			a.release(g.a, g.b)
			r := a.free(g.a, g.b)
			ins = fmt.Sprintf("VPANDN %s, Y%d, Y%d", src, rb, r)
			a.reg[v], a.owner[r] = r, v
		default:
			x, y := g.a, g.b
			if a.reg[x] >= 0 && a.reg[y] < 0 {
				x, y = y, x // the one in memory, if any, as the memory operand
			}
			ry := a.load(y, x)
			src := a.operand(x, x != y, y)
			a.release(x, y)
			r := a.free(x, y)
			ins = fmt.Sprintf("%s %s, Y%d, Y%d", ops[g.op], src, ry, r)
			a.reg[v], a.owner[r] = r, v
		}
		a.p("%s", ins)
	}
	for j, v := range c.out {
		a.step = 6 + len(c.gates) + j
		r := a.load(v)
		a.p("VPXOR %d(DI), Y%d, Y%d", 32*out[j], r, r)
		a.p("VMOVDQU Y%d, %d(DI)", r, 32*out[j])
		a.reg[v], a.owner[r] = -1, -1
	}
	return a.slots
}

// genDESBS4 returns des_bs4_amd64.s: desRounds4, the sixteen rounds of
// one DES on 256 lanes, from the S-box circuits cs.
func genDESBS4(cs [8]*dcircuit) []byte {
	var body bytes.Buffer
	var pdst [32]int
	for i, n := range fipsP {
		pdst[n-1] = i
	}
	slots := 0
	for s := range 8 {
		var in [6]int
		var out [4]int
		for m := range 6 {
			in[m] = int(fipsE[6*s+m]) - 1
		}
		for j := range 4 {
			out[j] = pdst[4*s+j]
		}
		slots = max(slots, genDESBS4Sbox(&body, reorderDFS(cs[s]), s, in, out))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by desbs_test.go and desbs4_test.go (go test ./asm -run TestDESBSGenerated -update-des-sbox); DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "//go:build amd64 && !purego\n\n#include \"textflag.h\"\n\n")
	fmt.Fprintf(&b, "// desones is an all-ones plane, for the NOT gates.\n")
	for i := range 4 {
		fmt.Fprintf(&b, "DATA desones<>+%d(SB)/8, $-1\n", 8*i)
	}
	fmt.Fprintf(&b, "GLOBL desones<>(SB), RODATA|NOPTR, $32\n\n")
	fmt.Fprintf(&b, "// func desRounds4(a, b *[32][4]uint64, k *[64][4]uint64, ks *[16][48]uint16, decrypt int)\n")
	fmt.Fprintf(&b, "// The 16 rounds of the bitsliced DES round of des_generic_sbox.go (desFBS)\n")
	fmt.Fprintf(&b, "// on 256 lanes, a plane a YMM word: round r is a ^= P(S(E(b) ^ K_r)), then\n")
	fmt.Fprintf(&b, "// a and b trade places; subkey bit m of round r is the key plane at byte\n")
	fmt.Fprintf(&b, "// offset ks[r][m] of k, rounds taken 15..0 when decrypt is not 0. %d spill\n", slots)
	fmt.Fprintf(&b, "// slots of 32 bytes; no memory address depends on the data or the keys.\n")
	fmt.Fprintf(&b, "TEXT ·desRounds4(SB), 0, $%d-40\n", 32*max(slots, 1))
	fmt.Fprintf(&b, "\tMOVQ a+0(FP), DI\n\tMOVQ b+8(FP), SI\n\tMOVQ k+16(FP), DX\n\tMOVQ ks+24(FP), BX\n")
	fmt.Fprintf(&b, "\tMOVQ $96, R9\n\tCMPQ decrypt+32(FP), $0\n\tJEQ enc\n\tADDQ $1440, BX\n\tMOVQ $-96, R9\n")
	fmt.Fprintf(&b, "enc:\n\tMOVQ $16, CX\n\nround:\n")
	b.Write(body.Bytes())
	fmt.Fprintf(&b, "\tXCHGQ DI, SI\n\tADDQ R9, BX\n\tDECQ CX\n\tJNZ round\n")
	// The spill slots and registers hold S-box values, key-dependent:
	// zero them (VZEROUPPER alone leaves the low halves).
	fmt.Fprintf(&b, "\t// Wipe the spill slots and the registers.\n")
	for i := range 16 {
		fmt.Fprintf(&b, "\tVPXOR Y%d, Y%d, Y%d\n", i, i, i)
	}
	for i := range max(slots, 1) {
		fmt.Fprintf(&b, "\tVMOVDQU Y0, %d(SP)\n", 32*i)
	}
	fmt.Fprintf(&b, "\tVZEROUPPER\n\tRET\n")
	genDESTranspose4(&b)
	return b.Bytes()
}

// genDESTranspose4 writes desTranspose4: desTranspose on the four 64x64
// bit matrices held word by word in a [64][4]uint64, the same six stages
// on YMM rows.
func genDESTranspose4(b *bytes.Buffer) {
	fmt.Fprintf(b, "\n// func desTranspose4(a *[64][4]uint64)\n")
	fmt.Fprintf(b, "// desTranspose on each of the four matrices a[.][q] at once.\n")
	fmt.Fprintf(b, "TEXT ·desTranspose4(SB), NOSPLIT, $0-8\n\tMOVQ a+0(FP), DI\n")
	masks := []uint64{0x00000000FFFFFFFF, 0x0000FFFF0000FFFF, 0x00FF00FF00FF00FF, 0x0F0F0F0F0F0F0F0F, 0x3333333333333333, 0x5555555555555555}
	for st, j := range []int{32, 16, 8, 4, 2, 1} {
		fmt.Fprintf(b, "\t// stage %d: rows k and k+%d, k&%d == 0\n", st, j, j)
		fmt.Fprintf(b, "\tMOVQ $0x%016x, AX\n\tMOVQ AX, X15\n\tVPBROADCASTQ X15, Y15\n", masks[st])
		for k := 0; k < 64; k = (k + j + 1) &^ j {
			fmt.Fprintf(b, "\tVMOVDQU %d(DI), Y0\n\tVMOVDQU %d(DI), Y1\n", 32*k, 32*(k+j))
			fmt.Fprintf(b, "\tVPSRLQ $%d, Y1, Y2\n\tVPXOR Y0, Y2, Y2\n\tVPAND Y15, Y2, Y2\n", j)
			fmt.Fprintf(b, "\tVPXOR Y2, Y0, Y0\n\tVPSLLQ $%d, Y2, Y2\n\tVPXOR Y2, Y1, Y1\n", j)
			fmt.Fprintf(b, "\tVMOVDQU Y0, %d(DI)\n\tVMOVDQU Y1, %d(DI)\n", 32*k, 32*(k+j))
		}
	}
	fmt.Fprintf(b, "\t// Wipe the registers (rows of key planes pass through them).\n")
	fmt.Fprintf(b, "\tVPXOR Y0, Y0, Y0\n\tVPXOR Y1, Y1, Y1\n\tVPXOR Y2, Y2, Y2\n\tVPXOR Y15, Y15, Y15\n")
	fmt.Fprintf(b, "\tVZEROUPPER\n\tRET\n")
}

// reorderDFS returns c with its gates in depth-first order from the
// outputs, the operand with the larger cone first (Sethi-Ullman), so that
// fewer values wait in registers.
func reorderDFS(c *dcircuit) *dcircuit {
	n := 6 + len(c.gates)
	size := make([]int, n) // cone sizes (shared gates counted again: a heuristic)
	for i, g := range c.gates {
		size[6+i] = 1 + size[g.a]
		if g.op != gNot {
			size[6+i] += size[g.b]
		}
	}
	done := make([]bool, n)
	for k := range 6 {
		done[k] = true
	}
	var ord []int
	var visit func(v int)
	visit = func(v int) {
		if done[v] {
			return
		}
		g := c.gates[v-6]
		x, y := g.a, g.b
		if g.op != gNot && size[y] > size[x] {
			x, y = y, x
		}
		visit(x)
		if g.op != gNot {
			visit(y)
		}
		done[v] = true
		ord = append(ord, v)
	}
	for _, o := range c.out {
		visit(o)
	}
	return c.reorder(ord)
}

// reorder returns c with its gates in the order ord (of gate signals 6+i),
// renumbered.
func (c *dcircuit) reorder(ord []int) *dcircuit {
	remap := make([]int, 6+len(c.gates))
	for k := range 6 {
		remap[k] = k
	}
	out := &dcircuit{desc: c.desc}
	for _, v := range ord {
		g := c.gates[v-6]
		ng := dgate{op: g.op, a: remap[g.a]}
		if g.op != gNot {
			ng.b = remap[g.b]
		}
		out.gates = append(out.gates, ng)
		remap[v] = 6 + len(out.gates) - 1
	}
	for j, o := range c.out {
		out.out[j] = remap[o]
	}
	return out
}

// dag returns c as a gateDAG whose nodes are its signals.
func (c *dcircuit) dag() *gateDAG {
	d := &gateDAG{nIn: 6, outs: c.out[:]}
	for _, g := range c.gates {
		if g.op == gNot {
			d.ops = append(d.ops, [2]int{g.a, -1})
		} else {
			d.ops = append(d.ops, [2]int{g.a, g.b})
		}
	}
	return d
}
