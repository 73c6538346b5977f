package batch

import (
	"bytes"
	"context"
	"crypto/des"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/sscard/sscard/internal/testvec"
	"github.com/sscard/sscard/mac"
	"github.com/sscard/sscard/sm4"
)

// TestPublishedVectors verifies the published PBOC load and purchase
// examples (3DES, card keys given: levels 0) written as clearing records,
// and the same records with one MAC changed.
func TestPublishedVectors(t *testing.T) {
	load := testvec.Load(t, "pboc.json", "pboc_ep_load")[0]
	pur := testvec.Load(t, "pboc.json", "pboc_ep_purchase")[0]
	ks := &KeySet{Profile: mac.PBOC3DES, Keys: []MasterKey{
		{Usage: UsageLoad, Alg: 2, Version: 1, Key: *testvec.Key16(t, load.In("load_key_DLK"))},
		{Usage: UsagePurchase, Alg: 2, Version: 1, Key: *testvec.Key16(t, pur.In("purchase_key_DPK"))},
	}}
	dt := pur.In("datetime")
	lines := []string{
		fmt.Sprintf(`{"type":"load","alg":"3des","key_version":1,"factors":[],"trans_type":"%s","amount":%d,"balance":%d,"terminal_id":"%s","date":"%s","time":"%s","card_random":"%s","online_seq":%d,"mac1":"%s","mac2":"%s"}`,
			load.In("trans_type"), 0x1000, 0, load.In("terminal_id"), load.In("date"), load.In("time"),
			load.In("card_random"), 0, load.Expected["MAC1"], load.Expected["MAC2"]),
		fmt.Sprintf(`{"type":"purchase","alg":"3des","key_version":1,"factors":[],"trans_type":"%s","amount":%d,"terminal_id":"%s","terminal_seq":"%s","date":"%s","time":"%s","card_random":"%s","offline_seq":0,"mac1":"%s","mac2":"%s"}`,
			pur.In("trans_type"), 0x1000, pur.In("terminal_id"), pur.In("terminal_seq"), dt[:8], dt[8:],
			pur.In("card_random"), strings.ToLower(pur.Expected["MAC1"]), pur.Expected["MAC2"]),
	}
	// The same purchase with MAC2 changed.
	lines = append(lines, strings.Replace(lines[1], pur.Expected["MAC2"], "56988A14", 1))
	want := []string{
		`{"line": 1, "status": "ok"}`,
		`{"line": 2, "status": "ok"}`,
		`{"line": 3, "status": "mismatch", "field": "mac2"}`,
	}
	forEachPath(t, func(t *testing.T, scalar bool) {
		v, err := NewVerifier(ks, &Options{Scalar: scalar})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		var out bytes.Buffer
		sum, err := v.VerifyStream(context.Background(), strings.NewReader(strings.Join(lines, "\n")), &out, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Split(strings.TrimSpace(out.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("got\n%s\nwant\n%s", out.String(), strings.Join(want, "\n"))
		}
		if sum != (Summary{Lines: 3, OK: 2, Mismatch: 1}) {
			t.Errorf("summary %+v", sum)
		}
	})
}

func unhexT(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSpecByHand builds SM4 and 3DES records whose MACs are computed here
// byte by byte from the SPEC §3-§4 formulas with the bare ciphers
// (package sm4 and mac's CBC-MAC primitives), not through mac's transaction
// types, and checks the Verifier accepts them on every path.
func TestSpecByHand(t *testing.T) {
	root := [16]byte(unhexT(t, "0123456789abcdeffedcba9876543210"))
	city := [8]byte(unhexT(t, "3337313730307378")) // "371700sx"
	card := [8]byte(unhexT(t, "0000000012345678"))
	child := func(parent *[16]byte, y [8]byte) (k [16]byte) {
		var in [16]byte
		for i := 0; i < 8; i++ {
			in[i], in[8+i] = y[i], ^y[i]
		}
		sm4.EncryptBlock(parent, &k, &in)
		return
	}
	cityKey := child(&root, city)
	cardKey := child(&cityKey, card)
	mac4 := func(key *[16]byte, data []byte) string {
		var out [16]byte
		mac.SM4MAC(&out, key, nil, data)
		return hex.EncodeToString(out[:4])
	}
	// Purchase TAC: amt4 || type || term6 || termSeq4 || date4 || time3,
	// under DTK itself.
	tacData := unhexT(t, "000003e8"+"06"+"112233445566"+"00000007"+"20261122"+"135100")
	tac := mac4(&cardKey, tacData)
	// Load MAC2 under SK = SM4(DLK, D8 || ~D8), D8 = rand4 || online2 || 8000.
	d8 := unhexT(t, "a1b2c3d4"+"0003"+"8000")
	var in, sk [16]byte
	for i := 0; i < 8; i++ {
		in[i], in[8+i] = d8[i], ^d8[i]
	}
	sm4.EncryptBlock(&cardKey, &sk, &in)
	mac2Data := unhexT(t, "000003e8"+"02"+"112233445566"+"20261122"+"135100")
	mac2 := mac4(&sk, mac2Data)
	// 3DES TAC, one level, with crypto/des: child = 3DES(K, Y) ||
	// 3DES(K, ~Y) (two-key EDE), TAC = single-DES CBC-MAC under
	// DTK[0:8] ^ DTK[8:16] over the data padded with 80 00….
	tdes, err := des.NewTripleDESCipher(append(append([]byte{}, root[:]...), root[:8]...))
	if err != nil {
		t.Fatal(err)
	}
	var dtk [16]byte
	var notCard [8]byte
	for i := range card {
		notCard[i] = ^card[i]
	}
	tdes.Encrypt(dtk[:8], card[:])
	tdes.Encrypt(dtk[8:], notCard[:])
	var k8 [8]byte
	for i := range k8 {
		k8[i] = dtk[i] ^ dtk[8+i]
	}
	single, _ := des.NewCipher(k8[:])
	padded := append(append([]byte{}, tacData...), 0x80, 0x00) // 22 + 2 = 24 bytes
	var st [8]byte
	for off := 0; off < len(padded); off += 8 {
		for i := range st {
			st[i] ^= padded[off+i]
		}
		single.Encrypt(st[:], st[:])
	}
	tdesTAC := hex.EncodeToString(st[:4])
	ks := &KeySet{Profile: mac.SM4Profile, Keys: []MasterKey{
		{Usage: UsageTAC, Alg: 1, Version: 7, Levels: 2, Key: root},
		{Usage: UsageLoad, Alg: 1, Version: 7, Levels: 2, Key: root},
		{Usage: UsageTAC, Alg: 1, Version: 8, Levels: 1, Key: cityKey},
		{Usage: UsageTAC, Alg: 1, Version: 9, Levels: 0, Key: cardKey},
		{Usage: UsageTAC, Alg: 2, Version: 1, Levels: 1, Key: root},
	}}
	lines := []string{
		`{"type":"purchase","alg":"sm4","key_version":7,"factors":["3337313730307378","0000000012345678"],"amount":1000,"terminal_id":"112233445566","terminal_seq":"00000007","date":"20261122","time":"135100","tac":"` + tac + `"}`,
		`{"type":"purchase","alg":"SM4","key_version":8,"factors":["0000000012345678"],"amount":1000,"terminal_id":"112233445566","terminal_seq":"00000007","date":"20261122","time":"135100","tac":"` + strings.ToUpper(tac) + `"}`,
		`{"type":"purchase","alg":"sm4","key_version":9,"factors":[],"amount":1000,"terminal_id":"112233445566","terminal_seq":"00000007","date":"20261122","time":"135100","tac":"` + tac + `"}`,
		`{"type":"load","alg":"sm4","key_version":7,"factors":["3337313730307378","0000000012345678"],"amount":1000,"balance":5000,"terminal_id":"112233445566","date":"20261122","time":"135100","card_random":"a1b2c3d4","online_seq":3,"mac2":"` + mac2 + `"}`,
		// Same TAC, amount changed: mismatch.
		`{"type":"purchase","alg":"sm4","key_version":7,"factors":["3337313730307378","0000000012345678"],"amount":1001,"terminal_id":"112233445566","terminal_seq":"00000007","date":"20261122","time":"135100","tac":"` + tac + `"}`,
		// Two factors for a one-level key.
		`{"type":"purchase","alg":"sm4","key_version":8,"factors":["3337313730307378","0000000012345678"],"amount":1000,"terminal_id":"112233445566","terminal_seq":"00000007","date":"20261122","time":"135100","tac":"` + tac + `"}`,
		`{"type":"purchase","alg":"3des","key_version":1,"factors":["0000000012345678"],"amount":1000,"terminal_id":"112233445566","terminal_seq":"00000007","date":"20261122","time":"135100","tac":"` + tdesTAC + `"}`,
	}
	want := []string{"ok", "ok", "ok", "ok", "mismatch", "malformed", "ok"}
	forEachPath(t, func(t *testing.T, scalar bool) {
		v, err := NewVerifier(ks, &Options{Scalar: scalar})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		recs := make([]Record, len(lines))
		for i, l := range lines {
			if err := ParseRecord([]byte(l), &recs[i]); err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
		}
		res := make([]Result, len(recs))
		if err := v.Verify(recs, res); err != nil {
			t.Fatal(err)
		}
		for i := range res {
			if res[i].Status.String() != want[i] {
				t.Errorf("record %d: %v %v %v, want %s", i+1, res[i].Status, res[i].Fields, res[i].Err, want[i])
			}
		}
		if res[4].Fields != FieldTAC {
			t.Errorf("record 5 fields %v", res[4].Fields)
		}
		if res[5].Err != ErrLevels {
			t.Errorf("record 6 error %v", res[5].Err)
		}
	})
}
