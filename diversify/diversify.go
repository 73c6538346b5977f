// Package diversify implements the PBOC / social-security key tree: a root
// key is dispersed (diversified) level by level into province, city and card
// keys, each level an 8-byte factor.
//
//	SM4:  child = SM4(parent, Y || ~Y)
//	3DES: child = 3DES(parent, Y) || 3DES(parent, ~Y)
//
// Functions that take several factors expect them root first (province, city,
// …, card last). PSAM commands list factors lowest level first; convert with
// Reverse. Every function here runs without allocation, and no key material
// is ever put into an error.
package diversify

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"github.com/sscard/sscard/internal/des"
	"github.com/sscard/sscard/sm4"
)

// Alg is a card algorithm family.
type Alg uint8

// The algorithm families.
const (
	// SM4 is the SM4 family (algorithm id 04).
	SM4 Alg = 1
	// TDES is the two-key 3DES / DES family (algorithm ids 00 and 01).
	TDES Alg = 2
)

// String returns "sm4" or "3des".
func (a Alg) String() string {
	switch a {
	case SM4:
		return "sm4"
	case TDES:
		return "3des"
	}
	return fmt.Sprintf("alg(%d)", uint8(a))
}

// ParseAlg parses "sm4" or "3des" (case-insensitive; "des" and "tdes" are
// accepted for 3DES).
func ParseAlg(s string) (Alg, error) {
	switch {
	case strings.EqualFold(s, "sm4"):
		return SM4, nil
	case strings.EqualFold(s, "3des"), strings.EqualFold(s, "tdes"), strings.EqualFold(s, "des"):
		return TDES, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownAlg, s)
}

// AlgFromID maps a card's algorithm id byte (SPEC §5) to a family:
// 00 and 01 are 3DES/DES, 04 is SM4.
func AlgFromID(id byte) (Alg, error) {
	switch id {
	case 0x00, 0x01:
		return TDES, nil
	case 0x04:
		return SM4, nil
	}
	return 0, fmt.Errorf("%w: id %02x", ErrUnknownAlg, id)
}

// ID returns the algorithm id byte a card reports for the family.
func (a Alg) ID() byte {
	if a == SM4 {
		return 0x04
	}
	return 0x00
}

// Errors.
var (
	// ErrUnknownAlg reports an algorithm that is neither SM4 nor 3DES.
	ErrUnknownAlg = errors.New("diversify: unknown algorithm")
	// ErrFactor reports a malformed diversification factor.
	ErrFactor = errors.New("diversify: bad factor")
	// ErrKCVMismatch reports a key whose check value differs from the expected one.
	ErrKCVMismatch = errors.New("diversify: key check value mismatch")
	// ErrTooManyLevels reports more factors than MaxLevels.
	ErrTooManyLevels = errors.New("diversify: too many levels")
)

// MaxLevels is the deepest key tree Derive accepts.
const MaxLevels = 8

// Factor is one 8-byte diversification factor.
type Factor [8]byte

// SM4Child sets dst to SM4(parent, f || ~f).
func SM4Child(dst, parent *[16]byte, f *Factor) {
	var s sm4.Schedule
	in := factorBlock(f)
	s.InitEncrypt(parent, dst, &in)
	s.Wipe()
}

// factorBlock returns f || ~f.
func factorBlock(f *Factor) (in [16]byte) {
	for i := 0; i < 8; i++ {
		in[i] = f[i]
		in[8+i] = ^f[i]
	}
	return
}

// SM4ChildSchedule is SM4Child with the parent key already expanded, for
// callers that cache upper-level schedules.
func SM4ChildSchedule(dst *[16]byte, parent *sm4.Schedule, f *Factor) {
	in := factorBlock(f)
	parent.Encrypt(dst, &in)
}

// SM4BlockChild sets dst to SM4(parent, y): a 16-byte factor applied as one
// level by a single SM4 call. SPEC §3 makes a 16-byte factor two levels
// (see Derive); a profile may choose this form instead (mac.LongOneBlock).
func SM4BlockChild(dst, parent, y *[16]byte) {
	var s sm4.Schedule
	s.InitEncrypt(parent, dst, y)
	s.Wipe()
}

