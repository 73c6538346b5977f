package mac

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sscard/sscard/diversify"
)

func samplePurchase() *Purchase {
	return &Purchase{Type: 0x06, Amount: 1000, Terminal: [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55},
		TermSeq: [4]byte{0, 0, 0, 1}, Date: [4]byte{0x20, 0x26, 0x11, 0x25}, Time: [3]byte{0x13, 0x51, 0},
		Random: [4]byte{0x11, 0x22, 0x33, 0x44}, OfflineSeq: 7}
}

func sampleLoad() *Load {
	return &Load{Type: 0x02, Amount: 5000, Balance: 1200, Terminal: [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55},
		Date: [4]byte{0x20, 0x26, 0x11, 0x25}, Time: [3]byte{0x13, 0x51, 0}, Random: [4]byte{1, 2, 3, 4}, OnlineSeq: 3}
}

// Each mutation changes one field the MAC covers; every Verify must then
// fail with the right sentinel.
func TestVerifyRejectsFlips(t *testing.T) {
	key := [16]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}
	pmuts := map[string]func(p *Purchase){
		"amount":   func(p *Purchase) { p.Amount ^= 1 },
		"terminal": func(p *Purchase) { p.Terminal[5] ^= 1 },
		"counter":  func(p *Purchase) { p.OfflineSeq ^= 1 },
		"date":     func(p *Purchase) { p.Date[3] ^= 0x01 },
		"time":     func(p *Purchase) { p.Time[2] ^= 0x01 },
		"termseq":  func(p *Purchase) { p.TermSeq[3] ^= 1 },
		"random":   func(p *Purchase) { p.Random[0] ^= 1 },
		"type":     func(p *Purchase) { p.Type = 0x05 },
	}
	for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
		p := samplePurchase()
		m1, _ := MAC1(SM4Profile, alg, &key, p)
		m2, _ := MAC2(SM4Profile, alg, &key, p)
		tac, _ := TAC(SM4Profile, alg, &key, p)
		if err := VerifyMAC1(SM4Profile, alg, &key, p, &m1); err != nil {
			t.Fatal(err)
		}
		if err := VerifyMAC2(SM4Profile, alg, &key, p, &m2); err != nil {
			t.Fatal(err)
		}
		if err := VerifyTAC(SM4Profile, alg, &key, p, &tac); err != nil {
			t.Fatal(err)
		}
		for name, mut := range pmuts {
			q := *p
			mut(&q)
			e1 := VerifyMAC1(SM4Profile, alg, &key, &q, &m1)
			e2 := VerifyMAC2(SM4Profile, alg, &key, &q, &m2)
			et := VerifyTAC(SM4Profile, alg, &key, &q, &tac)
			// MAC1 covers amount/type/terminal/date/time and (via the
			// session key) random, counter, termseq; MAC2 covers the amount
			// and the session inputs; the TAC covers everything but random
			// and counter.
			if !errors.Is(e1, ErrMAC1Mismatch) {
				t.Errorf("%v %s: MAC1 accepted (%v)", alg, name, e1)
			}
			if name != "terminal" && name != "date" && name != "time" && name != "type" && !errors.Is(e2, ErrMAC2Mismatch) {
				t.Errorf("%v %s: MAC2 accepted (%v)", alg, name, e2)
			}
			if name != "random" && name != "counter" && !errors.Is(et, ErrTACMismatch) {
				t.Errorf("%v %s: TAC accepted (%v)", alg, name, et)
			}
		}
		// A changed MAC and a changed key are rejected.
		for i := 0; i < 4; i++ {
			bad := tac
			bad[i] ^= 0x80
			if err := VerifyTAC(SM4Profile, alg, &key, p, &bad); !errors.Is(err, ErrTACMismatch) || !errors.Is(err, ErrMACMismatch) {
				t.Errorf("%v: flipped TAC byte %d accepted (%v)", alg, i, err)
			}
		}
		for i := 0; i < 16; i++ {
			k2 := key
			k2[i] ^= 0x02 // not a DES parity bit
			if err := VerifyTAC(SM4Profile, alg, &k2, p, &tac); !errors.Is(err, ErrTACMismatch) {
				t.Errorf("%v: key byte %d flipped, TAC accepted", alg, i)
			}
			if err := VerifyMAC1(SM4Profile, alg, &k2, p, &m1); !errors.Is(err, ErrMAC1Mismatch) {
				t.Errorf("%v: key byte %d flipped, MAC1 accepted", alg, i)
			}
		}
		// Load: MAC2 and TAC reject every covered field.
		l := sampleLoad()
		lm2, _ := MAC2(SM4Profile, alg, &key, l)
		ltac, _ := TAC(SM4Profile, alg, &key, l)
		lmuts := map[string]func(l *Load){
			"amount":   func(l *Load) { l.Amount++ },
			"terminal": func(l *Load) { l.Terminal[0] ^= 1 },
			"counter":  func(l *Load) { l.OnlineSeq++ },
			"date":     func(l *Load) { l.Date[2] ^= 0x10 },
			"balance":  func(l *Load) { l.Balance++ },
		}
		for name, mut := range lmuts {
			q := *l
			mut(&q)
			if name != "balance" {
				if err := VerifyMAC2(SM4Profile, alg, &key, &q, &lm2); !errors.Is(err, ErrMAC2Mismatch) {
					t.Errorf("%v load %s: MAC2 accepted (%v)", alg, name, err)
				}
			}
			if err := VerifyTAC(SM4Profile, alg, &key, &q, &ltac); !errors.Is(err, ErrTACMismatch) {
				t.Errorf("%v load %s: TAC accepted (%v)", alg, name, err)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	key := [16]byte{1}
	cases := []struct {
		name string
		tx   Transaction
	}{
		{"bad month", &Purchase{Date: [4]byte{0x20, 0x26, 0x13, 0x01}, Time: [3]byte{}}},
		{"non-BCD date", &Purchase{Date: [4]byte{0x20, 0x2a, 0x01, 0x01}}},
		{"Feb 30", &Purchase{Date: [4]byte{0x20, 0x26, 0x02, 0x30}}},
		{"bad hour", &Purchase{Date: [4]byte{0x20, 0x26, 0x01, 0x01}, Time: [3]byte{0x24, 0, 0}}},
		{"purchase with load type", &Purchase{Type: 0x02, Date: [4]byte{0x20, 0x26, 0x01, 0x01}}},
		{"load overflow", &Load{Amount: 1 << 31, Balance: 1 << 31, Date: [4]byte{0x20, 0x26, 0x01, 0x01}}},
		{"unload over balance", &Unload{Amount: 2, Balance: 1, Date: [4]byte{0x20, 0x26, 0x01, 0x01}}},
		{"limit over 3 bytes", &Overdraw{NewLimit: 1 << 24, Date: [4]byte{0x20, 0x26, 0x01, 0x01}}},
	}
	for _, c := range cases {
		if _, err := MAC1(SM4Profile, diversify.SM4, &key, c.tx); !errors.Is(err, ErrField) {
			t.Errorf("%s: MAC1 err = %v, want ErrField", c.name, err)
		}
		if c.tx.Kind() != KindUnload {
			if _, err := TAC(SM4Profile, diversify.TDES, &key, c.tx); !errors.Is(err, ErrField) {
				t.Errorf("%s: TAC err = %v, want ErrField", c.name, err)
			}
		}
	}
	// A nil transaction, typed or not, is an error at every entry point,
	// never a panic.
	var want [Size]byte
	for _, tx := range []Transaction{nil, (*Purchase)(nil), (*Load)(nil), (*Unload)(nil), (*Overdraw)(nil)} {
		name := fmt.Sprintf("%T", tx)
		for fn, err := range map[string]error{
			"NewSession": func() error { _, err := NewSession(SM4Profile, diversify.SM4, &key, tx); return err }(),
			"MAC1":       func() error { _, err := MAC1(SM4Profile, diversify.SM4, &key, tx); return err }(),
			"MAC2":       func() error { _, err := MAC2(SM4Profile, diversify.SM4, &key, tx); return err }(),
			"MAC3":       func() error { _, err := MAC3(SM4Profile, diversify.SM4, &key, tx); return err }(),
			"TAC":        func() error { _, err := TAC(SM4Profile, diversify.SM4, &key, tx); return err }(),
			"VerifyMAC1": VerifyMAC1(SM4Profile, diversify.SM4, &key, tx, &want),
			"VerifyMAC2": VerifyMAC2(SM4Profile, diversify.SM4, &key, tx, &want),
			"VerifyMAC3": VerifyMAC3(SM4Profile, diversify.SM4, &key, tx, &want),
			"VerifyTAC":  VerifyTAC(SM4Profile, diversify.SM4, &key, tx, &want),
		} {
			if !errors.Is(err, ErrField) && !errors.Is(err, ErrNoMAC3) && !errors.Is(err, ErrNoTAC) {
				t.Errorf("%s(%s): %v, want ErrField (or the kind's ErrNoMAC3, ErrNoTAC)", fn, name, err)
			}
		}
	}
	p := samplePurchase()
	if _, err := MAC1(PBOC3DES, diversify.SM4, &key, p); !errors.Is(err, ErrAlgNotAllowed) {
		t.Errorf("SM4 under PBOC-3DES: %v", err)
	}
	if _, err := MAC1(SM4Profile, diversify.Alg(9), &key, p); !errors.Is(err, diversify.ErrUnknownAlg) {
		t.Errorf("unknown alg: %v", err)
	}
	if _, err := MAC3(SM4Profile, diversify.SM4, &key, p); !errors.Is(err, ErrNoMAC3) {
		t.Errorf("MAC3 of purchase: %v", err)
	}
	if _, err := ProfileByName("nope"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("profile: %v", err)
	}
	for _, s := range []string{"2026113", "2026-1-1", "20261301", "2026110a"} {
		if _, err := ParseDate(s); !errors.Is(err, ErrField) {
			t.Errorf("ParseDate(%q) = %v", s, err)
		}
	}
	if d, err := ParseDate("20240229"); err != nil || d != [4]byte{0x20, 0x24, 0x02, 0x29} {
		t.Errorf("ParseDate leap day: %X %v", d, err)
	}
	if _, err := ParseTime("246000"); !errors.Is(err, ErrField) {
		t.Errorf("ParseTime: %v", err)
	}
	if _, err := CommandMAC(diversify.SM4, &key, []byte{1, 2, 3}, nil); !errors.Is(err, ErrLength) {
		t.Errorf("challenge length: %v", err)
	}
}

func TestProfilesDiffer(t *testing.T) {
	key := [16]byte{9, 8, 7}
	p := samplePurchase()
	base, _ := MAC1(SM4Profile, diversify.SM4, &key, p)
	for _, rule := range []SessionRule{SessionZeroPad, SessionPad80} {
		prof := *SM4Profile
		prof.SM4Session = rule
		m, _ := MAC1(&prof, diversify.SM4, &key, p)
		if m == base {
			t.Errorf("session rule %d gives the same MAC1", rule)
		}
	}
	prof := *SM4Profile
	prof.SM4TACKey = KeyXORHalves
	a, _ := TAC(SM4Profile, diversify.SM4, &key, p)
	b, _ := TAC(&prof, diversify.SM4, &key, p)
	if a == b {
		t.Error("TAC key rule has no effect")
	}
	prof.Padding = PadIfNeeded
	// MAC2 over 4 bytes is padded either way; a 16-byte input is not.
	var x, y [16]byte
	var s1 Session
	s1, _ = NewSession(SM4Profile, diversify.SM4, &key, p)
	s2, _ := NewSession(&prof, diversify.SM4, &key, p)
	cbcSM4(&s1.sm4, &x, make([]byte, 16), PadAlways)
	cbcSM4(&s2.sm4, &y, make([]byte, 16), PadIfNeeded)
	if x == y {
		t.Error("padding rule has no effect on aligned data")
	}
}

// TestBadProfile: a setting outside its constants, or a nil profile, is
// refused by every entry point rather than read as some default.
func TestBadProfile(t *testing.T) {
	key := [16]byte{9, 8, 7}
	tx := samplePurchase()
	for name, edit := range map[string]func(p *Profile){
		"SM4Session":      func(p *Profile) { p.SM4Session = SessionPad80 + 1 },
		"SM4TACKey":       func(p *Profile) { p.SM4TACKey = KeyXORHalves + 1 },
		"SM4PINReloadKey": func(p *Profile) { p.SM4PINReloadKey = 9 },
		"FactorOrder":     func(p *Profile) { p.FactorOrder = LowestFirst + 1 },
		"Padding":         func(p *Profile) { p.Padding = 9 },
		"ShortFactor":     func(p *Profile) { p.ShortFactor = ShortRefused + 1 },
		"SM4LongFactor":   func(p *Profile) { p.SM4LongFactor = LongOneBlock + 1 },
		"UnloadMAC3":      func(p *Profile) { p.UnloadMAC3 = Layout{ItemAmount, ItemNewLimit} },
		"OverdrawTAC":     func(p *Profile) { p.OverdrawTAC = Layout{ItemType, 0, ItemDate} },
	} {
		prof := *SM4Profile
		edit(&prof)
		if err := prof.Validate(); !errors.Is(err, ErrBadProfile) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: Validate = %v, want ErrBadProfile naming it", name, err)
		}
		for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
			if _, err := MAC1(&prof, alg, &key, tx); !errors.Is(err, ErrBadProfile) {
				t.Errorf("%s: MAC1(%v) = %v", name, alg, err)
			}
			if _, err := TAC(&prof, alg, &key, tx); !errors.Is(err, ErrBadProfile) {
				t.Errorf("%s: TAC(%v) = %v", name, alg, err)
			}
			if _, err := ReloadPINMAC(&prof, alg, &key, []byte{0x12, 0x34}); !errors.Is(err, ErrBadProfile) {
				t.Errorf("%s: ReloadPINMAC(%v) = %v", name, alg, err)
			}
		}
	}
	if _, err := MAC1(nil, diversify.SM4, &key, tx); !errors.Is(err, ErrBadProfile) {
		t.Errorf("nil profile: %v", err)
	}
	for _, p := range []*Profile{SM4Profile, PBOC3DES} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
	}
}

