//go:build ignore

// Command des512 writes ../des_amd64.s, the AVX-512 (F, BW, VL, VBMI, GFNI)
// DES lanes of package asm:
//
//	go run des512.go -out ../des_amd64.s
//
// It is a separate program from the SM4 generator (main.go), built only when
// named on the command line.
//
// Design. 64 lanes are byte-sliced: a ZMM register holds one byte of each
// of the 64 lanes (lane l in byte l). A DES half-block is kept in its
// E-expanded form, eight registers, register j holding the 6-bit input
// window of S-box j (in a bit order sigma_j chosen below) XORed with the
// round key that window meets next ("whitened"). A round is then:
//
//   - eight VPERMB, the S-boxes as 64-byte in-register tables indexed by the
//     window bytes (VPERMB ignores bits 6 and 7 of an index). Table j's
//     output byte holds the four output bits of S-box j, already at the bit
//     positions that P and then E send them to in the windows they feed;
//   - for each of the eight windows of the other half: gather its six bits
//     from the six tables that feed it (one AND and five bit-selects with
//     constant masks, VPTERNLOGD), XOR them and the key difference
//     K(r-1)^K(r+1) into the window (one VPTERNLOGD).
//
// 64 vector operations per round for 64 lanes, no memory access depending
// on data or keys (the key words are per lane, read at fixed offsets).
// IP, E, FP, PC-1 and PC-2 are linear bit maps, evaluated with
// VGF2P8AFFINEQB (one 8x8 bit matrix per source byte) and XORs; the byte
// transposes between the caller's one-uint64-per-lane arrays and the
// byte-sliced form use VPERMB and VPERMI2Q.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
)

var initialPermutation = [64]uint8{
	58, 50, 42, 34, 26, 18, 10, 2,
	60, 52, 44, 36, 28, 20, 12, 4,
	62, 54, 46, 38, 30, 22, 14, 6,
	64, 56, 48, 40, 32, 24, 16, 8,
	57, 49, 41, 33, 25, 17, 9, 1,
	59, 51, 43, 35, 27, 19, 11, 3,
	61, 53, 45, 37, 29, 21, 13, 5,
	63, 55, 47, 39, 31, 23, 15, 7,
}

// finalPermutation is IP^-1.
var finalPermutation = [64]uint8{
	40, 8, 48, 16, 56, 24, 64, 32,
	39, 7, 47, 15, 55, 23, 63, 31,
	38, 6, 46, 14, 54, 22, 62, 30,
	37, 5, 45, 13, 53, 21, 61, 29,
	36, 4, 44, 12, 52, 20, 60, 28,
	35, 3, 43, 11, 51, 19, 59, 27,
	34, 2, 42, 10, 50, 18, 58, 26,
	33, 1, 41, 9, 49, 17, 57, 25,
}

// expansion is the E bit-selection table (32 → 48 bits).
var expansion = [48]uint8{
	32, 1, 2, 3, 4, 5,
	4, 5, 6, 7, 8, 9,
	8, 9, 10, 11, 12, 13,
	12, 13, 14, 15, 16, 17,
	16, 17, 18, 19, 20, 21,
	20, 21, 22, 23, 24, 25,
	24, 25, 26, 27, 28, 29,
	28, 29, 30, 31, 32, 1,
}

// permutation is the primitive function P (32 → 32 bits).
var permutation = [32]uint8{
	16, 7, 20, 21,
	29, 12, 28, 17,
	1, 15, 23, 26,
	5, 18, 31, 10,
	2, 8, 24, 14,
	32, 27, 3, 9,
	19, 13, 30, 6,
	22, 11, 4, 25,
}

// permutedChoice1 is PC-1 (64 → 56 bits; the parity bits 8, 16, …, 64 are
// dropped). The first 28 entries give C0, the last 28 give D0.
var permutedChoice1 = [56]uint8{
	57, 49, 41, 33, 25, 17, 9,
	1, 58, 50, 42, 34, 26, 18,
	10, 2, 59, 51, 43, 35, 27,
	19, 11, 3, 60, 52, 44, 36,
	63, 55, 47, 39, 31, 23, 15,
	7, 62, 54, 46, 38, 30, 22,
	14, 6, 61, 53, 45, 37, 29,
	21, 13, 5, 28, 20, 12, 4,
}

