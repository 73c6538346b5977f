package asm

import (
	"crypto/cipher"
	"crypto/des"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"testing"
)

// forEachDESImpl runs fn once per available Impl (which selects the DES path
// too: see DESImpl) and logs the DES paths that ran. Where the CPU has the
// AVX-512 DES lanes and no cap switched them off, it fails unless they ran.
func forEachDESImpl(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	old := Impl()
	defer func() {
		if err := SetImpl(old); err != nil {
			t.Fatal(err)
		}
	}()
	var ran []string
	for _, name := range Impls() {
		if err := SetImpl(name); err != nil {
			t.Fatal(err)
		}
		d := DESImpl()
		t.Run("impl="+name+"/des="+d, fn)
		if !slices.Contains(ran, d) {
			ran = append(ran, d)
		}
	}
	t.Logf("DES paths run: %v", ran)
	if hasDESAVX512 && !Capped() && !slices.Contains(ran, "avx512vbmi") {
		t.Fatal("the CPU has the AVX-512 DES lanes but they did not run")
	}
	if hasDESAVX2 && implCap >= implAVX2 && !slices.Contains(ran, "avx2") {
		t.Fatal("the CPU has AVX2 but the AVX2 DES lanes did not run")
	}
	if !slices.Contains(ran, "generic") {
		t.Fatal("the generic DES path did not run")
	}
}

func desCanary(i int) uint64  { return 0xc0ffee0000000000 ^ uint64(i)*0x0101 }
func desCanary2(i int) uint64 { return 0xdecade0000000000 ^ uint64(i)*0x0101 }

// stdTDES is 3DES under KL||KR with crypto/des (E_KL(D_KR(E_KL(x)))).
func stdTDES(t testing.TB, kl, kr, x uint64) uint64 {
	var k [24]byte
	binary.BigEndian.PutUint64(k[0:], kl)
	binary.BigEndian.PutUint64(k[8:], kr)
	binary.BigEndian.PutUint64(k[16:], kl)
	c, err := des.NewTripleDESCipher(k[:])
	if err != nil {
		t.Fatal(err)
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], x)
	c.Encrypt(b[:], b[:])
	return binary.BigEndian.Uint64(b[:])
}

// stdDESMAC is the single-DES CBC-MAC (IV 0, full last block) with
// crypto/des and crypto/cipher.
func stdDESMAC(t testing.TB, k uint64, msg []uint64) uint64 {
	if len(msg) == 0 {
		return 0
	}
	var kb [8]byte
	binary.BigEndian.PutUint64(kb[:], k)
	c, err := des.NewCipher(kb[:])
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8*len(msg))
	for i, m := range msg {
		binary.BigEndian.PutUint64(buf[8*i:], m)
	}
	cipher.NewCBCEncrypter(c, make([]byte, 8)).CryptBlocks(buf, buf)
	return binary.BigEndian.Uint64(buf[len(buf)-8:])
}

// stdDESLane computes lane i of f, Out and Out2, with crypto/des.
func stdDESLane(t testing.TB, f *DESFused, kl, kr uint64, i int) (out, out2 uint64) {
	cl := stdTDES(t, kl, kr, f.Div[i])
	cr := stdTDES(t, kl, kr, ^f.Div[i])
	mk := cl ^ cr
	if f.Session {
		mk = stdTDES(t, cl, cr, f.D8[i])
	}
	msg := make([]uint64, f.NBlocks[i])
	for b := range msg {
		msg[b] = f.Msg[b][i]
	}
	msg2 := make([]uint64, f.NBlocks2[i])
	for b := range msg2 {
		msg2[b] = f.Msg2[b][i]
	}
	return stdDESMAC(t, mk, msg), stdDESMAC(t, mk, msg2)
}

