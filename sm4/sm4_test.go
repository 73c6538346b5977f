package sm4_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	gmsm "github.com/emmansun/gmsm/sm4"

	"github.com/sscard/sscard/internal/race"
	"github.com/sscard/sscard/sm4"
)

// implCase is one path to test or benchmark: a name for the sub-test and a
// function that selects it.
type implCase struct {
	name string
	impl string // what sm4.Impl() reports
	use  func() error
}

// implCases lists every path this CPU can run: each name of sm4.Impls(), and
// additionally "gfni-vex" (the GFNI kernels without AVX-512) when the default
// GFNI kernels are the AVX-512VL ones.
func implCases() []implCase {
	var cs []implCase
	for _, name := range sm4.Impls() {
		name := name
		cs = append(cs, implCase{name, name, func() error {
			if err := sm4.SetImpl(name); err != nil {
				return err
			}
			if name == "gfni" {
				sm4.SetGFNIVariant(true) // the AVX-512VL twin when available
			}
			return nil
		}})
		if name == "gfni" && sm4.SetGFNIVariant(true) {
			cs = append(cs, implCase{"gfni-vex", "gfni", func() error {
				if err := sm4.SetImpl("gfni"); err != nil {
					return err
				}
				sm4.SetGFNIVariant(false)
				return nil
			}})
		}
	}
	return cs
}

func restoreImpl(t testing.TB, def string) {
	if err := sm4.SetImpl(def); err != nil {
		t.Fatal(err)
	}
}

// forEachImpl runs f once per path this CPU can run, restoring the default
// afterwards. On amd64 with GFNI and AVX (and without purego) it fails
// unless the gfni path ran.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	defer restoreImpl(t, sm4.Impl())
	ran := map[string]bool{}
	for _, c := range implCases() {
		if err := c.use(); err != nil {
			t.Fatalf("select %s: %v", c.name, err)
		}
		if got := sm4.Impl(); got != c.impl {
			t.Fatalf("after selecting %s, Impl() = %q", c.name, got)
		}
		t.Run("impl="+c.name, func(t *testing.T) {
			t.Logf("running impl=%s", c.name)
			f(t)
			ran[c.impl] = true
		})
	}
	if !ran["generic"] {
		t.Error("generic implementation did not run")
	}
	if expectGFNI() && !ran["gfni"] {
		t.Error("CPU has GFNI and AVX but the gfni path did not run")
	}
}

func TestSetImpl(t *testing.T) {
	def := sm4.Impl()
	defer sm4.SetImpl(def)
	if err := sm4.SetImpl("no-such-impl"); !errors.Is(err, sm4.ErrUnsupported) {
		t.Fatalf("SetImpl(bogus) = %v, want ErrUnsupported", err)
	}
	if sm4.Impl() != def {
		t.Fatalf("failed SetImpl changed Impl to %q", sm4.Impl())
	}
	for _, name := range []string{"gfni", "aesni"} {
		supported := false
		for _, n := range sm4.Impls() {
			supported = supported || n == name
		}
		err := sm4.SetImpl(name)
		if supported && err != nil || !supported && !errors.Is(err, sm4.ErrUnsupported) {
			t.Errorf("SetImpl(%q) = %v, supported=%v", name, err, supported)
		}
	}
	t.Logf("default impl %s, available %v", def, sm4.Impls())
	if expectGFNI() && def != "gfni" {
		t.Errorf("default impl %q on a GFNI CPU", def)
	}
}

type vector struct {
	ID       string            `json:"id"`
	Kind     string            `json:"kind"`
	Inputs   map[string]string `json:"inputs"`
	Expected map[string]string `json:"expected"`
}