// permutedChoice2 is PC-2 (56 bits of C||D → 48-bit round key).
var permutedChoice2 = [48]uint8{
	14, 17, 11, 24, 1, 5,
	3, 28, 15, 6, 21, 10,
	23, 19, 12, 4, 26, 8,
	16, 7, 27, 20, 13, 2,
	41, 52, 31, 37, 47, 55,
	30, 40, 51, 45, 33, 48,
	44, 49, 39, 56, 34, 53,
	46, 42, 50, 36, 29, 32,
}

// keyShifts is the number of left rotations of C and D before each round.
var keyShifts = [16]uint8{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}

// sBoxes are S1..S8 as printed: sBoxes[i][16*row+column], where for a 6-bit
// input b1..b6 the row is b1b6 and the column is b2b3b4b5.
var sBoxes = [8][64]uint8{
	{
		14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
		0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
		4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
		15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
	},
	{
		15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
		3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
		0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
		13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
	},
	{
		10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
		13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
		13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
		1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
	},
	{
		7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
		13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
		10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
		3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
	},
	{
		2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
		14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
		4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
		11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
	},
	{
		12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
		10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
		9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
		4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
	},
	{
		4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
		13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
		1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
		6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
	},
	{
		13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
		1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
		7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
		2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
	},
}

var buf bytes.Buffer

func p(format string, a ...any) { fmt.Fprintf(&buf, "\t"+format+"\n", a...) }
func label(l string)            { fmt.Fprintf(&buf, "%s:\n", l) }
func comment(format string, a ...any) {
	fmt.Fprintf(&buf, "\t// "+format+"\n", a...)
}
func z(i int) string { return fmt.Sprintf("Z%d", i) }

// ---------------------------------------------------------------------------
// Window layout.

var (
	// sigma[j][b] is the bit of window byte j that holds E-window position
	// b (b = 0 is the window's first bit, FIPS order).
	sigma [8][6]int
	// srcBox[j][p] is the S-box whose output feeds bit p of window j.
	srcBox [8][6]int
	// boxBit[i][p] is the output bit o (0 = most significant) of S-box i
	// that table i puts at bit p, or -1.
	boxBit [8][8]int
)

// feed returns the S-box i and its output bit o that E-window j position b
// reads in the next round (through P and E).
func feed(j, b int) (i, o int) {
	q := int(expansion[6*j+b])
	n := int(permutation[q-1])
	return (n - 1) / 4, (n - 1) % 4
}

// searchSigma chooses the window bit orders so that every S-box table can
// put each of its output bits at the position every window it feeds wants
// it: a backtracking search, deterministic.
func searchSigma() {
	for i := range boxBit {
		for q := range boxBit[i] {
			boxBit[i][q] = -1
		}
	}
	var used [8][6]bool
	var rec func(cell int) bool
	rec = func(cell int) bool {
		if cell == 48 {
			return true
		}
		j, b := cell/6, cell%6
		i, o := feed(j, b)
		for pos := 0; pos < 6; pos++ {
			if used[j][pos] || (boxBit[i][pos] != -1 && boxBit[i][pos] != o) {
				continue
			}
			prev := boxBit[i][pos]
			boxBit[i][pos], used[j][pos], sigma[j][b], srcBox[j][pos] = o, true, pos, i
			if rec(cell + 1) {
				return true
			}
			boxBit[i][pos], used[j][pos] = prev, false
		}
		return false
	}
	if !rec(0) {
		log.Fatal("no window layout")
	}
	for j := range srcBox {
		seen := map[int]bool{}
		for _, i := range srcBox[j] {
			if seen[i] {
				log.Fatalf("window %d fed twice by S-box %d", j, i)
			}
			seen[i] = true
		}
	}
}

func sbox(i, x int) int {
	row := (x>>4)&2 | x&1
	col := (x >> 1) & 15
	return int(sBoxes[i][16*row+col])
}

// sboxTable returns table i: entry idx (a window byte) holds S_i's output
// bits at the positions boxBit gives.
func sboxTable(i int) []byte {
	t := make([]byte, 64)
	for idx := 0; idx < 64; idx++ {
		x := 0
		for b := 0; b < 6; b++ {
			x |= (idx >> sigma[i][b] & 1) << (5 - b)
		}
		s := sbox(i, x)
		for q := 0; q < 8; q++ {
			if o := boxBit[i][q]; o >= 0 {
				t[idx] |= byte((s>>(3-o))&1) << q
			}
		}
	}
	return t
}

