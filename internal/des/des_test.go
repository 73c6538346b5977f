package des

import (
	"bytes"
	"crypto/des"
	"encoding/hex"
	"encoding/json"
	"math/bits"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/sscard/sscard/internal/race"
)

// permute is the textbook bit permutation of FIPS 46-3: output bit i (1-based,
// most significant first, of outBits) is input bit table[i-1] of an inBits-bit
// input.
func permute(in uint64, inBits int, table []uint8) uint64 {
	var out uint64
	for _, n := range table {
		out = out<<1 | (in>>(inBits-int(n)))&1
	}
	return out
}

// refEncrypt is a straightforward bit-by-bit DES written from the FIPS tables
// (secret-indexed and slow; for tests only).
func refCrypt(key, block uint64, decrypt bool) uint64 {
	cd := permute(key, 64, permutedChoice1[:])
	c, d := cd>>28, cd&0xFFFFFFF
	var ks [16]uint64
	for r := range 16 {
		for range keyShifts[r] {
			c = (c<<1 | c>>27) & 0xFFFFFFF
			d = (d<<1 | d>>27) & 0xFFFFFFF
		}
		ks[r] = permute(c<<28|d, 56, permutedChoice2[:])
	}
	v := permute(block, 64, initialPermutation[:])
	l, r := v>>32, v&0xFFFFFFFF
	for i := range 16 {
		k := ks[i]
		if decrypt {
			k = ks[15-i]
		}
		e := permute(r, 32, expansion[:]) ^ k
		var s uint64
		for j := range 8 {
			x := int(e>>(42-6*j)) & 63
			row := (x>>4)&2 | x&1
			s = s<<4 | uint64(sBoxes[j][16*row+(x>>1)&15])
		}
		l, r = r, l^permute(s, 32, permutation[:])
	}
	return permute(r<<32|l, 64, finalPermutation[:])
}

func be64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func TestTables(t *testing.T) {
	for i, s := range sBoxes {
		for row := range 4 {
			var seen uint16
			for col := range 16 {
				seen |= 1 << s[16*row+col]
			}
			if seen != 0xFFFF {
				t.Errorf("S%d row %d is not a permutation of 0..15", i+1, row)
			}
		}
	}
	// IP^-1 must invert IP.
	for i := range 64 {
		if finalPermutation[initialPermutation[i]-1] != uint8(i+1) {
			t.Fatalf("finalPermutation is not the inverse of initialPermutation at %d", i)
		}
	}
	var seen uint64
	for _, n := range permutation {
		seen |= 1 << (n - 1)
	}
	if seen != 0xFFFFFFFF {
		t.Error("P is not a permutation")
	}
}

