//go:build !amd64 || purego

package batch

const hasFill512 = false

const hasFillTranspose = false

var fillTranspose = false

func fillTAC512(*tacFill, *Record, int, int, int) int { panic("batch: no fillTAC512 on this platform") }
