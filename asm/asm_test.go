package asm

import (
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"

	gmsm4 "github.com/emmansun/gmsm/sm4"
	"golang.org/x/sys/cpu"

	"github.com/sscard/sscard/sm4"
)

// forEachImpl runs fn once per available path, forcing it with SetImpl.
func forEachImpl(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	old := Impl()
	defer func() {
		if err := SetImpl(old); err != nil {
			t.Fatal(err)
		}
	}()
	var ran []string
	for _, name := range Impls() {
		t.Run("impl="+name, func(t *testing.T) {
			if err := SetImpl(name); err != nil {
				t.Fatal(err)
			}
			if got := Impl(); got != name {
				t.Fatalf("Impl() = %q after SetImpl(%q)", got, name)
			}
			fn(t)
		})
		ran = append(ran, name)
	}
	t.Logf("paths run: %v", ran)
}

func newRand(t testing.TB) *rand.Rand {
	seed := uint64(len(t.Name())) * 0x9e3779b97f4a7c15
	for _, c := range t.Name() {
		seed = seed*31 + uint64(c)
	}
	return rand.New(rand.NewPCG(seed, 42))
}

func randBlocks(r *rand.Rand, b *Blocks) {
	for j := range b.W {
		for i := range b.W[j] {
			b.W[j][i] = r.Uint32()
		}
	}
}

func canaryWord(j, i int) uint32 { return 0xdead0000 ^ uint32(j)<<8 ^ uint32(i) }

func fillCanary(b *Blocks) {
	for j := range b.W {
		for i := range b.W[j] {
			b.W[j][i] = canaryWord(j, i)
		}
	}
}

func checkCanary(t *testing.T, what string, b *Blocks, n int) {
	t.Helper()
	for j := range b.W {
		for i := n; i < MaxLanes; i++ {
			if b.W[j][i] != canaryWord(j, i) {
				t.Fatalf("%s: lane %d >= n=%d was written", what, i, n)
			}
		}
	}
}

func gmsmEncrypt(t testing.TB, key, src [16]byte) (dst [16]byte) {
	c, err := gmsm4.NewCipher(key[:])
	if err != nil {
		t.Fatal(err)
	}
	c.Encrypt(dst[:], src[:])
	return
}

func gmsmCBCMAC(t testing.TB, key [16]byte, msg []byte) (mac [16]byte) {
	if len(msg) == 0 {
		return
	}
	c, err := gmsm4.NewCipher(key[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(msg))
	cipher.NewCBCEncrypter(c, make([]byte, 16)).CryptBlocks(out, msg)
	copy(mac[:], out[len(out)-16:])
	return
}

func refCBCMAC(dst *Blocks, k *Keys, msg *[MaxMACBlocks]Blocks, nblocks *[MaxLanes]uint8, n int) {
	for i := 0; i < n; i++ {
		s := laneSchedule(k, i)
		var c [16]byte
		for b := 0; b < int(nblocks[i]); b++ {
			m := laneBlock(&msg[b], i)
			for j := range c {
				c[j] ^= m[j]
			}
			s.Encrypt(&c, &c)
		}
		setLaneBlock(dst, i, &c)
	}
}

var laneCounts = []int{1, 2, 5, 8, 16, 31, 32, 33, 48, 63, 64}

func TestSboxBS(t *testing.T) {
	// Published first row and last entry of the SM4 S-box (GB/T 32907).
	row0 := [16]byte{0xd6, 0x90, 0xe9, 0xfe, 0xcc, 0xe1, 0x3d, 0xb7, 0x16, 0xb6, 0x14, 0xc2, 0x28, 0xfb, 0x2c, 0x05}
	for i, v := range row0 {
		if refSboxTable[i] != v {
			t.Fatalf("reference S-box[%#x] = %#x, want %#x", i, refSboxTable[i], v)
		}
	}
	if refSboxTable[0xff] != 0x48 {
		t.Fatalf("reference S-box[0xff] = %#x, want 0x48", refSboxTable[0xff])
	}
	for base := 0; base < 256; base += 64 {
		var x [8]uint64
		for l := 0; l < 64; l++ {
			for i := range x {
				x[i] |= uint64((base+l)>>i&1) << l
			}
		}
		var y [8]uint64
		y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7] = sboxBS(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7])
		for l := 0; l < 64; l++ {
			var v byte
			for i := range y {
				v |= byte(y[i]>>l&1) << i
			}
			if want := refSboxTable[(base+l)^sboxInXor]; v != want {
				t.Fatalf("sboxBS(%#x) = %#x, want S(%#x ^ sboxInXor) = %#x", base+l, v, base+l, want)
			}
		}
	}
	t.Logf("S-box circuit: %d gates", sboxGates)
}