// roundKeyBit returns the key bit (FIPS 1..64) that bit u (0..47) of the
// key of round r (1..16) is.
func roundKeyBit(r, u int) int {
	s := 0
	for i := 0; i < r; i++ {
		s += int(keyShifts[i])
	}
	cd := int(permutedChoice2[u]) - 1
	var idx int
	if cd < 28 {
		idx = (cd + s) % 28
	} else {
		idx = 28 + (cd-28+s)%28
	}
	return int(permutedChoice1[idx])
}

var ipInv [65]int // ipInv[n] = t with initialPermutation[t-1] = n

// ---------------------------------------------------------------------------
// Linear bit maps.

type loc struct{ reg, bit int }

// halfLocs are the places of half-block bit s (1..32) in the expanded form
// of the half in registers base..base+7.
func halfLocs(base, s int) []loc {
	var l []loc
	for j := 0; j < 8; j++ {
		for b := 0; b < 6; b++ {
			if int(expansion[6*j+b]) == s {
				l = append(l, loc{base + j, sigma[j][b]})
			}
		}
	}
	return l
}

// keyLocs are the places of block bit n (1..64) of a key held in expanded
// form: IP(key) = preoutput, halves in registers 0..7 and 8..15.
func keyLocs(n int) []loc {
	t := ipInv[n]
	return halfLocs(8*((t-1)/32), (t-1)%32+1)
}

// vLoc is the place of block bit n in the byte-sliced vectors 0..7 (vector
// q holds byte q of the little-endian uint64, that is uint64 bits 8q..8q+7).
func vLoc(n int) loc {
	u := 64 - n
	return loc{u / 8, u % 8}
}

type lmOut struct {
	bits [8][]loc // output bit i = XOR of these
	dst  string
	mem  bool
}

var (
	matIdx   = map[uint64]int{}
	matList  []uint64
	affineN  int
	temprrot int
)

func matOff(q uint64) int {
	if i, ok := matIdx[q]; ok {
		return 8 * i
	}
	matIdx[q] = len(matList)
	matList = append(matList, q)
	return 8 * (len(matList) - 1)
}

// pickLocs chooses, for each wanted bit (a list of alternatives), one place,
// preferring registers already used, and returns the chosen places.
func pickLocs(alts [][]loc) []loc {
	used := map[int]bool{}
	out := make([]loc, len(alts))
	done := make([]bool, len(alts))
	// Bits with one alternative first.
	for k, a := range alts {
		if len(a) == 1 {
			out[k], done[k] = a[0], true
			used[a[0].reg] = true
		}
	}
	for k, a := range alts {
		if done[k] {
			continue
		}
		out[k] = a[0]
		for _, l := range a {
			if used[l.reg] {
				out[k] = l
				break
			}
		}
		used[out[k].reg] = true
	}
	return out
}

// linmap emits the outputs: one VGF2P8AFFINEQB per (output, source
// register) and XORs. srcs names the source registers; temps are scratch.
func linmap(srcs []string, outs []lmOut, temps []string) {
	for _, o := range outs {
		mats := map[int]*[8]byte{}
		var regs []int
		for i := 0; i < 8; i++ {
			// XOR of places: cancel duplicates.
			cnt := map[loc]int{}
			for _, l := range o.bits[i] {
				cnt[l]++
			}
			for l, c := range cnt {
				if c%2 == 0 {
					continue
				}
				m, ok := mats[l.reg]
				if !ok {
					m = new([8]byte)
					mats[l.reg] = m
					regs = append(regs, l.reg)
				}
				m[7-i] |= 1 << l.bit
			}
		}
		sort.Ints(regs)
		if len(regs) == 0 {
			log.Fatal("empty linear map output")
		}
		var ts []string
		for _, r := range regs {
			var q uint64
			for b := 0; b < 8; b++ {
				q |= uint64(mats[r][b]) << (8 * b)
			}
			t := temps[temprrot%len(temps)]
			temprrot++
			if len(regs) == 1 && !o.mem {
				t = o.dst
			}
			p("VGF2P8AFFINEQB.BCST $0, desmat<>+%d(SB), %s, %s", matOff(q), srcs[r], t)
			affineN++
			ts = append(ts, t)
		}
		acc := ts[0]
		if len(ts) >= 2 {
			if !o.mem {
				acc = o.dst
			}
			p("VPXORQ %s, %s, %s", ts[1], ts[0], acc)
			k := 2
			for ; k+1 < len(ts); k += 2 {
				p("VPTERNLOGQ $0x96, %s, %s, %s", ts[k+1], ts[k], acc)
			}
			if k < len(ts) {
				p("VPXORQ %s, %s, %s", ts[k], acc, acc)
			}
		}
		if o.mem {
			p("VMOVDQU64 %s, %s", acc, o.dst)
		}
	}
}

