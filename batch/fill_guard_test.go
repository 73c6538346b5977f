//go:build linux && amd64 && !purego

package batch

import (
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestFillTAC512GuardPage puts the last record of every run length 1..17
// against an inaccessible page: fillTAC512 must read nothing past the
// records it is given (on either load path), which a value test cannot see.
func TestFillTAC512GuardPage(t *testing.T) {
	if !hasFill512 {
		t.Skip("fillTAC512 did not run: this CPU (or build) lacks AVX-512 F/BW/VL and BMI2")
	}
	page := os.Getpagesize()
	mem, err := unix.Mmap(-1, 0, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	defer unix.Munmap(mem)
	if err := unix.Mprotect(mem[page:], unix.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	_, src := benchPurchaseTAC(17)
	fr := &fastRoute{hdr: header(&src[0]), m: &master{}, t: 0x06}
	size := int(unsafe.Sizeof(Record{}))
	for n := 1; n <= len(src); n++ {
		recs := unsafe.Slice((*Record)(unsafe.Pointer(&mem[page-n*size])), n)
		copy(recs, src)
		for _, tr := range []bool{false, true} {
			if tr && !hasFillTranspose {
				continue
			}
			lb := new(laneBatch)
			var a tacFill
			a.set(lb, fr)
			a.transpose = 0
			if tr {
				a.transpose = 1
			}
			if k := fillTAC512(&a, &recs[0], n, 0, 0); k != n {
				t.Fatalf("n=%d transpose=%v: took %d records", n, tr, k)
			}
		}
	}
}
