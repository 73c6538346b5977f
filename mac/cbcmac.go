package mac

import (
	"github.com/sscard/sscard/internal/des"
	"github.com/sscard/sscard/sm4"
)

// The CBC-MAC primitives. Every exported MAC pads with ISO/IEC 9797-1
// padding method 2, always: 80 then 00 up to a block boundary, a whole extra
// block when the data is already aligned.

// cbcSM4 runs SM4-CBC over data padded with method 2 (a whole block of
// padding for aligned data only under PadAlways; empty data is always padded)
// and leaves the last output block in state, which holds the IV on entry.
func cbcSM4(s *sm4.Schedule, state *[16]byte, data []byte, pad Padding) {
	for len(data) > 16 || (len(data) == 16 && pad == PadAlways) {
		for i := 0; i < 16; i++ {
			state[i] ^= data[i]
		}
		s.Encrypt(state, state)
		data = data[16:]
	}
	for i := range data {
		state[i] ^= data[i]
	}
	if len(data) < 16 {
		state[len(data)] ^= 0x80
	}
	s.Encrypt(state, state)
}

// cbcSM4Key is cbcSM4 under key, expanding it into s in one pass with the
// first block (the key schedule and the block run interleaved).
func cbcSM4Key(s *sm4.Schedule, key *[16]byte, state *[16]byte, data []byte, pad Padding) {
	if len(data) > 16 || (len(data) == 16 && pad == PadAlways) {
		for i := 0; i < 16; i++ {
			state[i] ^= data[i]
		}
		s.InitEncrypt(key, state, state)
		cbcSM4(s, state, data[16:], pad)
		return
	}
	for i := range data {
		state[i] ^= data[i]
	}
	if len(data) < 16 {
		state[len(data)] ^= 0x80
	}
	s.InitEncrypt(key, state, state)
}

// cbcDES runs single-DES CBC over data padded with method 2.
func cbcDES(s *des.Schedule, state *[8]byte, data []byte, pad Padding) {
	for len(data) > 8 || (len(data) == 8 && pad == PadAlways) {
		for i := 0; i < 8; i++ {
			state[i] ^= data[i]
		}
		s.Encrypt(state, state)
		data = data[8:]
	}
	for i := range data {
		state[i] ^= data[i]
	}
	if len(data) < 8 {
		state[len(data)] ^= 0x80
	}
	s.Encrypt(state, state)
}

// SM4MAC sets out to MAC_SM4(key, data) with initial vector iv (nil for
// zero): SM4-CBC over the method-2 padded data, the whole last block.
// A transaction MAC is its leftmost 4 bytes.
func SM4MAC(out *[16]byte, key *[16]byte, iv *[16]byte, data []byte) {
	var s sm4.Schedule
	var st [16]byte
	if iv != nil {
		st = *iv
	}
	cbcSM4Key(&s, key, &st, data, PadAlways)
	s.Wipe()
	*out = st
}

// SM4MACSchedule is SM4MAC under an already expanded key.
func SM4MACSchedule(out *[16]byte, s *sm4.Schedule, iv *[16]byte, data []byte) {
	var st [16]byte
	if iv != nil {
		st = *iv
	}
	cbcSM4(s, &st, data, PadAlways)
	*out = st
}

// DESMAC sets out to MAC_DES(key, data) with initial vector iv (nil for
// zero): single-DES CBC over the method-2 padded data, the whole last block.
func DESMAC(out *[8]byte, key *[8]byte, iv *[8]byte, data []byte) {
	var s des.Schedule
	s.Init(key)
	var st [8]byte
	if iv != nil {
		st = *iv
	}
	cbcDES(&s, &st, data, PadAlways)
	s.Wipe()
	*out = st
}

// RetailMAC sets out to MAC_RETAIL(key, data), ISO/IEC 9797-1 MAC
// algorithm 3 with initial vector iv (nil for zero): single-DES CBC under
// KL = key[0:8] over the method-2 padded data, then E_KL(D_KR(last)).
func RetailMAC(out *[8]byte, key *[16]byte, iv *[8]byte, data []byte) {
	var kl, kr des.Schedule
	kl.Init((*[8]byte)(key[:8]))
	kr.Init((*[8]byte)(key[8:]))
	var st [8]byte
	if iv != nil {
		st = *iv
	}
	cbcDES(&kl, &st, data, PadAlways)
	kr.Decrypt(&st, &st)
	kl.Encrypt(&st, &st)
	kl.Wipe()
	kr.Wipe()
	*out = st
}