func regs(from, n int) []string {
	var s []string
	for i := 0; i < n; i++ {
		s = append(s, z(from+i))
	}
	return s
}

// ---------------------------------------------------------------------------
// Byte transposes.

// qwordStage emits stage i of the 8x8 qword transpose from registers x to
// y (swapping bit i of the register and the qword index).
func qwordStage(i int, x, y []string) {
	d := 1 << i
	for m := 0; m < 8; m++ {
		if m&d != 0 {
			continue
		}
		p("VMOVDQU64 desqt<>+%d(SB), %s", 128*i, y[m])
		p("VPERMI2Q %s, %s, %s", x[m|d], x[m], y[m])
		p("VMOVDQU64 desqt<>+%d(SB), %s", 128*i+64, y[m|d])
		p("VPERMI2Q %s, %s, %s", x[m|d], x[m], y[m|d])
	}
}

func qwordIdx() []byte {
	var b []byte
	for i := 0; i < 3; i++ {
		d := 1 << i
		var lo, hi [8]uint64
		for q := 0; q < 8; q++ {
			if q&d == 0 {
				lo[q], hi[q] = uint64(q), uint64(q|d)
			} else {
				lo[q], hi[q] = uint64(8+q^d), uint64(8+q)
			}
		}
		for _, v := range append(lo[:], hi[:]...) {
			for k := 0; k < 8; k++ {
				b = append(b, byte(v>>(8*k)))
			}
		}
	}
	return b
}

func bytePerm() []byte {
	b := make([]byte, 64)
	for q := 0; q < 8; q++ {
		for l := 0; l < 8; l++ {
			b[8*q+l] = byte(8*l + q)
		}
	}
	return b
}

// loadConvIn loads 64 uint64 lanes at mem base into byte-sliced vectors and
// converts the block to its expanded IP halves: Z0..Z7 = L0, Z8..Z15 = R0
// (unwhitened). Clobbers Z16..Z31.
func loadConvIn(base string) {
	p("VMOVDQU64 desperm<>(SB), Z24")
	for m := 0; m < 8; m++ {
		p("VMOVDQU64 %d(%s), %s", 64*m, base, z(m))
		p("VPERMB %s, Z24, %s", z(m), z(m))
	}
	qwordStage(0, regs(0, 8), regs(16, 8))
	qwordStage(1, regs(16, 8), regs(8, 8))
	qwordStage(2, regs(8, 8), regs(16, 8))
	var outs []lmOut
	for h := 0; h < 2; h++ {
		for j := 0; j < 8; j++ {
			o := lmOut{dst: z(8*h + j)}
			for b := 0; b < 6; b++ {
				n := int(initialPermutation[32*h+int(expansion[6*j+b])-1])
				o.bits[sigma[j][b]] = []loc{vLoc(n)}
			}
			outs = append(outs, o)
		}
	}
	linmap(regs(16, 8), outs, regs(24, 8))
}

// convOutStore converts the preoutput in Z0..Z15 (expanded halves, first
// half R16 in Z0..Z7) to blocks and stores lanes under the 64-bit lane mask
// in K2 at mem base.
func convOutStore(base string) {
	var outs []lmOut
	for q := 0; q < 8; q++ {
		o := lmOut{dst: z(16 + q)}
		var alts [][]loc
		for c := 0; c < 8; c++ {
			alts = append(alts, keyLocs(64-8*q-c))
		}
		pick := pickLocs(alts)
		for c := 0; c < 8; c++ {
			o.bits[c] = []loc{pick[c]}
		}
		outs = append(outs, o)
	}
	linmap(regs(0, 16), outs, regs(24, 8))
	qwordStage(0, regs(16, 8), regs(0, 8))
	qwordStage(1, regs(0, 8), regs(8, 8))
	qwordStage(2, regs(8, 8), regs(16, 8))
	p("VMOVDQU64 desperm<>(SB), Z24")
	for m := 0; m < 8; m++ {
		p("VPERMB %s, Z24, %s", z(16+m), z(16+m))
		p("KSHIFTRQ $%d, K2, K3", 8*m)
		p("VMOVDQU64 %s, K3, %d(%s)", z(16+m), 64*m, base)
	}
}

