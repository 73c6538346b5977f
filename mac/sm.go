package mac

import (
	"fmt"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/des"
	"github.com/sscard/sscard/sm4"
)

// CommandMAC returns the 4-byte secure-messaging MAC of a card command
// (header || data) under key, with the card challenge (4 or 8 bytes,
// right-padded with 00 to one block) as initial vector: MAC_RETAIL for 3DES,
// MAC_SM4 for SM4.
func CommandMAC(alg diversify.Alg, key *[16]byte, challenge, command []byte) ([Size]byte, error) {
	var m [Size]byte
	if len(challenge) != 4 && len(challenge) != 8 {
		return m, fmt.Errorf("%w: challenge must be 4 or 8 bytes, got %d", ErrLength, len(challenge))
	}
	switch alg {
	case diversify.TDES:
		var iv, out [8]byte
		copy(iv[:], challenge)
		RetailMAC(&out, key, &iv, command)
		copy(m[:], out[:4])
	case diversify.SM4:
		var iv, out [16]byte
		copy(iv[:], challenge)
		SM4MAC(&out, key, &iv, command)
		copy(m[:], out[:4])
	default:
		return m, fmt.Errorf("%w: %d", diversify.ErrUnknownAlg, uint8(alg))
	}
	return m, nil
}

// VerifyCommandMAC checks a secure-messaging MAC in constant time.
func VerifyCommandMAC(alg diversify.Alg, key *[16]byte, challenge, command []byte, want *[Size]byte) error {
	got, err := CommandMAC(alg, key, challenge, command)
	if err != nil {
		return err
	}
	return verify(&got, want, ErrMACMismatch)
}

// MaxPINDigits and MinPINDigits bound a PIN's length.
const (
	MinPINDigits = 4
	MaxPINDigits = 12
)

// EncodePIN packs a decimal PIN into BCD, an odd count padded with F, and
// returns the number of bytes used in dst.
func EncodePIN(dst *[MaxPINDigits / 2]byte, digits string) (int, error) {
	if len(digits) < MinPINDigits || len(digits) > MaxPINDigits {
		return 0, fmt.Errorf("%w: PIN must be %d to %d digits", ErrField, MinPINDigits, MaxPINDigits)
	}
	n := (len(digits) + 1) / 2
	for i := range digits {
		if digits[i] < '0' || digits[i] > '9' {
			clear(dst[:])
			return 0, fmt.Errorf("%w: PIN must be decimal digits", ErrField)
		}
	}
	for i := 0; i < n; i++ {
		lo := byte(0x0f) // the filler of an odd count
		if 2*i+1 < len(digits) {
			lo = digits[2*i+1] - '0'
		}
		dst[i] = (digits[2*i]-'0')<<4 | lo
	}
	return n, nil
}

// ReloadPINMAC returns the MAC of RELOAD PIN (80 5E 00 00) over the new PIN
// in BCD: 3DES: MAC_DES under DRPK[0:8]^DRPK[8:16]; SM4: MAC_SM4 under DRPK
// (or the profile's rule).
func ReloadPINMAC(p *Profile, alg diversify.Alg, drpk *[16]byte, pin []byte) ([Size]byte, error) {
	if err := p.check(alg); err != nil {
		return [Size]byte{}, err
	}
	if len(pin) == 0 || len(pin) > MaxPINDigits/2 {
		return [Size]byte{}, fmt.Errorf("%w: PIN must be 1 to %d BCD bytes", ErrLength, MaxPINDigits/2)
	}
	return keyedMAC(alg, p.SM4PINReloadKey, p.Padding, drpk, pin), nil
}

// VerifyReloadPINMAC checks the RELOAD PIN MAC in constant time.
func VerifyReloadPINMAC(p *Profile, alg diversify.Alg, drpk *[16]byte, pin []byte, want *[Size]byte) error {
	got, err := ReloadPINMAC(p, alg, drpk, pin)
	if err != nil {
		return err
	}
	return verify(&got, want, ErrMACMismatch)
}

// EncryptPIN writes the UNBLOCK PIN cryptogram into dst: the ECB encryption
// under DPUK of len || PIN || 80 00…, padded to the block size (8 bytes for
// 3DES, 16 for SM4). It returns the number of bytes written.
func EncryptPIN(dst []byte, alg diversify.Alg, dpuk *[16]byte, pin []byte) (int, error) {
	if len(pin) == 0 || len(pin) > MaxPINDigits/2 {
		return 0, fmt.Errorf("%w: PIN must be 1 to %d BCD bytes", ErrLength, MaxPINDigits/2)
	}
	var blk [16]byte
	blk[0] = byte(len(pin))
	copy(blk[1:], pin)
	blk[1+len(pin)] = 0x80
	switch alg {
	case diversify.TDES:
		if len(dst) < 8 {
			return 0, fmt.Errorf("%w: need 8 bytes of output", ErrLength)
		}
		var t des.Triple
		t.Init(dpuk)
		var b [8]byte
		copy(b[:], blk[:8])
		t.Encrypt(&b, &b)
		t.Wipe()
		copy(dst, b[:])
		clear(blk[:])
		return 8, nil
	case diversify.SM4:
		if len(dst) < 16 {
			return 0, fmt.Errorf("%w: need 16 bytes of output", ErrLength)
		}
		sm4.EncryptBlock(dpuk, &blk, &blk)
		copy(dst, blk[:])
		return 16, nil
	}
	return 0, fmt.Errorf("%w: %d", diversify.ErrUnknownAlg, uint8(alg))
}

// DecryptPIN reverses EncryptPIN and returns the BCD PIN bytes it held,
// copied into dst. It fails with ErrField when the block is not
// len || PIN || 80 00….
func DecryptPIN(dst *[MaxPINDigits / 2]byte, alg diversify.Alg, dpuk *[16]byte, enc []byte) (int, error) {
	var blk [16]byte
	size := 16
	switch alg {
	case diversify.TDES:
		size = 8
		if len(enc) != 8 {
			return 0, fmt.Errorf("%w: PIN cryptogram must be 8 bytes", ErrLength)
		}
		var t des.Triple
		t.Init(dpuk)
		var b [8]byte
		copy(b[:], enc)
		t.Decrypt(&b, &b)
		t.Wipe()
		copy(blk[:], b[:])
	case diversify.SM4:
		if len(enc) != 16 {
			return 0, fmt.Errorf("%w: PIN cryptogram must be 16 bytes", ErrLength)
		}
		var s sm4.Schedule
		s.Init(dpuk)
		s.Decrypt(&blk, (*[16]byte)(enc))
		s.Wipe()
	default:
		return 0, fmt.Errorf("%w: %d", diversify.ErrUnknownAlg, uint8(alg))
	}
	defer clear(blk[:])
	n := int(blk[0])
	if n == 0 || n > MaxPINDigits/2 || 1+n >= size || blk[1+n] != 0x80 {
		return 0, fmt.Errorf("%w: PIN block is malformed", ErrField)
	}
	for _, b := range blk[2+n : size] {
		if b != 0 {
			return 0, fmt.Errorf("%w: PIN block is malformed", ErrField)
		}
	}
	copy(dst[:], blk[1:1+n])
	return n, nil
}
