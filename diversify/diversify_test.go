package diversify

import (
	"bytes"
	"crypto/des"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	gmsm4 "github.com/emmansun/gmsm/sm4"

	"github.com/sscard/sscard/internal/race"
	"github.com/sscard/sscard/internal/testvec"
)

// EMV option A is the 3DES child with the PAN factor (parity adjusted).
func TestEMVOptionAVectors(t *testing.T) {
	n := 0
	for _, v := range testvec.Load(t, "emv.json", "key_diversification") {
		mk := testvec.Key16(t, v.In("master_key"))
		f, err := PANFactor(v.In("pan"), v.In("psn"))
		if err != nil {
			t.Fatalf("%s: %v", v.ID, err)
		}
		if y := v.In("Y (rightmost 16 digits of PAN||PSN)"); y != "" && !strings.EqualFold(hex.EncodeToString(f[:]), y) {
			t.Errorf("%s: factor %X, want %s", v.ID, f, y)
		}
		var k [16]byte
		if err := Derive(TDES, &k, mk, []Factor{f}); err != nil {
			t.Fatal(err)
		}
		if want := v.Expected["derived_key_parity_adjusted"]; want != "" {
			adj := k
			OddParity(adj[:])
			if !strings.EqualFold(hex.EncodeToString(adj[:]), want) {
				t.Errorf("%s: %X, want %s", v.ID, adj, want)
			}
		}
		if want := v.Expected["derived_key_kcv"]; want != "" {
			w := testvec.Hex(t, want)
			if err := CheckKCV(TDES, &k, w); err != nil {
				kcv, _ := KCV(TDES, &k)
				t.Errorf("%s: KCV %X, want %s", v.ID, kcv, want)
			}
		}
		n++
	}
	// The ARQC and script vectors publish the KCV of the derived ICC master key.
	for _, kind := range []string{"arqc_emv", "script_mac_emv"} {
		for _, v := range testvec.Load(t, "emv.json", kind) {
			imk := v.In("IMK")
			if imk == "" {
				imk = v.In("IMK_SMI")
			}
			if imk == "" || v.Expected["ICC_MK_KCV"] == "" {
				continue
			}
			f, err := PANFactor(v.In("pan"), v.In("psn"))
			if err != nil {
				t.Fatal(err)
			}
			var k [16]byte
			TDESChild(&k, testvec.Key16(t, imk), &f)
			if err := CheckKCV(TDES, &k, testvec.Hex(t, v.Expected["ICC_MK_KCV"])); err != nil {
				t.Errorf("%s: %v", v.ID, err)
			}
			n++
		}
	}
	if n < 8 {
		t.Fatalf("only %d vectors ran", n)
	}
}

func TestSM4KCV(t *testing.T) {
	// SPEC §1: E(K, K) for the GB/T key; the KCV is E(K, 0) — check against
	// emmansun/gmsm.
	key := testvec.Key16(t, "0123456789abcdeffedcba9876543210")
	c, _ := gmsm4.NewCipher(key[:])
	want := make([]byte, 16)
	c.Encrypt(want, make([]byte, 16))
	got, err := KCV(SM4, key)
	if err != nil || !bytes.Equal(got[:], want[:3]) {
		t.Fatalf("KCV %X, want %X", got, want[:3])
	}
	if err := CheckKCV(SM4, key, want[:3]); err != nil {
		t.Fatal(err)
	}
	want[0] ^= 1
	if err := CheckKCV(SM4, key, want[:3]); !errors.Is(err, ErrKCVMismatch) {
		t.Fatalf("wrong KCV accepted: %v", err)
	}
	if err := CheckKCV(SM4, key, nil); !errors.Is(err, ErrKCVMismatch) {
		t.Fatalf("empty KCV accepted: %v", err)
	}
}

func TestDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n = 10000
	for i := 0; i < n; i++ {
		var root [16]byte
		for j := range root {
			root[j] = byte(rng.Uint32())
		}
		levels := 1 + rng.IntN(3)
		fs := make([]Factor, levels)
		for l := range fs {
			for j := range fs[l] {
				fs[l][j] = byte(rng.Uint32())
			}
		}
		// SM4 via emmansun/gmsm.
		want := append([]byte{}, root[:]...)
		for _, f := range fs {
			c, _ := gmsm4.NewCipher(want)
			in := make([]byte, 16)
			for j := 0; j < 8; j++ {
				in[j], in[8+j] = f[j], ^f[j]
			}
			c.Encrypt(want, in)
		}
		var got [16]byte
		if err := Derive(SM4, &got, &root, fs); err != nil || !bytes.Equal(got[:], want) {
			t.Fatalf("SM4 %d levels: %X, want %X", levels, got, want)
		}
		// 3DES via crypto/des.
		want = append([]byte{}, root[:]...)
		for _, f := range fs {
			c, _ := des.NewTripleDESCipher(append(append([]byte{}, want...), want[:8]...))
			var nf [8]byte
			for j := range nf {
				nf[j] = ^f[j]
			}
			c.Encrypt(want[:8], f[:])
			c.Encrypt(want[8:], nf[:])
		}
		if err := Derive(TDES, &got, &root, fs); err != nil || !bytes.Equal(got[:], want) {
			t.Fatalf("3DES %d levels: %X, want %X", levels, got, want)
		}
	}
}

