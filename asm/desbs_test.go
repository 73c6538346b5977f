package asm

// This file derives des_generic_sbox.go (the bitsliced DES S-box circuits,
// the round function with E and P folded in, and the index tables of the
// bitsliced generic DESFused path) and checks that the checked-in file is
// what it derives. Regenerate with
//
//	go test ./asm -run TestDESBSGenerated -update-des-sbox
//
// S-box construction. Two of the six input bits (p, q) select; the other
// four (w0..w3) are expanded into their 16 minterms. Each output bit is, in
// algebraic normal form over the selectors,
//
//	y = c0(w) ⊕ p·c1(w) ⊕ q·c2(w) ⊕ pq·c3(w)
//
// where every c is a 4-variable function, i.e. an XOR of disjoint minterms
// (or the complement of one: the 16 minterms XOR to 1, and p·¬X = p &^ X).
// The 16 c functions of an S-box are synthesised together with Paar's greedy
// common-subexpression algorithm. The generator tries every choice of the
// selector pair and a few random tie-breaking orders and keeps the smallest
// circuit; it is deterministic.

import (
	"bytes"
	"crypto/des"
	"encoding/binary"
	"flag"
	"fmt"
	ides "github.com/sscard/sscard/internal/des"
	"go/format"
	"math/bits"
	"math/rand/v2"
	"testing"
)

var updateDESSbox = flag.Bool("update-des-sbox", false, "rewrite des_generic_sbox.go from the circuit generator")

var rankDESOrders = flag.Bool("rank-des-orders", false, "log the gate-order seeds the spill model ranks best per DES S-box (TestDESSboxOrders)")

// desSboxOrder holds, per S-box, the seed of the gate order that
// des_generic_sbox.go is written in (gateDAG.seededOrder; 0 means
// reorderDFS). The AVX2 kernel allocates its own registers and keeps
// reorderDFS.
var desSboxOrder = [8]int{19047, 3880, 5460, 3040, 2267, 834, 1431, 1069}

// desGoOrder returns the circuit of S-box s in the order des_generic_sbox.go
// is written in.
func desGoOrder(c *dcircuit, s int) *dcircuit {
	if desSboxOrder[s] == 0 {
		return reorderDFS(c)
	}
	return c.reorder(c.dag().seededOrder(desSboxOrder[s]))
}

// The FIPS PUB 46-3 tables (1-based bit numbers, bit 1 = leftmost), as
// internal/des transcribes them.
var (
	fipsTables = ides.FIPS()
	fipsSbox   = fipsTables.SBoxes
	fipsIP     = fipsTables.IP
	fipsE      = fipsTables.E
	fipsP      = fipsTables.P
	fipsPC1    = fipsTables.PC1
	fipsPC2    = fipsTables.PC2
	fipsShifts = fipsTables.Shifts
)

// sboxOut returns output bit j (0 = most significant) of S-box s for the
// 6-bit input x whose bit 5 is the first input bit b1.
func sboxOut(s, x, j int) int {
	row := (x>>4)&2 | x&1
	col := (x >> 1) & 15
	return int(fipsSbox[s][16*row+col]>>(3-j)) & 1
}

// ---- circuit representation ----

const (
	gXor = iota
	gAnd
	gAndNot // a &^ b
	gOr
	gNot
)

type dgate struct{ op, a, b int }

// dcircuit: signals 0..5 are the inputs a0..a5 (a0 = b1), signal 6+k is
// gate k; out holds the 4 output signals.
type dcircuit struct {
	gates []dgate
	out   [4]int
	desc  string
}

func (c *dcircuit) add(op, a, b int) int {
	c.gates = append(c.gates, dgate{op, a, b})
	return 6 + len(c.gates) - 1
}

