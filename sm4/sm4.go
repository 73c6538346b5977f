// Package sm4 implements the SM4 block cipher (GB/T 32907-2016) with a
// value-type key schedule, so that a per-card schedule lives on the stack:
// no allocation, and a Schedule is safe for concurrent use once built.
//
// # Constant time
//
// No path indexes memory with secret data. On amd64 (without the purego
// build tag) blocks and key schedules run in assembly that computes the S-box
// with GFNI or AES-NI instructions; elsewhere a portable constant-time
// implementation evaluates the S-box arithmetically. See Impl.
package sm4

import "encoding/binary"

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

// Wipe zeroes the schedule.
func (s *Schedule) Wipe() {
	clear(s[:])
}

// EncryptBlock encrypts one block of src under key into dst, expanding the
// key on the stack.
func EncryptBlock(key *[KeySize]byte, dst, src *[BlockSize]byte) {
	var s Schedule
	s.Init(key)
	s.Encrypt(dst, src)
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