func TestTranspose(t *testing.T) {
	r := newRand(t)
	var w [MaxLanes]uint32
	for i := range w {
		w[i] = r.Uint32()
	}
	var p planes
	toPlanes(&p, &w)
	for j := 0; j < 32; j++ {
		for i := 0; i < MaxLanes; i++ {
			if p[j]>>i&1 != uint64(w[i]>>j&1) {
				t.Fatalf("plane %d lane %d wrong", j, i)
			}
		}
	}
	for _, n := range laneCounts {
		var out [MaxLanes]uint32
		for i := range out {
			out[i] = canaryWord(0, i)
		}
		fromPlanes(&out, &p, n)
		for i := range out {
			want := w[i]
			if i >= n {
				want = canaryWord(0, i)
			}
			if out[i] != want {
				t.Fatalf("n=%d: lane %d = %#x, want %#x", n, i, out[i], want)
			}
		}
	}
}

func TestExpandKeys(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := newRand(t)
		for _, n := range laneCounts {
			var keys Blocks
			randBlocks(r, &keys)
			var got, want Keys
			for rr := range got.RK {
				for i := range got.RK[rr] {
					got.RK[rr][i] = canaryWord(rr, i)
				}
			}
			ExpandKeys(&got, &keys, n)
			refExpandKeys(&want, &keys, n)
			for rr := range got.RK {
				for i := range got.RK[rr] {
					w := want.RK[rr][i]
					if i >= n {
						w = canaryWord(rr, i)
					}
					if got.RK[rr][i] != w {
						t.Fatalf("n=%d: RK[%d][%d] = %#x, want %#x", n, rr, i, got.RK[rr][i], w)
					}
				}
			}
		}
	})
}

func TestEncrypt(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := newRand(t)
		for _, n := range laneCounts {
			var keys, src, got, want Blocks
			randBlocks(r, &keys)
			randBlocks(r, &src)
			var k Keys
			refExpandKeys(&k, &keys, MaxLanes)
			fillCanary(&got)
			Encrypt(&got, &k, &src, n)
			checkCanary(t, "Encrypt", &got, n)
			refEncrypt(&want, &k, &src, n)
			for i := 0; i < n; i++ {
				g := laneBlock(&got, i)
				if w := laneBlock(&want, i); g != w {
					t.Fatalf("n=%d lane %d: got %x, ref %x", n, i, g, w)
				}
				if w := gmsmEncrypt(t, laneBlock(&keys, i), laneBlock(&src, i)); g != w {
					t.Fatalf("n=%d lane %d: got %x, gmsm %x", n, i, g, w)
				}
			}
			// In place, with the schedule from ExpandKeys.
			var k2 Keys
			ExpandKeys(&k2, &keys, n)
			inplace := src
			Encrypt(&inplace, &k2, &inplace, n)
			for i := 0; i < MaxLanes; i++ {
				w := laneBlock(&src, i)
				if i < n {
					w = laneBlock(&want, i)
				}
				if g := laneBlock(&inplace, i); g != w {
					t.Fatalf("in place n=%d lane %d: got %x, want %x", n, i, g, w)
				}
			}
		}
	})
}

