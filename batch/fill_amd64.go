//go:build amd64 && !purego

package batch

import (
	"github.com/klauspost/cpuid/v2"
	"golang.org/x/sys/cpu"
)

// hasFill512 reports whether fillTAC512 can run: AVX-512 F, BW and VL for
// the gathers and the masked byte stores, BMI2 for BZHI.
var hasFill512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasBMI2

// hasFillTranspose reports whether fillTAC512 can take its transposed path
// (VPERMB: AVX512_VBMI).
var hasFillTranspose = hasFill512 && cpu.X86.HasAVX512VBMI && cpuid.CPU.Supports(cpuid.AVX512VBMI)

// fillTranspose selects the transposed path of fillTAC512 wherever the
// CPU has VBMI. Zen 4's 512-bit gathers are slow (the twelve gathers of a
// step took about 85 % of the filler's time): BenchmarkVerifyFill 22.2 ns
// with gathers, 19.9 with the transpose. On an Intel Xeon (Emerald Rapids)
// the two were close, the transpose ahead in three runs of four
// (BenchmarkFill 3.6-4.5 against 4.0-4.9 ns a record). Tests switch it.
var fillTranspose = hasFillTranspose

// fillTAC512 is fillTAC in AVX-512, 16 records per step: it fills lanes
// lane.. of a's batch from the leading records of recs[:n] that match the
// route (header and a valid date and time), and returns how many it took.
// Lane lane+k holds record base+k. n must be at most MaxLanes-lane.
//
//go:noescape
func fillTAC512(a *tacFill, recs *Record, n, lane, base int) int