func loadVectors(t *testing.T, kind string) []vector {
	t.Helper()
	b, err := os.ReadFile("../testdata/sm4.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Vectors []vector }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []vector
	for _, v := range doc.Vectors {
		if v.Kind == kind {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no vectors of kind %s", kind)
	}
	return out
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func key16(t *testing.T, s string) *[16]byte {
	b := unhex(t, s)
	if len(b) != 16 {
		t.Fatalf("key length %d", len(b))
	}
	return (*[16]byte)(b)
}

func TestBlockVectors(t *testing.T) {
	vs := loadVectors(t, "sm4_block")
	forEachImpl(t, func(t *testing.T) {
		for _, v := range vs {
			n := 1
			if it, ok := v.Inputs["iterations"]; ok {
				var err error
				if n, err = strconv.Atoi(it); err != nil {
					t.Fatal(err)
				}
			}
			if n > 1000 && testing.Short() {
				t.Logf("%s: %d iterations skipped in -short mode", v.ID, n)
				continue
			}
			var s sm4.Schedule
			s.Init(key16(t, v.Inputs["key"]))
			blk := *key16(t, v.Inputs["plaintext"])
			for i := 0; i < n; i++ {
				s.Encrypt(&blk, &blk)
			}
			if want := unhex(t, v.Expected["ciphertext"]); !bytes.Equal(blk[:], want) {
				t.Errorf("%s: got %x want %x", v.ID, blk, want)
			}
			if n == 1 {
				var back [16]byte
				s.Decrypt(&back, &blk)
				if !bytes.Equal(back[:], unhex(t, v.Inputs["plaintext"])) {
					t.Errorf("%s: decrypt got %x", v.ID, back)
				}
				var one [16]byte
				sm4.EncryptBlock(key16(t, v.Inputs["key"]), &one, key16(t, v.Inputs["plaintext"]))
				if one != blk {
					t.Errorf("%s: EncryptBlock got %x", v.ID, one)
				}
			}
		}
	})
}

func TestKeyScheduleVector(t *testing.T) {
	vs := loadVectors(t, "sm4_key_schedule")
	forEachImpl(t, func(t *testing.T) {
		for _, v := range vs {
			want := unhex(t, v.Expected["round_keys"])
			if len(want) != 128 {
				t.Fatalf("%s: %d bytes of round keys", v.ID, len(want))
			}
			var s sm4.Schedule
			s.Init(key16(t, v.Inputs["key"]))
			for i := range s {
				w := uint32(want[4*i])<<24 | uint32(want[4*i+1])<<16 | uint32(want[4*i+2])<<8 | uint32(want[4*i+3])
				if s[i] != w {
					t.Errorf("%s: rk[%d] = %08x, want %08x", v.ID, i, s[i], w)
				}
			}
			var s2 sm4.Schedule
			var out [16]byte
			s2.InitEncrypt(key16(t, v.Inputs["key"]), &out, &out)
			if s2 != s {
				t.Errorf("%s: InitEncrypt schedule differs", v.ID)
			}
		}
	})
}

func TestECBVectors(t *testing.T) {
	vs := loadVectors(t, "sm4_ecb")
	forEachImpl(t, func(t *testing.T) {
		for _, v := range vs {
			var s sm4.Schedule
			s.Init(key16(t, v.Inputs["key"]))
			pt := unhex(t, v.Inputs["plaintext"])
			ct := make([]byte, len(pt))
			for i := 0; i < len(pt); i += 16 {
				s.Encrypt((*[16]byte)(ct[i:]), (*[16]byte)(pt[i:]))
			}
			if want := unhex(t, v.Expected["ciphertext"]); !bytes.Equal(ct, want) {
				t.Errorf("%s: got %x want %x", v.ID, ct, want)
			}
		}
	})
}

func TestCBCVectors(t *testing.T) {
	vs := loadVectors(t, "sm4_cbc")
	forEachImpl(t, func(t *testing.T) {
		for _, v := range vs {
			var s sm4.Schedule
			s.Init(key16(t, v.Inputs["key"]))
			chain := *key16(t, v.Inputs["iv"])
			pt := unhex(t, v.Inputs["plaintext"])
			var ct []byte
			for i := 0; i < len(pt); i += 16 {
				for j := range chain {
					chain[j] ^= pt[i+j]
				}
				s.Encrypt(&chain, &chain)
				ct = append(ct, chain[:]...)
			}
			if want := unhex(t, v.Expected["ciphertext"]); !bytes.Equal(ct, want) {
				t.Errorf("%s: got %x want %x", v.ID, ct, want)
			}
			// CBC decryption with Decrypt.
			prev := *key16(t, v.Inputs["iv"])
			for i := 0; i < len(ct); i += 16 {
				var p [16]byte
				s.Decrypt(&p, (*[16]byte)(ct[i:]))
				for j := range p {
					p[j] ^= prev[j]
				}
				if !bytes.Equal(p[:], pt[i:i+16]) {
					t.Errorf("%s: CBC decrypt block %d got %x", v.ID, i/16, p)
				}
				prev = [16]byte(ct[i : i+16])
			}
		}
	})
}

// TestDifferential compares every path with emmansun/gmsm on random keys and
// blocks: Encrypt, Decrypt, InitEncrypt, EncryptBlock, the round-trip, and
// aliasing of dst and src.
func TestDifferential(t *testing.T) {
	const n = 10000
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, uint64(len(sm4.Impl()))))
		var key, pt [16]byte
		for i := 0; i < n; i++ {
			fill(rng, key[:])
			fill(rng, pt[:])
			ref, err := gmsm.NewCipher(key[:])
			if err != nil {
				t.Fatal(err)
			}
			var want, wantDec [16]byte
			ref.Encrypt(want[:], pt[:])
			ref.Decrypt(wantDec[:], pt[:])

			var s sm4.Schedule
			s.Init(&key)
			var ct, dec, back [16]byte
			s.Encrypt(&ct, &pt)
			if ct != want {
				t.Fatalf("key %x pt %x: Encrypt %x, emmansun %x", key, pt, ct, want)
			}
			s.Decrypt(&dec, &pt)
			if dec != wantDec {
				t.Fatalf("key %x ct %x: Decrypt %x, emmansun %x", key, pt, dec, wantDec)
			}
			s.Decrypt(&back, &ct)
			if back != pt {
				t.Fatalf("key %x: Decrypt(Encrypt(x)) = %x, want %x", key, back, pt)
			}
			var s2 sm4.Schedule
			var ct2 [16]byte
			s2.InitEncrypt(&key, &ct2, &pt)
			if ct2 != want || s2 != s {
				t.Fatalf("key %x pt %x: InitEncrypt %x, want %x (schedule equal %v)", key, pt, ct2, want, s2 == s)
			}
			alias := pt
			s2.InitEncrypt(&key, &alias, &alias)
			if alias != want {
				t.Fatalf("InitEncrypt aliased: %x want %x", alias, want)
			}
			alias = pt
			s.Encrypt(&alias, &alias)
			if alias != want {
				t.Fatalf("Encrypt aliased: %x want %x", alias, want)
			}
			s.Decrypt(&alias, &alias)
			if alias != pt {
				t.Fatalf("Decrypt aliased: %x want %x", alias, pt)
			}
			if i%64 == 0 {
				var one [16]byte
				sm4.EncryptBlock(&key, &one, &pt)
				if one != want {
					t.Fatalf("EncryptBlock %x want %x", one, want)
				}
			}
		}
	})
}