func TestCBCMAC(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := newRand(t)
		for _, n := range laneCounts {
			var keys Blocks
			randBlocks(r, &keys)
			var k Keys
			refExpandKeys(&k, &keys, MaxLanes)
			var msg [MaxMACBlocks]Blocks
			for b := range msg {
				randBlocks(r, &msg[b])
			}
			var nb [MaxLanes]uint8
			for i := range nb {
				nb[i] = uint8(r.IntN(MaxMACBlocks + 1)) // 0..4, ragged
				if i >= n {
					nb[i] = 0xff // must be ignored
				}
			}
			nb[0] = uint8(1 + r.IntN(MaxMACBlocks)) // at least one real lane
			var got, want Blocks
			fillCanary(&got)
			CBCMAC(&got, &k, &msg, &nb, n)
			checkCanary(t, "CBCMAC", &got, n)
			refCBCMAC(&want, &k, &msg, &nb, n)
			for i := 0; i < n; i++ {
				g := laneBlock(&got, i)
				if w := laneBlock(&want, i); g != w {
					t.Fatalf("n=%d lane %d (%d blocks): got %x, ref %x", n, i, nb[i], g, w)
				}
				var m []byte
				for b := 0; b < int(nb[i]); b++ {
					blk := laneBlock(&msg[b], i)
					m = append(m, blk[:]...)
				}
				if w := gmsmCBCMAC(t, laneBlock(&keys, i), m); g != w {
					t.Fatalf("n=%d lane %d (%d blocks): got %x, gmsm %x", n, i, nb[i], g, w)
				}
			}
		}
	})
}

// gmsmVerify composes the fused pipeline of one lane with emmansun/gmsm.
func gmsmVerify(t testing.TB, parent, div [16]byte, session bool, sess [16]byte, msg []byte) [16]byte {
	k := gmsmEncrypt(t, parent, div)
	if session {
		k = gmsmEncrypt(t, k, sess)
	}
	return gmsmCBCMAC(t, k, msg)
}

func TestFused(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := newRand(t)
		for _, shared := range []bool{true, false} {
			for _, session := range []bool{false, true} {
				for _, n := range laneCounts {
					// chain2: 0 none, 1 random lengths (0..4), 2 chain 2
					// only (chain 1 empty in every lane).
					chain2 := r.IntN(3)
					var f Fused
					f.N = n
					f.Session = session
					randBlocks(r, &f.Parent)
					randBlocks(r, &f.Div)
					randBlocks(r, &f.Sess)
					for b := range f.Msg {
						randBlocks(r, &f.Msg[b])
					}
					for i := range f.NBlocks {
						f.NBlocks[i] = uint8(r.IntN(MaxMACBlocks + 1))
						if i >= n {
							f.NBlocks[i] = 0xee
						}
					}
					f.NBlocks[n-1] = MaxMACBlocks
					for b := range f.Msg2 {
						randBlocks(r, &f.Msg2[b])
					}
					for i := range f.NBlocks2 {
						switch {
						case i >= n:
							f.NBlocks2[i] = 0xee
						case chain2 > 0:
							f.NBlocks2[i] = uint8(r.IntN(MaxMACBlocks + 1))
						}
					}
					if chain2 == 2 {
						clear(f.NBlocks[:n])
						f.NBlocks2[0] = uint8(1 + r.IntN(MaxMACBlocks))
					}
					var sharedKey [16]byte
					if shared {
						for i := range sharedKey {
							sharedKey[i] = byte(r.Uint32())
						}
						var s sm4.Schedule
						s.Init(&sharedKey)
						f.Shared = &s
					}
					fillCanary(&f.Out)
					fillCanary(&f.Out2)
					want := f
					refFused(&want)
					// Want, Want2: the right MAC in some lanes, off by one
					// bit in others; Bad, Bad2 must name exactly the latter.
					wantBad := setWant(r, &f.Want, &want.Out, n)
					wantBad2 := setWant(r, &f.Want2, &want.Out2, n)
					f.Bad, f.Bad2 = r.Uint64(), r.Uint64()
					before := f
					f.Run()
					checkCanary(t, "Fused.Out", &f.Out, n)
					checkCanary(t, "Fused.Out2", &f.Out2, n)
					if f.Bad != wantBad || f.Bad2 != wantBad2 {
						t.Fatalf("shared=%v session=%v chain2=%d n=%d: Bad %064b, Bad2 %064b, want %064b, %064b",
							shared, session, chain2, n, f.Bad, f.Bad2, wantBad, wantBad2)
					}
					after := f
					after.Out, after.Bad = before.Out, before.Bad
					after.Out2, after.Bad2 = before.Out2, before.Bad2
					if after != before {
						t.Fatalf("Run modified inputs")
					}
					for i := 0; i < n; i++ {
						parent := laneBlock(&f.Parent, i)
						if shared {
							parent = sharedKey
						}
						for c, ch := range []struct {
							out, ref *Blocks
							msg      *[MaxMACBlocks]Blocks
							nb       uint8
						}{{&f.Out, &want.Out, &f.Msg, f.NBlocks[i]}, {&f.Out2, &want.Out2, &f.Msg2, f.NBlocks2[i]}} {
							g := laneBlock(ch.out, i)
							if w := laneBlock(ch.ref, i); g != w {
								t.Fatalf("shared=%v session=%v chain2=%d n=%d lane %d chain %d: got %x, ref %x", shared, session, chain2, n, i, c+1, g, w)
							}
							var m []byte
							for b := 0; b < int(ch.nb); b++ {
								blk := laneBlock(&ch.msg[b], i)
								m = append(m, blk[:]...)
							}
							w := gmsmVerify(t, parent, laneBlock(&f.Div, i), session, laneBlock(&f.Sess, i), m)
							if g != w {
								t.Fatalf("shared=%v session=%v chain2=%d n=%d lane %d chain %d: got %x, gmsm %x", shared, session, chain2, n, i, c+1, g, w)
							}
						}
					}
				}
			}
		}
	})
}