// eval evaluates the circuit on 64 inputs at once: input plane k holds bit
// 5-k of every x (bit x of the plane).
func (c *dcircuit) eval() [4]uint64 {
	v := make([]uint64, 6+len(c.gates))
	for k := range 6 {
		for x := range 64 {
			v[k] |= uint64(x>>(5-k)&1) << x
		}
	}
	for i, g := range c.gates {
		a, b := v[g.a], v[g.b]
		var r uint64
		switch g.op {
		case gXor:
			r = a ^ b
		case gAnd:
			r = a & b
		case gAndNot:
			r = a &^ b
		case gOr:
			r = a | b
		case gNot:
			r = ^a
		}
		v[6+i] = r
	}
	var o [4]uint64
	for j := range 4 {
		o[j] = v[c.out[j]]
	}
	return o
}

// prune removes the gates that no output depends on, keeping the order.
func (c *dcircuit) prune() {
	live := make([]bool, 6+len(c.gates))
	for _, o := range c.out {
		live[o] = true
	}
	for i := len(c.gates) - 1; i >= 0; i-- {
		if live[6+i] {
			g := c.gates[i]
			live[g.a] = true
			if g.op != gNot {
				live[g.b] = true
			}
		}
	}
	remap := make([]int, 6+len(c.gates))
	for k := range 6 {
		remap[k] = k
	}
	var ng []dgate
	for i, g := range c.gates {
		if !live[6+i] {
			continue
		}
		g.a = remap[g.a]
		if g.op != gNot {
			g.b = remap[g.b]
		}
		ng = append(ng, g)
		remap[6+i] = 6 + len(ng) - 1
	}
	for j := range c.out {
		c.out[j] = remap[c.out[j]]
	}
	c.gates = ng
}

// desPaar synthesises XOR networks for the targets (sets of atoms 0..n-1,
// bitmasks) with greedy common-subexpression elimination. It returns the
// XOR pairs (of atom or earlier pair ids: pair k has id n+k) and, per
// target, the id computing it (-1 for an empty target).
func desPaar(n int, targets []uint32, rng *rand.Rand) (pairs [][2]int, res []int) {
	sets := make([][]int, len(targets))
	for t, m := range targets {
		for a := range n {
			if m>>a&1 != 0 {
				sets[t] = append(sets[t], a)
			}
		}
	}
	for {
		count := map[[2]int]int{}
		best := 0
		for _, s := range sets {
			for i := range s {
				for j := i + 1; j < len(s); j++ {
					k := [2]int{min(s[i], s[j]), max(s[i], s[j])}
					count[k]++
					best = max(best, count[k])
				}
			}
		}
		if best == 0 {
			break
		}
		var cands [][2]int
		for k, v := range count {
			if v == best {
				cands = append(cands, k)
			}
		}
		// Deterministic order, then a seeded choice.
		desSortPairs(cands)
		pick := cands[0]
		if rng != nil {
			pick = cands[rng.IntN(len(cands))]
		}
		id := n + len(pairs)
		pairs = append(pairs, pick)
		for t, s := range sets {
			ia, ib := -1, -1
			for i, a := range s {
				if a == pick[0] {
					ia = i
				}
				if a == pick[1] {
					ib = i
				}
			}
			if ia < 0 || ib < 0 {
				continue
			}
			var ns []int
			for i, a := range s {
				if i != ia && i != ib {
					ns = append(ns, a)
				}
			}
			sets[t] = append(ns, id)
		}
	}
	res = make([]int, len(targets))
	for t, s := range sets {
		res[t] = -1
		if len(s) == 1 {
			res[t] = s[0]
		}
	}
	return pairs, res
}

