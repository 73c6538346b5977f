//go:build amd64

// Command ubench measures the issue rate of the AVX-512 instructions of the
// SM4 lane kernels on this CPU, alone and mixed: each loop body holds the
// instructions over 12 independent register chains (Z0..Z11), so latency is
// hidden and the rate is the CPU's throughput. The last rows are the cipher
// round of the kernels (ten dependent operations, no memory access) over 1
// to 12 independent chains: with one chain the rate gives the round's
// latency, and the chain count where it levels off is how many groups of
// lanes a kernel must interleave (the kernels run four). Needs AVX-512 and
// GFNI.
//
//	cd asm/_gen && go run ./ubench
//
// The clock is estimated with a chain of dependent 64-bit multiplies
// (3 cycles each on current x86 cores).
package main

import (
	"fmt"
	"time"
)

//go:noescape
func loop0(n int)

//go:noescape
func loop1(n int)

//go:noescape
func loop2(n int)

//go:noescape
func loop3(n int)

//go:noescape
func loop4(n int)

//go:noescape
func loop5(n int)

//go:noescape
func loop6(n int)

//go:noescape
func loop7(n int)

//go:noescape
func loop8(n int)

//go:noescape
func loop9(n int)

//go:noescape
func loop10(n int)

//go:noescape
func loop11(n int)

//go:noescape
func loop12(n int)

//go:noescape
func loop13(n int)

//go:noescape
func loop14(n int)

//go:noescape
func loop15(n int)

//go:noescape
func loop16(n int)

//go:noescape
func loop17(n int)

//go:noescape
func loop18(n int)

//go:noescape
func loop19(n int)

//go:noescape
func loop20(n int)

var loops = []struct {
	name string
	fn   func(int)
	ops  int // instructions per iteration
}{
	{"xor", loop0, 12},
	{"ternlog", loop1, 12},
	{"affine", loop2, 12},
	{"affineinv", loop3, 12},
	{"shuffle", loop4, 12},
	{"rotate", loop5, 12},
	{"affine+rotate", loop6, 24},
	{"affine+shuffle", loop7, 24},
	{"shuffle+rotate", loop8, 24},
	{"round, 1 chain", loop9, 120},
	{"round, 2 chains", loop10, 120},
	{"round, 4 chains", loop11, 120},
	{"round, 6 chains", loop12, 120},
	{"round, 8 chains", loop13, 80},
	{"round, 12 chains", loop14, 120},
	{"kernel round, 4 groups", loop15, 160},
	{"memory round, 4 groups", loop16, 160},
	{"memory round, 6 groups", loop17, 240},
	{"memory round, 8 groups", loop18, 320},
	{"lockstep, 4 groups", loop19, 288},
	{"memory lockstep, 8 groups", loop20, 576},
}

var sink uint64

// ghz estimates the clock frequency in GHz.
func ghz() float64 {
	const n = 10_000_000
	best := 0.0
	for k := 0; k < 5; k++ {
		t := time.Now()
		x := uint64(3)
		for i := 0; i < n; i++ {
			x *= x
		}
		sink += x
		best = max(best, 3*n/float64(time.Since(t).Nanoseconds()))
	}
	return best
}

func main() {
	f := ghz()
	fmt.Printf("clock ≈ %.2f GHz\n", f)
	const n = 500_000
	for _, l := range loops {
		best := time.Duration(1 << 62)
		for k := 0; k < 5; k++ {
			t := time.Now()
			l.fn(n)
			best = min(best, time.Since(t))
		}
		cycles := float64(best.Nanoseconds()) * f
		fmt.Printf("%-16s %.2f instructions a cycle\n", l.name, float64(n*l.ops)/cycles)
	}
}