// randDESFused fills f with random inputs for n lanes (canaries in Out and
// Out2), ragged block counts 0..MaxDESBlocks (mostly 1..MaxDESBlocks), a
// second chain of 0..MaxDESBlocks blocks per lane (on one call in four none
// in any lane) and, when shared, one parent key for all lanes; it returns
// that key.
func randDESFused(r *rand.Rand, f *DESFused, n int, shared, session bool) (key [16]byte) {
	*f = DESFused{N: n, Session: session}
	second := r.IntN(4) != 0
	for i := range MaxLanes {
		f.Parent[0][i], f.Parent[1][i] = r.Uint64(), r.Uint64()
		f.Div[i], f.D8[i] = r.Uint64(), r.Uint64()
		for b := range f.Msg {
			f.Msg[b][i] = r.Uint64()
		}
		f.NBlocks[i] = uint8(1 + r.IntN(MaxDESBlocks))
		if r.IntN(16) == 0 {
			f.NBlocks[i] = 0
		}
		f.Out[i] = desCanary(i)
		for b := range f.Msg2 {
			f.Msg2[b][i] = r.Uint64()
		}
		if second {
			f.NBlocks2[i] = uint8(r.IntN(MaxDESBlocks + 1))
		}
		f.Out2[i] = desCanary2(i)
	}
	if shared {
		binary.BigEndian.PutUint64(key[0:], r.Uint64())
		binary.BigEndian.PutUint64(key[8:], r.Uint64())
		f.Shared = new(DESKey)
		f.Shared.Init(&key)
	}
	return key
}

func laneParent(f *DESFused, key *[16]byte, i int) (kl, kr uint64) {
	if f.Shared != nil {
		return binary.BigEndian.Uint64(key[0:]), binary.BigEndian.Uint64(key[8:])
	}
	return f.Parent[0][i], f.Parent[1][i]
}

func checkDESOut(t *testing.T, f *DESFused, key *[16]byte, std bool) {
	t.Helper()
	for i := range MaxLanes {
		if i >= f.N {
			if f.Out[i] != desCanary(i) {
				t.Fatalf("lane %d >= n=%d was written", i, f.N)
			}
			if f.Out2[i] != desCanary2(i) {
				t.Fatalf("lane %d >= n=%d of Out2 was written", i, f.N)
			}
			continue
		}
		kl, kr := laneParent(f, key, i)
		want, want2 := refDESLane(f, kl, kr, i)
		if f.Out[i] != want {
			t.Fatalf("n=%d shared=%v session=%v lane %d (%d blocks): got %016x, reference %016x",
				f.N, f.Shared != nil, f.Session, i, f.NBlocks[i], f.Out[i], want)
		}
		if f.Out2[i] != want2 {
			t.Fatalf("n=%d shared=%v session=%v lane %d (%d, %d blocks): Out2 %016x, reference %016x",
				f.N, f.Shared != nil, f.Session, i, f.NBlocks[i], f.NBlocks2[i], f.Out2[i], want2)
		}
		if std {
			if s, s2 := stdDESLane(t, f, kl, kr, i); s != want || s2 != want2 {
				t.Fatalf("lane %d: reference %016x %016x, crypto/des %016x %016x", i, want, want2, s, s2)
			}
		}
	}
}

func TestDESFused(t *testing.T) {
	forEachDESImpl(t, func(t *testing.T) {
		r := newRand(t)
		f := new(DESFused)
		rounds := 6
		if testing.Short() {
			rounds = 2
		}
		for round := range rounds {
			for n := 1; n <= MaxLanes; n++ {
				for _, shared := range []bool{false, true} {
					for _, session := range []bool{false, true} {
						key := randDESFused(r, f, n, shared, session)
						f.Run()
						// crypto/des on a subset: it is the slow oracle.
						checkDESOut(t, f, &key, round == 0 && n%8 == 1)
					}
				}
			}
		}
	})
}