// ---------------------------------------------------------------------------
// Subroutines.

const entry = 512 // bytes per schedule entry (8 windows x 64 lanes)
const schedSize = 19 * entry

// emitRounds emits desRounds<>: 16 rounds on L in Z0..Z7, R in Z8..Z15
// (R whitened with the first round key). SI points at the key difference
// entry of round 1 and moves by DX per round. Out: Z8..Z15 = R16, Z0..Z7 =
// L16 whitened with the last round key.
func emitRounds() {
	fmt.Fprintf(&buf, "// desRounds runs 16 DES rounds on 64 lanes (see the generator).\n")
	fmt.Fprintf(&buf, "TEXT desRounds<>(SB), NOSPLIT, $0-0\n")
	a, b := regs(0, 8), regs(8, 8)
	for r := 1; r <= 16; r++ {
		idx, upd := b, a
		if r%2 == 0 {
			idx, upd = a, b
		}
		comment("round %d", r)
		for j := 0; j < 8; j++ {
			p("VPERMB dessbox<>+%d(SB), %s, %s", 64*j, idx[j], z(16+j))
		}
		for j := 0; j < 8; j++ {
			t := z(24 + j)
			p("VPANDD.BCST desmask<>+0(SB), %s, %s", z(16+srcBox[j][0]), t)
			for q := 1; q < 6; q++ {
				p("VPTERNLOGD.BCST $0xe4, desmask<>+%d(SB), %s, %s", 4*(q-1), z(16+srcBox[j][q]), t)
			}
			p("VPTERNLOGD $0x96, %d(SI), %s, %s", 64*j, t, upd[j])
		}
		p("ADDQ DX, SI")
	}
	p("RET")
	buf.WriteString("\n")
}

// keyWindow returns the key bits of window j of round key r (r = 0 or 17:
// none).
func keyWindow(r, j, b int) []int {
	if r < 1 || r > 16 {
		return nil
	}
	return []int{roundKeyBit(r, 6*j+b)}
}

// emitSched emits desSched<>: the schedule of the key held in expanded
// form in Z0..Z15 (IP(key) halves) to DI: entry 0 = K1, entry r (1..16) =
// K(r-1)^K(r+1), entry 17 = K16, entry 18 = K16^K1, each 8 window vectors.
func emitSched() {
	fmt.Fprintf(&buf, "// desSched expands the keys of 64 lanes (see the generator).\n")
	fmt.Fprintf(&buf, "TEXT desSched<>(SB), NOSPLIT, $0-0\n")
	var outs []lmOut
	for e := 0; e < 19; e++ {
		for j := 0; j < 8; j++ {
			o := lmOut{dst: fmt.Sprintf("%d(DI)", e*entry+64*j), mem: true}
			var want [8][]int
			for b := 0; b < 6; b++ {
				var ks []int
				switch {
				case e == 0:
					ks = keyWindow(1, j, b)
				case e <= 16:
					ks = append(keyWindow(e-1, j, b), keyWindow(e+1, j, b)...)
				case e == 17:
					ks = keyWindow(16, j, b)
				default:
					ks = append(keyWindow(16, j, b), keyWindow(1, j, b)...)
				}
				if len(ks) == 2 && ks[0] == ks[1] {
					ks = nil
				}
				want[sigma[j][b]] = ks
			}
			var alts [][]loc
			var where [][2]int
			for q := 0; q < 8; q++ {
				for _, n := range want[q] {
					alts = append(alts, keyLocs(n))
					where = append(where, [2]int{q, n})
				}
			}
			pick := pickLocs(alts)
			for k, w := range where {
				o.bits[w[0]] = append(o.bits[w[0]], pick[k])
			}
			outs = append(outs, o)
		}
	}
	before := affineN
	linmap(regs(0, 16), outs, regs(16, 16))
	log.Printf("key schedule: %d affine ops", affineN-before)
	p("RET")
	buf.WriteString("\n")
}

// ---------------------------------------------------------------------------
// The kernels.

