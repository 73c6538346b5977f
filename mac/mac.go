// Package mac computes and verifies the MACs of single PBOC ED/EP
// transactions (SPEC §4): session keys, MAC1, MAC2, TAC and MAC3 for load,
// purchase, cash withdrawal, composite purchase, unload and overdraw update,
// in the SM4 and 3DES families, plus the secure-messaging command MAC and the
// PIN blocks of the social-security application (SPEC §6).
//
// Keys are 16-byte card keys (derive them with package diversify). Every
// function runs without allocation; the Verify functions compare in constant
// time and return errors that wrap ErrMACMismatch and never contain key
// material. Rules the published sources do not settle are chosen by a
// Profile.
package mac

import (
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/des"
	"github.com/sscard/sscard/sm4"
)

// Size is the size of a transaction MAC or TAC in bytes.
const Size = 4

// Errors. Mismatches are reported with the ErrXxxMismatch values, each of
// which wraps ErrMACMismatch.
var (
	// ErrMACMismatch reports a MAC, TAC or check value that does not verify.
	ErrMACMismatch = errors.New("mac: mismatch")
	// ErrMAC1Mismatch reports a wrong MAC1.
	ErrMAC1Mismatch = fmt.Errorf("%w: MAC1", ErrMACMismatch)
	// ErrMAC2Mismatch reports a wrong MAC2.
	ErrMAC2Mismatch = fmt.Errorf("%w: MAC2", ErrMACMismatch)
	// ErrTACMismatch reports a wrong TAC.
	ErrTACMismatch = fmt.Errorf("%w: TAC", ErrMACMismatch)
	// ErrMAC3Mismatch reports a wrong MAC3 (unload).
	ErrMAC3Mismatch = fmt.Errorf("%w: MAC3", ErrMACMismatch)
	// ErrField reports a transaction field that does not fit its encoding.
	ErrField = errors.New("mac: bad field")
	// ErrNoTAC reports a TAC asked of an unload, which has MAC3 instead.
	ErrNoTAC = errors.New("mac: unload has no TAC, use MAC3")
	// ErrNoMAC3 reports a MAC3 asked of a transaction other than an unload.
	ErrNoMAC3 = errors.New("mac: only an unload has MAC3")
	// ErrAlgNotAllowed reports an algorithm family the profile refuses.
	ErrAlgNotAllowed = errors.New("mac: algorithm not allowed by profile")
	// ErrUnknownProfile reports a profile name that is not shipped.
	ErrUnknownProfile = errors.New("mac: unknown profile")
	// ErrBadProfile reports a nil Profile or a setting outside its
	// constants.
	ErrBadProfile = errors.New("mac: invalid profile setting")
	// ErrLength reports an input of the wrong length.
	ErrLength = errors.New("mac: bad length")
)

// Session is an expanded session key of either family. The zero value is not
// usable; obtain one from NewSession. Wipe it when done.
type Session struct {
	alg  diversify.Alg
	pad  Padding
	mac3 Layout // the profile's UnloadMAC3
	sm4  sm4.Schedule
	des  des.Schedule
}

// NewSession derives the session key for t from the card key (DPK for
// purchase, withdrawal and composite purchase; DLK, DULK or DUK for load,
// unload and overdraw) under profile p:
// 3DES: SK = 3DES(key, D8); SM4: SK = SM4(key, D8 || ~D8) or the profile's
// alternative.
func NewSession(p *Profile, alg diversify.Alg, key *[16]byte, t Transaction) (Session, error) {
	var s Session
	if err := p.check(alg); err != nil {
		return s, err
	}
	if err := validate(t); err != nil {
		return s, err
	}
	s.alg = alg
	s.pad = p.Padding
	s.mac3 = p.UnloadMAC3
	d8 := sessionInput(t)
	if alg == diversify.TDES {
		var sk [8]byte
		var k des.Triple
		k.Init(key)
		k.Encrypt(&sk, &d8)
		k.Wipe()
		s.des.Init(&sk)
		clear(sk[:])
		return s, nil
	}
	in := sm4SessionInput(p.SM4Session, &d8)
	var sk [16]byte
	sm4.EncryptBlock(key, &sk, &in)
	s.sm4.Init(&sk)
	clear(sk[:])
	return s, nil
}

func sm4SessionInput(rule SessionRule, d8 *[8]byte) (in [16]byte) {
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
	return
}

// Wipe zeroes the session key.
func (s *Session) Wipe() { *s = Session{} }

// sum computes the 4-byte MAC of data under the session key.
func (s *Session) sum(data []byte) (m [Size]byte) {
	if s.alg == diversify.TDES {
		var st [8]byte
		cbcDES(&s.des, &st, data, s.pad)
		copy(m[:], st[:4])
		return
	}
	var st [16]byte
	cbcSM4(&s.sm4, &st, data, s.pad)
	copy(m[:], st[:4])
	return
}

// MAC1 returns MAC1 of t under the session key.
func (s *Session) MAC1(t Transaction) [Size]byte {
	var buf [maxData]byte
	return s.sum(encode(t, inMAC1, &buf, nil))
}

// MAC2 returns MAC2 of t under the session key.
func (s *Session) MAC2(t Transaction) [Size]byte {
	var buf [maxData]byte
	return s.sum(encode(t, inMAC2, &buf, nil))
}

