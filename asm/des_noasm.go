//go:build purego || !amd64

package asm

// Without assembly only the generic DES lanes exist.

const hasDESAVX512 = false

func desFusedAVX512(*DESFused) { panic("asm: unreachable") }

func desScheduleOne(*[2][desSchedLen]uint32, *[16]byte) bool { return false }
