package ref

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// TestSM4Vector is the GB/T 32907 check of SPEC §1 on tjfoc's SM4.
func TestSM4Vector(t *testing.T) {
	k, _ := hex.DecodeString("0123456789abcdeffedcba9876543210")
	b := Block(SM4, k)
	out := make([]byte, 16)
	b.Encrypt(out, k)
	if hex.EncodeToString(out) != "681edf34d206965e86b3e94f536e4246" {
		t.Fatalf("SM4 %x", out)
	}
}

// TestTACKeyVector is the published TAC DES key rule (L ^ R): MAC_DES under
// 8888888888888888 equals KeyedMAC under the 16-byte key.
func TestTACKeyVector(t *testing.T) {
	var k [16]byte
	hex.Decode(k[:], []byte("00112233445566778899AABBCCDDEEFF"))
	d, _ := hex.DecodeString("8888888888888888")
	data := []byte("some TAC input")
	if KeyedMAC(TDES, KeyAsIs, &k, data) != MAC4(DES(d), data) {
		t.Fatal("TAC key is not L^R")
	}
}

func dalg(a Alg) diversify.Alg {
	if a == SM4 {
		return diversify.SM4
	}
	return diversify.TDES
}

// TestDifferential compares every primitive with the main module's
// diversify and mac on random inputs.
func TestDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	for i := 0; i < 500; i++ {
		for _, a := range []Alg{SM4, TDES} {
			var root [16]byte
			fill(root[:])
			f := make([][8]byte, 1+i%3)
			df := make([]diversify.Factor, len(f))
			for j := range f {
				fill(f[j][:])
				df[j] = f[j]
			}
			var want [16]byte
			diversify.Derive(dalg(a), &want, &root, df)
			if got := Derive(a, &root, f); got != want {
				t.Fatalf("%v Derive %x, want %x", a, got, want)
			}
			kcv, _ := diversify.KCV(dalg(a), &root)
			if KCV(a, &root) != kcv {
				t.Fatalf("%v KCV", a)
			}
			data := make([]byte, rng.IntN(40))
			fill(data)
			if len(data) >= 6 {
				// PIN reload MAC over BCD bytes.
				pin := data[:1+len(data)%6]
				m, _ := mac.ReloadPINMAC(mac.SM4Profile, dalg(a), &root, pin)
				if KeyedMAC(a, KeyAsIs, &root, pin) != m {
					t.Fatalf("%v reload MAC", a)
				}
			}
			ch := make([]byte, 4+4*(i%2))
			fill(ch)
			cm, _ := mac.CommandMAC(dalg(a), &root, ch, data)
			if CommandMAC(a, &root, ch, data) != cm {
				t.Fatalf("%v CommandMAC", a)
			}
			var d8 [8]byte
			fill(d8[:])
			for _, rule := range []SessionRule{SessionNotD8, SessionZeroPad, SessionPad80} {
				p := *mac.SM4Profile
				p.SM4Session = mac.SessionRule(rule)
				tx := &mac.Purchase{Amount: rng.Uint32(), Date: [4]byte{0x20, 0x26, 1, 1},
					Random: [4]byte(d8[:4]), OfflineSeq: uint16(d8[4])<<8 | uint16(d8[5]), TermSeq: [4]byte{0, 0, d8[6], d8[7]}}
				sk := SessionKey(a, rule, &root, &d8)
				m1, _ := mac.MAC1(&p, dalg(a), &root, tx)
				if SessionMAC(sk, tx.AppendMAC1(nil)) != m1 {
					t.Fatalf("%v rule %d MAC1", a, rule)
				}
			}
		}
	}
	// Padding is always applied: an aligned input grows by a whole block.
	b := Block(SM4, make([]byte, 16))
	if bytes.Equal(CBCMAC(b, nil, make([]byte, 16)), CBCMAC(b, nil, append(make([]byte, 16), 0x80))) {
		t.Fatal("aligned input was not padded with a whole block")
	}
}
