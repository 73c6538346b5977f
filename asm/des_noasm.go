//go:build purego || !amd64

package asm

// Without assembly only the generic DES lanes exist.

const hasDESAVX512, hasDESAVX2 = false, false

func desFusedAVX512(*DESFused) { panic("asm: unreachable") }

func desScheduleOne(*[2][desSchedLen]uint32, *[16]byte) bool { return false }

func desUseAVX2() bool { return false }

func desFusedAVX2(*[4]*DESFused) { panic("asm: unreachable") }