func desSortPairs(p [][2]int) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && (p[j][0] < p[j-1][0] || p[j][0] == p[j-1][0] && p[j][1] < p[j-1][1]); j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// buildDESSbox builds S-box s with selectors (sp, sq) and the tie-breaking
// order of rng (nil: the first candidate).
func buildDESSbox(s, sp, sq int, anf bool, rng *rand.Rand) *dcircuit {
	var w []int
	for k := range 6 {
		if k != sp && k != sq {
			w = append(w, k)
		}
	}
	// c tables: ct[j][k] over the 16 minterms (bit m: w_i = bit i of m).
	var ct [4][4]uint32
	for j := range 4 {
		var g [2][2]uint32
		for x := range 64 {
			m := 0
			for i, wk := range w {
				m |= (x >> (5 - wk) & 1) << i
			}
			g[x>>(5-sp)&1][x>>(5-sq)&1] |= uint32(sboxOut(s, x, j)) << m
		}
		ct[j] = [4]uint32{g[0][0], g[0][0] ^ g[1][0], g[0][0] ^ g[0][1], g[0][0] ^ g[0][1] ^ g[1][0] ^ g[1][1]}
	}
	var targets []uint32
	var neg [4][4]bool
	for j := range 4 {
		for k := range 4 {
			m := ct[j][k]
			if anf {
				// Möbius transform: bit u of m becomes the coefficient of
				// the monomial ∏_{i∈u} w_i; the constant monomial is neg.
				for i := range 4 {
					for u := range 16 {
						if u>>i&1 != 0 {
							m ^= (m >> (u &^ (1 << i)) & 1) << u
						}
					}
				}
				neg[j][k] = m&1 != 0
				m &^= 1
			} else if bits.OnesCount32(m) > 8 {
				m, neg[j][k] = ^m&0xffff, true
			}
			targets = append(targets, m)
		}
	}
	pairs, res := desPaar(16, targets, rng)

	c := &dcircuit{desc: fmt.Sprintf("selectors a%d, a%d, minterm basis", sp, sq)}
	if anf {
		c.desc = fmt.Sprintf("selectors a%d, a%d, monomial basis", sp, sq)
	}
	// Minterms: m = P01[lo] & P23[hi] with the pair products of (w0,w1)
	// and (w2,w3); a product with a zero pair is an AND-NOT of the pair's OR.
	var prod [2][4]int
	var or [2]int
	for h := range 2 {
		u, v := w[2*h], w[2*h+1]
		or[h] = c.add(gOr, u, v)
		prod[h][1] = c.add(gAndNot, u, v)
		prod[h][2] = c.add(gAndNot, v, u)
		prod[h][3] = c.add(gAnd, u, v)
	}
	var sig [16]int
	if anf {
		// Monomials: sig[u] = ∏_{i∈u} w_i (sig[0], the constant, unused).
		for u := 1; u < 16; u++ {
			switch bits.OnesCount(uint(u)) {
			case 1:
				sig[u] = w[bits.TrailingZeros(uint(u))]
			case 2, 3:
				lo := u & -u
				sig[u] = c.add(gAnd, sig[u&^lo], w[bits.TrailingZeros(uint(lo))])
			case 4:
				sig[u] = c.add(gAnd, sig[3], sig[12])
			}
		}
	}
	for m := range 16 {
		if anf {
			break
		}
		lo, hi := m&3, m>>2
		switch {
		case lo == 0 && hi == 0:
			sig[m] = c.add(gNot, c.add(gOr, or[0], or[1]), 0)
		case lo == 0:
			sig[m] = c.add(gAndNot, prod[1][hi], or[0])
		case hi == 0:
			sig[m] = c.add(gAndNot, prod[0][lo], or[1])
		default:
			sig[m] = c.add(gAnd, prod[0][lo], prod[1][hi])
		}
	}
	ids := append([]int(nil), sig[:]...)
	for _, p := range pairs {
		ids = append(ids, c.add(gXor, ids[p[0]], ids[p[1]]))
	}
	sel := [4]int{-1, sp, sq, -1}
	pq := -1
	for j := range 4 {
		var terms []int
		inv := false
		for k := range 4 {
			t := res[4*j+k]
			x := -1
			if t >= 0 {
				x = ids[t]
			}
			if k == 0 {
				if x >= 0 {
					terms = append(terms, x)
				}
				inv = neg[j][k]
				continue
			}
			if x < 0 && !neg[j][k] {
				continue
			}
			sk := sel[k]
			if k == 3 {
				if pq < 0 {
					pq = c.add(gAnd, sp, sq)
				}
				sk = pq
			}
			switch {
			case x < 0:
				terms = append(terms, sk)
			case neg[j][k]:
				terms = append(terms, c.add(gAndNot, sk, x))
			default:
				terms = append(terms, c.add(gAnd, sk, x))
			}
		}
		o := terms[0]
		for _, t := range terms[1:] {
			o = c.add(gXor, o, t)
		}
		if inv {
			o = c.add(gNot, o, 0)
		}
		c.out[j] = o
	}
	c.prune()
	return c
}