func TestPermutations(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	for range 2000 {
		var b [8]byte
		v := rng.Uint64()
		for i := range 8 {
			b[i] = byte(v >> (56 - 8*i))
		}
		l, r := initialPerm(leUint64(b[:]))
		if got, want := uint64(l)<<32|uint64(r), permute(v, 64, initialPermutation[:]); got != want {
			t.Fatalf("IP(%016x) = %016x, want %016x", v, got, want)
		}
		out := finalPerm(uint32(v>>32), uint32(v))
		var ob [8]byte
		for i := range 8 {
			ob[i] = byte(out >> (8 * i))
		}
		if got, want := be64(ob[:]), permute(v, 64, finalPermutation[:]); got != want {
			t.Fatalf("FP(%016x) = %016x, want %016x", v, got, want)
		}
	}
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestClassicVector(t *testing.T) {
	key := [8]byte(mustHex(t, "133457799BBCDFF1"))
	pt := [8]byte(mustHex(t, "0123456789ABCDEF"))
	want := mustHex(t, "85E813540F0AB405")
	var s Schedule
	s.Init(&key)
	var ct, back [8]byte
	s.Encrypt(&ct, &pt)
	if !bytes.Equal(ct[:], want) {
		t.Fatalf("E = %X, want %X", ct, want)
	}
	s.Decrypt(&back, &ct)
	if back != pt {
		t.Fatalf("D(E(x)) = %X, want %X", back, pt)
	}
	if got := refCrypt(be64(key[:]), be64(pt[:]), false); got != be64(want) {
		t.Fatalf("reference E = %016X, want %X", got, want)
	}
	// In place.
	s.Encrypt(&pt, &pt)
	if !bytes.Equal(pt[:], want) {
		t.Fatalf("in-place E = %X, want %X", pt, want)
	}
}

// TestDifferential compares with crypto/des (and the bit-by-bit reference) on
// random keys and blocks, single and triple DES, both directions.
func TestDifferential(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	rng := rand.New(rand.NewChaCha8([32]byte{'d', 'e', 's'}))
	for i := range n {
		var k16 [16]byte
		var blk [8]byte
		for j := range k16 {
			k16[j] = byte(rng.Uint32())
		}
		for j := range blk {
			blk[j] = byte(rng.Uint32())
		}
		k8 := (*[8]byte)(k16[:8])

		std, err := des.NewCipher(k8[:])
		if err != nil {
			t.Fatal(err)
		}
		var s Schedule
		s.Init(k8)
		var got, want [8]byte
		s.Encrypt(&got, &blk)
		std.Encrypt(want[:], blk[:])
		if got != want {
			t.Fatalf("DES E key %X block %X: got %X, want %X", k8, blk, got, want)
		}
		if i < 500 {
			if ref := refCrypt(be64(k8[:]), be64(blk[:]), false); ref != be64(want[:]) {
				t.Fatalf("reference DES E key %X block %X: %016X, want %X", k8, blk, ref, want)
			}
		}
		s.Decrypt(&got, &blk)
		std.Decrypt(want[:], blk[:])
		if got != want {
			t.Fatalf("DES D key %X block %X: got %X, want %X", k8, blk, got, want)
		}

		k24 := append(k16[:16:16], k16[:8]...)
		std3, err := des.NewTripleDESCipher(k24)
		if err != nil {
			t.Fatal(err)
		}
		var tr Triple
		tr.Init(&k16)
		tr.Encrypt(&got, &blk)
		std3.Encrypt(want[:], blk[:])
		if got != want {
			t.Fatalf("3DES E key %X block %X: got %X, want %X", k16, blk, got, want)
		}
		tr.Decrypt(&got, &blk)
		std3.Decrypt(want[:], blk[:])
		if got != want {
			t.Fatalf("3DES D key %X block %X: got %X, want %X", k16, blk, got, want)
		}
	}
}

// TestParityIgnored checks that the parity bits (the last bit of each key
// byte) do not change the result.
func TestParityIgnored(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{'p'}))
	for range 200 {
		var key, blk [8]byte
		for i := range key {
			key[i] = byte(rng.Uint32())
			blk[i] = byte(rng.Uint32())
		}
		var a, b Schedule
		a.Init(&key)
		key2 := key
		for i := range key2 {
			key2[i] ^= byte(rng.Uint32()) & 1
		}
		b.Init(&key2)
		var ca, cb [8]byte
		a.Encrypt(&ca, &blk)
		b.Encrypt(&cb, &blk)
		if ca != cb {
			t.Fatalf("keys %X and %X differ only in parity but encrypt differently", key, key2)
		}
	}
}

// TestKeySchedule checks the Beneš networks against the bit-by-bit composite
// of PC-1, the rotations and PC-2, on the bits the rounds read.
func TestKeySchedule(t *testing.T) {
	var window uint64
	for u := range 48 {
		window |= 1 << keyBitDst(u)
	}
	if bits.OnesCount64(window) != 48 {
		t.Fatalf("round-key windows overlap: %016x", window)
	}
	rng := rand.New(rand.NewChaCha8([32]byte{'k'}))
	for range 1000 {
		kv := rng.Uint64()
		var key [8]byte
		for i := range key {
			key[i] = byte(kv >> (56 - 8*i))
		}
		var s Schedule
		s.Init(&key)
		for r := range 16 {
			var want uint64
			for u := range 48 {
				want |= (kv >> keyBitSrc(r, u) & 1) << keyBitDst(u)
			}
			if got := s[r] & window; got != want {
				t.Fatalf("key %016x round %d: packed key %016x, want %016x", kv, r+1, got, want)
			}
		}
	}
}