func TestFactors(t *testing.T) {
	f, err := CityFactor("371700")
	if err != nil || hex.EncodeToString(f[:]) != "3337313730307378" {
		t.Fatalf("CityFactor: %X %v", f, err)
	}
	for _, bad := range []string{"37170", "3717000", "37170a"} {
		if _, err := CityFactor(bad); !errors.Is(err, ErrFactor) {
			t.Errorf("CityFactor(%q): %v", bad, err)
		}
	}
	f, err = PadFactor([]byte{1, 2, 3})
	if err != nil || f != (Factor{1, 2, 3}) {
		t.Fatalf("PadFactor: %X %v", f, err)
	}
	if _, err := PadFactor(make([]byte, 16)); !errors.Is(err, ErrFactor) {
		t.Errorf("16-byte factor accepted: %v", err)
	}
	f, err = ParseFactor("00000000123456AB")
	if err != nil || f != (Factor{0, 0, 0, 0, 0x12, 0x34, 0x56, 0xab}) {
		t.Fatalf("ParseFactor: %X %v", f, err)
	}
	for _, bad := range []string{"123", "zz", "0011223344556677889"} {
		if _, err := ParseFactor(bad); !errors.Is(err, ErrFactor) {
			t.Errorf("ParseFactor(%q): %v", bad, err)
		}
	}
	f, err = PANFactor("123456", "")
	if err != nil || f != (Factor{0, 0, 0, 0, 0x12, 0x34, 0x56, 0x00}) {
		t.Fatalf("short PAN: %X %v", f, err)
	}
	if _, err := PANFactor("12345x", "01"); !errors.Is(err, ErrFactor) {
		t.Errorf("bad PAN accepted")
	}
	var k [16]byte
	if err := Derive(Alg(7), &k, &k, nil); !errors.Is(err, ErrUnknownAlg) {
		t.Errorf("unknown alg: %v", err)
	}
	if err := Derive(SM4, &k, &k, make([]Factor, MaxLevels+1)); !errors.Is(err, ErrTooManyLevels) {
		t.Errorf("too many levels: %v", err)
	}
	for _, bad := range []string{"aes", "", "sm4 ", "3des\x00", "sm"} {
		if _, err := ParseAlg(bad); !errors.Is(err, ErrUnknownAlg) {
			t.Errorf("ParseAlg(%q): %v", bad, err)
		}
	}
	for s, want := range map[string]Alg{"sm4": SM4, "SM4": SM4, "Sm4": SM4, "3des": TDES, "3DES": TDES, "3Des": TDES, "Tdes": TDES, "dEs": TDES} {
		if got, err := ParseAlg(s); err != nil || got != want {
			t.Errorf("ParseAlg(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := AlgFromID(0x02); !errors.Is(err, ErrUnknownAlg) {
		t.Errorf("AlgFromID: %v", err)
	}
	fs := []Factor{{1}, {2}, {3}}
	Reverse(fs)
	if fs[0] != (Factor{3}) || fs[2] != (Factor{1}) {
		t.Errorf("Reverse: %v", fs)
	}
}

func TestZeroAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("-race")
	}
	root := [16]byte{1, 2, 3}
	one := []Factor{{1}}
	three := []Factor{{1}, {2}, {3}}
	for _, alg := range []Alg{SM4, TDES} {
		for _, fs := range [][]Factor{one, three} {
			var k [16]byte
			if a := testing.AllocsPerRun(100, func() { Derive(alg, &k, &root, fs) }); a != 0 {
				t.Errorf("%v %d levels: %v allocs", alg, len(fs), a)
			}
		}
		if a := testing.AllocsPerRun(100, func() { KCV(alg, &root) }); a != 0 {
			t.Errorf("%v KCV: %v allocs", alg, a)
		}
	}
}

func BenchmarkDerive(b *testing.B) {
	root := [16]byte{1, 2, 3}
	for _, alg := range []Alg{SM4, TDES} {
		for _, n := range []int{1, 3} {
			fs := make([]Factor, n)
			b.Run(alg.String()+"/levels="+string(rune('0'+n)), func(b *testing.B) {
				b.ReportAllocs()
				var k [16]byte
				for b.Loop() {
					Derive(alg, &k, &root, fs)
				}
			})
		}
	}
}