// TestDESFusedEdges covers all-equal block counts (the second chain
// MaxDESBlocks-nb blocks: every combination from no first chain with a full
// second one to the reverse), every lane empty, zero and all-ones inputs,
// and a second run on the same value (no state kept; Out2 canaries are put
// back so that a zero second chain must be written again).
func TestDESFusedEdges(t *testing.T) {
	forEachDESImpl(t, func(t *testing.T) {
		r := newRand(t)
		f := new(DESFused)
		for nb := 0; nb <= MaxDESBlocks; nb++ {
			for _, n := range []int{1, 16, 17, 63, 64} {
				for _, session := range []bool{false, true} {
					key := randDESFused(r, f, n, nb%2 == 0, session)
					for i := range f.NBlocks {
						f.NBlocks[i] = uint8(nb)
						f.NBlocks2[i] = uint8(MaxDESBlocks - nb)
					}
					f.Run()
					checkDESOut(t, f, &key, n == 1)
					for i := range f.Out2 {
						f.Out2[i] = desCanary2(i)
					}
					f.Run()
					checkDESOut(t, f, &key, false)
				}
			}
		}
		for _, v := range []uint64{0, ^uint64(0)} {
			key := randDESFused(r, f, MaxLanes, false, true)
			for i := range MaxLanes {
				f.Parent[0][i], f.Parent[1][i], f.Div[i], f.D8[i] = v, v, v, v
				for b := range f.Msg {
					f.Msg[b][i], f.Msg2[b][i] = v, v
				}
				f.NBlocks2[i] = MaxDESBlocks
			}
			f.Run()
			checkDESOut(t, f, &key, true)
		}
	})
}

func mustHex8(t *testing.T, s string) uint64 {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 8 {
		t.Fatalf("bad hex %q", s)
	}
	return binary.BigEndian.Uint64(b)
}

// TestDESFusedKAT anchors the pipeline to the published EMV option A
// diversification vector (testdata/emv.json, key_diversification-112):
// master 0123456789ABCDEFFEDCBA9876543210, Y 4567890123456701 derives
// 73AD54688CEF2934B0979857E3C719F1 (parity-adjusted; DES ignores parity).
// The TAC key is its halves XORed; the session key is 3DES of D8 under it.
func TestDESFusedKAT(t *testing.T) {
	master := [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10}
	y := mustHex8(t, "4567890123456701")
	kl, kr := mustHex8(t, "73AD54688CEF2934"), mustHex8(t, "B0979857E3C719F1")
	d8 := mustHex8(t, "1122334400000001")
	msg := []uint64{mustHex8(t, "0000100006001122"), mustHex8(t, "3344552012022913"), mustHex8(t, "5100800000000000")}
	msg2 := []uint64{mustHex8(t, "0000100080000000")}
	forEachDESImpl(t, func(t *testing.T) {
		for _, session := range []bool{false, true} {
			var sk DESKey
			sk.Init(&master)
			f := &DESFused{N: MaxLanes, Shared: &sk, Session: session}
			for i := range MaxLanes {
				f.Div[i], f.D8[i], f.NBlocks[i] = y, d8, uint8(len(msg))
				for b, m := range msg {
					f.Msg[b][i] = m
				}
				// The second chain in the even lanes only.
				if i%2 == 0 {
					f.NBlocks2[i] = uint8(len(msg2))
					for b, m := range msg2 {
						f.Msg2[b][i] = m
					}
				}
				f.Out2[i] = desCanary2(i)
			}
			f.Run()
			mk := kl ^ kr
			if session {
				mk = stdTDES(t, kl, kr, d8)
			}
			want, want2 := stdDESMAC(t, mk, msg), stdDESMAC(t, mk, msg2)
			for i := range MaxLanes {
				if f.Out[i] != want {
					t.Fatalf("session=%v lane %d: got %016x, want %016x", session, i, f.Out[i], want)
				}
				w2 := want2
				if i%2 != 0 {
					w2 = 0
				}
				if f.Out2[i] != w2 {
					t.Fatalf("session=%v lane %d: Out2 %016x, want %016x", session, i, f.Out2[i], w2)
				}
			}
			sk.Wipe()
			if sk != (DESKey{}) {
				t.Fatal("Wipe left key material")
			}
		}
	})
}