func TestPIN(t *testing.T) {
	var pin [6]byte
	n, err := EncodePIN(&pin, "12345")
	if err != nil || n != 3 || [3]byte(pin[:3]) != [3]byte{0x12, 0x34, 0x5f} {
		t.Fatalf("EncodePIN: %X %d %v", pin, n, err)
	}
	if _, err := EncodePIN(&pin, "12a456"); !errors.Is(err, ErrField) {
		t.Fatalf("non-digit PIN: %v", err)
	}
	if _, err := EncodePIN(&pin, "123"); !errors.Is(err, ErrField) {
		t.Fatalf("short PIN: %v", err)
	}
	// '?' is '0'+0x0f, the filler nibble's digit: never a digit itself.
	for _, bad := range []string{"1?34", "123?", "12345?", "?234", "1234/", "1234:"} {
		if n, err := EncodePIN(&pin, bad); !errors.Is(err, ErrField) || pin != [6]byte{} {
			t.Errorf("EncodePIN(%q) = %d, %X, %v; want ErrField and a cleared buffer", bad, n, pin, err)
		}
	}
	if n, err := EncodePIN(&pin, "098765432101"); err != nil || n != 6 || pin != [6]byte{0x09, 0x87, 0x65, 0x43, 0x21, 0x01} {
		t.Fatalf("12-digit PIN: %X %d %v", pin, n, err)
	}
	pin = [6]byte{}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
		var key [16]byte
		fill(rng, key[:])
		n, _ := EncodePIN(&pin, "123456")
		var enc [16]byte
		m, err := EncryptPIN(enc[:], alg, &key, pin[:n])
		if err != nil {
			t.Fatal(err)
		}
		var back [6]byte
		k, err := DecryptPIN(&back, alg, &key, enc[:m])
		if err != nil || k != n || back != pin {
			t.Fatalf("%v: DecryptPIN %X %d %v", alg, back, k, err)
		}
		key[0] ^= 4
		if _, err := DecryptPIN(&back, alg, &key, enc[:m]); !errors.Is(err, ErrField) {
			t.Errorf("%v: wrong key decrypted a PIN block (%v)", alg, err)
		}
		key[0] ^= 4
		mac, _ := ReloadPINMAC(SM4Profile, alg, &key, pin[:n])
		if err := VerifyReloadPINMAC(SM4Profile, alg, &key, pin[:n], &mac); err != nil {
			t.Fatal(err)
		}
		pin[0] ^= 0x10
		if err := VerifyReloadPINMAC(SM4Profile, alg, &key, pin[:n], &mac); !errors.Is(err, ErrMACMismatch) {
			t.Errorf("%v: changed PIN accepted", alg)
		}
		pin[0] ^= 0x10
		cmd := append([]byte{0x84, 0x24, 0, 0, byte(m + 4)}, enc[:m]...)
		ch := []byte{1, 2, 3, 4}
		cm, _ := CommandMAC(alg, &key, ch, cmd)
		if err := VerifyCommandMAC(alg, &key, ch, cmd, &cm); err != nil {
			t.Fatal(err)
		}
		ch[3]++
		if err := VerifyCommandMAC(alg, &key, ch, cmd, &cm); !errors.Is(err, ErrMACMismatch) {
			t.Errorf("%v: changed challenge accepted", alg)
		}
	}
}
