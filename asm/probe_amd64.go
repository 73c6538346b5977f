//go:build amd64 && !purego

package asm

// The kernels kernelProbe can run.
const (
	probeFused512 = iota
	probeDESFused512
	probeExpand512x2
	probeEncrypt512x2
)

// kernelProbe runs a kernel that keeps key material in its stack frame on
// the 15 argument words at args and returns how many 8-byte words of the
// kernel's n-byte frame it left neither untouched (v) nor zero
// (probe_amd64.s). Test support only; never called by the package.
//
//go:noescape
func kernelProbe(kernel int, args *[15]uint64, n int, v uint64) (bad int)
