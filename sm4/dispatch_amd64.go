//go:build amd64 && !purego

package sm4

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

//go:generate go run _asm/gen.go -out sm4_amd64.s

//go:noescape
func encGFNI(c *gfniConsts, s *Schedule, dst, src *[BlockSize]byte)

//go:noescape
func decGFNI(c *gfniConsts, s *Schedule, dst, src *[BlockSize]byte)

//go:noescape
func keyGFNI(c *gfniConsts, s *Schedule, key *[KeySize]byte)

//go:noescape
func initEncGFNI(c *gfniConsts, s *Schedule, key *[KeySize]byte, dst, src *[BlockSize]byte)

//go:noescape
func encGFNI512(c *gfniConsts, s *Schedule, dst, src *[BlockSize]byte)

//go:noescape
func decGFNI512(c *gfniConsts, s *Schedule, dst, src *[BlockSize]byte)

//go:noescape
func keyGFNI512(c *gfniConsts, s *Schedule, key *[KeySize]byte)

//go:noescape
func initEncGFNI512(c *gfniConsts, s *Schedule, key *[KeySize]byte, dst, src *[BlockSize]byte)

//go:noescape
func encAES(c *aesConsts, s *Schedule, dst, src *[BlockSize]byte)

//go:noescape
func decAES(c *aesConsts, s *Schedule, dst, src *[BlockSize]byte)

//go:noescape
func keyAES(c *aesConsts, s *Schedule, key *[KeySize]byte)

// Which paths this CPU can run, fixed at init. The GFNI kernels are
// VEX-encoded (AVX + GFNI); their "512" twins also use the AVX-512VL
// VPTERNLOGD for the XOR trees, which takes load off the vector ports (about
// 40% faster on Sapphire Rapids). The AES-NI kernels use legacy SSE encoding.
var (
	hasGFNI    = cpuid.CPU.Supports(cpuid.GFNI, cpuid.AVX, cpuid.SSSE3)
	hasGFNI512 = hasGFNI && cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VL)
	hasAES     = cpuid.CPU.Supports(cpuid.AESNI, cpuid.SSSE3, cpuid.SSE2)
)

// The path in use. At most one of useGFNI and useAES is true; both false
// means generic. useTern picks the AVX-512VL twin of the GFNI kernels.
var useGFNI, useAES, useTern bool

func init() {
	g := &theAlgebra
	if g.d != immD || g.kEnc != immKEnc || g.kKey != immKKey {
		panic("sm4: assembly immediates do not match the derived constants")
	}
	gfniTab = buildGFNI(g)
	aesTab = buildAES(g)
	// Legacy-SSE memory operands must be 16-byte aligned; heap objects of
	// this size always are, but check rather than assume.
	if !aligned16(unsafe.Pointer(aesTab)) {
		hasAES = false
	}
	useGFNI = hasGFNI
	useTern = hasGFNI512
	useAES = !useGFNI && hasAES
}

func expandKey(s *Schedule, key *[KeySize]byte) {
	raceRead(key)
	raceWrite(s)
	if useGFNI && useTern {
		keyGFNI512(gfniTab, s, key)
	} else if useGFNI {
		keyGFNI(gfniTab, s, key)
	} else if useAES {
		keyAES(aesTab, s, key)
	} else {
		expandKeyGeneric(s, key)
	}
}

func encryptBlock(s *Schedule, dst, src *[BlockSize]byte, decrypt bool) {
	raceRead(s)
	raceRead(src)
	raceWrite(dst)
	switch {
	case useGFNI && useTern && !decrypt:
		encGFNI512(gfniTab, s, dst, src)
	case useGFNI && useTern:
		decGFNI512(gfniTab, s, dst, src)
	case useGFNI && !decrypt:
		encGFNI(gfniTab, s, dst, src)
	case useGFNI:
		decGFNI(gfniTab, s, dst, src)
	case useAES && !decrypt:
		encAES(aesTab, s, dst, src)
	case useAES:
		decAES(aesTab, s, dst, src)
	default:
		encryptBlockGeneric(s, dst, src, decrypt)
	}
}

func initEncrypt(s *Schedule, key *[KeySize]byte, dst, src *[BlockSize]byte) {
	raceRead(key)
	raceRead(src)
	raceWrite(s)
	raceWrite(dst)
	if useGFNI && useTern {
		initEncGFNI512(gfniTab, s, key, dst, src)
		return
	}
	if useGFNI {
		initEncGFNI(gfniTab, s, key, dst, src)
		return
	}
	expandKey(s, key)
	encryptBlock(s, dst, src, false)
}

// Impl names the implementation in use: "gfni" (GFNI assembly), "aesni"
// (AES-NI assembly) or "generic" (portable Go); all three are constant-time.
func Impl() string {
	switch {
	case useGFNI:
		return "gfni"
	case useAES:
		return "aesni"
	}
	return "generic"
}

// SetImpl selects the implementation by the name Impl reports. It exists
// for tests and benchmarks and is not safe to call concurrently with any
// other use of the package. It returns ErrUnsupported, leaving the choice
// unchanged, when the CPU cannot run the named path.
func SetImpl(name string) error {
	switch name {
	case "gfni":
		if !hasGFNI {
			return ErrUnsupported
		}
		useGFNI, useAES, useTern = true, false, hasGFNI512
	case "aesni":
		if !hasAES {
			return ErrUnsupported
		}
		useGFNI, useAES = false, true
	case "generic":
		useGFNI, useAES = false, false
	default:
		return ErrUnsupported
	}
	return nil
}

// Impls lists the implementations this CPU can run, fastest first.
func Impls() []string {
	var l []string
	if hasGFNI {
		l = append(l, "gfni")
	}
	if hasAES {
		l = append(l, "aesni")
	}
	return append(l, "generic")
}
