//go:build amd64 && !purego

package sm4

import (
	"math/bits"
	"unsafe"
)

// This file derives, at init, every constant the assembly uses. Nothing here
// is a table indexed by secret data: the tables are matrices for
// GF2P8AFFINE(INV)QB, PSHUFB permutation masks with fixed indices, and the
// 16-entry nibble tables the AES-NI path reads with PSHUFB, which selects
// inside a register and never touches memory with a secret address.
//
// # The algebra
//
// The SM4 S-box is S(z) = A·inv_F(A·z ⊕ c) ⊕ c over F = GF(2)[t]/(0x1F5),
// c = 0xd3. GF2P8AFFINEINVQB and AESENCLAST invert in G = GF(2)[t]/(0x11B).
// With φ: F → G a field isomorphism (an 8×8 bit matrix), inv_F = φ⁻¹∘inv_G∘φ,
// so S(z) = A·φ⁻¹·inv_G(M·z ⊕ d) ⊕ c with M = φ·A and d = φ(c).
//
// The assembly keeps every state word X in "M-basis", Y = M·X byte by byte.
// XOR commutes with M, so the S-box input of a round is
// y = Y1 ⊕ Y2 ⊕ Y3 ⊕ (M·rk ⊕ d) and needs no input transform. The linear
// map L (or L' in the key schedule) is a sum of 32-bit rotations; split by
// byte, M·L(A·φ⁻¹·v) = Σ_r rot_r(N_r·v) where rot_r rotates left by 8r bits
// and each N_r is an 8×8 matrix acting on each byte of v = inv_G(y). The
// constant part, M·L(c,c,c,c), is the same byte in every position (K).
//
// GFNI path ("layout" form): a state word w sits in an XMM register as
// [rot_0 w, rot_1 w, rot_2 w, rot_3 w] (dword s holds rot_s w). Feeding
// PSHUFD(y, k) (dword s = rot_{s+k} y) to GF2P8AFFINEINVQB with matrix N_k
// gives dword s = rot_{s+k}(N_k·v); the XOR of the four results for k = 0..3
// is the layout form of M·L(S-box output). A round is one PSHUFD level, four
// independent GF2P8AFFINEINVQB and a XOR tree: no rotate, no separate affine
// step on the dependency chain.
//
// AES-NI path ("broadcast" form): a state word sits in all four dwords, which
// ShiftRows leaves in place, so AESENCLAST with a zero round key yields
// A_aes·inv_G(y) ⊕ 0x63 in every byte. Each N_r·A_aes⁻¹ is applied with two
// PSHUFB nibble lookups, rotated by a PSHUFB, and the four terms XORed.

// mat8 is an 8×8 bit matrix given by its columns: col[j] is the image of 1<<j.
type mat8 [8]byte

func (m *mat8) apply(x byte) byte {
	var y byte
	for j := 0; j < 8; j++ {
		if x>>j&1 != 0 {
			y ^= m[j]
		}
	}
	return y
}

func matOf(f func(byte) byte) (m mat8) {
	for j := range m {
		m[j] = f(1 << j)
	}
	return
}

// qword encodes m as the 64-bit matrix operand of GF2P8AFFINEQB: bit i of a
// result byte is the parity of (byte 7-i of the operand) AND x.
func (m *mat8) qword() uint64 {
	var q uint64
	for i := 0; i < 8; i++ {
		var row byte
		for j := 0; j < 8; j++ {
			row |= (m[j] >> i & 1) << j
		}
		q |= uint64(row) << (8 * (7 - i))
	}
	return q
}

// gfMulPoly multiplies in GF(2)[t] modulo poly (degree 8).
func gfMulPoly(a, b byte, poly uint) byte {
	var r uint
	x := uint(a)
	for i := 0; i < 8; i++ {
		if b>>i&1 != 0 {
			r ^= x
		}
		x <<= 1
		if x&0x100 != 0 {
			x ^= poly
		}
	}
	return byte(r)
}

func gfInvPoly(x byte, poly uint) byte {
	r := byte(1)
	for i := 0; i < 254; i++ {
		r = gfMulPoly(r, x, poly)
	}
	return r
}

const (
	polyF = 0x1F5 // SM4 S-box field
	polyG = 0x11B // AES field
	sboxC = 0xd3
)

// phiMat returns the isomorphism F → G mapping t to the smallest root of
// polyF in G.
func phiMat() mat8 {
	for g := 2; g < 256; g++ {
		// Evaluate polyF at g in G.
		var acc, p byte = 0, 1
		for k := 0; k <= 8; k++ {
			if polyF>>k&1 != 0 {
				acc ^= p
			}
			p = gfMulPoly(p, byte(g), polyG)
		}
		if acc != 0 {
			continue
		}
		var m mat8
		p = 1
		for k := 0; k < 8; k++ {
			m[k] = p
			p = gfMulPoly(p, byte(g), polyG)
		}
		return m
	}
	panic("sm4: no root of the S-box polynomial in GF(2^8)/0x11B")
}