// setWant sets want to word 0 of ref, flipping one bit in a random third
// of the lanes and in every lane >= n, and returns the mask of the flipped
// lanes < n.
func setWant(r *rand.Rand, want *[MaxLanes]uint32, ref *Blocks, n int) (bad uint64) {
	for i := range want {
		want[i] = ref.W[0][i]
		if i >= n || r.IntN(3) == 0 {
			want[i] ^= 1 << r.IntN(32)
			if i < n {
				bad |= 1 << i
			}
		}
	}
	return bad
}

type vectorFile struct {
	Vectors []struct {
		ID       string            `json:"id"`
		Kind     string            `json:"kind"`
		Variant  string            `json:"variant"`
		Inputs   map[string]any    `json:"inputs"`
		Expected map[string]string `json:"expected"`
	} `json:"vectors"`
}

func loadVectors(t *testing.T, name string) vectorFile {
	t.Helper()
	data, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func broadcastBlock(b *Blocks, v []byte) {
	var a [16]byte
	copy(a[:], v)
	for i := 0; i < MaxLanes; i++ {
		setLaneBlock(b, i, &a)
	}
}

// TestKnownAnswer runs the published SM4 block, key-schedule and CBC-MAC
// vectors from testdata in every lane.
func TestKnownAnswer(t *testing.T) {
	sm4v := loadVectors(t, "sm4.json")
	macv := loadVectors(t, "mac.json")
	forEachImpl(t, func(t *testing.T) {
		count := 0
		for _, v := range sm4v.Vectors {
			switch v.Kind {
			case "sm4_block":
				iters := 1
				if s, ok := v.Inputs["iterations"].(string); ok {
					var err error
					if iters, err = strconv.Atoi(s); err != nil {
						t.Fatal(err)
					}
				}
				if iters > 1000 {
					continue // 1,000,000 iterations: covered by package sm4
				}
				var keys, b Blocks
				broadcastBlock(&keys, unhex(t, str(v.Inputs["key"])))
				broadcastBlock(&b, unhex(t, str(v.Inputs["plaintext"])))
				var k Keys
				ExpandKeys(&k, &keys, MaxLanes)
				for it := 0; it < iters; it++ {
					Encrypt(&b, &k, &b, MaxLanes)
				}
				want := unhex(t, v.Expected["ciphertext"])
				for i := 0; i < MaxLanes; i++ {
					if g := laneBlock(&b, i); string(g[:]) != string(want) {
						t.Fatalf("%s lane %d: got %x, want %x", v.ID, i, g, want)
					}
				}
				count++
			case "sm4_key_schedule":
				var keys Blocks
				broadcastBlock(&keys, unhex(t, str(v.Inputs["key"])))
				var k Keys
				ExpandKeys(&k, &keys, MaxLanes)
				want := unhex(t, v.Expected["round_keys"])
				for i := 0; i < MaxLanes; i++ {
					for rr := 0; rr < 32; rr++ {
						w := uint32(want[4*rr])<<24 | uint32(want[4*rr+1])<<16 | uint32(want[4*rr+2])<<8 | uint32(want[4*rr+3])
						if k.RK[rr][i] != w {
							t.Fatalf("%s lane %d rk[%d] = %#x, want %#x", v.ID, i, rr, k.RK[rr][i], w)
						}
					}
				}
				count++
			}
		}
		for _, v := range macv.Vectors {
			if v.Kind != "sm4_cbcmac_gbt15821" || v.Variant[:5] != "MAC1:" || str(v.Inputs["padding"]) != "" {
				continue
			}
			msg := unhex(t, str(v.Inputs["msg"]))
			msg = append(msg, 0x80) // ISO 9797-1 padding method 2
			for len(msg)%16 != 0 {
				msg = append(msg, 0)
			}
			nblk := len(msg) / 16
			if nblk > MaxMACBlocks {
				continue
			}
			var keys Blocks
			broadcastBlock(&keys, unhex(t, str(v.Inputs["key"])))
			var k Keys
			ExpandKeys(&k, &keys, MaxLanes)
			var m [MaxMACBlocks]Blocks
			for b := 0; b < nblk; b++ {
				broadcastBlock(&m[b], msg[16*b:16*b+16])
			}
			var nb [MaxLanes]uint8
			for i := range nb {
				nb[i] = uint8(nblk)
			}
			var out Blocks
			CBCMAC(&out, &k, &m, &nb, MaxLanes)
			want := unhex(t, v.Expected["mac"])
			for i := 0; i < MaxLanes; i++ {
				if g := laneBlock(&out, i); string(g[:]) != string(want) {
					t.Fatalf("%s lane %d: got %x, want %x", v.ID, i, g, want)
				}
			}
			count++
		}
		if count < 6 {
			t.Fatalf("only %d known-answer vectors ran", count)
		}
		t.Logf("%d known-answer vectors", count)
	})
}

// TestImplsCoverCPU fails when the CPU has AVX-512 with GFNI but the
// avx512gfni path is not offered (a build or detection regression).
func TestImplsCoverCPU(t *testing.T) {
	t.Logf("Impls() = %v, Impl() = %q", Impls(), Impl())
	if Impls()[0] != "generic" {
		t.Fatalf("Impls() = %v: generic must come first", Impls())
	}
	if testPurego || runtime.GOARCH != "amd64" {
		if !slices.Equal(Impls(), []string{"generic"}) {
			t.Fatalf("Impls() = %v without assembly", Impls())
		}
		return
	}
	if Capped() {
		t.Logf("%s=%s: paths above it are switched off", EnvCap, os.Getenv(EnvCap))
		if want := os.Getenv(EnvCap); Impl() != want && !(want == "avx2" && !hasAVX2) {
			t.Fatalf("%s=%s but the default path is %q", EnvCap, want, Impl())
		}
		return
	}
	x := cpu.X86
	if x.HasAVX512F && x.HasAVX512BW && x.HasAVX512VL && x.HasAVX512GFNI {
		if !slices.Contains(Impls(), "avx512gfni") {
			t.Fatalf("CPU has AVX-512F/BW/VL and GFNI but Impls() = %v", Impls())
		}
		if Impl() != "avx512gfni" {
			t.Fatalf("default path %q, want avx512gfni", Impl())
		}
	}
}

func TestSetImpl(t *testing.T) {
	old := Impl()
	defer SetImpl(old)
	if err := SetImpl("nonesuch"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("SetImpl(nonesuch) = %v, want ErrUnsupported", err)
	}
	if Impl() != old {
		t.Fatalf("failed SetImpl changed the path")
	}
	for i, name := range implNames {
		err := SetImpl(name)
		if available(i) != (err == nil) {
			t.Fatalf("SetImpl(%q) = %v, available = %v", name, err, available(i))
		}
		if err != nil && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("SetImpl(%q) = %v, want ErrUnsupported", name, err)
		}
	}
}

