// Package des implements DES (FIPS PUB 46-3) and two-key triple DES (EDE)
// for the legacy PBOC 3DES family of smart-card MACs, without allocation and
// in constant time.
//
// Unlike crypto/des, nothing here allocates (the key schedules are plain
// fixed-size values) and no memory address or branch depends on the key or
// the data: the S-boxes are evaluated from register constants. Each output
// bit of each S-box is a 64-entry truth table held in one 64-bit word (a
// "bit plane"); rotating that word by the 6-bit S-box input brings the
// wanted entry to the bit position that the permutation P sends it to, so
// one rotation, one AND and one OR per output bit compute S and P together.
// Rotations by a register count take constant time on the supported
// targets. The E expansion uses 6-bit windows of the right half duplicated
// into a 64-bit word, and IP and IP^-1 are a byte swap, an 8×8 bit-matrix
// transpose and two delta swaps.
//
// DES ignores the parity bits of its keys; they are neither checked nor
// adjusted.
package des

import (
	"encoding/binary"
	"math/bits"
)

// BlockSize is the DES block size in bytes.
const BlockSize = 8

// Schedule is an expanded single-DES key: the 16 round keys, each packed
// into one word in the layout the round function uses. The zero value is
// the schedule of the all-zero key only after Init; use Init to fill it.
// It holds key material: call Wipe when done.
type Schedule [16]uint64

// Triple is an expanded two-key triple-DES key for EDE encryption
// E_KL(D_KR(E_KL(x))) with KL = key[0:8] and KR = key[8:16]. It is a plain
// value (no pointers). It holds key material: call Wipe when done.
type Triple struct {
	l, r Schedule
}

// Round constants derived from the FIPS tables at package initialisation.
var (
	// sPlane[4*i+j] is the truth table of output bit j (0 = most
	// significant) of S-box i+1, pre-rotated so that rotating it left by the
	// 6-bit S-box input x puts S(x)'s bit at the position P sends it to.
	sPlane [32]uint64
	// sMask[4*i+j] selects that position.
	sMask [32]uint64
	// keySrc[r][t] is the bit position, in the big-endian 64-bit key, of
	// the key bit that lands on bit keyDst[t] of the packed round key r.
	keySrc [16][48]uint8
	keyDst [48]uint8
)

func init() {
	// P output position (in a uint32, bit 31 = FIPS bit 1) of S-output bit n.
	var pPos [33]uint
	for t, n := range permutation {
		pPos[n] = uint(31 - t)
	}
	for i := range 8 {
		for j := range 4 {
			p := pPos[4*i+j+1]
			var plane uint64
			for m := range 64 {
				x := (int(p) - m) & 63
				if sBit(i, x, j) != 0 {
					plane |= 1 << m
				}
			}
			sPlane[4*i+j] = plane
			sMask[4*i+j] = 1 << p
		}
	}

	// Key schedule: C and D positions (0..55) of the round keys, then the
	// key bits they come from.
	shift := 0
	for r := range 16 {
		shift += int(keyShifts[r])
		for u := range 48 {
			cd := int(permutedChoice2[u]) - 1 // 0..55 in C||D of round r
			var idx int                        // index into PC-1 (C0||D0)
			if cd < 28 {
				idx = (cd + shift) % 28
			} else {
				idx = 28 + (cd-28+shift)%28
			}
			keySrc[r][u] = uint8(64 - int(permutedChoice1[idx]))
		}
	}
	for u := range 48 {
		i, b := u/6, 5-u%6
		if i%2 == 0 {
			keyDst[u] = uint8(27 - 4*i + b)
		} else {
			keyDst[u] = uint8(27 + (27-4*i+32)%32 + b)
		}
	}
}

// sBit returns output bit j (0 = most significant) of S-box i (0-based) for
// the 6-bit input x (bit 5 = first input bit b1).
func sBit(i, x, j int) uint8 {
	row := (x>>4)&2 | x&1
	col := (x >> 1) & 15
	return (sBoxes[i][16*row+col] >> (3 - j)) & 1
}

