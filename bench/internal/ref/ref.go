// Package ref is the cryptography of the reference world (software PSAM and
// card): SPEC §2-§4 written directly on github.com/tjfoc/gmsm/sm4 and
// crypto/des, independently of the main module, so that cross-checks compare
// two implementations rather than one with itself.
//
// It favours plainness over speed: every key is expanded through the
// libraries' cipher.Block constructors, which allocate.
package ref

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"errors"

	tjsm4 "github.com/tjfoc/gmsm/sm4"
)

// Alg is an algorithm family.
type Alg uint8

// Families.
const (
	SM4  Alg = 1 // SM4, algorithm id 04
	TDES Alg = 2 // two-key 3DES / DES, algorithm ids 00 and 01
)

// ErrAlg reports an unknown algorithm family or id.
var ErrAlg = errors.New("ref: unknown algorithm")

// AlgFromID maps a card algorithm id to a family.
func AlgFromID(id byte) (Alg, error) {
	switch id {
	case 0x00, 0x01:
		return TDES, nil
	case 0x04:
		return SM4, nil
	}
	return 0, ErrAlg
}

// ID returns the algorithm id a card reports.
func (a Alg) ID() byte {
	if a == SM4 {
		return 0x04
	}
	return 0x00
}

// String returns "sm4" or "3des".
func (a Alg) String() string {
	switch a {
	case SM4:
		return "sm4"
	case TDES:
		return "3des"
	}
	return "unknown"
}

// ParseAlg parses "sm4" or "3des".
func ParseAlg(s string) (Alg, error) {
	switch s {
	case "sm4":
		return SM4, nil
	case "3des":
		return TDES, nil
	}
	return 0, ErrAlg
}

// BlockSize returns 16 for SM4 and 8 for 3DES.
func (a Alg) BlockSize() int {
	if a == SM4 {
		return 16
	}
	return 8
}

// SessionRule is the SM4 session-key rule (SPEC §4).
type SessionRule uint8

// SM4 session-key rules.
const (
	SessionNotD8   SessionRule = iota // SM4(K, D8 || ~D8)
	SessionZeroPad                    // SM4(K, D8 || 00*8)
	SessionPad80                      // SM4(K, D8 || 80 00*7)
)

// KeyRule is the SM4 rule for session-less MAC keys (TAC, PIN reload).
type KeyRule uint8

// SM4 key rules.
const (
	KeyAsIs      KeyRule = iota // the card key unchanged
	KeyXORHalves                // L^R || L^R
)

// Block returns the cipher for a 16-byte key of the family: SM4, or two-key
// 3DES (K1 K2 K1).
func Block(alg Alg, key []byte) cipher.Block {
	if len(key) != 16 {
		panic("ref: key must be 16 bytes")
	}
	if alg == SM4 {
		b, err := tjsm4.NewCipher(key)
		if err != nil {
			panic(err)
		}
		return b
	}
	var k [24]byte
	copy(k[:], key)
	copy(k[16:], key[:8])
	b, err := des.NewTripleDESCipher(k[:])
	if err != nil {
		panic(err)
	}
	return b
}

// DES returns a single-DES cipher for an 8-byte key.
func DES(key []byte) cipher.Block {
	b, err := des.NewCipher(key)
	if err != nil {
		panic(err)
	}
	return b
}

// Child returns the child of parent under the 8-byte factor f (SPEC §3).
func Child(alg Alg, parent *[16]byte, f *[8]byte) (k [16]byte) {
	b := Block(alg, parent[:])
	var nf [8]byte
	for i := range f {
		nf[i] = ^f[i]
	}
	if alg == SM4 {
		var in [16]byte
		copy(in[:8], f[:])
		copy(in[8:], nf[:])
		b.Encrypt(k[:], in[:])
		return
	}
	b.Encrypt(k[:8], f[:])
	b.Encrypt(k[8:], nf[:])
	return
}

// Derive applies factors root first (the last is the card's).
func Derive(alg Alg, root *[16]byte, factors [][8]byte) [16]byte {
	k := *root
	for i := range factors {
		k = Child(alg, &k, &factors[i])
	}
	return k
}