func TestWipe(t *testing.T) {
	key := [16]byte(mustHex(t, "7CA110454A1A6E570131D9619DC1376E"))
	var tr Triple
	tr.Init(&key)
	if tr == (Triple{}) {
		t.Fatal("Init left the schedule zero")
	}
	tr.Wipe()
	if tr != (Triple{}) {
		t.Fatal("Wipe left key material")
	}
	var s Schedule
	s.Init((*[8]byte)(key[:8]))
	s.Wipe()
	if s != (Schedule{}) {
		t.Fatal("Wipe left key material")
	}
}

func TestAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	var k16 [16]byte
	var blk [8]byte
	if n := testing.AllocsPerRun(100, func() {
		var s Schedule
		s.Init((*[8]byte)(k16[:8]))
		s.Encrypt(&blk, &blk)
		s.Decrypt(&blk, &blk)
		s.Wipe()
	}); n != 0 {
		t.Errorf("DES Init+Encrypt+Decrypt: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		var tr Triple
		tr.Init(&k16)
		tr.Encrypt(&blk, &blk)
		tr.Decrypt(&blk, &blk)
		tr.Wipe()
	}); n != 0 {
		t.Errorf("3DES Init+Encrypt+Decrypt: %v allocations, want 0", n)
	}
}

// macVector is one entry of testdata/mac.json.
type macVector struct {
	ID       string            `json:"id"`
	Kind     string            `json:"kind"`
	Variant  string            `json:"variant"`
	Inputs   map[string]any    `json:"inputs"`
	Expected map[string]string `json:"expected"`
}

