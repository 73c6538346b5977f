package mac_test

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// Verify a purchase TAC from a clearing record: derive the card's TAC key from
// the issuer's master TAC key and the card's application serial number, then
// check the TAC in constant time.
func ExampleVerifyTAC() {
	var master [16]byte
	hex.Decode(master[:], []byte("0123456789abcdeffedcba9876543210"))
	asn := diversify.Factor{0x00, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78}

	var dtk [16]byte
	diversify.Derive(diversify.SM4, &dtk, &master, []diversify.Factor{asn})

	p := &mac.Purchase{
		Type:     0x06,
		Amount:   1000, // 10.00 yuan
		Terminal: [6]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55},
		TermSeq:  [4]byte{0x00, 0x00, 0x00, 0x01},
		Date:     [4]byte{0x20, 0x26, 0x11, 0x22},
		Time:     [3]byte{0x13, 0x51, 0x00},
	}
	tac, _ := mac.TAC(mac.SM4Profile, diversify.SM4, &dtk, p) // what the card sent

	fmt.Println(mac.VerifyTAC(mac.SM4Profile, diversify.SM4, &dtk, p, &tac))
	p.Amount = 100000 // tampered record
	err := mac.VerifyTAC(mac.SM4Profile, diversify.SM4, &dtk, p, &tac)
	fmt.Println(errors.Is(err, mac.ErrMACMismatch), err)
	// Output:
	// <nil>
	// true mac: mismatch: TAC
}

// An issuer whose SM4 cards use another session-key rule, 16-byte factors
// applied as one SM4 block, and its own unload MAC3 input defines its
// profile (in a key-set file, the same object as the "profile" value).
func ExampleProfile_UnmarshalJSON() {
	var p mac.Profile
	err := p.UnmarshalJSON([]byte(`{"name": "SD-SM4", "base": "SM4",
		"sm4_session": "zero_pad", "sm4_long_factor": "one_block",
		"unload_mac3": ["amount", "balance_before", "type", "terminal", "date", "time"]}`))
	fmt.Println(err, p.Name, p.SM4Session, p.SM4LongFactor, p.ShortFactor)

	// A city factor and a 16-byte card factor: two levels under this
	// profile, three under SPEC's rule.
	city, _ := hex.DecodeString("3337313730307378")
	card, _ := hex.DecodeString("0000000012345678ffffffffedcba987")
	n, _ := p.Levels(diversify.SM4, city, card)
	m, _ := mac.SM4Profile.Levels(diversify.SM4, city, card)
	fmt.Println(n, m)

	u := &mac.Unload{Amount: 500, Balance: 2000, Terminal: [6]byte{0, 0x11, 0x22, 0x33, 0x44, 0x55},
		Date: [4]byte{0x20, 0x26, 0x12, 0x05}, Time: [3]byte{0x09, 0x30, 0x00}}
	fmt.Printf("%x\n", p.AppendSeal(nil, u))
	fmt.Printf("%x\n", mac.SM4Profile.AppendSeal(nil, u))
	// Output:
	// <nil> SD-SM4 zero_pad one_block pad_right
	// 2 3
	// 000001f4000007d00300112233445520261205093000
	// 000005dc0000000001f40300112233445520261205093000
}
