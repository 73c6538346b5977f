package batch_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/sscard/sscard/batch"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// A key set file: SM4 purchase and TAC master keys two levels (city, card)
// above the card.
const keySetFile = `{"profile": "SM4", "keys": [
 {"usage": "purchase", "alg": "sm4", "version": 1, "levels": 2, "key": "0123456789abcdeffedcba9876543210", "kcv": "2677f4"},
 {"usage": "tac", "alg": "sm4", "version": 1, "levels": 2, "key": "00112233445566778899aabbccddeeff"}
]}`

// Build a Verifier from a key-set file and verify a batch of records: one
// good, one with a changed amount, one under an unknown key version.
func ExampleNewVerifier() {
	ks, err := batch.ParseKeySet([]byte(keySetFile))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ks.Wipe()
	v, err := batch.NewVerifier(ks, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	city, _ := diversify.CityFactor("371700")
	card, _ := diversify.ParseFactor("0000000012345678")
	r := batch.Record{Kind: mac.KindPurchase, Alg: diversify.SM4, KeyVersion: 1, NFactors: 2,
		Amount: 1000, Terminal: [6]byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66}, TermSeq: [4]byte{0, 0, 0, 7},
		Date: [4]byte{0x20, 0x26, 0x11, 0x22}, Time: [3]byte{0x13, 0x51, 0x00}, Random: [4]byte{1, 2, 3, 4}}
	r.Factors[0], r.Factors[1] = city, card
	// Sign computes the MACs (a slow reference path, here to make a sample).
	if err := ks.Sign(&r, batch.FieldMAC1|batch.FieldMAC2|batch.FieldTAC); err != nil {
		fmt.Println(err)
		return
	}
	records := []batch.Record{r, r, r}
	records[1].Amount = 1001
	records[2].KeyVersion = 2
	results := make([]batch.Result, len(records))
	if err := v.Verify(records, results); err != nil {
		fmt.Println(err)
		return
	}
	for i, res := range results {
		if res.Status == batch.StatusMismatch {
			fmt.Println(i, res.Status, res.Fields)
		} else {
			fmt.Println(i, res.Status)
		}
	}
	// Output:
	// 0 ok
	// 1 mismatch mac1,mac2,tac
	// 2 unknown_key
}

// Verify a clearing file in JSON Lines, writing one result per line.
func ExampleVerifier_VerifyStream() {
	ks, err := batch.ParseKeySet([]byte(keySetFile))
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := batch.NewVerifier(ks, nil)
	ks.Wipe()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	// Make one signed record line.
	r := batch.Record{Kind: mac.KindPurchase, Alg: diversify.SM4, KeyVersion: 1, NFactors: 2, Amount: 1000,
		Date: [4]byte{0x20, 0x26, 0x11, 0x22}, Time: [3]byte{0x13, 0x51, 0x00}}
	r.Factors[0], _ = diversify.CityFactor("371700")
	r.Factors[1], _ = diversify.ParseFactor("0000000012345678")
	signer, _ := batch.ParseKeySet([]byte(keySetFile))
	signer.Sign(&r, batch.FieldTAC)
	signer.Wipe()
	line := string(batch.AppendJSON(nil, &r))

	input := line + "\n" +
		"\n" +
		strings.Replace(line, `"amount":1000`, `"amount":1001`, 1) + "\r\n" +
		"not json\n" +
		strings.Replace(line, `"date":"20261122"`, `"date":"20261322"`, 1)
	sum, err := v.VerifyStream(context.Background(), strings.NewReader(input), os.Stdout, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", sum)
	// Output:
	// {"line": 1, "status": "ok"}
	// {"line": 2, "status": "malformed", "error": "batch: malformed record: empty line"}
	// {"line": 3, "status": "mismatch", "field": "tac"}
	// {"line": 4, "status": "malformed", "error": "batch: malformed record: not a JSON object"}
	// {"line": 5, "status": "malformed", "error": "batch: malformed record: date: not a valid YYYYMMDD date"}
	// {Lines:5 OK:1 Mismatch:1 UnknownKey:0 Malformed:3}
}
