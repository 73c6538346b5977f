package asm

import (
	"math/rand/v2"
	"slices"
)

// This file orders the gates of the generated bitsliced S-boxes (SM4 in
// generic_sbox.go, DES in des_generic_sbox.go) for the Go compiler. The order
// decides how many values are live at once and so how much the compiler
// spills on amd64's 14 general registers; the logic is the same in every
// order. Candidate orders are drawn from seeds, ranked with spillCost, and
// the best few timed (BenchmarkSboxIn, BenchmarkDESFused) before a seed is
// written into the generator.

// gateDAG is a circuit to order: nodes 0..nIn-1 are its inputs, node nIn+i
// is gate i, reading nodes ops[i][0] and ops[i][1] (-1 for a unary gate).
// outs are the output nodes.
type gateDAG struct {
	nIn  int
	ops  [][2]int
	outs []int
}

// seededOrder returns the gate nodes in a depth-first order from the
// outputs, visiting the outputs and each gate's two operands in an order
// drawn from seed.
func (d *gateDAG) seededOrder(seed int) []int {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5b0c))
	done := make([]bool, d.nIn+len(d.ops))
	for i := 0; i < d.nIn; i++ {
		done[i] = true
	}
	var ord []int
	var visit func(v int)
	visit = func(v int) {
		if v < 0 || done[v] {
			return
		}
		a, b := d.ops[v-d.nIn][0], d.ops[v-d.nIn][1]
		if rng.IntN(2) == 0 {
			a, b = b, a
		}
		visit(a)
		visit(b)
		done[v] = true
		ord = append(ord, v)
	}
	outs := append([]int(nil), d.outs...)
	rng.Shuffle(len(outs), func(i, j int) { outs[i], outs[j] = outs[j], outs[i] })
	for _, v := range outs {
		visit(v)
	}
	return ord
}

// spillCost counts the stores and reloads of the gate order ord when k
// registers are allocated optimally (Belady: evict the value whose next use
// is farthest), the inputs arriving in registers and the outputs leaving in
// them. It models the compiler's allocator; it is not the allocator.
func (d *gateDAG) spillCost(ord []int, k int) int {
	const never = 1 << 30
	uses := make([][]int, d.nIn+len(d.ops)) // positions reading each node
	for p, v := range ord {
		for _, o := range d.ops[v-d.nIn] {
			if o >= 0 {
				uses[o] = append(uses[o], p)
			}
		}
	}
	for _, v := range d.outs {
		uses[v] = append(uses[v], len(ord))
	}
	nextUse := func(v, p int) int { // first use of v at or after p
		u := uses[v]
		for len(u) > 0 && u[0] < p {
			u = u[1:]
		}
		uses[v] = u
		if len(u) == 0 {
			return never
		}
		return u[0]
	}
	inReg := map[int]bool{}
	for i := 0; i < d.nIn; i++ {
		inReg[i] = true
	}
	spilled := make([]bool, d.nIn+len(d.ops))
	cost := 0
	// free makes room for one more value at position p, keeping op's operands.
	free := func(p int, op [2]int) {
		for v := range inReg {
			if nextUse(v, p) == never {
				delete(inReg, v)
			}
		}
		if len(inReg) < k {
			return
		}
		far, victim := -1, -1
		for v := range inReg {
			if v == op[0] || v == op[1] {
				continue
			}
			if n := nextUse(v, p); n > far || n == far && v < victim {
				far, victim = n, v
			}
		}
		delete(inReg, victim)
		if !spilled[victim] {
			spilled[victim] = true
			cost++ // store
		}
	}
	for p, v := range ord {
		op := d.ops[v-d.nIn]
		for _, o := range op {
			if o >= 0 && !inReg[o] {
				free(p, op)
				inReg[o] = true
				cost++ // reload
			}
		}
		free(p+1, [2]int{-1, -1}) // operands dying here leave their register to v
		inReg[v] = true
	}
	return cost
}

// listed returns the gate nodes in the order they are listed.
func (d *gateDAG) listed() []int {
	ord := make([]int, len(d.ops))
	for i := range ord {
		ord[i] = d.nIn + i
	}
	return ord
}

// rankOrders returns the seeds 1..n sorted by spillCost with k registers
// (ties by seed), with their costs.
func (d *gateDAG) rankOrders(n, k int) (seeds, costs []int) {
	type cand struct{ cost, seed int }
	cs := make([]cand, n)
	for i := range cs {
		cs[i] = cand{d.spillCost(d.seededOrder(i+1), k), i + 1}
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return a.cost - b.cost })
	for _, c := range cs {
		seeds = append(seeds, c.seed)
		costs = append(costs, c.cost)
	}
	return
}
