//go:build amd64 && !purego

package asm

import (
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"testing"
	"unsafe"

	"github.com/sscard/sscard/sm4"
)

// scratchSink keeps the probes' kernel arguments reachable on the heap,
// where no stack copy moves them: the probes take them as plain words.
var scratchSink []any

// word returns the address p as an argument word of a probe.
func word[T any](p *T) uint64 { return uint64(uintptr(unsafe.Pointer(p))) }

// frameSize returns the local frame size of the assembly function name,
// read from its TEXT line in file.
func frameSize(t *testing.T, file, name string) int {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TEXT ·` + name + `\(SB\), [^,]+, \$(\d+)-\d+$`).FindSubmatch(src)
	if m == nil {
		t.Fatalf("no TEXT line for %s in %s", name, file)
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil || n < 1024 || n%8 != 0 {
		t.Fatalf("%s: frame size %q", name, m[1])
	}
	return n
}

// TestScratchWiped runs the kernels that keep key material in a stack
// scratch (fused512: the round keys, card and session keys of 64 lanes;
// desFused512: the DES schedules; expandKeys512x2: the first key words;
// encrypt512x2: the cipher states) through a probe that paints their frame
// before the call and reads it back after: every word must be either
// untouched or zero, on every shape of call (shared parent or not, session
// key or not, MAC chains of every length, second chain or not, partial
// second batch), since each shape leaves the kernel by its own path. The
// outputs are checked against the reference, so that the probe is known to
// have run the kernel.
func TestScratchWiped(t *testing.T) {
	// A collection could shrink the stack between the paint and the read;
	// none runs while the probes do.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	r := kRand(t)
	t.Run("fused512", func(t *testing.T) {
		if !hasAVX512GFNI || !available(implAVX512) {
			t.Skip("CPU lacks AVX-512 with GFNI, or SSCARD_ASM rules it out")
		}
		n := frameSize(t, "sm4_amd64.s", "fused512")
		shapes := 0
		for _, shared := range []bool{false, true} {
			for _, session := range []bool{false, true} {
				for _, maxBlocks := range []int{0, 1, 2, MaxMACBlocks} {
					for _, second := range []bool{false, true} {
						f := new(Fused)
						scratchSink = append(scratchSink, f)
						f.N = 1 + r.IntN(MaxLanes)
						kRandBlocks(r, &f.Parent)
						kRandBlocks(r, &f.Div)
						kRandBlocks(r, &f.Sess)
						for b := range f.Msg {
							kRandBlocks(r, &f.Msg[b])
							kRandBlocks(r, &f.Msg2[b])
						}
						for i := range f.N {
							f.NBlocks[i] = uint8(r.IntN(maxBlocks + 1))
							if second {
								f.NBlocks2[i] = uint8(r.IntN(MaxMACBlocks + 1))
							}
						}
						f.NBlocks[r.IntN(f.N)] = uint8(maxBlocks)
						var sharedArg, parentArg, sessArg uint64
						if shared {
							var key [16]byte
							for i := range key {
								key[i] = byte(r.Uint32())
							}
							f.Shared = new(sm4.Schedule)
							f.Shared.Init(&key)
							sharedArg = word(f.Shared)
						} else {
							parentArg = word(&f.Parent)
						}
						if session {
							f.Session = true
							sessArg = word(&f.Sess)
						}
						want := *f
						refFused(&want)
						kCanaryBlocks(&f.Out)
						kCanaryBlocks(&f.Out2)
						args := [15]uint64{word(&f.Out), sharedArg, parentArg, word(&f.Div), sessArg,
							word(&f.Msg), word(&f.NBlocks), laneMask(f.N), word(&f.Want), word(&f.Bad),
							word(&f.Out2), word(&f.Msg2), word(&f.NBlocks2), word(&f.Want2), word(&f.Bad2)}
						if bad := kernelProbe(probeFused512, &args, n, r.Uint64()|1); bad != 0 {
							t.Errorf("shared=%v session=%v blocks<=%d second=%v: %d words of the %d-byte frame left written",
								shared, session, maxBlocks, second, bad, n)
						}
						kCheckBlocks(t, "fused", &f.Out, &want.Out, f.N)
						kCheckBlocks(t, "fused chain 2", &f.Out2, &want.Out2, f.N)
						shapes++
					}
				}
			}
		}
		t.Logf("%d shapes, frame %d bytes", shapes, n)
	})
	t.Run("desFused512", func(t *testing.T) {
		if !hasDESAVX512 || !available(implAVX512) {
			t.Skip("CPU lacks the AVX-512 DES kernel's features, or SSCARD_ASM rules them out")
		}
		n := frameSize(t, "des_amd64.s", "desFused512")
		shapes := 0
		for _, shared := range []bool{false, true} {
			for _, session := range []bool{false, true} {
				for k := 0; k < 4; k++ {
					f := new(DESFused)
					scratchSink = append(scratchSink, f)
					key := randDESFused(r, f, 1+r.IntN(MaxLanes), shared, session)
					var sharedArg, flags uint64
					if shared {
						if !f.Shared.hasV {
							t.Fatal("shared key without the kernel's schedule")
						}
						sharedArg = word(&f.Shared.v)
						flags |= 2
					}
					if session {
						flags |= 1
					}
					nb2 := desMaxBlocks(&f.NBlocks2, f.N)
					if nb2 == 0 {
						clear(f.Out2[:f.N])
					}
					args := [15]uint64{word(&f.Out), sharedArg, word(&f.Parent), word(&f.Div), word(&f.D8),
						word(&f.Msg), word(&f.NBlocks), laneMask(f.N), uint64(desMaxBlocks(&f.NBlocks, f.N)), flags,
						word(&f.Out2), word(&f.Msg2), word(&f.NBlocks2), uint64(nb2)}
					if bad := kernelProbe(probeDESFused512, &args, n, r.Uint64()|1); bad != 0 {
						t.Errorf("shared=%v session=%v: %d words of the %d-byte frame left written", shared, session, bad, n)
					}
					checkDESOut(t, f, &key, false)
					shapes++
				}
			}
		}
		t.Logf("%d shapes, frame %d bytes", shapes, n)
	})
	t.Run("x2", func(t *testing.T) {
		if !hasAVX512GFNI || !available(implAVX512) {
			t.Skip("CPU lacks AVX-512 with GFNI, or SSCARD_ASM rules it out")
		}
		ne := frameSize(t, "sm4_amd64.s", "expandKeys512x2")
		nc := frameSize(t, "sm4_amd64.s", "encrypt512x2")
		for _, m := range []int{1, 17, MaxLanes} {
			type x2 struct {
				keys, src, out [2]Blocks
				k              [2]Keys
			}
			x := new(x2)
			scratchSink = append(scratchSink, x)
			for b := range 2 {
				kRandBlocks(r, &x.keys[b])
				kRandBlocks(r, &x.src[b])
			}
			args := [15]uint64{word(&x.k[0]), word(&x.k[1]), word(&x.keys[0]), word(&x.keys[1]), laneMask(m)}
			if bad := kernelProbe(probeExpand512x2, &args, ne, r.Uint64()|1); bad != 0 {
				t.Errorf("expandKeys512x2, %d lanes: %d words of the %d-byte frame left written", MaxLanes+m, bad, ne)
			}
			args = [15]uint64{word(&x.out[0]), word(&x.out[1]), word(&x.k[0]), word(&x.k[1]),
				word(&x.src[0]), word(&x.src[1]), laneMask(m)}
			kCanaryBlocks(&x.out[1])
			if bad := kernelProbe(probeEncrypt512x2, &args, nc, r.Uint64()|1); bad != 0 {
				t.Errorf("encrypt512x2, %d lanes: %d words of the %d-byte frame left written", MaxLanes+m, bad, nc)
			}
			for b := range 2 {
				var k Keys
				var want Blocks
				refExpandKeys(&k, &x.keys[b], MaxLanes)
				refEncrypt(&want, &k, &x.src[b], MaxLanes)
				n := MaxLanes
				if b == 1 {
					n = m
				}
				kCheckBlocks(t, "encrypt512x2", &x.out[b], &want, n)
			}
		}
	})
}