// bestDESSbox searches the selector pairs and tie-breaking orders.
func bestDESSbox(s int) *dcircuit {
	var best *dcircuit
	for sp := range 6 {
		for sq := sp + 1; sq < 6; sq++ {
			for _, anf := range []bool{false, true} {
				for trial := range 24 {
					var rng *rand.Rand
					if trial > 0 {
						rng = rand.New(rand.NewPCG(uint64(s*1000+sp*10+sq), uint64(trial)))
					}
					c := buildDESSbox(s, sp, sq, anf, rng)
					if best == nil || len(c.gates) < len(best.gates) {
						best = c
					}
				}
			}
		}
	}
	return best
}

func checkDESCircuit(s int, out [4]uint64) error {
	for j := range 4 {
		for x := range 64 {
			if int(out[j]>>x&1) != sboxOut(s, x, j) {
				return fmt.Errorf("S%d output %d wrong at input %d", s+1, j, x)
			}
		}
	}
	return nil
}

// ---- derived index tables ----

// desKSTable: round r's subkey bit m is key bit desKS[r][m] (0-based, 0 =
// the key's leftmost bit).
func desKSTable() (t [16][48]uint8) {
	shift := 0
	for r := range 16 {
		shift += int(fipsShifts[r])
		for m := range 48 {
			q := int(fipsPC2[m]) - 1
			var i int
			if q < 28 {
				i = (q + shift) % 28
			} else {
				i = 28 + (q-28+shift)%28
			}
			t[r][m] = fipsPC1[i] - 1
		}
	}
	return t
}

// ---- emission ----

func genDESBS(t testing.TB) ([]byte, [8]*dcircuit) {
	var b bytes.Buffer
	var cs [8]*dcircuit
	total := 0
	for s := range 8 {
		cs[s] = bestDESSbox(s)
		total += len(cs[s].gates)
	}
	fmt.Fprintf(&b, "// Code generated by desbs_test.go (go test ./asm -run TestDESBSGenerated -update-des-sbox); DO NOT EDIT.\n\npackage asm\n\n")
	fmt.Fprintf(&b, "// desSboxGates is the size of the 8 bitsliced DES S-box circuits together.\nconst desSboxGates = %d\n\n", total)
	names := [...]string{gXor: "^", gAnd: "&", gAndNot: "&^", gOr: "|"}
	for s, c := range cs {
		c = desGoOrder(c, s)
		var cnt [5]int
		for _, g := range c.gates {
			cnt[g.op]++
		}
		fmt.Fprintf(&b, "// desS%d is DES S-box %d on 64 lanes: a0..a5 are the input bits b1..b6, y0..y3\n", s+1, s+1)
		fmt.Fprintf(&b, "// the output bits, most significant first. %d gates (%d XOR, %d AND, %d AND-NOT, %d OR, %d NOT); %s.\n",
			len(c.gates), cnt[gXor], cnt[gAnd], cnt[gAndNot], cnt[gOr], cnt[gNot], c.desc)
		fmt.Fprintf(&b, "func desS%d(a0, a1, a2, a3, a4, a5 uint64) (y0, y1, y2, y3 uint64) {\n", s+1)
		name := func(i int) string {
			if i < 6 {
				return fmt.Sprintf("a%d", i)
			}
			return fmt.Sprintf("t%d", i-6)
		}
		for i, g := range c.gates {
			if g.op == gNot {
				fmt.Fprintf(&b, "t%d := ^%s\n", i, name(g.a))
			} else {
				fmt.Fprintf(&b, "t%d := %s %s %s\n", i, name(g.a), names[g.op], name(g.b))
			}
		}
		fmt.Fprintf(&b, "return %s, %s, %s, %s\n}\n\n", name(c.out[0]), name(c.out[1]), name(c.out[2]), name(c.out[3]))
	}
	// Round function: a ^= P(S(E(b) ^ K)).
	var pdst [32]int
	for i, n := range fipsP {
		pdst[n-1] = i
	}
	fmt.Fprintf(&b, "// desFBS is one bitsliced DES round on the half-block planes (index i is\n")
	fmt.Fprintf(&b, "// FIPS bit i+1): a ^= P(S(E(b) ^ K)), where subkey bit m is key plane k[ks[m]].\n")
	fmt.Fprintf(&b, "func desFBS(a, b *[32]uint64, k *[64]uint64, ks *[48]uint8) {\n")
	for s := range 8 {
		op := "="
		if s == 0 {
			op = ":="
		}
		fmt.Fprintf(&b, "y0, y1, y2, y3 %s desS%d(", op, s+1)
		for m := range 6 {
			i := 6*s + m
			if m > 0 {
				fmt.Fprintf(&b, ", ")
			}
			fmt.Fprintf(&b, "b[%d]^k[ks[%d]&63]", fipsE[i]-1, i)
		}
		fmt.Fprintf(&b, ")\n")
		for j := range 4 {
			fmt.Fprintf(&b, "a[%d] ^= y%d\n", pdst[4*s+j], j)
		}
		if s < 7 {
			fmt.Fprintf(&b, "\n")
		}
	}
	fmt.Fprintf(&b, "}\n\n")
	fmt.Fprintf(&b, "// desKS: round r's subkey bit m is key plane desKS[r][m] (PC-1, the\n// rotations and PC-2 composed).\nvar desKS = [16][48]uint8{\n")
	for _, row := range desKSTable() {
		fmt.Fprintf(&b, "{")
		for m, v := range row {
			if m > 0 {
				fmt.Fprintf(&b, ", ")
			}
			fmt.Fprintf(&b, "%d", v)
		}
		fmt.Fprintf(&b, "},\n")
	}
	fmt.Fprintf(&b, "}\n\n// desIP is IP 0-based: plane i after IP is plane desIP[i] before it.\nvar desIP = [64]uint8{")
	for i, v := range fipsIP {
		if i > 0 {
			fmt.Fprintf(&b, ", ")
		}
		fmt.Fprintf(&b, "%d", v-1)
	}
	fmt.Fprintf(&b, "}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		t.Fatalf("format: %v\n%s", err, b.Bytes())
	}
	return src, cs
}