func TestDESFusedAllocs(t *testing.T) {
	if testRace {
		t.Skip("allocation counts are not meaningful under -race")
	}
	forEachDESImpl(t, func(t *testing.T) {
		r := newRand(t)
		f := new(DESFused)
		for _, shared := range []bool{false, true} {
			randDESFused(r, f, MaxLanes, shared, true)
			for i := range f.NBlocks2 {
				f.NBlocks2[i] = 2
			}
			if a := testing.AllocsPerRun(20, f.Run); a != 0 {
				t.Fatalf("shared=%v: %v allocations per Run, want 0", shared, a)
			}
			g := new(DESFused)
			*g = *f
			ps := [4]*DESFused{f, nil, g}
			if a := testing.AllocsPerRun(20, func() { RunDES4(&ps) }); a != 0 {
				t.Fatalf("shared=%v: %v allocations per RunDES4, want 0", shared, a)
			}
		}
	})
}

func TestDESFusedPanics(t *testing.T) {
	mustPanic := func(name string, fn func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		fn()
	}
	mustPanic("N=-1", func() { (&DESFused{N: -1}).Run() })
	mustPanic("N=65", func() { (&DESFused{N: MaxLanes + 1}).Run() })
	f := &DESFused{N: 3}
	f.NBlocks[2] = MaxDESBlocks + 1
	mustPanic("NBlocks", func() { f.Run() })
	f = &DESFused{N: 3}
	f.NBlocks2[2] = MaxDESBlocks + 1
	mustPanic("NBlocks2", func() { f.Run() })
	// A block count above the limit in a lane >= N is ignored.
	f = &DESFused{N: 2}
	f.NBlocks[2] = 200
	f.NBlocks2[2] = 200
	f.Run()
	(&DESFused{}).Run() // N == 0 does nothing
}

// TestRunDES4 runs four random pipelines at a time through RunDES4 (every
// lane count 0..MaxLanes per pipeline, shared and per-lane parents mixed,
// the sessions equal or, now and then, not) on every path, and checks each
// lane against the reference, and a subset against crypto/des; lanes past
// N must stay untouched. It fails if the CPU has AVX2 and the joint AVX2
// run did not happen.
func TestRunDES4(t *testing.T) {
	quad := false
	forEachDESImpl(t, func(t *testing.T) {
		quad = quad || DESQuad()
		r := newRand(t)
		fs := new([4]DESFused)
		var keys [4][16]byte
		rounds := 300
		if testing.Short() {
			rounds = 60
		}
		for round := range rounds {
			session := r.IntN(2) == 0
			for q := range fs {
				n := r.IntN(MaxLanes + 1)
				if r.IntN(4) == 0 {
					n = []int{0, 1, MaxLanes}[r.IntN(3)]
				}
				s := session
				if r.IntN(16) == 0 {
					s = !s // pipelines that run one by one
				}
				keys[q] = randDESFused(r, &fs[q], n, r.IntN(2) == 0, s)
			}
			ps := [4]*DESFused{&fs[0], &fs[1], &fs[2], &fs[3]}
			if r.IntN(8) == 0 {
				ps[r.IntN(4)] = nil // left alone: its canaries stay
				for q := range fs {
					if ps[q] == nil {
						fs[q].N = 0
					}
				}
			}
			RunDES4(&ps)
			for q := range fs {
				checkDESOut(t, &fs[q], &keys[q], round < 4 && q == 0)
			}
		}
	})
	if hasDESAVX2 && implCap >= implAVX2 && !quad {
		t.Fatal("RunDES4 did not take the AVX2 lanes")
	}
}

// TestDESKeyInitCap: DESKey.Init runs the AVX-512 schedule kernel only where
// the AVX-512 path is available: SSCARD_ASM rules it out as if the CPU
// lacked it (CI runs this package with SSCARD_ASM=generic and =avx2).
func TestDESKeyInitCap(t *testing.T) {
	var k DESKey
	k.Init(&[16]byte{1, 2, 3})
	defer k.Wipe()
	want := hasDESAVX512 && available(implAVX512)
	if k.hasV != want {
		t.Errorf("DESKey.Init scheduled for the AVX-512 kernel: %v, want %v (cap %q, Impls %v)", k.hasV, want, implNames[implCap], Impls())
	}
}