// TDESChild sets dst to 3DES(parent, f) || 3DES(parent, ~f).
func TDESChild(dst, parent *[16]byte, f *Factor) {
	var t des.Triple
	t.Init(parent)
	TDESChildSchedule(dst, &t, f)
	t.Wipe()
}

// TDESChildSchedule is TDESChild with the parent key already scheduled.
func TDESChildSchedule(dst *[16]byte, parent *des.Triple, f *Factor) {
	var l, r [8]byte
	for i := 0; i < 8; i++ {
		r[i] = ^f[i]
	}
	l = *f
	parent.Encrypt(&l, &l)
	parent.Encrypt(&r, &r)
	copy(dst[:8], l[:])
	copy(dst[8:], r[:])
}

// Child sets dst to the child of parent under factor f for the family alg.
func Child(alg Alg, dst, parent *[16]byte, f *Factor) error {
	switch alg {
	case SM4:
		SM4Child(dst, parent, f)
	case TDES:
		TDESChild(dst, parent, f)
	default:
		return fmt.Errorf("%w: %d", ErrUnknownAlg, uint8(alg))
	}
	return nil
}

// Derive sets dst to the key reached from root through factors, applied root
// first (factors[0] is the level just below root; the last is the card).
// With no factors dst is root. dst may alias root.
func Derive(alg Alg, dst, root *[16]byte, factors []Factor) error {
	if alg != SM4 && alg != TDES {
		return fmt.Errorf("%w: %d", ErrUnknownAlg, uint8(alg))
	}
	if len(factors) > MaxLevels {
		return fmt.Errorf("%w: %d factors", ErrTooManyLevels, len(factors))
	}
	k := *root
	for i := range factors {
		if alg == SM4 {
			SM4Child(&k, &k, &factors[i])
		} else {
			TDESChild(&k, &k, &factors[i])
		}
	}
	*dst = k
	clear(k[:])
	return nil
}

// Reverse reverses factors in place: it converts between root-first order
// (this package) and lowest-level-first order (PSAM commands).
func Reverse(factors []Factor) {
	for i, j := 0, len(factors)-1; i < j; i, j = i+1, j-1 {
		factors[i], factors[j] = factors[j], factors[i]
	}
}

// KCV returns the key check value: the first 3 bytes of the encryption of an
// all-zero block under key.
func KCV(alg Alg, key *[16]byte) ([3]byte, error) {
	var out [3]byte
	switch alg {
	case SM4:
		var b [16]byte
		sm4.EncryptBlock(key, &b, &b)
		copy(out[:], b[:3])
	case TDES:
		var t des.Triple
		var b [8]byte
		t.Init(key)
		t.Encrypt(&b, &b)
		t.Wipe()
		copy(out[:], b[:3])
	default:
		return out, fmt.Errorf("%w: %d", ErrUnknownAlg, uint8(alg))
	}
	return out, nil
}

// CheckKCV compares the check value of key with want (1 to 3 bytes) in
// constant time and returns ErrKCVMismatch when they differ.
func CheckKCV(alg Alg, key *[16]byte, want []byte) error {
	if len(want) == 0 || len(want) > 3 {
		return fmt.Errorf("%w: check value must be 1 to 3 bytes, got %d", ErrKCVMismatch, len(want))
	}
	got, err := KCV(alg, key)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got[:len(want)], want) != 1 {
		return ErrKCVMismatch
	}
	return nil
}

// OddParity sets the low bit of every byte of key so that each byte has odd
// parity, as EMV publishes derived DES keys. sscard itself never needs it:
// DES ignores parity bits.
func OddParity(key []byte) {
	for i, b := range key {
		b &^= 1
		p := b ^ b>>4
		p ^= p >> 2
		p ^= p >> 1
		key[i] = b | (^p & 1)
	}
}