// Init expands an 8-byte DES key. Parity bits are ignored.
func (s *Schedule) Init(key *[8]byte) {
	kv := binary.BigEndian.Uint64(key[:])
	for r := range 16 {
		var k uint64
		src := &keySrc[r]
		for u := range 48 {
			k |= (kv >> src[u] & 1) << keyDst[u]
		}
		s[r] = k
	}
}

// Wipe zeroes the schedule.
func (s *Schedule) Wipe() {
	*s = Schedule{}
}

// feistel is the DES function f(R, K) with P applied. The packed round key
// k holds the 6-bit key chunks of S-boxes 1,3,5,7 at the window positions
// of r64 (R duplicated into both halves) in bits 3..32, and those of S-boxes
// 2,4,6,8, shifted left by 27, in bits 34..63.
func feistel(r uint32, k uint64) uint32 {
	r64 := uint64(r)<<32 | uint64(r)
	xe := r64 ^ k
	xo := r64 ^ k>>27
	x := int(xe >> 27)
	f := bits.RotateLeft64(sPlane[0], x)&sMask[0] | bits.RotateLeft64(sPlane[1], x)&sMask[1] |
		bits.RotateLeft64(sPlane[2], x)&sMask[2] | bits.RotateLeft64(sPlane[3], x)&sMask[3]
	x = int(xo >> 23)
	f |= bits.RotateLeft64(sPlane[4], x)&sMask[4] | bits.RotateLeft64(sPlane[5], x)&sMask[5] |
		bits.RotateLeft64(sPlane[6], x)&sMask[6] | bits.RotateLeft64(sPlane[7], x)&sMask[7]
	x = int(xe >> 19)
	f |= bits.RotateLeft64(sPlane[8], x)&sMask[8] | bits.RotateLeft64(sPlane[9], x)&sMask[9] |
		bits.RotateLeft64(sPlane[10], x)&sMask[10] | bits.RotateLeft64(sPlane[11], x)&sMask[11]
	x = int(xo >> 15)
	f |= bits.RotateLeft64(sPlane[12], x)&sMask[12] | bits.RotateLeft64(sPlane[13], x)&sMask[13] |
		bits.RotateLeft64(sPlane[14], x)&sMask[14] | bits.RotateLeft64(sPlane[15], x)&sMask[15]
	x = int(xe >> 11)
	f |= bits.RotateLeft64(sPlane[16], x)&sMask[16] | bits.RotateLeft64(sPlane[17], x)&sMask[17] |
		bits.RotateLeft64(sPlane[18], x)&sMask[18] | bits.RotateLeft64(sPlane[19], x)&sMask[19]
	x = int(xo >> 7)
	f |= bits.RotateLeft64(sPlane[20], x)&sMask[20] | bits.RotateLeft64(sPlane[21], x)&sMask[21] |
		bits.RotateLeft64(sPlane[22], x)&sMask[22] | bits.RotateLeft64(sPlane[23], x)&sMask[23]
	x = int(xe >> 3)
	f |= bits.RotateLeft64(sPlane[24], x)&sMask[24] | bits.RotateLeft64(sPlane[25], x)&sMask[25] |
		bits.RotateLeft64(sPlane[26], x)&sMask[26] | bits.RotateLeft64(sPlane[27], x)&sMask[27]
	x = int(xo >> 31)
	f |= bits.RotateLeft64(sPlane[28], x)&sMask[28] | bits.RotateLeft64(sPlane[29], x)&sMask[29] |
		bits.RotateLeft64(sPlane[30], x)&sMask[30] | bits.RotateLeft64(sPlane[31], x)&sMask[31]
	return uint32(f)
}

// initialPerm applies IP to the block read little-endian (so that the byte
// swap that starts IP is free) and returns the halves L0, R0.
func initialPerm(v uint64) (l, r uint32) {
	// v holds the 8×8 bit matrix with its rows (bytes) in reverse order;
	// transpose it.
	t := (v ^ v>>7) & 0x00AA00AA00AA00AA
	v ^= t ^ t<<7
	t = (v ^ v>>14) & 0x0000CCCC0000CCCC
	v ^= t ^ t<<14
	t = (v ^ v>>28) & 0x00000000F0F0F0F0
	v ^= t ^ t<<28
	// Bytes (most significant first) are now rows 0..7 of IP's output in
	// the order 0 1 2 3 4 5 6 7 = output bytes 4 0 5 1 6 2 7 3; unzip them.
	t = (v ^ v>>8) & 0x0000FF000000FF00
	v ^= t ^ t<<8
	t = (v ^ v>>16) & 0x00000000FFFF0000
	v ^= t ^ t<<16
	return uint32(v), uint32(v >> 32)
}