// KCV returns the first 3 bytes of the key encrypting a zero block.
func KCV(alg Alg, key *[16]byte) (kcv [3]byte) {
	var z [16]byte
	b := Block(alg, key[:])
	b.Encrypt(z[:b.BlockSize()], z[:b.BlockSize()])
	copy(kcv[:], z[:3])
	return
}

// SessionKey derives the session key from the card key and D8: 3DES(K, D8),
// 8 bytes; or SM4(K, D8 || pad) under rule, 16 bytes.
func SessionKey(alg Alg, rule SessionRule, key *[16]byte, d8 *[8]byte) []byte {
	b := Block(alg, key[:])
	if alg == TDES {
		sk := make([]byte, 8)
		b.Encrypt(sk, d8[:])
		return sk
	}
	var in [16]byte
	copy(in[:8], d8[:])
	switch rule {
	case SessionZeroPad:
	case SessionPad80:
		in[8] = 0x80
	default:
		for i := 0; i < 8; i++ {
			in[8+i] = ^d8[i]
		}
	}
	sk := make([]byte, 16)
	b.Encrypt(sk, in[:])
	return sk
}

// SessionBlock returns the cipher of a session key: single DES for an
// 8-byte 3DES session key, SM4 for a 16-byte one.
func SessionBlock(sk []byte) cipher.Block {
	if len(sk) == 8 {
		return DES(sk)
	}
	b, err := tjsm4.NewCipher(sk)
	if err != nil {
		panic(err)
	}
	return b
}

// CBCMAC returns the last CBC block over data padded with ISO/IEC 9797-1
// method 2 (80 00…, always), starting from iv (nil for zero; shorter ivs are
// right-padded with 00).
func CBCMAC(b cipher.Block, iv, data []byte) []byte {
	n := b.BlockSize()
	padded := make([]byte, (len(data)/n+1)*n)
	copy(padded, data)
	padded[len(data)] = 0x80
	st := make([]byte, n)
	copy(st, iv)
	for off := 0; off < len(padded); off += n {
		subtle.XORBytes(st, st, padded[off:off+n])
		b.Encrypt(st, st)
	}
	return st
}

// MAC4 returns the leftmost 4 bytes of CBCMAC with a zero IV.
func MAC4(b cipher.Block, data []byte) (m [4]byte) {
	copy(m[:], CBCMAC(b, nil, data))
	return
}

// SessionMAC is MAC_DES or MAC_SM4 under a session key (MAC1, MAC2, MAC3).
func SessionMAC(sk []byte, data []byte) [4]byte {
	return MAC4(SessionBlock(sk), data)
}

// KeyedMAC is the session-less MAC of the TAC and PIN reload: 3DES: MAC_DES
// under key[0:8]^key[8:16]; SM4: MAC_SM4 under the key (or its halves
// XORed under KeyXORHalves).
func KeyedMAC(alg Alg, rule KeyRule, key *[16]byte, data []byte) [4]byte {
	var k [16]byte
	subtle.XORBytes(k[:8], key[:8], key[8:])
	if alg == TDES {
		return MAC4(DES(k[:8]), data)
	}
	if rule == KeyXORHalves {
		copy(k[8:], k[:8])
	} else {
		k = *key
	}
	return MAC4(Block(SM4, k[:]), data)
}

// RetailMAC is ISO/IEC 9797-1 MAC algorithm 3 under a 16-byte key with an
// initial vector (the card challenge), leftmost 4 bytes.
func RetailMAC(key *[16]byte, iv, data []byte) (m [4]byte) {
	st := CBCMAC(DES(key[:8]), iv, data)
	DES(key[8:]).Decrypt(st, st)
	DES(key[:8]).Encrypt(st, st)
	copy(m[:], st)
	return
}

// CommandMAC is the secure-messaging MAC: MAC_RETAIL (3DES) or MAC_SM4 (SM4)
// over header || data with the challenge as IV.
func CommandMAC(alg Alg, key *[16]byte, challenge, command []byte) (m [4]byte) {
	if alg == TDES {
		return RetailMAC(key, challenge, command)
	}
	copy(m[:], CBCMAC(Block(SM4, key[:]), challenge, command))
	return
}

// Equal compares two MACs in constant time.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
