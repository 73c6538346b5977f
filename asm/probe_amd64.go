//go:build amd64 && !purego

package asm

// Stack probes for the tests of the large-scratch kernels (probe_amd64.s):
// each runs its kernel on the 15 argument words in args and returns how many
// 8-byte words of the kernel's n-byte frame the kernel left neither
// untouched (v) nor zero. Test support only; never called by the package.

//go:noescape
func fused512Probe(args *[15]uint64, n int, v uint64) (bad int)

//go:noescape
func desFused512Probe(args *[15]uint64, n int, v uint64) (bad int)
