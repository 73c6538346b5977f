//go:build amd64 && !purego && race

package sm4

import (
	"runtime"
	"unsafe"
)

// The race detector does not see memory touched by assembly: tell it.

func raceRead[T any](p *T) {
	runtime.RaceReadRange(unsafe.Pointer(p), int(unsafe.Sizeof(*p)))
}

func raceWrite[T any](p *T) {
	runtime.RaceWriteRange(unsafe.Pointer(p), int(unsafe.Sizeof(*p)))
}
