package diversify_test

import (
	"encoding/hex"
	"fmt"

	"github.com/sscard/sscard/diversify"
)

// Diversify a card key from the national root through the city to the card:
// the city factor is the region code plus "sx", the card factor the low 8
// bytes of the application serial number.
func ExampleDerive() {
	var root [16]byte
	hex.Decode(root[:], []byte("0123456789abcdeffedcba9876543210"))
	city, _ := diversify.CityFactor("371700")
	card, _ := diversify.ParseFactor("0000000012345678")

	var key [16]byte
	if err := diversify.Derive(diversify.SM4, &key, &root, []diversify.Factor{city, card}); err != nil {
		fmt.Println(err)
		return
	}
	kcv, _ := diversify.KCV(diversify.SM4, &key)
	fmt.Printf("city factor %X\n", city)
	fmt.Printf("card key KCV %X\n", kcv)
	// Output:
	// city factor 3337313730307378
	// card key KCV 6283F8
}