// Scratch layout (offsets from R12, 64-byte aligned).
const (
	offSched0 = 0
	offSched1 = schedSize
	offK0     = 2 * schedSize
	offK1     = offK0 + 1024
	offY      = offK1 + 1024
	offMsg    = offY + 1024
	offCap    = offMsg + 4*1024
	scratchSz = offCap + 1024
	// The whole scratch is wiped at the end: sched, k, y and cap (the CBC
	// states) hold key material; msg only the caller's message blocks in
	// IP form, wiped too, so that the call leaves nothing of its own.
)

func ent(sched, e, j int) string { return fmt.Sprintf("%d(R12)", sched+e*entry+64*j) }

// xfer moves the DES output (Z8..Z15 = R16, Z0..Z7 = L16 ^ k16) into the
// next stage's input: Z0..Z7 = R16, Z8..Z15 = L16 ^ k16 ^ w1, where k16 and
// w1 are schedule entries (w1 < 0: none).
func xfer(k16, w1 string) {
	for j := 0; j < 8; j++ {
		p("VPXORQ %s, %s, %s", fmt.Sprintf(k16, 64*j), z(j), z(16+j))
		p("VMOVDQA64 %s, %s", z(8+j), z(j))
		if w1 != "" {
			p("VPXORQ %s, %s, %s", fmt.Sprintf(w1, 64*j), z(16+j), z(8+j))
		} else {
			p("VMOVDQA64 %s, %s", z(16+j), z(8+j))
		}
	}
}

func entFmt(sched, e int) string { return fmt.Sprintf("%d+%%d(R12)", sched+e*entry) }

func callRounds(sched int, decrypt bool) {
	if decrypt {
		p("LEAQ %d(R12), SI", sched+16*entry)
		p("MOVQ $-%d, DX", entry)
	} else {
		p("LEAQ %d(R12), SI", sched+entry)
		p("MOVQ $%d, DX", entry)
	}
	p("CALL desRounds<>(SB)")
}

// tdes runs 3DES on Z0..Z15 (unwhitened input halves) with the schedules
// at kl and kr, leaving the preoutput in key form: Z0..Z7 = first half,
// Z8..Z15 = second half, clean.
func tdes(kl, kr int) {
	for j := 0; j < 8; j++ {
		p("VPXORQ %s, %s, %s", ent(kl, 0, j), z(8+j), z(8+j))
	}
	callRounds(kl, false)
	xfer(entFmt(kl, 17), entFmt(kr, 17))
	callRounds(kr, true)
	xfer(entFmt(kr, 0), entFmt(kl, 0))
	callRounds(kl, false)
	xfer(entFmt(kl, 17), "")
}

func storeRegs(off, n int) {
	for j := 0; j < n; j++ {
		p("VMOVDQU64 %s, %d(R12)", z(j), off+64*j)
	}
}

func loadRegs(off, n int) {
	for j := 0; j < n; j++ {
		p("VMOVDQU64 %d(R12), %s", off+64*j, z(j))
	}
}

func zeroAll() {
	for i := 0; i < 32; i++ {
		p("VPXORQ %s, %s, %s", z(i), z(i), z(i))
	}
	p("VZEROUPPER")
}