func invMat(m mat8) mat8 {
	var inv [256]byte
	for x := 0; x < 256; x++ {
		inv[m.apply(byte(x))] = byte(x)
	}
	return matOf(func(x byte) byte { return inv[x] })
}

func rot32(w uint32, r int) uint32 { return bits.RotateLeft32(w, 8*r) }

func lEnc(b uint32) uint32 {
	return b ^ bits.RotateLeft32(b, 2) ^ bits.RotateLeft32(b, 10) ^
		bits.RotateLeft32(b, 18) ^ bits.RotateLeft32(b, 24)
}

func lKey(b uint32) uint32 {
	return b ^ bits.RotateLeft32(b, 13) ^ bits.RotateLeft32(b, 23)
}

func mapBytes(w uint32, f func(byte) byte) uint32 {
	return uint32(f(byte(w))) | uint32(f(byte(w>>8)))<<8 |
		uint32(f(byte(w>>16)))<<16 | uint32(f(byte(w>>24)))<<24
}

// algebra holds the matrices shared by both paths.
type algebra struct {
	a, phi, phiInv, m, mInv mat8
	d                       byte
	nEnc, nKey              [4]mat8 // N_r for L and L'
	kEnc, kKey              byte    // M·L(c,c,c,c), one byte
}

func deriveAlgebra() (g algebra) {
	g.a = matOf(func(x byte) byte { return byte(affineByte(uint32(x))) })
	g.phi = phiMat()
	g.phiInv = invMat(g.phi)
	g.m = matOf(func(x byte) byte { return g.phi.apply(g.a.apply(x)) })
	g.mInv = invMat(g.m)
	g.d = g.phi.apply(sboxC)
	split := func(l func(uint32) uint32) (n [4]mat8, k byte) {
		for r := 0; r < 4; r++ {
			n[r] = matOf(func(e byte) byte {
				b := uint32(g.a.apply(g.phiInv.apply(e)))
				return byte(mapBytes(l(b), g.m.apply) >> (8 * r))
			})
		}
		k = byte(mapBytes(l(sboxC*lanes), g.m.apply))
		return
	}
	g.nEnc, g.kEnc = split(lEnc)
	g.nKey, g.kKey = split(lKey)
	return
}

// Immediates baked into the assembly (see _asm/gen.go); init in
// dispatch_amd64.go checks them against the algebra.
const (
	immD    = 0x3e // d = φ(0xd3)
	immKEnc = 0x63 // M·L(c,c,c,c), one byte
	immKKey = 0xc5 // M·L'(c,c,c,c), one byte
)

type vec [16]byte

func dup64(q uint64) (v vec) {
	for i := 0; i < 16; i++ {
		v[i] = byte(q >> (8 * (i % 8)))
	}
	return
}

func splat(b byte) (v vec) {
	for i := range v {
		v[i] = b
	}
	return
}

func layoutWord(w uint32) (v vec) {
	for s := 0; s < 4; s++ {
		x := rot32(w, s)
		for t := 0; t < 4; t++ {
			v[4*s+t] = byte(x >> (8 * t))
		}
	}
	return
}

func bcastWord(w uint32) (v vec) {
	for s := 0; s < 4; s++ {
		for t := 0; t < 4; t++ {
			v[4*s+t] = byte(w >> (8 * t))
		}
	}
	return
}

func xorVec(a, b vec) (v vec) {
	for i := range v {
		v[i] = a[i] ^ b[i]
	}
	return
}

func mapVec(a vec, m *mat8) (v vec) {
	for i := range v {
		v[i] = m.apply(a[i])
	}
	return
}

// gfniConsts is read by the GFNI assembly; field offsets are fixed there.
type gfniConsts struct {
	nEnc   [4]vec  // 0: N_r matrices for L, qword twice
	nKey   [4]vec  // 64: N_r matrices for L'
	m      vec     // 128: M
	mInv   vec     // 144: M⁻¹
	load   [4]vec  // 160: PSHUFB masks, big-endian word j of a block -> layout
	rkMask vec     // 224: PSHUFB mask, dword 0 -> layout
	bswap  vec     // 240: PSHUFB mask, byte-swap each dword
	d      vec     // 256: d in every byte
	fk     [4]vec  // 272: layout(M·FK_j)
	ck     [32]vec // 336: layout(M·CK_i) ⊕ d
}

