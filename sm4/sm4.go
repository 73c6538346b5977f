// Package sm4 implements the SM4 block cipher (GB/T 32907-2016) with a
// value-type key schedule, so that a per-card schedule lives on the stack:
// no allocation, and a Schedule is safe for concurrent use once built.
//
// # Implementations and constant time
//
// Impl reports the path in use, chosen once at init from the CPU's features.
// All three are constant-time: no memory access is indexed by secret data and
// no branch depends on it.
//
//   - "gfni" (amd64, GFNI and AVX): assembly that computes the S-box with
//     GF2P8AFFINEINVQB, an instruction with data-independent timing. The
//     state is kept in a basis where the S-box's input affine map is already
//     applied, and the output affine map and the linear transform L are folded
//     into four GF2P8AFFINEINVQB matrices, so a round is one shuffle level,
//     four independent inversions and a XOR tree. With AVX-512VL the XOR
//     trees use VPTERNLOGD.
//   - "aesni" (amd64 with AES-NI and SSSE3 but no GFNI): assembly that
//     computes the field inversion with AESENCLAST (zero round key, the word
//     broadcast to all columns so ShiftRows is the identity) and every affine
//     and linear map with PSHUFB lookups into 16-entry tables held in
//     registers, which select within a register and do not touch memory at a
//     secret address.
//   - "generic" (other architectures, the purego build tag, or an amd64 CPU
//     without AES-NI): portable Go that evaluates the S-box arithmetically with
//     shifts, ANDs and XORs (see generic.go); correct and constant-time but
//     much slower.
package sm4

import (
	"encoding/binary"
	"errors"
)

// ErrUnsupported is returned by SetImpl for an implementation this CPU or
// build cannot run.
var ErrUnsupported = errors.New("sm4: implementation not supported on this CPU")

// BlockSize is the SM4 block size in bytes.
const BlockSize = 16

// KeySize is the SM4 key size in bytes.
const KeySize = 16

// Schedule is an expanded SM4 key: the 32 round keys rk[0..31].
// The zero value is not a valid schedule; build one with Init.
type Schedule [32]uint32

// Init expands key into s.
func (s *Schedule) Init(key *[KeySize]byte) {
	expandKey(s, key)
}

// Encrypt encrypts one block from src into dst. dst and src may alias.
func (s *Schedule) Encrypt(dst, src *[BlockSize]byte) {
	encryptBlock(s, dst, src, false)
}

// Decrypt decrypts one block from src into dst. dst and src may alias.
func (s *Schedule) Decrypt(dst, src *[BlockSize]byte) {
	encryptBlock(s, dst, src, true)
}

// InitEncrypt expands key into s and encrypts src into dst under that key,
// as Init followed by Encrypt. On the GFNI path the two run interleaved in
// one pass: round i of the block runs as soon as round key i exists, so the
// two dependency chains overlap. dst and src may alias.
func (s *Schedule) InitEncrypt(key *[KeySize]byte, dst, src *[BlockSize]byte) {
	initEncrypt(s, key, dst, src)
}

// Wipe zeroes the schedule.
func (s *Schedule) Wipe() {
	clear(s[:])
}

// EncryptBlock encrypts one block of src under key into dst, expanding the
// key on the stack.
func EncryptBlock(key *[KeySize]byte, dst, src *[BlockSize]byte) {
	var s Schedule
	s.InitEncrypt(key, dst, src)
	s.Wipe()
}

// fk and ck are the system parameters of the key expansion.
var fk = [4]uint32{0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc}

var ck = func() (c [32]uint32) {
	for i := range c {
		var w uint32
		for j := 0; j < 4; j++ {
			w = w<<8 | uint32((4*i+j)*7%256)
		}
		c[i] = w
	}
	return
}()

func load(b *[BlockSize]byte) (x0, x1, x2, x3 uint32) {
	return binary.BigEndian.Uint32(b[0:]), binary.BigEndian.Uint32(b[4:]),
		binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:])
}

func store(b *[BlockSize]byte, x0, x1, x2, x3 uint32) {
	binary.BigEndian.PutUint32(b[0:], x0)
	binary.BigEndian.PutUint32(b[4:], x1)
	binary.BigEndian.PutUint32(b[8:], x2)
	binary.BigEndian.PutUint32(b[12:], x3)
}