// ---- tests ----

func TestDESBSGenerated(t *testing.T) {
	if testing.Short() && !*updateDESSbox {
		t.Skip("the circuit search is slow; TestDESBSSboxes still checks the circuits")
	}
	src, cs := genDESBS(t)
	for s, c := range cs {
		if err := checkDESCircuit(s, c.eval()); err != nil {
			t.Fatal(err)
		}
	}
	const how = "-run TestDESBSGenerated -update-des-sbox"
	checkGenerated(t, "des_generic_sbox.go", src, *updateDESSbox, how)
	checkGenerated(t, "des_bs4_amd64.s", genDESBS4(cs), *updateDESSbox, how)
}

// TestDESSboxOrders ranks the gate-order seeds of each DES S-box with the
// spill model (12 registers) and logs the best, to be timed with
// BenchmarkDESFused before they go into desSboxOrder. It runs only with
// -rank-des-orders.
func TestDESSboxOrders(t *testing.T) {
	if !*rankDESOrders {
		t.Skip("ranks gate orders only with -rank-des-orders")
	}
	for s := range 8 {
		c := bestDESSbox(s)
		d := c.dag()
		seeds, costs := d.rankOrders(20000, 12)
		dfs, cur := reorderDFS(c).dag(), desGoOrder(c, s).dag()
		t.Logf("S%d: reorderDFS %d spill operations, seed %d: %d; best seeds %v, costs %v", s+1,
			dfs.spillCost(dfs.listed(), 12), desSboxOrder[s], cur.spillCost(cur.listed(), 12), seeds[:8], costs[:8])
	}
}