func emitFused() {
	frame := scratchSz + 64
	fmt.Fprintf(&buf, "// func desFused512(out *[64]uint64, shared *[2][152]uint32, parent *[2][64]uint64, div *[64]uint64, d8 *[64]uint64, msg *[4][64]uint64, nblocks *[64]uint8, mask uint64, nb int, flags int, out2 *[64]uint64, msg2 *[4][64]uint64, nblocks2 *[64]uint8, nb2 int)\n")
	fmt.Fprintf(&buf, "// Requires: AVX512F, AVX512BW, AVX512VL, AVX512VBMI, GFNI\n")
	fmt.Fprintf(&buf, "TEXT ·desFused512(SB), 0, $%d-112\n", frame)
	p("LEAQ 63(SP), R12")
	p("ANDQ $-64, R12")
	p("MOVQ flags+72(FP), R9")

	comment("Diversification factor.")
	p("MOVQ div+24(FP), AX")
	loadConvIn("AX")
	storeRegs(offY, 16)

	comment("Parent schedules: broadcast the shared one, or expand per lane.")
	p("TESTQ $2, R9")
	p("JZ perlane")
	p("MOVQ shared+8(FP), AX")
	for h := 0; h < 2; h++ {
		for e := 0; e < 19; e++ {
			for j := 0; j < 8; j++ {
				p("VPBROADCASTD %d(AX), Z16", 4*(h*152+e*8+j))
				p("VMOVDQU64 Z16, %s", ent(offSched0+h*schedSize, e, j))
			}
		}
	}
	p("JMP parentdone")
	label("perlane")
	p("MOVQ parent+16(FP), BX")
	loadConvIn("BX")
	p("LEAQ %d(R12), DI", offSched0)
	p("CALL desSched<>(SB)")
	p("ADDQ $512, BX")
	loadConvIn("BX")
	p("LEAQ %d(R12), DI", offSched1)
	p("CALL desSched<>(SB)")
	label("parentdone")

	comment("Card key halves: 3DES(parent, Y), 3DES(parent, ^Y).")
	for v := 0; v < 2; v++ {
		loadRegs(offY, 16)
		if v == 1 {
			for j := 0; j < 16; j++ {
				p("VPTERNLOGQ $0x0f, %s, %s, %s", z(j), z(j), z(j))
			}
		}
		tdes(offSched0, offSched1)
		storeRegs(offK0+1024*v, 16)
	}

	comment("MAC key: session key 3DES(k, D8) or the TAC key k[0:8]^k[8:16].")
	p("TESTQ $1, R9")
	p("JZ tackey")
	loadRegs(offK0, 16)
	p("LEAQ %d(R12), DI", offSched0)
	p("CALL desSched<>(SB)")
	loadRegs(offK1, 16)
	p("LEAQ %d(R12), DI", offSched1)
	p("CALL desSched<>(SB)")
	p("MOVQ d8+32(FP), AX")
	loadConvIn("AX")
	tdes(offSched0, offSched1)
	p("JMP mackey")
	label("tackey")
	for j := 0; j < 16; j++ {
		p("VMOVDQU64 %d(R12), %s", offK0+64*j, z(j))
		p("VPXORQ %d(R12), %s, %s", offK1+64*j, z(j), z(j))
	}
	label("mackey")
	p("LEAQ %d(R12), DI", offSched0)
	p("CALL desSched<>(SB)")

	// The two chains share the MAC key schedule at offSched0 and the
	// message area; the second one runs only if nb2 > 0.
	chains := []struct{ out, msg, nblocks, nb string }{
		{"out+0(FP)", "msg+40(FP)", "nblocks+48(FP)", "nb+64(FP)"},
		{"out2+80(FP)", "msg2+88(FP)", "nblocks2+96(FP)", "nb2+104(FP)"},
	}
	for c, ch := range chains {
		comment("Chain %d: message blocks -> expanded IP halves.", c+1)
		p("MOVQ %s, R8", ch.nb)
		if c > 0 {
			p("TESTQ R8, R8")
			p("JZ chainsdone")
		}
		p("MOVQ %s, R10", ch.msg)
		p("MOVQ %s, R11", ch.nblocks)
		for b := 0; b < 4; b++ {
			p("CMPQ R8, $%d", b+1)
			p("JLT msgdone%d", c)
			p("LEAQ %d(R10), AX", 512*b)
			loadConvIn("AX")
			storeRegs(offMsg+1024*b, 16)
		}
		label(fmt.Sprintf("msgdone%d", c))

		comment("Chain %d: CBC-MAC; the state of lane i is captured after its block count.", c+1)
		p("VPXORQ Z16, Z16, Z16")
		for j := 0; j < 16; j++ {
			p("VMOVDQU64 Z16, %d(R12)", offCap+64*j)
		}
		for b := 0; b < 4; b++ {
			p("CMPQ R8, $%d", b+1)
			p("JLT macdone%d", c)
			m := offMsg + 1024*b
			if b == 0 {
				for j := 0; j < 8; j++ {
					p("VMOVDQU64 %d(R12), %s", m+64*j, z(j))
					p("VMOVDQU64 %d(R12), %s", m+512+64*j, z(8+j))
					p("VPXORQ %s, %s, %s", ent(offSched0, 0, j), z(8+j), z(8+j))
				}
			} else {
				for j := 0; j < 8; j++ {
					p("VPXORQ %s, %s, %s", ent(offSched0, 18, j), z(j), z(16+j))
					p("VPXORQ %d(R12), %s, %s", m+64*j, z(8+j), z(j))
					p("VPXORQ %d(R12), %s, %s", m+512+64*j, z(16+j), z(8+j))
				}
			}
			callRounds(offSched0, false)
			p("VMOVDQU8 (R11), Z16")
			p("VPCMPEQB desnb<>+%d(SB), Z16, K1", 64*b)
			for j := 0; j < 8; j++ {
				p("VMOVDQU8 %s, K1, %d(R12)", z(8+j), offCap+64*j)
				p("VPXORQ %s, %s, %s", ent(offSched0, 17, j), z(j), z(16+j))
				p("VMOVDQU8 %s, K1, %d(R12)", z(16+j), offCap+512+64*j)
			}
		}
		label(fmt.Sprintf("macdone%d", c))

		comment("Chain %d output: FP, transpose, store lanes < N.", c+1)
		loadRegs(offCap, 16)
		p("MOVQ mask+56(FP), AX")
		p("KMOVQ AX, K2")
		p("MOVQ %s, AX", ch.out)
		convOutStore("AX")
	}
	label("chainsdone")

	comment("Wipe the key material in the scratch and the registers.")
	p("VPXORQ Z31, Z31, Z31")
	p("MOVQ R12, AX")
	p("MOVQ $%d, CX", scratchSz/64)
	label("wipe")
	p("VMOVDQU64 Z31, (AX)")
	p("ADDQ $64, AX")
	p("DECQ CX")
	p("JNZ wipe")
	zeroAll()
	p("RET")
	buf.WriteString("\n")
}