// aesConsts is read by the AES-NI assembly; field offsets are fixed there.
type aesConsts struct {
	encLo, encHi [4]vec  // 0, 64: nibble tables of N_r·A_aes⁻¹ (+ constant in encLo[0])
	keyLo, keyHi [4]vec  // 128, 192
	mLo, mHi     vec     // 256, 272: nibble tables of M·x ⊕ d
	mInvLo       vec     // 288: nibble tables of M⁻¹
	mInvHi       vec     // 304
	rot          [4]vec  // 320: PSHUFB masks rotating each dword left by 8r bits
	load         [4]vec  // 384: PSHUFB masks, big-endian word j -> broadcast
	bswap        vec     // 448
	low4         vec     // 464: 0x0f in every byte
	d            vec     // 480
	fk           [4]vec  // 496: bcast(M·FK_j)
	ck           [32]vec // 560: bcast(M·CK_i) ⊕ d
}

var (
	gfniTab *gfniConsts
	aesTab  *aesConsts
)

func pshufbMask(f func(i int) int) (v vec) {
	for i := range v {
		v[i] = byte(f(i))
	}
	return
}

func buildGFNI(g *algebra) *gfniConsts {
	c := new(gfniConsts)
	for r := 0; r < 4; r++ {
		c.nEnc[r] = dup64(g.nEnc[r].qword())
		c.nKey[r] = dup64(g.nKey[r].qword())
	}
	c.m = dup64(g.m.qword())
	c.mInv = dup64(g.mInv.qword())
	for j := 0; j < 4; j++ {
		// layout byte 4s+t = byte (t-s)&3 of word j; byte u of the word
		// (little-endian) is block byte 4j+3-u.
		c.load[j] = pshufbMask(func(i int) int { return 4*j + 3 - ((i%4 - i/4) & 3) })
	}
	c.rkMask = pshufbMask(func(i int) int { return (i%4 - i/4) & 3 })
	c.bswap = pshufbMask(func(i int) int { return i&^3 | (3 - i&3) })
	c.d = splat(g.d)
	for j := 0; j < 4; j++ {
		c.fk[j] = mapVec(layoutWord(fk[j]), &g.m)
	}
	for i := 0; i < 32; i++ {
		c.ck[i] = xorVec(mapVec(layoutWord(ck[i]), &g.m), c.d)
	}
	return c
}

func nibbleTables(f func(byte) byte) (lo, hi vec) {
	z := f(0)
	for n := 0; n < 16; n++ {
		lo[n] = f(byte(n))
		hi[n] = f(byte(n<<4)) ^ z
	}
	return
}

func buildAES(g *algebra) *aesConsts {
	c := new(aesConsts)
	aes := matOf(func(x byte) byte { // linear part of the AES S-box affine map
		var y byte
		for i := 0; i < 8; i++ {
			b := x>>i ^ x>>((i+4)%8) ^ x>>((i+5)%8) ^ x>>((i+6)%8) ^ x>>((i+7)%8)
			y |= (b & 1) << i
		}
		return y
	})
	aesInv := invMat(aes)
	// o = A_aes·v ⊕ 0x63, so v = A_aes⁻¹·o ⊕ A_aes⁻¹·0x63.
	v0 := aesInv.apply(0x63)
	tables := func(n *[4]mat8, k byte, lo, hi *[4]vec) {
		var kk byte = k
		for r := 0; r < 4; r++ {
			q := matOf(func(x byte) byte { return n[r].apply(aesInv.apply(x)) })
			kk ^= n[r].apply(v0)
			lo[r], hi[r] = nibbleTables(q.apply)
		}
		for i := range lo[0] {
			lo[0][i] ^= kk
		}
	}
	tables(&g.nEnc, g.kEnc, &c.encLo, &c.encHi)
	tables(&g.nKey, g.kKey, &c.keyLo, &c.keyHi)
	c.mLo, c.mHi = nibbleTables(func(x byte) byte { return g.m.apply(x) ^ g.d })
	c.mInvLo, c.mInvHi = nibbleTables(g.mInv.apply)
	for r := 0; r < 4; r++ {
		c.rot[r] = pshufbMask(func(i int) int { return i&^3 | (i-r)&3 })
	}
	for j := 0; j < 4; j++ {
		c.load[j] = pshufbMask(func(i int) int { return 4*j + 3 - i%4 })
	}
	c.bswap = pshufbMask(func(i int) int { return i&^3 | (3 - i&3) })
	c.low4 = splat(0x0f)
	c.d = splat(g.d)
	for j := 0; j < 4; j++ {
		c.fk[j] = mapVec(bcastWord(fk[j]), &g.m)
	}
	for i := 0; i < 32; i++ {
		c.ck[i] = xorVec(mapVec(bcastWord(ck[i]), &g.m), c.d)
	}
	return c
}

var theAlgebra = deriveAlgebra()

func aligned16(p unsafe.Pointer) bool { return uintptr(p)%16 == 0 }
