//go:build race

package batch

import (
	"runtime"
	"unsafe"
)

// The race detector does not see memory touched by assembly: tell it.

func raceRead[T any](p *T, n int) {
	runtime.RaceReadRange(unsafe.Pointer(p), n*int(unsafe.Sizeof(*p)))
}

func raceWrite[T any](p *T, n int) {
	runtime.RaceWriteRange(unsafe.Pointer(p), n*int(unsafe.Sizeof(*p)))
}