func emitScheduleEntry() {
	fmt.Fprintf(&buf, "// func desSchedule512(dst *[2][19][8][64]byte, parent *[2][64]uint64)\n")
	fmt.Fprintf(&buf, "// Requires: AVX512F, AVX512BW, AVX512VL, AVX512VBMI, GFNI\n")
	fmt.Fprintf(&buf, "TEXT ·desSchedule512(SB), NOSPLIT, $0-16\n")
	p("MOVQ dst+0(FP), DI")
	p("MOVQ parent+8(FP), BX")
	loadConvIn("BX")
	p("CALL desSched<>(SB)")
	p("ADDQ $%d, DI", schedSize)
	p("ADDQ $512, BX")
	loadConvIn("BX")
	p("CALL desSched<>(SB)")
	zeroAll()
	p("RET")
	buf.WriteString("\n")
}

func data(name string, b []byte) {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	for i := 0; i < len(b); i += 8 {
		var q uint64
		for j := 0; j < 8; j++ {
			q |= uint64(b[i+j]) << (8 * j)
		}
		fmt.Fprintf(&buf, "DATA %s<>+%d(SB)/8, $%#016x\n", name, i, q)
	}
	fmt.Fprintf(&buf, "GLOBL %s<>(SB), RODATA|NOPTR, $%d\n\n", name, len(b))
}

func main() {
	outFile := flag.String("out", "../des_amd64.s", "output file")
	flag.Parse()
	for t := 1; t <= 64; t++ {
		ipInv[initialPermutation[t-1]] = t
	}
	searchSigma()
	log.Printf("sigma %v", sigma)

	var body bytes.Buffer
	emitRounds()
	emitSched()
	emitFused()
	emitScheduleEntry()
	body.Write(buf.Bytes())
	buf.Reset()

	fmt.Fprintf(&buf, "// Code generated by asm/_gen (go run des512.go -out ../des_amd64.s). DO NOT EDIT.\n\n")
	fmt.Fprintf(&buf, "//go:build amd64 && !purego\n\n#include \"textflag.h\"\n\n")
	var sb []byte
	for i := 0; i < 8; i++ {
		sb = append(sb, sboxTable(i)...)
	}
	data("dessbox", sb)
	var mk []byte
	for q := 0; q < 5; q++ {
		v := byte(1<<(q+1) - 1)
		mk = append(mk, v, v, v, v)
	}
	data("desmask", mk)
	data("desperm", bytePerm())
	data("desqt", qwordIdx())
	var nb []byte
	for b := 1; b <= 4; b++ {
		for l := 0; l < 64; l++ {
			nb = append(nb, byte(b))
		}
	}
	data("desnb", nb)
	var mb []byte
	for _, q := range matList {
		for k := 0; k < 8; k++ {
			mb = append(mb, byte(q>>(8*k)))
		}
	}
	data("desmat", mb)
	buf.Write(body.Bytes())
	log.Printf("%d affine ops, %d matrices", affineN, len(matList))
	if err := os.WriteFile(*outFile, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
