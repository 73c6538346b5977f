package terminal

import (
	"errors"
	"testing"
)

func goodRecord() Record {
	return Record{Type: "purchase", Alg: "sm4", KeyVersion: 1, Factors: []string{"0000000012345678"}, TransType: "06",
		Amount: 1000, Balance: 5000, TerminalID: "001122334455", TerminalSeq: "00000001", Date: "20261122", Time: "135100",
		CardRandom: "11223344", OfflineSeq: 7, OnlineSeq: 3, MAC1: "01020304", MAC2: "05060708", TAC: "090a0b0c"}
}

func TestParseRecord(t *testing.T) {
	r := goodRecord()
	tx, err := ParseRecord(&r)
	if err != nil {
		t.Fatal(err)
	}
	back := tx.Record()
	if back.TAC != r.TAC || back.Date != r.Date || back.Factors[0] != r.Factors[0] || back.TransType != "06" {
		t.Fatalf("round trip %+v", back)
	}
	if d8 := tx.D8(); d8 != [8]byte{0x11, 0x22, 0x33, 0x44, 0, 7, 0, 1} {
		t.Fatalf("D8 % X", d8)
	}
	for name, f := range map[string]func(*Record){
		"alg":        func(r *Record) { r.Alg = "aes" },
		"factors":    func(r *Record) { r.Factors = nil },
		"factor hex": func(r *Record) { r.Factors = []string{"00000000123456zz"} },
		"kind":       func(r *Record) { r.Type = "load" },
		"trans_type": func(r *Record) { r.TransType = "0" },
		"date":       func(r *Record) { r.Date = "2026112a" },
		"mac1":       func(r *Record) { r.MAC1 = "010203" },
		"version":    func(r *Record) { r.KeyVersion = 256 },
	} {
		r := goodRecord()
		f(&r)
		if _, err := ParseRecord(&r); !errors.Is(err, ErrRecord) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