func expectPanic(t *testing.T, what string, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	fn()
}

func TestBadArguments(t *testing.T) {
	var k Keys
	var b Blocks
	var msg [MaxMACBlocks]Blocks
	var nb [MaxLanes]uint8
	for _, n := range []int{-1, MaxLanes + 1} {
		expectPanic(t, "ExpandKeys", func() { ExpandKeys(&k, &b, n) })
		expectPanic(t, "Encrypt", func() { Encrypt(&b, &k, &b, n) })
		expectPanic(t, "CBCMAC", func() { CBCMAC(&b, &k, &msg, &nb, n) })
		expectPanic(t, "Run", func() { (&Fused{N: n}).Run() })
	}
	nb[3] = MaxMACBlocks + 1
	expectPanic(t, "CBCMAC", func() { CBCMAC(&b, &k, &msg, &nb, 4) })
	expectPanic(t, "Run", func() { (&Fused{N: 4, NBlocks: nb}).Run() })
	expectPanic(t, "Run (chain 2)", func() { (&Fused{N: 4, NBlocks2: nb}).Run() })
	// n = 0 writes nothing.
	fillCanary(&b)
	Encrypt(&b, &k, &b, 0)
	CBCMAC(&b, &k, &msg, &nb, 0)
	checkCanary(t, "n=0", &b, 0)
}

