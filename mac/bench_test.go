package mac

import (
	"crypto/subtle"
	"testing"

	"github.com/emmansun/gmsm/cbcmac"
	"github.com/emmansun/gmsm/padding"
	gmsm4 "github.com/emmansun/gmsm/sm4"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/sm4"
)

// BenchmarkVerifyPurchaseTAC verifies one purchase TAC from the issuer's
// master TAC key (one diversification level, the card's ASN) to the compare.
func BenchmarkVerifyPurchaseTAC(b *testing.B) {
	master := [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}
	asn := diversify.Factor{0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78}
	p := samplePurchase()
	var dtk [16]byte
	diversify.SM4Child(&dtk, &master, &asn)
	tac, _ := TAC(SM4Profile, diversify.SM4, &dtk, p)

	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/txn")
	}
	b.Run("impl=scalar", func(b *testing.B) {
		// The master schedule is expanded once, as a verifier holds it.
		var ms sm4.Schedule
		ms.Init(&master)
		b.ReportAllocs()
		for b.Loop() {
			var k [16]byte
			diversify.SM4ChildSchedule(&k, &ms, &asn)
			if VerifyTAC(SM4Profile, diversify.SM4, &k, p, &tac) != nil {
				b.Fatal("mismatch")
			}
		}
		report(b)
	})
	b.Run("impl=scalar-nocache", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var k [16]byte
			diversify.SM4Child(&k, &master, &asn)
			if VerifyTAC(SM4Profile, diversify.SM4, &k, p, &tac) != nil {
				b.Fatal("mismatch")
			}
		}
		report(b)
	})
	b.Run("impl=emmansun", func(b *testing.B) {
		b.ReportAllocs()
		var in [16]byte
		for i := 0; i < 8; i++ {
			in[i], in[8+i] = asn[i], ^asn[i]
		}
		for b.Loop() {
			m, _ := gmsm4.NewCipher(master[:])
			k := make([]byte, 16)
			m.Encrypt(k, in[:])
			c, _ := gmsm4.NewCipher(k)
			got := cbcmac.NewCBCMACWithPadding(c, 16, padding.NewISO9797M2Padding).MAC(p.AppendSeal(nil))
			if subtle.ConstantTimeCompare(got[:4], tac[:]) != 1 {
				b.Fatal("mismatch")
			}
		}
		report(b)
	})
	b.Run("impl=scalar-3des", func(b *testing.B) {
		var dtk3 [16]byte
		diversify.TDESChild(&dtk3, &master, &asn)
		tac3, _ := TAC(SM4Profile, diversify.TDES, &dtk3, p)
		b.ReportAllocs()
		for b.Loop() {
			var k [16]byte
			diversify.TDESChild(&k, &master, &asn)
			if VerifyTAC(SM4Profile, diversify.TDES, &k, p, &tac3) != nil {
				b.Fatal("mismatch")
			}
		}
		report(b)
	})
}

// BenchmarkVerifyLoadMAC2 verifies a load MAC2 from the card's DLK.
func BenchmarkVerifyLoadMAC2(b *testing.B) {
	key := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	l := sampleLoad()
	for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
		m2, _ := MAC2(SM4Profile, alg, &key, l)
		b.Run("alg="+alg.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if VerifyMAC2(SM4Profile, alg, &key, l, &m2) != nil {
					b.Fatal("mismatch")
				}
			}
		})
	}
}