// TestDESBSSboxes checks the checked-in circuits exhaustively against the
// FIPS tables.
func TestDESBSSboxes(t *testing.T) {
	fns := [8]func(a0, a1, a2, a3, a4, a5 uint64) (y0, y1, y2, y3 uint64){desS1, desS2, desS3, desS4, desS5, desS6, desS7, desS8}
	var in [6]uint64
	for k := range 6 {
		for x := range 64 {
			in[k] |= uint64(x>>(5-k)&1) << x
		}
	}
	for s, fn := range fns {
		var o [4]uint64
		o[0], o[1], o[2], o[3] = fn(in[0], in[1], in[2], in[3], in[4], in[5])
		if err := checkDESCircuit(s, o); err != nil {
			t.Fatal(err)
		}
	}
	// The tables themselves: every row a permutation of 0..15.
	for s := range fipsSbox {
		for r := range 4 {
			seen := 0
			for c := range 16 {
				seen |= 1 << fipsSbox[s][16*r+c]
			}
			if seen != 0xffff {
				t.Fatalf("S%d row %d is not a permutation", s+1, r)
			}
		}
	}
}

func desNaiveTranspose(a *[64]uint64) (o [64]uint64) {
	for i := range 64 {
		for j := range 64 {
			o[j] |= (a[i] >> (63 - j) & 1) << (63 - i)
		}
	}
	return o
}

func TestDESBSTranspose(t *testing.T) {
	r := newRand(t)
	for range 20 {
		var a [64]uint64
		for i := range a {
			a[i] = r.Uint64()
		}
		want := desNaiveTranspose(&a)
		b := a
		desTranspose(&b)
		if b != want {
			t.Fatal("transpose differs from the naive one")
		}
		desTranspose(&b)
		if b != a {
			t.Fatal("transpose is not an involution")
		}
	}
}

// TestDESBSSingle runs single DES encryption and 3DES on 64 random lanes
// against crypto/des.
func TestDESBSSingle(t *testing.T) {
	r := newRand(t)
	for range 4 {
		var key, key2, blk [64]uint64
		for i := range 64 {
			key[i], key2[i], blk[i] = r.Uint64(), r.Uint64(), r.Uint64()
		}
		var s desBSState
		s.kl, s.kr, s.blk = key, key2, blk
		desTranspose(&s.kl)
		desTranspose(&s.kr)
		desTranspose(&s.blk)
		s.encrypt(&s.c, &s.blk, &s.kl)
		s.encrypt3(&s.blk, &s.blk, &s.kl, &s.kr)
		desTranspose(&s.c)
		desTranspose(&s.blk)
		for i := range 64 {
			var k, in, out [8]byte
			binary.BigEndian.PutUint64(k[:], key[i])
			binary.BigEndian.PutUint64(in[:], blk[i])
			c, _ := des.NewCipher(k[:])
			c.Encrypt(out[:], in[:])
			if got := s.c[i]; got != binary.BigEndian.Uint64(out[:]) {
				t.Fatalf("DES lane %d: %016x, crypto/des %x", i, got, out)
			}
			var k3 [24]byte
			binary.BigEndian.PutUint64(k3[0:], key[i])
			binary.BigEndian.PutUint64(k3[8:], key2[i])
			binary.BigEndian.PutUint64(k3[16:], key[i])
			c3, _ := des.NewTripleDESCipher(k3[:])
			c3.Encrypt(out[:], in[:])
			if got := s.blk[i]; got != binary.BigEndian.Uint64(out[:]) {
				t.Fatalf("3DES lane %d: %016x, crypto/des %x", i, got, out)
			}
		}
	}
}

// TestDESBSSharedKey checks the planes of a shared DESKey (parity bits
// cleared).
func TestDESBSSharedKey(t *testing.T) {
	r := newRand(t)
	for range 50 {
		var key [16]byte
		for i := range key {
			key[i] = byte(r.Uint32())
		}
		var k DESKey
		k.Init(&key)
		var s desBSState
		s.sharedPlanes(&k)
		for h, pl := range [2]*[64]uint64{&s.kl, &s.kr} {
			v := binary.BigEndian.Uint64(key[8*h:])
			for p := range 64 {
				want := uint64(0)
				if p%8 != 7 && v>>(63-p)&1 != 0 {
					want = ^uint64(0)
				}
				if pl[p] != want {
					t.Fatalf("half %d key plane %d: %x, want %x", h, p, pl[p], want)
				}
			}
		}
		k.Wipe()
	}
}
