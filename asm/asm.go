// Package asm holds the multi-key SM4 lanes: many independent SM4
// computations, each lane under its own key, in a structure-of-arrays layout
// (round keys round-major, lane-minor) so that one vector register holds the
// same word of 8 or 16 lanes.
//
// Paths: a portable generic path in pure Go (constant-time, no tables), and on
// amd64 AVX2 and AVX-512+GFNI assembly. The best path the CPU supports is
// chosen once at init; SetImpl forces another for tests and benchmarks.
//
// A call takes up to MaxLanes lanes. ExpandKeysMany and EncryptMany take any
// number of batches of MaxLanes; the AVX-512 path runs them two at a time
// (eight groups of 16 lanes in flight), which on Zen 5 makes a key schedule
// about a quarter cheaper and a block about a fifth cheaper than one batch a
// call.
//
// The generic path bitslices 64 lanes into uint64 bit-planes: the S-box is a
// generated Boolean circuit (inversion in the tower field GF(((2^2)^2)^2)
// with the basis changes and the SM4 affine map merged into its XOR layers,
// 131 gates, inputs offset by a public constant: see generic_sbox.go and
// sboxgen_test.go), and the linear
// transforms are re-indexing of planes. It uses no tables and no
// data-dependent branches or indices. Its cost does not depend on n: a call
// always computes 64 lanes. Scratch buffers holding key material are wiped
// before each call returns.
//
// The package also holds the 3DES lanes of the legacy PBOC family
// (DESFused): bitsliced over 64 lanes in Go (generic), over 256 lanes in
// AVX2 for four pipelines at once (RunDES4), and byte-sliced in AVX-512
// VBMI; DESImpl names the one in use.
package asm

import "github.com/sscard/sscard/sm4"

// MaxLanes is the number of lanes one call processes at most.
const MaxLanes = 64

// MaxMACBlocks is the longest CBC-MAC chain (in 16-byte blocks) a lane may have.
const MaxMACBlocks = 4

// Keys holds up to MaxLanes expanded SM4 keys, round-major, lane-minor:
// RK[r][lane] is round key r of that lane.
type Keys struct {
	RK [32][MaxLanes]uint32
}

// Blocks holds one 16-byte block (or key) per lane as four big-endian words,
// word-major: W[j][lane] is bytes 4j..4j+3 of that lane's block.
type Blocks struct {
	W [4][MaxLanes]uint32
}

// Fused describes the fused verify pipeline on N lanes. For each lane i < N:
//
//	k   = SM4(parent_i, Div_i)              // diversify: card key
//	k   = SM4(k, Sess_i)  if Session        // session key
//	Out_i  = CBC-MAC_k(Msg[0]_i .. Msg[NBlocks_i-1]_i), IV = 0
//	Out2_i = CBC-MAC_k(Msg2[0]_i .. Msg2[NBlocks2_i-1]_i), IV = 0
//
// parent_i is the key in Parent (lane i), or the schedule Shared when it is
// not nil (one parent for all lanes, the common case of a city key).
// Messages are already padded. Out holds the full last CBC block; a MAC is its
// leftmost 4 bytes (word 0); a lane with no block yields zero. The last step
// compares: bit i of Bad is set when lane i's MAC differs from Want[i]. Every
// key schedule runs inside the call, in lockstep with the encryptions that
// need it.
//
// The second chain (Msg2, NBlocks2, Out2, Want2, Bad2) is optional: it lets
// one lane check two MACs under the same key (a purchase's MAC1 and MAC2
// under its session key), paying for the key derivation once. A lane
// without one has NBlocks2 0, yields Out2 0 and so matches Want2 0. When no
// lane < N has a second chain it costs nothing.
type Fused struct {
	N       int
	Shared  *sm4.Schedule
	Parent  Blocks
	Div     Blocks
	Session bool
	Sess    Blocks
	NBlocks [MaxLanes]uint8
	Msg     [MaxMACBlocks]Blocks
	Out     Blocks
	// Want holds the expected MAC of each lane (word 0 of its Out).
	Want [MaxLanes]uint32
	// Bad is set by Run: bit i (i < N) when Out.W[0][i] != Want[i]. The
	// comparison takes the same time whatever the values.
	Bad uint64

	// NBlocks2, Msg2, Out2: the optional second chain of each lane, laid
	// out as NBlocks, Msg and Out.
	NBlocks2 [MaxLanes]uint8
	Msg2     [MaxMACBlocks]Blocks
	Out2     Blocks
	// Want2 holds the expected MAC of each lane's second chain.
	Want2 [MaxLanes]uint32
	// Bad2 is set by Run: bit i (i < N) when Out2.W[0][i] != Want2[i].
	Bad2 uint64
}