func loadMAC(t *testing.T, kind string) []macVector {
	t.Helper()
	b, err := os.ReadFile("../../testdata/mac.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vectors []macVector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []macVector
	for _, v := range doc.Vectors {
		if v.Kind == kind {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s vectors", kind)
	}
	return out
}

func (v macVector) in(name string) string {
	s, _ := v.Inputs[name].(string)
	return s
}

// blockCipher is what the test CBC-MAC needs.
type blockCipher interface {
	Encrypt(dst, src *[8]byte)
}

// cbcMAC runs CBC over data (a multiple of 8 bytes) and returns the chaining
// value after each block.
func cbcMAC(c blockCipher, iv [8]byte, data []byte) [][8]byte {
	var chain [][8]byte
	x := iv
	for len(data) > 0 {
		for i := range 8 {
			x[i] ^= data[i]
		}
		c.Encrypt(&x, &x)
		chain = append(chain, x)
		data = data[8:]
	}
	return chain
}

// leftOnly runs Triple.EncryptLeft as a blockCipher.
type leftOnly struct{ t *Triple }

func (c leftOnly) Encrypt(dst, src *[8]byte) { c.t.EncryptLeft(dst, src) }

func padZero(b []byte) []byte {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

func padPKCS7(b []byte) []byte {
	n := 8 - len(b)%8
	return append(b, bytes.Repeat([]byte{byte(n)}, n)...)
}

func padISO2(b []byte) []byte {
	return padZero(append(b, 0x80))
}

// TestDESCBCMAC checks the des_cbc_mac vectors (FIPS 113 and Bouncy Castle).
func TestDESCBCMAC(t *testing.T) {
	checked := 0
	for _, v := range loadMAC(t, "des_cbc_mac") {
		t.Run(v.ID, func(t *testing.T) {
			var s Schedule
			s.Init((*[8]byte)(mustHex(t, v.in("key"))))
			var iv [8]byte
			if h := v.in("iv"); h != "" {
				iv = [8]byte(mustHex(t, h))
			}
			if blocks, ok := v.Inputs["blocks"].([]any); ok {
				// FIPS 113 intermediate values O1..On.
				var data []byte
				for _, b := range blocks {
					data = append(data, mustHex(t, b.(string))...)
				}
				chain := cbcMAC(&s, iv, data)
				for i := range chain {
					want := mustHex(t, v.Expected["O"+string(rune('1'+i))])
					if !bytes.Equal(chain[i][:], want) {
						t.Errorf("O%d = %X, want %X", i+1, chain[i], want)
					}
				}
				checked++
				return
			}
			data := mustHex(t, v.in("data"))
			switch {
			case strings.Contains(v.Variant, "PKCS#7"):
				data = padPKCS7(data)
			case strings.Contains(v.Variant, "zero") || strings.Contains(v.Variant, "padding method 1"):
				data = padZero(data)
			default:
				t.Fatalf("unknown padding in variant %q", v.Variant)
			}
			chain := cbcMAC(&s, iv, data)
			want := mustHex(t, v.Expected["mac"])
			if got := chain[len(chain)-1][:len(want)]; !bytes.Equal(got, want) {
				t.Errorf("MAC = %X, want %X", got, want)
			}
			checked++
		})
	}
	if checked < 5 {
		t.Errorf("checked %d des_cbc_mac vectors, want at least 5", checked)
	}
}

// TestTDESCBCMAC checks the tdes_cbc_mac vector (full two-key 3DES CBC-MAC).
func TestTDESCBCMAC(t *testing.T) {
	for _, v := range loadMAC(t, "tdes_cbc_mac") {
		t.Run(v.ID, func(t *testing.T) {
			var tr Triple
			tr.Init((*[16]byte)(mustHex(t, v.in("key"))))
			chain := cbcMAC(&tr, [8]byte{}, padZero(mustHex(t, v.in("data"))))
			want := mustHex(t, v.Expected["mac"])
			if got := chain[len(chain)-1][:len(want)]; !bytes.Equal(got, want) {
				t.Errorf("MAC = %X, want %X", got, want)
			}
		})
	}
}

// TestRetailMAC checks the single-DES-keyed ISO 9797-1 algorithm 3 vectors,
// which exercise Decrypt: CBC with KL, then D_KR and E_KL on the last block.
func TestRetailMAC(t *testing.T) {
	checked := 0
	for _, v := range loadMAC(t, "des_retail_mac") {
		var kl, kr []byte
		switch {
		case v.in("key") != "":
			k := mustHex(t, v.in("key"))
			kl, kr = k[:8], k[8:]
		case len(v.in("key1")) == 16 && len(v.in("key2")) == 16:
			kl, kr = mustHex(t, v.in("key1")), mustHex(t, v.in("key2"))
		default:
			continue // 3DES-chained variant, not the retail MAC
		}
		t.Run(v.ID, func(t *testing.T) {
			var l, r Schedule
			l.Init((*[8]byte)(kl))
			r.Init((*[8]byte)(kr))
			data := mustHex(t, v.in("data"))
			if strings.Contains(v.Variant, "80") || strings.Contains(v.Variant, "method 2") {
				data = padISO2(data)
			} else {
				data = padZero(data)
			}
			chain := cbcMAC(&l, [8]byte{}, data)
			var tr Triple
			var k16 [16]byte
			copy(k16[:8], kl)
			copy(k16[8:], kr)
			tr.Init(&k16)
			if c2 := cbcMAC(leftOnly{&tr}, [8]byte{}, data); !bytes.Equal(c2[len(c2)-1][:], chain[len(chain)-1][:]) {
				t.Errorf("Triple.EncryptLeft chain differs from the KL schedule")
			}
			for i := range chain {
				if h, ok := v.Expected["chain_"+string(rune('1'+i))]; ok {
					if want := mustHex(t, h); !bytes.Equal(chain[i][:], want) {
						t.Errorf("chain %d = %X, want %X", i+1, chain[i], want)
					}
				}
			}
			last := chain[len(chain)-1]
			r.Decrypt(&last, &last)
			l.Encrypt(&last, &last)
			want := mustHex(t, v.Expected["mac"])
			if !bytes.Equal(last[:len(want)], want) {
				t.Errorf("MAC = %X, want %X", last[:len(want)], want)
			}
			// The same through Triple: E_KL(D_KR(E_KL(x))) with the last
			// CBC input.
			prev := [8]byte{}
			if len(chain) > 1 {
				prev = chain[len(chain)-2]
			}
			var x [8]byte
			for i := range 8 {
				x[i] = prev[i] ^ data[len(data)-8+i]
			}
			tr.Encrypt(&x, &x)
			if !bytes.Equal(x[:len(want)], want) {
				t.Errorf("via Triple: MAC = %X, want %X", x[:len(want)], want)
			}
		})
		checked++
	}
	if checked < 4 {
		t.Errorf("checked %d retail MAC vectors, want at least 4", checked)
	}
}
