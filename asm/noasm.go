//go:build purego || !amd64

package asm

// Without assembly (other architectures, or the purego build tag) only the
// generic path exists.

var hasAVX2, hasAVX512GFNI bool

func expandKeysAVX2(*Keys, *Blocks, int)       { panic("asm: unreachable") }
func encryptAVX2(*Blocks, *Keys, *Blocks, int) { panic("asm: unreachable") }
func cbcmacAVX2(*Blocks, *Keys, *[MaxMACBlocks]Blocks, *[MaxLanes]uint8, int) {
	panic("asm: unreachable")
}
func fusedAVX2(*Fused)                           { panic("asm: unreachable") }
func expandKeysAVX512(*Keys, *Blocks, int)       { panic("asm: unreachable") }
func encryptAVX512(*Blocks, *Keys, *Blocks, int) { panic("asm: unreachable") }
func cbcmacAVX512(*Blocks, *Keys, *[MaxMACBlocks]Blocks, *[MaxLanes]uint8, int) {
	panic("asm: unreachable")
}
func fusedAVX512(*Fused) { panic("asm: unreachable") }
func expandKeysAVX512x2(*Keys, *Keys, *Blocks, *Blocks, int) {
	panic("asm: unreachable")
}
func encryptAVX512x2(*Blocks, *Blocks, *Keys, *Keys, *Blocks, *Blocks, int) {
	panic("asm: unreachable")
}
