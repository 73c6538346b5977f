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
// Rotations by a register count take constant time on amd64 and arm64
// (ROL/ROR with the count in a register). The E expansion uses 6-bit windows of the right half duplicated
// into a 64-bit word, and IP and IP^-1 are a byte swap, an 8×8 bit-matrix
// transpose and two delta swaps.
//
// DES ignores the parity bits of its keys; they are neither checked nor
// adjusted.
package des

import "encoding/binary"

// BlockSize is the DES block size in bytes.
const BlockSize = 8

// Schedule is an expanded single-DES key: the 16 round keys, each packed
// into one word in the layout the round function uses. Fill it with Init; the zero value happens to be the schedule of the all-zero
// key. It holds key material: call Wipe when done.
type Schedule [16]uint64

// Triple is an expanded two-key triple-DES key for EDE encryption
// E_KL(D_KR(E_KL(x))) with KL = key[0:8] and KR = key[8:16]. It is a plain
// value (no pointers). It holds key material: call Wipe when done.
type Triple struct {
	l, r Schedule
}

// Init expands an 8-byte DES key. Parity bits are ignored.
func (s *Schedule) Init(key *[8]byte) {
	kv := binary.BigEndian.Uint64(key[:])
	for r := range s {
		s[r] = keyFromNet(kv, &keyNet[r])
	}
}

// Wipe zeroes the schedule.
func (s *Schedule) Wipe() {
	*s = Schedule{}
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
	// Its bytes (most significant first) are now IP's output bytes 4 0 5 1
	// 6 2 7 3; unzip them into R0 (high half) and L0 (low half).
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
		l, r = feistel2(l, r, s[i], s[i+1])
	}
	return r, l
}

// decryptRounds runs the 16 rounds with the round keys in reverse order.
func (s *Schedule) decryptRounds(l, r uint32) (uint32, uint32) {
	for i := 15; i > 0; i -= 2 {
		l, r = feistel2(l, r, s[i], s[i-1])
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

// EncryptLeft encrypts one block with single DES under KL (key[0:8]). With
// it a Triple alone computes the ISO 9797-1 algorithm 3 ("retail") MAC:
// EncryptLeft chains every block but the last, and Encrypt, which is
// E_KL(D_KR(E_KL(·))), finishes the last. dst and src may be the same array.
func (t *Triple) EncryptLeft(dst, src *[8]byte) {
	t.l.Encrypt(dst, src)
}

// Wipe zeroes both key schedules.
func (t *Triple) Wipe() {
	*t = Triple{}
}