// finalPerm applies IP^-1 to the pre-output R16||L16 given as its halves
// (a = R16, b = L16) and returns the block to be written little-endian.
func finalPerm(a, b uint32) uint64 {
	v := uint64(b)<<32 | uint64(a)
	t := (v ^ v>>16) & 0x00000000FFFF0000
	v ^= t ^ t<<16
	t = (v ^ v>>8) & 0x0000FF000000FF00
	v ^= t ^ t<<8
	t = (v ^ v>>28) & 0x00000000F0F0F0F0
	v ^= t ^ t<<28
	t = (v ^ v>>14) & 0x0000CCCC0000CCCC
	v ^= t ^ t<<14
	t = (v ^ v>>7) & 0x00AA00AA00AA00AA
	v ^= t ^ t<<7
	return v
}

// encryptRounds runs the 16 rounds forward and returns (R16, L16).
func (s *Schedule) encryptRounds(l, r uint32) (uint32, uint32) {
	for i := 0; i < 16; i += 2 {
		l ^= feistel(r, s[i])
		r ^= feistel(l, s[i+1])
	}
	return r, l
}

// decryptRounds runs the 16 rounds with the round keys in reverse order.
func (s *Schedule) decryptRounds(l, r uint32) (uint32, uint32) {
	for i := 15; i > 0; i -= 2 {
		l ^= feistel(r, s[i])
		r ^= feistel(l, s[i-1])
	}
	return r, l
}

// Encrypt encrypts one block. dst and src may be the same array.
func (s *Schedule) Encrypt(dst, src *[8]byte) {
	l, r := initialPerm(binary.LittleEndian.Uint64(src[:]))
	l, r = s.encryptRounds(l, r)
	binary.LittleEndian.PutUint64(dst[:], finalPerm(l, r))
}

// Decrypt decrypts one block. dst and src may be the same array.
func (s *Schedule) Decrypt(dst, src *[8]byte) {
	l, r := initialPerm(binary.LittleEndian.Uint64(src[:]))
	l, r = s.decryptRounds(l, r)
	binary.LittleEndian.PutUint64(dst[:], finalPerm(l, r))
}

// Init expands a 16-byte two-key triple-DES key KL||KR. Parity bits are
// ignored.
func (t *Triple) Init(key *[16]byte) {
	t.l.Init((*[8]byte)(key[0:8]))
	t.r.Init((*[8]byte)(key[8:16]))
}

// Encrypt computes E_KL(D_KR(E_KL(src))). dst and src may be the same array.
// IP and IP^-1 are applied once: between the stages they cancel, leaving a
// swap of the halves.
func (t *Triple) Encrypt(dst, src *[8]byte) {
	l, r := initialPerm(binary.LittleEndian.Uint64(src[:]))
	l, r = t.l.encryptRounds(l, r)
	l, r = t.r.decryptRounds(l, r)
	l, r = t.l.encryptRounds(l, r)
	binary.LittleEndian.PutUint64(dst[:], finalPerm(l, r))
}

// Decrypt computes D_KL(E_KR(D_KL(src))), the inverse of Encrypt. dst and
// src may be the same array.
func (t *Triple) Decrypt(dst, src *[8]byte) {
	l, r := initialPerm(binary.LittleEndian.Uint64(src[:]))
	l, r = t.l.decryptRounds(l, r)
	l, r = t.r.encryptRounds(l, r)
	l, r = t.l.decryptRounds(l, r)
	binary.LittleEndian.PutUint64(dst[:], finalPerm(l, r))
}

// Wipe zeroes both key schedules.
func (t *Triple) Wipe() {
	*t = Triple{}
}