func TestAllocs(t *testing.T) {
	if testRace {
		t.Skip("allocation counts are not meaningful under -race")
	}
	forEachImpl(t, func(t *testing.T) {
		r := newRand(t)
		var keys, src, dst Blocks
		randBlocks(r, &keys)
		randBlocks(r, &src)
		var k Keys
		var msg [MaxMACBlocks]Blocks
		var nb [MaxLanes]uint8
		for i := range nb {
			nb[i] = 2
		}
		f := new(Fused)
		f.N = MaxLanes
		f.NBlocks = nb
		f.Session = true
		check := func(name string, fn func()) {
			if a := testing.AllocsPerRun(5, fn); a != 0 {
				t.Errorf("%s: %v allocations per run", name, a)
			}
		}
		check("ExpandKeys", func() { ExpandKeys(&k, &keys, MaxLanes) })
		check("Encrypt", func() { Encrypt(&dst, &k, &src, MaxLanes) })
		check("CBCMAC", func() { CBCMAC(&dst, &k, &msg, &nb, MaxLanes) })
		check("Fused.Run", func() { f.Run() })
		var s sm4.Schedule
		var key [16]byte
		s.Init(&key)
		f.Shared = &s
		check("Fused.Run shared", func() { f.Run() })
		f.NBlocks2 = nb
		check("Fused.Run shared, two chains", func() { f.Run() })
	})
}

// TestCheckBlocks: checkBlocks (eight counts at a time) panics exactly when
// a count of a lane below n exceeds MaxMACBlocks, whatever the lane and the
// value, against the count-by-count check.
func TestCheckBlocks(t *testing.T) {
	panics := func(nb *[MaxLanes]uint8, n int) (p bool) {
		defer func() { p = recover() != nil }()
		checkBlocks(nb, n)
		return false
	}
	var nb [MaxLanes]uint8
	for i := range nb {
		nb[i] = uint8(i % (MaxMACBlocks + 1))
	}
	for n := 0; n <= MaxLanes; n++ {
		if panics(&nb, n) {
			t.Fatalf("counts 0..%d, n=%d: panics", MaxMACBlocks, n)
		}
	}
	for lane := 0; lane < MaxLanes; lane++ {
		for v := 0; v < 256; v++ {
			old := nb[lane]
			nb[lane] = uint8(v)
			for _, n := range []int{lane, lane + 1, MaxLanes} {
				want := lane < n && v > MaxMACBlocks
				if got := panics(&nb, n); got != want {
					t.Fatalf("lane %d = %d, n=%d: panics %v, want %v", lane, v, n, got, want)
				}
			}
			nb[lane] = old
		}
	}
}