// MAC3 returns MAC3 of an unload under the session key.
func (s *Session) MAC3(t Transaction) ([Size]byte, error) {
	if _, ok := t.(*Unload); !ok {
		return [Size]byte{}, ErrNoMAC3
	}
	var buf [maxData]byte
	return s.sum(encode(t, inSeal, &buf, &s.mac3)), nil
}

// MAC1 returns MAC1 of t under the card key (see NewSession).
func MAC1(p *Profile, alg diversify.Alg, key *[16]byte, t Transaction) ([Size]byte, error) {
	s, err := NewSession(p, alg, key, t)
	if err != nil {
		return [Size]byte{}, err
	}
	m := s.MAC1(t)
	s.Wipe()
	return m, nil
}

// MAC2 returns MAC2 of t under the card key (see NewSession).
func MAC2(p *Profile, alg diversify.Alg, key *[16]byte, t Transaction) ([Size]byte, error) {
	s, err := NewSession(p, alg, key, t)
	if err != nil {
		return [Size]byte{}, err
	}
	m := s.MAC2(t)
	s.Wipe()
	return m, nil
}

// MAC3 returns MAC3 of an unload under the card key DULK.
func MAC3(p *Profile, alg diversify.Alg, key *[16]byte, t Transaction) ([Size]byte, error) {
	if _, ok := t.(*Unload); !ok {
		return [Size]byte{}, ErrNoMAC3
	}
	s, err := NewSession(p, alg, key, t)
	if err != nil {
		return [Size]byte{}, err
	}
	m, err := s.MAC3(t)
	s.Wipe()
	return m, err
}

// TAC returns the TAC of t under the card's TAC key DTK. No session key is
// involved: 3DES: MAC_DES under DTK[0:8]^DTK[8:16]; SM4: MAC_SM4 under DTK
// (or the profile's rule).
func TAC(p *Profile, alg diversify.Alg, dtk *[16]byte, t Transaction) ([Size]byte, error) {
	var m [Size]byte
	if _, ok := t.(*Unload); ok {
		return m, ErrNoTAC
	}
	if err := p.check(alg); err != nil {
		return m, err
	}
	if err := validate(t); err != nil {
		return m, err
	}
	var buf [maxData]byte
	data := encode(t, inSeal, &buf, &p.OverdrawTAC)
	return keyedMAC(alg, p.SM4TACKey, p.Padding, dtk, data), nil
}

// keyedMAC is the session-less MAC of the TAC and PIN reload: 3DES under
// the XOR of the key halves, SM4 under the key or its rule.
func keyedMAC(alg diversify.Alg, rule KeyRule, pad Padding, key *[16]byte, data []byte) (m [Size]byte) {
	if alg == diversify.TDES {
		var k [8]byte
		for i := 0; i < 8; i++ {
			k[i] = key[i] ^ key[8+i]
		}
		var s des.Schedule
		s.Init(&k)
		var st [8]byte
		cbcDES(&s, &st, data, pad)
		s.Wipe()
		clear(k[:])
		copy(m[:], st[:4])
		return
	}
	k := *key
	if rule == KeyXORHalves {
		for i := 0; i < 8; i++ {
			k[i] ^= key[8+i]
			k[8+i] = k[i]
		}
	}
	var s sm4.Schedule
	var st [16]byte
	cbcSM4Key(&s, &k, &st, data, pad)
	s.Wipe()
	clear(k[:])
	copy(m[:], st[:4])
	return
}

// Equal reports whether two MACs are equal, in constant time.
func Equal(a, b *[Size]byte) bool {
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func verify(got, want *[Size]byte, mismatch error) error {
	if !Equal(got, want) {
		return mismatch
	}
	return nil
}

// VerifyMAC1 checks MAC1 of t under the card key; a wrong MAC gives
// ErrMAC1Mismatch.
func VerifyMAC1(p *Profile, alg diversify.Alg, key *[16]byte, t Transaction, want *[Size]byte) error {
	got, err := MAC1(p, alg, key, t)
	if err != nil {
		return err
	}
	return verify(&got, want, ErrMAC1Mismatch)
}

// VerifyMAC2 checks MAC2 of t under the card key; a wrong MAC gives
// ErrMAC2Mismatch.
func VerifyMAC2(p *Profile, alg diversify.Alg, key *[16]byte, t Transaction, want *[Size]byte) error {
	got, err := MAC2(p, alg, key, t)
	if err != nil {
		return err
	}
	return verify(&got, want, ErrMAC2Mismatch)
}

// VerifyMAC3 checks MAC3 of an unload under DULK; a wrong MAC gives
// ErrMAC3Mismatch.
func VerifyMAC3(p *Profile, alg diversify.Alg, key *[16]byte, t Transaction, want *[Size]byte) error {
	got, err := MAC3(p, alg, key, t)
	if err != nil {
		return err
	}
	return verify(&got, want, ErrMAC3Mismatch)
}

// VerifyTAC checks the TAC of t under DTK; a wrong TAC gives ErrTACMismatch.
func VerifyTAC(p *Profile, alg diversify.Alg, dtk *[16]byte, t Transaction, want *[Size]byte) error {
	got, err := TAC(p, alg, dtk, t)
	if err != nil {
		return err
	}
	return verify(&got, want, ErrTACMismatch)
}
