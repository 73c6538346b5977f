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
