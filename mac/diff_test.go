package mac

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/emmansun/gmsm/cbcmac"
	"github.com/emmansun/gmsm/padding"
	gmsm4 "github.com/emmansun/gmsm/sm4"

	"github.com/sscard/sscard/diversify"
)

// peerSM4MAC is MAC_SM4 composed from emmansun/gmsm: CBC-MAC with ISO 9797-1
// padding method 2, full block.
func peerSM4MAC(key, data []byte) []byte {
	b, err := gmsm4.NewCipher(key)
	if err != nil {
		panic(err)
	}
	return cbcmac.NewCBCMACWithPadding(b, 16, padding.NewISO9797M2Padding).MAC(data)
}

// peerDESMAC is MAC_DES composed from crypto/des with method-2 padding.
func peerDESMAC(key, iv, data []byte) []byte {
	b, _ := des.NewCipher(key)
	p := append(append([]byte{}, data...), 0x80)
	for len(p)%8 != 0 {
		p = append(p, 0)
	}
	out := make([]byte, len(p))
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, p)
	return out[len(out)-8:]
}

func TestSM4MACDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 10000
	for i := 0; i < n; i++ {
		var key [16]byte
		fill(rng, key[:])
		data := make([]byte, rng.IntN(101))
		fill(rng, data)
		var got [16]byte
		SM4MAC(&got, &key, nil, data)
		if want := peerSM4MAC(key[:], data); !bytes.Equal(got[:], want) {
			t.Fatalf("len %d: got %X, emmansun %X", len(data), got, want)
		}
	}
}

func TestDESMACsDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 10000; i++ {
		var key [16]byte
		var iv [8]byte
		fill(rng, key[:])
		fill(rng, iv[:])
		data := make([]byte, rng.IntN(101))
		fill(rng, data)
		var got [8]byte
		DESMAC(&got, (*[8]byte)(key[:8]), &iv, data)
		if want := peerDESMAC(key[:8], iv[:], data); !bytes.Equal(got[:], want) {
			t.Fatalf("MAC_DES len %d: got %X, want %X", len(data), got, want)
		}
		// Retail MAC = E_KL(D_KR(MAC_DES_KL(data))).
		RetailMAC(&got, &key, &iv, data)
		want := peerDESMAC(key[:8], iv[:], data)
		r, _ := des.NewCipher(key[8:])
		l, _ := des.NewCipher(key[:8])
		r.Decrypt(want, want)
		l.Encrypt(want, want)
		if !bytes.Equal(got[:], want) {
			t.Fatalf("MAC_RETAIL len %d: got %X, want %X", len(data), got, want)
		}
	}
}

func fill(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

// The transaction MACs composed by hand from the peers, per SPEC §4.
func TestTransactionDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 2000; i++ {
		var key [16]byte
		fill(rng, key[:])
		txns := randomTxns(rng)
		for _, tx := range txns {
			for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
				d8 := tx.SessionInput()
				var skSM4 []byte
				var skDES []byte
				if alg == diversify.SM4 {
					b, _ := gmsm4.NewCipher(key[:])
					in := append(d8[:], make([]byte, 8)...)
					for j := 0; j < 8; j++ {
						in[8+j] = ^d8[j]
					}
					skSM4 = make([]byte, 16)
					b.Encrypt(skSM4, in)
				} else {
					b, _ := des.NewTripleDESCipher(append(key[:], key[:8]...))
					skDES = make([]byte, 8)
					b.Encrypt(skDES, d8[:])
				}
				peer := func(data []byte) []byte {
					if alg == diversify.SM4 {
						return peerSM4MAC(skSM4, data)[:4]
					}
					return peerDESMAC(skDES, make([]byte, 8), data)[:4]
				}
				m1, err := MAC1(SM4Profile, alg, &key, tx)
				if err != nil {
					t.Fatal(err)
				}
				if want := peer(tx.AppendMAC1(nil)); !bytes.Equal(m1[:], want) {
					t.Fatalf("%v %v MAC1 %X want %X", alg, tx.Kind(), m1, want)
				}
				m2, _ := MAC2(SM4Profile, alg, &key, tx)
				if want := peer(tx.AppendMAC2(nil)); !bytes.Equal(m2[:], want) {
					t.Fatalf("%v %v MAC2 %X want %X", alg, tx.Kind(), m2, want)
				}
				if tx.Kind() == KindUnload {
					m3, _ := MAC3(SM4Profile, alg, &key, tx)
					if want := peer(tx.AppendSeal(nil)); !bytes.Equal(m3[:], want) {
						t.Fatalf("%v MAC3 %X want %X", alg, m3, want)
					}
					if _, err := TAC(SM4Profile, alg, &key, tx); !errors.Is(err, ErrNoTAC) {
						t.Fatalf("unload TAC: %v", err)
					}
					continue
				}
				tac, _ := TAC(SM4Profile, alg, &key, tx)
				var want []byte
				if alg == diversify.SM4 {
					want = peerSM4MAC(key[:], tx.AppendSeal(nil))[:4]
				} else {
					k := make([]byte, 8)
					for j := range k {
						k[j] = key[j] ^ key[8+j]
					}
					want = peerDESMAC(k, make([]byte, 8), tx.AppendSeal(nil))[:4]
				}
				if !bytes.Equal(tac[:], want) {
					t.Fatalf("%v %v TAC %X want %X", alg, tx.Kind(), tac, want)
				}
			}
		}
	}
}

func randomTxns(rng *rand.Rand) []Transaction {
	var term [6]byte
	var r, seq [4]byte
	fill(rng, term[:])
	fill(rng, r[:])
	fill(rng, seq[:])
	date := [4]byte{0x20, 0x26, 0x11, 0x25}
	tm := [3]byte{0x13, 0x51, 0x00}
	bal := rng.Uint32() >> 1
	amt := rng.Uint32() >> 2
	return []Transaction{
		&Purchase{Type: []byte{4, 5, 6, 9}[rng.IntN(4)], Amount: amt, Terminal: term, TermSeq: seq, Date: date, Time: tm, Random: r, OfflineSeq: uint16(rng.Uint32())},
		&Load{Type: []byte{1, 2}[rng.IntN(2)], Amount: amt, Balance: bal, Terminal: term, Date: date, Time: tm, Random: r, OnlineSeq: uint16(rng.Uint32())},
		&Unload{Amount: amt % (bal + 1), Balance: bal, Terminal: term, Date: date, Time: tm, Random: r, OnlineSeq: uint16(rng.Uint32())},
		&Overdraw{Balance: bal, OldLimit: rng.Uint32() % (bal%MaxLimit + 1), NewLimit: rng.Uint32() & MaxLimit, Terminal: term, Date: date, Time: tm, Random: r, OnlineSeq: uint16(rng.Uint32())},
	}
}
