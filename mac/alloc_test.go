package mac

import (
	"testing"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/race"
)

// End to end, from the issuer master keys to the compare: no allocation.
func TestZeroAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	master := [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}
	factors := []diversify.Factor{{0x33, 0x37, 0x31, 0x37, 0x30, 0x30, 0x73, 0x78}, {1, 2, 3, 4, 5, 6, 7, 8}}
	for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
		p := samplePurchase()
		l := sampleLoad()
		var dtk, dlk [16]byte
		diversify.Derive(alg, &dtk, &master, factors)
		diversify.Derive(alg, &dlk, &master, factors)
		tac, _ := TAC(SM4Profile, alg, &dtk, p)
		m2, _ := MAC2(SM4Profile, alg, &dlk, l)
		var err error
		allocs := testing.AllocsPerRun(100, func() {
			var k [16]byte
			diversify.Derive(alg, &k, &master, factors)
			err = VerifyTAC(SM4Profile, alg, &k, p, &tac)
		})
		if err != nil || allocs != 0 {
			t.Errorf("%v purchase TAC from master: %v allocs, err %v", alg, allocs, err)
		}
		allocs = testing.AllocsPerRun(100, func() {
			var k [16]byte
			diversify.Derive(alg, &k, &master, factors)
			err = VerifyMAC2(SM4Profile, alg, &k, l, &m2)
		})
		if err != nil || allocs != 0 {
			t.Errorf("%v load MAC2 from master: %v allocs, err %v", alg, allocs, err)
		}
		// A mismatch allocates nothing either.
		bad := tac
		bad[0] ^= 1
		allocs = testing.AllocsPerRun(100, func() { err = VerifyTAC(SM4Profile, alg, &dtk, p, &bad) })
		if err == nil || allocs != 0 {
			t.Errorf("%v mismatch: %v allocs, err %v", alg, allocs, err)
		}
	}
}
