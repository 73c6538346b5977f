package fuzz

import (
	"bytes"
	stddes "crypto/des"
	"testing"

	"github.com/emmansun/gmsm/cbcmac"
	"github.com/emmansun/gmsm/padding"
	gmsm4 "github.com/emmansun/gmsm/sm4"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/des"
	"github.com/sscard/sscard/mac"
	"github.com/sscard/sscard/sm4"
)

func key16(b []byte) (k [16]byte) { copy(k[:], b); return }

// FuzzSM4Block: our SM4 (whatever path this build dispatches to) against
// emmansun/gmsm, encrypt and decrypt.
func FuzzSM4Block(f *testing.F) {
	f.Add(bytes.Repeat([]byte{0x01}, 16), bytes.Repeat([]byte{0x02}, 16))
	f.Add(make([]byte, 16), make([]byte, 16))
	f.Fuzz(func(t *testing.T, k, p []byte) {
		key, blk := key16(k), key16(p)
		var s sm4.Schedule
		s.Init(&key)
		var got, back [16]byte
		s.Encrypt(&got, &blk)
		c, _ := gmsm4.NewCipher(key[:])
		want := make([]byte, 16)
		c.Encrypt(want, blk[:])
		if !bytes.Equal(got[:], want) {
			t.Fatalf("encrypt: %X, emmansun %X", got, want)
		}
		s.Decrypt(&back, &got)
		if back != blk {
			t.Fatalf("decrypt(encrypt(x)) = %X, want %X", back, blk)
		}
	})
}

// FuzzMACSM4: MAC_SM4 against emmansun's CBC-MAC with ISO 9797-1 padding 2.
func FuzzMACSM4(f *testing.F) {
	f.Add(make([]byte, 16), []byte{})
	f.Add(bytes.Repeat([]byte{0xA5}, 16), bytes.Repeat([]byte{0x5A}, 32))
	f.Fuzz(func(t *testing.T, k, msg []byte) {
		key := key16(k)
		var got [16]byte
		mac.SM4MAC(&got, &key, nil, msg)
		c, _ := gmsm4.NewCipher(key[:])
		want := cbcmac.NewCBCMACWithPadding(c, 16, padding.NewISO9797M2Padding).MAC(msg)
		if !bytes.Equal(got[:], want) {
			t.Fatalf("MAC_SM4 len %d: %X, emmansun %X", len(msg), got, want)
		}
	})
}

// FuzzDES: our constant-time DES and 3DES against crypto/des.
func FuzzDES(f *testing.F) {
	f.Add(bytes.Repeat([]byte{0x13}, 16), bytes.Repeat([]byte{0x01}, 8))
	f.Fuzz(func(t *testing.T, k, p []byte) {
		key := key16(k)
		var blk [8]byte
		copy(blk[:], p)
		var s des.Schedule
		s.Init((*[8]byte)(key[:8]))
		var got [8]byte
		s.Encrypt(&got, &blk)
		c, _ := stddes.NewCipher(key[:8])
		want := make([]byte, 8)
		c.Encrypt(want, blk[:])
		if !bytes.Equal(got[:], want) {
			t.Fatalf("DES: %X, crypto/des %X", got, want)
		}
		var tr des.Triple
		tr.Init(&key)
		tr.Encrypt(&got, &blk)
		c3, _ := stddes.NewTripleDESCipher(append(key[:], key[:8]...))
		c3.Encrypt(want, blk[:])
		if !bytes.Equal(got[:], want) {
			t.Fatalf("3DES: %X, crypto/des %X", got, want)
		}
		tr.Decrypt(&got, &got)
		if got != blk {
			t.Fatalf("3DES decrypt: %X, want %X", got, blk)
		}
	})
}

// FuzzDiversify: multi-level derivation against emmansun (SM4) and
// crypto/des (3DES), with factors cut from the fuzzed bytes.
func FuzzDiversify(f *testing.F) {
	f.Add(make([]byte, 16), []byte("371700sx12345678"))
	f.Fuzz(func(t *testing.T, r, fs []byte) {
		root := key16(r)
		var factors []diversify.Factor
		for len(fs) > 0 && len(factors) < diversify.MaxLevels {
			n := min(8, len(fs))
			fac, err := diversify.PadFactor(fs[:n])
			if err != nil {
				t.Fatal(err)
			}
			factors = append(factors, fac)
			fs = fs[n:]
		}
		var got [16]byte
		if err := diversify.Derive(diversify.SM4, &got, &root, factors); err != nil {
			t.Fatal(err)
		}
		want := append([]byte{}, root[:]...)
		for _, y := range factors {
			c, _ := gmsm4.NewCipher(want)
			in := make([]byte, 16)
			for i := 0; i < 8; i++ {
				in[i], in[8+i] = y[i], ^y[i]
			}
			c.Encrypt(want, in)
		}
		if !bytes.Equal(got[:], want) {
			t.Fatalf("SM4 derive: %X, want %X", got, want)
		}
		if err := diversify.Derive(diversify.TDES, &got, &root, factors); err != nil {
			t.Fatal(err)
		}
		want = append(want[:0], root[:]...)
		for _, y := range factors {
			c, _ := stddes.NewTripleDESCipher(append(append([]byte{}, want...), want[:8]...))
			var ny [8]byte
			for i := range ny {
				ny[i] = ^y[i]
			}
			c.Encrypt(want[:8], y[:])
			c.Encrypt(want[8:], ny[:])
		}
		if !bytes.Equal(got[:], want) {
			t.Fatalf("3DES derive: %X, want %X", got, want)
		}
	})
}

// FuzzParseInputs: the text parsers of the core packages never panic and
// either fail with their sentinel or round-trip.
func FuzzParseInputs(f *testing.F) {
	f.Add("20261122", "135100", "0000000012345678", "371700", "123456")
	f.Add("", "", "zz", "37170x", "12")
	f.Fuzz(func(t *testing.T, date, tm, factor, region, pin string) {
		if _, err := mac.ParseDate(date); err != nil && !isErr(err, mac.ErrField) {
			t.Fatalf("ParseDate: unexpected error %v", err)
		}
		if _, err := mac.ParseTime(tm); err != nil && !isErr(err, mac.ErrField) {
			t.Fatalf("ParseTime: unexpected error %v", err)
		}
		if _, err := diversify.ParseFactor(factor); err != nil && !isErr(err, diversify.ErrFactor) {
			t.Fatalf("ParseFactor: %v", err)
		}
		if _, err := diversify.CityFactor(region); err != nil && !isErr(err, diversify.ErrFactor) {
			t.Fatalf("CityFactor: %v", err)
		}
		var p [6]byte
		if _, err := mac.EncodePIN(&p, pin); err != nil && !isErr(err, mac.ErrField) {
			t.Fatalf("EncodePIN: %v", err)
		}
	})
}
