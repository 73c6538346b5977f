package psam

import (
	"bytes"
	"encoding/hex"
	"errors"
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

var master = [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}

func newPSAM(t testing.TB) *PSAM {
	p := New(Config{Terminal: [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}, Seq: 0x41})
	for _, alg := range []ref.Alg{ref.SM4, ref.TDES} {
		for _, u := range []Usage{Purchase, Load, TAC} {
			if err := p.Install(Key{Usage: u, Alg: alg, Version: 1, Levels: 1, Key: master}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return p
}

func TestInstall(t *testing.T) {
	p := newPSAM(t)
	if err := p.Install(Key{Usage: TAC, Alg: ref.SM4, Version: 1, Levels: 1}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate slot: %v", err)
	}
	for _, k := range []Key{{Usage: 9, Alg: ref.SM4, Levels: 1}, {Usage: TAC, Alg: 7, Levels: 1}, {Usage: TAC, Alg: ref.SM4, Levels: 4}} {
		if err := p.Install(k); !errors.Is(err, ErrKey) {
			t.Errorf("%+v: %v", k, err)
		}
	}
}

// TestInitSAMForPurchase checks the sequence, MAC1 against package mac, and
// MAC2 through CREDIT SAM FOR PURCHASE, for both families.
func TestInitSAMForPurchase(t *testing.T) {
	p := newPSAM(t)
	asn := diversify.Factor{0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78}
	for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
		// rand4 offline2 amt4 type date4 time3 kv alg asn8
		data := unhex(t, "11223344"+"0007"+"000003E8"+"06"+"20261122"+"135100"+"01")
		data = append(data, alg.ID())
		data = append(data, asn[:]...)
		r, sw := p.Transmit(apdu.Append(nil, 0x80, 0x70, 0, 0, data, 8))
		if sw != apdu.OK || len(r) != 8 {
			t.Fatalf("%v: %X %v", alg, r, sw)
		}
		seq := p.Seq()
		if !bytes.Equal(r[:4], []byte{byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq)}) {
			t.Fatalf("sequence %X, PSAM at %08X", r[:4], seq)
		}
		var dpk [16]byte
		diversify.Derive(alg, &dpk, &master, []diversify.Factor{asn})
		tx := &mac.Purchase{Type: 6, Amount: 1000, Terminal: p.Terminal(), TermSeq: [4]byte(r[:4]),
			Date: [4]byte{0x20, 0x26, 0x11, 0x22}, Time: [3]byte{0x13, 0x51, 0}, Random: [4]byte{0x11, 0x22, 0x33, 0x44}, OfflineSeq: 7}
		m1, _ := mac.MAC1(mac.SM4Profile, alg, &dpk, tx)
		if !bytes.Equal(r[4:], m1[:]) {
			t.Fatalf("%v: MAC1 %X, mac says %X", alg, r[4:], m1)
		}
		m2, _ := mac.MAC2(mac.SM4Profile, alg, &dpk, tx)
		if _, sw := p.Transmit(apdu.Append(nil, 0x80, 0x72, 0, 0, m2[:], 0)); sw != apdu.OK {
			t.Fatalf("%v: CREDIT SAM FOR PURCHASE: %v", alg, sw)
		}
		if _, sw := p.Transmit(apdu.Append(nil, 0x80, 0x72, 0, 0, m2[:], 0)); sw != apdu.Conditions {
			t.Fatalf("%v: second CREDIT SAM FOR PURCHASE: %v", alg, sw)
		}
	}
	// Any command in between ends the purchase.
	data := unhex(t, "11223344000700000001062026112213510001040000000012345678")
	p.Transmit(apdu.Append(nil, 0x80, 0x70, 0, 0, data, 8))
	p.Transmit([]byte{0x00, 0xB0, 0x96, 0x00, 0x06})
	if _, sw := p.Transmit(unhex(t, "8072000004DEADBEEF")); sw != apdu.Conditions {
		t.Fatalf("CREDIT SAM FOR PURCHASE after another command: %v", sw)
	}
	// A malformed command in between ends it too, a malformed 80 72
	// included, whatever it is answered.
	for _, bad := range []string{"80", "8072010004DEADBEEF", "8072000003DEADBE", "0072000004DEADBEEF", "80FF"} {
		p.Transmit(apdu.Append(nil, 0x80, 0x70, 0, 0, data, 8))
		if _, sw := p.Transmit(unhex(t, bad)); sw == apdu.OK {
			t.Fatalf("%s answered OK", bad)
		}
		if _, sw := p.Transmit(unhex(t, "8072000004DEADBEEF")); sw != apdu.Conditions {
			t.Errorf("CREDIT SAM FOR PURCHASE after %s: %v, want %v", bad, sw, apdu.Conditions)
		}
	}
	p.SetSeq(^uint32(0))
	if _, sw := p.Transmit(apdu.Append(nil, 0x80, 0x70, 0, 0, data, 8)); sw != apdu.Conditions {
		t.Fatalf("exhausted sequence: %v", sw)
	}
}

func TestBadAPDUs(t *testing.T) {
	p := newPSAM(t)
	for _, tc := range []struct {
		cmd string
		sw  apdu.SW
	}{
		{"", apdu.WrongLength},
		{"80", apdu.WrongLength},
		{"807000001C112233", apdu.WrongLength}, // truncated
		{"8070000013112233440007000003E80620261122135100010412345678123456", apdu.WrongLength},
		{"80700000000102", apdu.WrongLength},
		{"80CA000000", apdu.INSNotSupported},
		{"00700000", apdu.CLANotSupported},
		{"8070010000", apdu.WrongP1P2},
		{"8070000014112233440007000003E80620261122135100010412345678", apdu.WrongLength},
		{"807000001C112233440007000003E8FF202611221351000104000000001234567808", apdu.WrongData},
		{"807000001C112233440007000003E806202611221351000204000000001234567808", apdu.KeyNotFound}, // version 2
		{"807000001C112233440007000003E806202611221351000107000000001234567808", apdu.KeyNotFound}, // alg 07
		{"8070000024112233440007000003E8062026112213510001040000000012345678000000000000000008", apdu.KeyNotFound},
		{"8072000004DEADBEEF", apdu.Conditions},
		{"807200000312345678", apdu.WrongLength},
		{"00B0960007", apdu.WrongLength},
		{"00B0950006", apdu.WrongP1P2},
		{"00B0960204", apdu.OK},
		{"801A2301080000000012345678", apdu.OK},
		{"80FA07000300000000", apdu.WrongLength},
		{"80FA00000700000000000000", apdu.WrongLength}, // not whole blocks
		{"801A0301080000000012345678", apdu.WrongP1P2}, // 0 levels
		{"801A2701080000000012345678", apdu.WrongP1P2}, // type 07
		{"801A23010700000000123456", apdu.WrongLength}, // 7 bytes
		{"801A2302080000000012345678", apdu.KeyNotFound},
		{"801A4301080000000012345678", apdu.WrongLength}, // 2 levels, one factor
		{"80FA010000", apdu.WrongP1P2},
		{"80FA0001080000000000000000", apdu.WrongP1P2},
	} {
		if _, sw := p.Transmit(unhex(t, tc.cmd)); sw != tc.sw {
			t.Errorf("%s: %v, want %v", tc.cmd, sw, tc.sw)
		}
	}
	q := newPSAM(t)
	if _, sw := q.Transmit(unhex(t, "80FA05000400000000")); sw != apdu.Conditions {
		t.Errorf("DES CRYPT before INIT FOR DESCRYPT: %v", sw)
	}
	if r, sw := q.Transmit(unhex(t, "00B0960006")); sw != apdu.OK || !bytes.Equal(r, []byte{0, 0x11, 0x22, 0x33, 0x44, 0x55}) {
		t.Errorf("terminal number %X %v", r, sw)
	}
}

// TestDescrypt checks INIT FOR DESCRYPT / DES CRYPT against package mac and
// diversify: encryption under the card key, the TAC rule, and the session
// MAC.
func TestDescrypt(t *testing.T) {
	p := newPSAM(t)
	asn := diversify.Factor{1, 2, 3, 4, 5, 6, 7, 8}
	city := diversify.Factor{'3', '7', '1', '7', '0', '0', 's', 'x'}
	for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
		if err := p.Install(Key{Usage: TAC, Alg: refAlg(alg), Version: 2, Levels: 2, Key: master}); err != nil {
			t.Fatal(err)
		}
		typ := byte(TAC)
		if alg == diversify.SM4 {
			typ |= SM4Type
		}
		data := append(append([]byte(nil), asn[:]...), city[:]...) // lowest first
		if _, sw := p.Transmit(apdu.Append(nil, 0x80, 0x1A, 2<<5|typ, 2, data, 0)); sw != apdu.OK {
			t.Fatalf("INIT FOR DESCRYPT: %v", sw)
		}
		var dtk [16]byte
		diversify.Derive(alg, &dtk, &master, []diversify.Factor{city, asn})
		// Encrypt a zero block: the card key's check value.
		bs := 16
		if alg == diversify.TDES {
			bs = 8
		}
		r, sw := p.Transmit(apdu.Append(nil, 0x80, 0xFA, 0x00, 0x00, make([]byte, bs), 0))
		kcv, _ := diversify.KCV(alg, &dtk)
		if sw != apdu.OK || !bytes.Equal(r[:3], kcv[:]) {
			t.Fatalf("%v: encrypt %X %v, KCV %X", alg, r, sw, kcv)
		}
		tx := &mac.Purchase{Type: 6, Amount: 1, Terminal: p.Terminal(), Date: [4]byte{0x20, 0x26, 1, 1}}
		tac, _ := mac.TAC(mac.SM4Profile, alg, &dtk, tx)
		in := tx.AppendSeal(nil)
		r, sw = p.Transmit(apdu.Append(nil, 0x80, 0xFA, 0x05, 0x00, in, 0))
		if sw != apdu.OK || !bytes.Equal(r, tac[:]) {
			t.Fatalf("%v: MAC %X %v, mac says %X", alg, r, sw, tac)
		}
		if _, sw := p.Transmit(apdu.Append(nil, 0x80, 0xFA, 0x07, 0x00, append(in, tac[:]...), 0)); sw != apdu.OK {
			t.Fatalf("%v: verify: %v", alg, sw)
		}
		tac[1] ^= 2
		if _, sw := p.Transmit(apdu.Append(nil, 0x80, 0xFA, 0x07, 0x00, append(in, tac[:]...), 0)); sw != apdu.MACWrong {
			t.Fatalf("%v: verify of a wrong TAC: %v", alg, sw)
		}
		// Session mode: purchase key with D8.
		var dpk [16]byte
		diversify.Derive(alg, &dpk, &master, []diversify.Factor{asn})
		tx.Random, tx.OfflineSeq, tx.TermSeq = [4]byte{9, 9, 9, 9}, 3, [4]byte{0, 0, 1, 2}
		d8 := tx.SessionInput()
		typ = byte(Purchase)
		if alg == diversify.SM4 {
			typ |= SM4Type
		}
		if _, sw := p.Transmit(apdu.Append(nil, 0x80, 0x1A, 1<<5|typ, 1, append(asn[:], d8[:]...), 0)); sw != apdu.OK {
			t.Fatalf("INIT FOR DESCRYPT with D8: %v", sw)
		}
		m1, _ := mac.MAC1(mac.SM4Profile, alg, &dpk, tx)
		if r, sw := p.Transmit(apdu.Append(nil, 0x80, 0xFA, 0x05, 0x00, tx.AppendMAC1(nil), 0)); sw != apdu.OK || !bytes.Equal(r, m1[:]) {
			t.Fatalf("%v: session MAC %X %v, mac says %X", alg, r, sw, m1)
		}
	}
}

func refAlg(a diversify.Alg) ref.Alg {
	if a == diversify.SM4 {
		return ref.SM4
	}
	return ref.TDES
}

// FuzzTransmit: arbitrary commands never panic, and a sequence never moves
// backwards.
func FuzzTransmit(f *testing.F) {
	f.Add(unhex(f, "807000001C112233440007000003E806202611221351000104000000001234567808"))
	f.Add(unhex(f, "801A2301080000000012345678"))
	f.Add(unhex(f, "80FA07000800000000DEADBEEF"))
	f.Fuzz(func(t *testing.T, cmd []byte) {
		p := newPSAM(t)
		p.Transmit(cmd)
		p.Transmit(cmd)
		if p.Seq() < 0x41 || p.Seq() > 0x43 {
			t.Fatalf("sequence %X", p.Seq())
		}
	})
}
