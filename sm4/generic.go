package sm4

import "math/bits"

// The portable implementation. It evaluates the S-box arithmetically on four
// bytes at once (SWAR in a uint32): S(x) = A·(A·x ⊕ C)⁻¹ ⊕ C over
// GF(2^8) mod x^8+x^7+x^6+x^5+x^4+x^2+1, with the inverse computed as x^254.
// Every step is a fixed sequence of shifts, ANDs and XORs: no table lookups,
// no branches on data. It is slow (about 350 operations a round) but
// constant-time; amd64 uses assembly instead.

const lanes = 0x01010101

// linear applies the GF(2)-linear byte map whose images of the unit vectors
// are cols to each byte of x.
func linear(x uint32, cols *[8]uint32) uint32 {
	var y uint32
	for j := 0; j < 8; j++ {
		m := ((x >> j) & lanes) * 0xff
		y ^= m & cols[j]
	}
	return y
}

// gmul multiplies four field elements lane by lane.
func gmul(a, b uint32) uint32 {
	var r uint32
	for i := 0; i < 8; i++ {
		r ^= a & (((b >> i) & lanes) * 0xff)
		a = ((a & 0x7f7f7f7f) << 1) ^ (((a >> 7) & lanes) * 0xf5)
	}
	return r
}

// Column tables, each byte replicated into the four lanes.
var affineCols, sq1Cols, sq4Cols [8]uint32

func init() {
	for j := 0; j < 8; j++ {
		e := uint32(1) << j
		affineCols[j] = affineByte(e) * lanes
		s := gmulByte(e, e)
		sq1Cols[j] = s * lanes
		t := e
		for k := 0; k < 4; k++ {
			t = gmulByte(t, t)
		}
		sq4Cols[j] = t * lanes
	}
}

func gmulByte(a, b uint32) uint32 { return gmul(a, b) & 0xff }

// affineByte is the linear part A of the S-box affine map on one byte:
// bit i of the result is the parity of rotl8(0xa7, i) & x.
func affineByte(x uint32) uint32 {
	var y uint32
	for i := 0; i < 8; i++ {
		r := uint32(bits.RotateLeft8(0xa7, i))
		y |= uint32(bits.OnesCount32(r&x)&1) << i
	}
	return y
}

// sbox4 applies the SM4 S-box to each byte of x.
func sbox4(x uint32) uint32 {
	x = linear(x, &affineCols) ^ 0xd3d3d3d3
	x2 := linear(x, &sq1Cols)
	x3 := gmul(x2, x)
	x6 := linear(x3, &sq1Cols)
	x12 := linear(x6, &sq1Cols)
	x15 := gmul(x12, x3)
	x14 := gmul(x12, x2)
	x240 := linear(x15, &sq4Cols)
	inv := gmul(x240, x14) // x^254; 0 maps to 0
	return linear(inv, &affineCols) ^ 0xd3d3d3d3
}

func tEnc(x uint32) uint32 {
	b := sbox4(x)
	return b ^ bits.RotateLeft32(b, 2) ^ bits.RotateLeft32(b, 10) ^
		bits.RotateLeft32(b, 18) ^ bits.RotateLeft32(b, 24)
}

func tKey(x uint32) uint32 {
	b := sbox4(x)
	return b ^ bits.RotateLeft32(b, 13) ^ bits.RotateLeft32(b, 23)
}

func expandKeyGeneric(s *Schedule, key *[KeySize]byte) {
	k0, k1, k2, k3 := load(key)
	k0 ^= fk[0]
	k1 ^= fk[1]
	k2 ^= fk[2]
	k3 ^= fk[3]
	for i := 0; i < 32; i += 4 {
		k0 ^= tKey(k1 ^ k2 ^ k3 ^ ck[i])
		s[i] = k0
		k1 ^= tKey(k2 ^ k3 ^ k0 ^ ck[i+1])
		s[i+1] = k1
		k2 ^= tKey(k3 ^ k0 ^ k1 ^ ck[i+2])
		s[i+2] = k2
		k3 ^= tKey(k0 ^ k1 ^ k2 ^ ck[i+3])
		s[i+3] = k3
	}
}

func encryptBlockGeneric(s *Schedule, dst, src *[BlockSize]byte, decrypt bool) {
	x0, x1, x2, x3 := load(src)
	for i := 0; i < 32; i += 4 {
		r0, r1, r2, r3 := s[i], s[i+1], s[i+2], s[i+3]
		if decrypt {
			r0, r1, r2, r3 = s[31-i], s[30-i], s[29-i], s[28-i]
		}
		x0 ^= tEnc(x1 ^ x2 ^ x3 ^ r0)
		x1 ^= tEnc(x2 ^ x3 ^ x0 ^ r1)
		x2 ^= tEnc(x3 ^ x0 ^ x1 ^ r2)
		x3 ^= tEnc(x0 ^ x1 ^ x2 ^ r3)
	}
	store(dst, x3, x2, x1, x0)
}