func fill(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

// sboxRow0 and sboxRow15 are the first and last rows of the S-box table of
// GB/T 32907-2016.
var (
	sboxRow0  = [16]byte{0xd6, 0x90, 0xe9, 0xfe, 0xcc, 0xe1, 0x3d, 0xb7, 0x16, 0xb6, 0x14, 0xc2, 0x28, 0xfb, 0x2c, 0x05}
	sboxRow15 = [16]byte{0x18, 0xf0, 0x7d, 0xec, 0x3a, 0xdc, 0x4d, 0x20, 0x79, 0xee, 0x5f, 0x3e, 0xd7, 0xcb, 0x39, 0x48}
)

// TestSboxAllValues drives each of the 256 S-box inputs through every byte
// position of the first round's S-box, for each path, and compares the whole
// encryption with emmansun/gmsm (a table S-box). With an all-zero plaintext
// the first S-box input is rk0, so the key is chosen by inverting the key
// schedule's first step: a key whose rk0 has the bytes (v, v+1, v+2, v+3).
func TestSboxAllValues(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		for v := 0; v < 256; v++ {
			for _, pt := range [][16]byte{{}, {0: byte(v), 5: byte(v), 10: byte(v), 15: byte(v)}} {
				var key [16]byte
				for i := range key {
					key[i] = byte(v + i*17)
				}
				ref, err := gmsm.NewCipher(key[:])
				if err != nil {
					t.Fatal(err)
				}
				var want, got [16]byte
				ref.Encrypt(want[:], pt[:])
				var s sm4.Schedule
				s.InitEncrypt(&key, &got, &pt)
				if got != want {
					t.Fatalf("v=%#02x: got %x want %x", v, got, want)
				}
			}
		}
	})
	// The generic S-box against the published table rows, through the
	// key schedule: rk0 = K0 ^ T'(K1^K2^K3^CK0) where K = MK ^ FK. A key
	// with K1^K2^K3^CK0 = b,b,b,b and K0 = 0 gives rk0 = L'(S(b)·0x01010101).
	for _, row := range []struct {
		base byte
		want [16]byte
	}{{0x00, sboxRow0}, {0xf0, sboxRow15}} {
		for i, w := range row.want {
			b := row.base + byte(i)
			fkw := [4]uint32{0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc}
			const ck0 = 0x00070e15
			k := [4]uint32{0, uint32(b)*0x01010101 ^ ck0, 0, 0}
			var key [16]byte
			for j := 0; j < 4; j++ {
				m := k[j] ^ fkw[j]
				key[4*j], key[4*j+1], key[4*j+2], key[4*j+3] = byte(m>>24), byte(m>>16), byte(m>>8), byte(m)
			}
			x := uint32(w) * 0x01010101
			wantRK := x ^ (x<<13 | x>>19) ^ (x<<23 | x>>9)
			forEachImplQuiet(t, func(name string) {
				var s sm4.Schedule
				s.Init(&key)
				if s[0] != wantRK {
					t.Errorf("impl=%s: S(%#02x): rk0 = %08x, want %08x (S = %#02x)", name, b, s[0], wantRK, w)
				}
			})
		}
	}
}

