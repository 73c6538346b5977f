package card

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/sscard/sscard/bench/apdu"
	"github.com/sscard/sscard/bench/internal/ref"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func key16(t testing.TB, s string) (k [16]byte) {
	copy(k[:], unhex(t, s))
	return
}

type pbocVector struct {
	ID       string            `json:"id"`
	Inputs   map[string]string `json:"inputs"`
	Expected map[string]string `json:"expected"`
}

func loadPBOC(t *testing.T) map[string]pbocVector {
	b, err := os.ReadFile("../../testdata/pboc.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Vectors []pbocVector }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	m := map[string]pbocVector{}
	for _, v := range f.Vectors {
		m[v.ID] = v
	}
	return m
}

func send(t testing.TB, c *Card, cmd string, wantSW apdu.SW) []byte {
	t.Helper()
	r, sw := c.Transmit(unhex(t, cmd))
	if sw != wantSW {
		t.Fatalf("%s: %v, want %v", cmd, sw, wantSW)
	}
	return append([]byte(nil), r...)
}

// TestPBOCLoadVector replays the published load: the card's INITIALIZE FOR
// LOAD response is byte for byte the published one, and the published MAC2
// is accepted.
func TestPBOCLoadVector(t *testing.T) {
	v := loadPBOC(t)["pboc_ep_load-121"]
	c, err := New(Config{Alg: ref.TDES, KeyVersion: 0x02, Keys: Keys{DLK: key16(t, v.Inputs["load_key_DLK"])},
		Rand: bytes.NewReader(unhex(t, v.Inputs["card_random"]))})
	if err != nil {
		t.Fatal(err)
	}
	r := send(t, c, v.Inputs["apdu_init_for_load"], apdu.OK)
	if got := hex.EncodeToString(r); got != lower(v.Inputs["init_for_load_response"]) {
		t.Fatalf("INITIALIZE FOR LOAD: %s, want %s", got, v.Inputs["init_for_load_response"])
	}
	tac := send(t, c, "805200000B"+v.Inputs["date"]+v.Inputs["time"]+v.Expected["MAC2"]+"04", apdu.OK)
	if c.Balance() != 0x1000 {
		t.Fatalf("balance %d", c.Balance())
	}
	// The TAC is not published; check it against package mac.
	l := &mac.Load{Type: 0x01, Amount: 0x1000, Terminal: [6]byte(unhex(t, v.Inputs["terminal_id"])),
		Date: [4]byte(unhex(t, v.Inputs["date"])), Time: [3]byte(unhex(t, v.Inputs["time"]))}
	var dtk [16]byte
	want, _ := mac.TAC(mac.SM4Profile, diversify.TDES, &dtk, l)
	if !bytes.Equal(tac, want[:]) {
		t.Fatalf("TAC %X, want %X", tac, want)
	}
}

// TestPBOCPurchaseVector replays the published purchase: the published MAC1
// is accepted and the card answers the published MAC2.
func TestPBOCPurchaseVector(t *testing.T) {
	v := loadPBOC(t)["pboc_ep_purchase-122"]
	c, err := New(Config{Alg: ref.TDES, KeyVersion: 0x02, Keys: Keys{DPK: key16(t, v.Inputs["purchase_key_DPK"])},
		Balance: 0x5000, Rand: bytes.NewReader(unhex(t, v.Inputs["card_random"]))})
	if err != nil {
		t.Fatal(err)
	}
	r := send(t, c, v.Inputs["apdu_init_for_purchase"]+"0F", apdu.OK)
	if got := hex.EncodeToString(r); got != "00005000"+"0000"+"000000"+"02"+"00"+"11223344" {
		t.Fatalf("INITIALIZE FOR PURCHASE: %s", got)
	}
	r = send(t, c, "805401000F"+v.Inputs["terminal_seq"]+v.Inputs["datetime"]+v.Expected["MAC1"]+"08", apdu.OK)
	if got := hex.EncodeToString(r[4:]); got != lower(v.Expected["MAC2"]) {
		t.Fatalf("MAC2 %s, want %s", got, v.Expected["MAC2"])
	}
	if on, off := c.Counters(); c.Balance() != 0x4000 || on != 0 || off != 1 {
		t.Fatalf("balance %X counters %d %d", c.Balance(), on, off)
	}
}

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

func newCard(t testing.TB, alg ref.Alg) *Card {
	c, err := New(Config{Alg: alg, KeyVersion: 1, Balance: 1000, Keys: Keys{
		DPK: [16]byte{1}, DLK: [16]byte{2}, DTK: [16]byte{3}, DPUK: [16]byte{4, 5, 6}, DRPK: [16]byte{7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mAlg(a ref.Alg) diversify.Alg {
	if a == ref.SM4 {
		return diversify.SM4
	}
	return diversify.TDES
}

func pinBCD(t testing.TB, s string) []byte {
	var b [6]byte
	n, err := mac.EncodePIN(&b, s)
	if err != nil {
		t.Fatal(err)
	}
	return b[:n]
}

func verifyAPDU(t testing.TB, pin string) []byte {
	return apdu.Append(nil, 0x00, 0x20, 0, 0, pinBCD(t, pin), 0)
}

func TestPIN(t *testing.T) {
	for _, alg := range []ref.Alg{ref.SM4, ref.TDES} {
		t.Run(alg.String(), func(t *testing.T) {
			c := newCard(t, alg)
			tx := func(cmd []byte, want apdu.SW) {
				t.Helper()
				if _, sw := c.Transmit(cmd); sw != want {
					t.Fatalf("% X: %v, want %v", cmd, sw, want)
				}
			}
			// Initial PIN 123456; a right entry resets the counter.
			tx(verifyAPDU(t, "123456"), apdu.OK)
			tx(verifyAPDU(t, "654321"), 0x63C2)
			tx(verifyAPDU(t, "123456"), apdu.OK)
			tx([]byte{0x00, 0x20, 0x00, 0x00}, 0x63C3)
			// Three wrong entries lock; the fourth answers 6983 even right.
			tx(verifyAPDU(t, "111111"), 0x63C2)
			tx(verifyAPDU(t, "222222"), 0x63C1)
			tx(verifyAPDU(t, "333333"), 0x63C0)
			tx(verifyAPDU(t, "123456"), apdu.Locked)
			tx([]byte{0x00, 0x20, 0x00, 0x00}, apdu.Locked)
			tx(apdu.Append(nil, 0x80, 0x5E, 0x01, 0x00, append(append(pinBCD(t, "123456"), 0xFF), pinBCD(t, "888888")...), 0), apdu.Locked)
			if c.PINTriesLeft() != 0 {
				t.Fatal("not locked")
			}

			// RELOAD PIN with a wrong MAC: 6988, nothing changes.
			drpk := c.cfg.Keys.DRPK
			newPIN := pinBCD(t, "13579")
			m, err := mac.ReloadPINMAC(mac.SM4Profile, mAlg(alg), &drpk, newPIN)
			if err != nil {
				t.Fatal(err)
			}
			bad := m
			bad[2] ^= 4
			tx(apdu.Append(nil, 0x80, 0x5E, 0x00, 0x00, append(append([]byte(nil), newPIN...), bad[:]...), 0), apdu.SMMACWrong)
			tx(verifyAPDU(t, "13579"), apdu.Locked)
			// With the right MAC it unlocks and resets to the new PIN.
			tx(apdu.Append(nil, 0x80, 0x5E, 0x00, 0x00, append(append([]byte(nil), newPIN...), m[:]...), 0), apdu.OK)
			if c.PINTriesLeft() != PINTries {
				t.Fatal("tries not reset")
			}
			tx(verifyAPDU(t, "123456"), 0x63C2)
			tx(verifyAPDU(t, "13579"), apdu.OK)

			// CHANGE PIN: wrong old PIN counts as a try; right one changes it.
			tx(apdu.Append(nil, 0x80, 0x5E, 0x01, 0x00, append(append(pinBCD(t, "123456"), 0xFF), pinBCD(t, "246810")...), 0), 0x63C2)
			tx(apdu.Append(nil, 0x80, 0x5E, 0x01, 0x00, append(append(pinBCD(t, "13579"), 0xFF), pinBCD(t, "246810")...), 0), apdu.OK)
			tx(verifyAPDU(t, "13579"), 0x63C2)
			tx(verifyAPDU(t, "246810"), apdu.OK)
			tx(apdu.Append(nil, 0x80, 0x5E, 0x01, 0x00, append(pinBCD(t, "246810"), 0xFF), 0), apdu.WrongLength)
			tx(apdu.Append(nil, 0x80, 0x5E, 0x01, 0x00, append(append(pinBCD(t, "246810"), 0xEE), pinBCD(t, "1234")...), 0), apdu.WrongData)

			// Lock again, then UNBLOCK PIN under secure messaging.
			for i := 0; i < 3; i++ {
				c.Transmit(verifyAPDU(t, "000000"))
			}
			tx(verifyAPDU(t, "246810"), apdu.Locked)
			dpuk := c.cfg.Keys.DPUK
			unblock := func(pin string, chLen int, corrupt bool) []byte {
				var enc [16]byte
				n, err := mac.EncryptPIN(enc[:], mAlg(alg), &dpuk, pinBCD(t, pin))
				if err != nil {
					t.Fatal(err)
				}
				cmd := append([]byte{0x84, 0x24, 0x00, 0x00, byte(n + 4)}, enc[:n]...)
				var ch []byte
				if chLen > 0 {
					r, sw := c.Transmit([]byte{0x00, 0x84, 0x00, 0x00, byte(chLen)})
					if sw != apdu.OK || len(r) != chLen {
						t.Fatalf("GET CHALLENGE: %X %v", r, sw)
					}
					ch = append([]byte(nil), r...)
				} else {
					ch = make([]byte, 8)
				}
				cm, err := mac.CommandMAC(mAlg(alg), &dpuk, ch, cmd)
				if err != nil {
					t.Fatal(err)
				}
				if corrupt {
					cm[0] ^= 1
				}
				return append(cmd, cm[:]...)
			}
			tx(unblock("111222", 0, false), apdu.NoChallenge)
			tx(unblock("111222", 8, true), apdu.SMMACWrong)
			tx(verifyAPDU(t, "246810"), apdu.Locked)
			// A challenge serves the next command only.
			cmd := unblock("111222", 4, false)
			tx([]byte{0x80, 0x5C, 0x00, 0x02, 0x04}, apdu.OK)
			tx(cmd, apdu.NoChallenge)
			tx(unblock("111222", 4, false), apdu.OK)
			tx(verifyAPDU(t, "246810"), 0x63C2)
			tx(verifyAPDU(t, "111222"), apdu.OK)
			tx(unblock("7654321", 8, false), apdu.OK)
			tx(verifyAPDU(t, "7654321"), apdu.OK)
		})
	}
}

func TestPurse(t *testing.T) {
	c := newCard(t, ref.SM4)
	// Over the balance: 9401, nothing changes.
	if _, sw := c.Transmit(unhex(t, "805001020B01000003E9001122334455")); sw != apdu.Insufficient {
		t.Fatalf("purchase over the balance: %v", sw)
	}
	if _, sw := c.Transmit(unhex(t, "805001020B01000003E8001122334455")); sw != apdu.OK {
		t.Fatalf("purchase of the whole balance: %v", sw)
	}
	// A wrong MAC1: 9302, and the pending purchase is gone.
	send(t, c, "805401000F0000000120261122135100DEADBEEF08", apdu.MACWrong)
	send(t, c, "805401000F0000000120261122135100DEADBEEF08", apdu.Conditions)
	if on, off := c.Counters(); c.Balance() != 1000 || on != 0 || off != 0 {
		t.Fatalf("failed MAC changed the purse: %d %d %d", c.Balance(), on, off)
	}
	// Any other command drops a pending transaction.
	send(t, c, "805000020B0100000001001122334455", apdu.OK)
	send(t, c, "805C000204", apdu.OK)
	send(t, c, "805200000B2026112213510000000000", apdu.Conditions)
	// A load that overflows the balance.
	c.balance = 1<<32 - 10
	send(t, c, "805000020B010000000A001122334455", apdu.Conditions)
	send(t, c, "805000020B0100000009001122334455", apdu.OK)
	if r := send(t, c, "805C000204", apdu.OK); !bytes.Equal(r, []byte{0xFF, 0xFF, 0xFF, 0xF6}) {
		t.Fatalf("GET BALANCE %X", r)
	}
	// Unknown key index.
	send(t, c, "805001020B02000003E8001122334455", apdu.KeyNotFound)
}

// TestBadAPDUs: malformed commands answer the right status word and never
// panic.
func TestBadAPDUs(t *testing.T) {
	c := newCard(t, ref.TDES)
	for _, tc := range []struct {
		cmd string
		sw  apdu.SW
	}{
		{"", apdu.WrongLength},
		{"8050", apdu.WrongLength},
		{"805001020B0100", apdu.WrongLength},                 // truncated
		{"805001020A01000003E80011223344", apdu.WrongLength}, // Lc 0A
		{"805001020001", apdu.WrongLength},                   // extended Lc
		{"80FF000000", apdu.INSNotSupported},
		{"00500102", apdu.CLANotSupported},
		{"805007020B01000003E8001122334455", apdu.WrongP1P2},
		{"805C000304", apdu.WrongP1P2},
		{"805C000208", apdu.WrongLength},
		{"0084000005", apdu.WrongLength},
		{"0084010004", apdu.WrongP1P2},
		{"00B0950020", apdu.WrongLength},
		{"00B0960004", apdu.WrongP1P2},
		{"0020000007123456789012FF", apdu.WrongLength},
		{"00200000031234AB", apdu.WrongData},
		{"805E0200041234FF12", apdu.WrongP1P2},
		{"805E000003123456", apdu.WrongLength},
		{"8424000004DEADBEEF", apdu.WrongLength},
		{"805401000F000000012026112213510000000000", apdu.Conditions},
	} {
		if _, sw := c.Transmit(unhex(t, tc.cmd)); sw != tc.sw {
			t.Errorf("%s: %v, want %v", tc.cmd, sw, tc.sw)
		}
	}
	if r := send(t, c, "00B095000A", apdu.OK); !bytes.Equal(r[:8], []byte("SSCARD\x00\x01")) {
		t.Errorf("issuer file %X", r)
	}
}

// FuzzTransmit sends arbitrary bytes twice: no panic, and the purse never
// moves without valid MACs.
func FuzzTransmit(f *testing.F) {
	f.Add(unhex(f, "805001020B01000003E8001122334455"))
	f.Add(unhex(f, "805E0100071234FF567890"))
	f.Add(unhex(f, "0084000008"))
	f.Add(unhex(f, "0020000003123456"))
	f.Add(unhex(f, "805E000003123456"))
	f.Fuzz(func(t *testing.T, cmd []byte) {
		for _, alg := range []ref.Alg{ref.SM4, ref.TDES} {
			c := newCard(t, alg)
			c.Transmit(cmd)
			c.Transmit(cmd)
			// Without valid MACs nothing can move the purse.
			if on, off := c.Counters(); c.Balance() != 1000 || on != 0 || off != 0 {
				t.Fatalf("% X changed the purse", cmd)
			}
			// A locked PIN stays locked: only RELOAD or UNBLOCK PIN with a
			// valid MAC may reset the counter, and a fuzzed command has none.
			l := newCard(t, alg)
			for i := 0; i < 3; i++ {
				l.Transmit(unhex(t, "0020000003654321"))
			}
			if l.PINTriesLeft() != 0 {
				t.Fatalf("three wrong PINs left %d tries", l.PINTriesLeft())
			}
			l.Transmit(unhex(t, "0084000004")) // a challenge, so that secure messaging is possible
			l.Transmit(cmd)
			l.Transmit(cmd)
			if l.PINTriesLeft() != 0 {
				t.Fatalf("% X reset a locked PIN counter", cmd)
			}
		}
	})
}