func forEachImplQuiet(t *testing.T, f func(name string)) {
	defer restoreImpl(t, sm4.Impl())
	for _, c := range implCases() {
		if err := c.use(); err != nil {
			t.Fatal(err)
		}
		f(c.name)
	}
}

func TestAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	forEachImpl(t, func(t *testing.T) {
		var key, blk [16]byte
		var s sm4.Schedule
		if n := testing.AllocsPerRun(100, func() {
			s.Init(&key)
			s.Encrypt(&blk, &blk)
			s.Decrypt(&blk, &blk)
		}); n != 0 {
			t.Errorf("Init+Encrypt+Decrypt: %v allocs", n)
		}
		if n := testing.AllocsPerRun(100, func() { s.InitEncrypt(&key, &blk, &blk) }); n != 0 {
			t.Errorf("InitEncrypt: %v allocs", n)
		}
		if n := testing.AllocsPerRun(100, func() { sm4.EncryptBlock(&key, &blk, &blk) }); n != 0 {
			t.Errorf("EncryptBlock: %v allocs", n)
		}
	})
}

func expectGFNI() bool {
	if runtime.GOARCH != "amd64" || purego {
		return false
	}
	for _, n := range sm4.Impls() {
		if n == "gfni" {
			return true
		}
	}
	return cpuHasGFNI()
}

func cpuHasGFNI() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	flags := ""
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "flags") {
			flags = " " + line + " "
			break
		}
	}
	return strings.Contains(flags, " gfni ") && strings.Contains(flags, " avx ")
}
