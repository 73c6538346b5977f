package asm

import (
	"crypto/cipher"
	"testing"

	gmsm4 "github.com/emmansun/gmsm/sm4"

	"github.com/sscard/sscard/sm4"
)

// benchImpls runs fn as sub-benchmark impl=<name> for every available path.
func benchImpls(b *testing.B, fn func(b *testing.B)) {
	old := Impl()
	defer SetImpl(old)
	for _, name := range Impls() {
		b.Run("impl="+name, func(b *testing.B) {
			if err := SetImpl(name); err != nil {
				b.Fatal(err)
			}
			fn(b)
		})
	}
}

func perLane(b *testing.B, unit string) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*MaxLanes), unit)
}

func BenchmarkExpandKeys(b *testing.B) {
	benchImpls(b, func(b *testing.B) {
		r := newRand(b)
		var keys Blocks
		randBlocks(r, &keys)
		var k Keys
		b.ReportAllocs()
		b.SetBytes(16 * MaxLanes)
		for b.Loop() {
			ExpandKeys(&k, &keys, MaxLanes)
		}
		perLane(b, "ns/key")
	})
}

func BenchmarkEncrypt(b *testing.B) {
	benchImpls(b, func(b *testing.B) {
		r := newRand(b)
		var keys, x Blocks
		randBlocks(r, &keys)
		randBlocks(r, &x)
		var k Keys
		ExpandKeys(&k, &keys, MaxLanes)
		b.ReportAllocs()
		b.SetBytes(16 * MaxLanes)
		for b.Loop() {
			Encrypt(&x, &k, &x, MaxLanes)
		}
		perLane(b, "ns/block")
	})
}

// manyBatches is the number of batches of the Many benchmarks.
const manyBatches = 4

// BenchmarkExpandKeysMany: key schedules of four full batches in one call
// (two at a time on the AVX-512 path).
func BenchmarkExpandKeysMany(b *testing.B) {
	benchImpls(b, func(b *testing.B) {
		r := newRand(b)
		keys := make([]Blocks, manyBatches)
		for i := range keys {
			randBlocks(r, &keys[i])
		}
		k := make([]Keys, manyBatches)
		b.ReportAllocs()
		b.SetBytes(16 * MaxLanes * manyBatches)
		for b.Loop() {
			ExpandKeysMany(k, keys, MaxLanes*manyBatches)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*MaxLanes*manyBatches), "ns/key")
	})
}

// BenchmarkEncryptMany: one block per lane of four full batches in one
// call.
func BenchmarkEncryptMany(b *testing.B) {
	benchImpls(b, func(b *testing.B) {
		r := newRand(b)
		keys := make([]Blocks, manyBatches)
		x := make([]Blocks, manyBatches)
		for i := range keys {
			randBlocks(r, &keys[i])
			randBlocks(r, &x[i])
		}
		k := make([]Keys, manyBatches)
		ExpandKeysMany(k, keys, MaxLanes*manyBatches)
		b.ReportAllocs()
		b.SetBytes(16 * MaxLanes * manyBatches)
		for b.Loop() {
			EncryptMany(x, k, x, MaxLanes*manyBatches)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*MaxLanes*manyBatches), "ns/block")
	})
}

func BenchmarkCBCMAC(b *testing.B) {
	benchImpls(b, func(b *testing.B) {
		r := newRand(b)
		var keys, out Blocks
		randBlocks(r, &keys)
		var k Keys
		ExpandKeys(&k, &keys, MaxLanes)
		var msg [MaxMACBlocks]Blocks
		var nb [MaxLanes]uint8
		for i := range nb {
			nb[i] = 2
		}
		b.ReportAllocs()
		for b.Loop() {
			CBCMAC(&out, &k, &msg, &nb, MaxLanes)
		}
		perLane(b, "ns/txn")
	})
}

// benchShapes are the verify shapes of the fused benchmarks: the purchase
// TAC (Shared parent, no session key, 2 MAC blocks), a session-key MAC, and
// two session-key MACs of 2 blocks each in one lane (a purchase's MAC1 and
// MAC2: session2, reported per lane, that is per pair of MACs), each also
// with a parent key per lane (mixed: Parent instead of Shared, one more key
// schedule).
var benchShapes = []struct {
	name    string
	session bool
	mixed   bool
	two     bool
}{
	{"tac", false, false, false},
	{"session", true, false, false},
	{"session2", true, false, true},
	{"tac-mixed", false, true, false},
	{"session-mixed", true, true, false},
	{"session2-mixed", true, true, true},
}

func BenchmarkFused(b *testing.B) {
	for _, sh := range benchShapes {
		b.Run("shape="+sh.name, func(b *testing.B) {
			benchImpls(b, func(b *testing.B) {
				r := newRand(b)
				f := new(Fused)
				f.N = MaxLanes
				var key [16]byte
				for i := range key {
					key[i] = byte(r.Uint32())
				}
				var s sm4.Schedule
				s.Init(&key)
				f.Shared = &s
				if sh.mixed {
					f.Shared = nil
					randBlocks(r, &f.Parent)
				}
				f.Session = sh.session
				randBlocks(r, &f.Div)
				randBlocks(r, &f.Sess)
				randBlocks(r, &f.Msg[0])
				randBlocks(r, &f.Msg[1])
				for i := range f.NBlocks {
					f.NBlocks[i] = 2
				}
				if sh.two {
					randBlocks(r, &f.Msg2[0])
					randBlocks(r, &f.Msg2[1])
					f.NBlocks2 = f.NBlocks
				}
				b.ReportAllocs()
				for b.Loop() {
					f.Run()
				}
				perLane(b, "ns/txn")
			})
		})
	}
}

// BenchmarkFusedPeer composes the same verify naively with emmansun/gmsm:
// sm4.NewCipher per key and crypto/cipher CBC for the MAC.
func BenchmarkFusedPeer(b *testing.B) {
	for _, sh := range benchShapes {
		b.Run("shape="+sh.name, func(b *testing.B) {
			b.Run("impl=emmansun", func(b *testing.B) {
				r := newRand(b)
				parent := make([]byte, 16)
				div := make([]byte, 16)
				sess := make([]byte, 16)
				msg := make([]byte, 32)
				for _, s := range [][]byte{parent, div, sess, msg} {
					for i := range s {
						s[i] = byte(r.Uint32())
					}
				}
				k := make([]byte, 16)
				out := make([]byte, 32)
				iv := make([]byte, 16)
				b.ReportAllocs()
				for b.Loop() {
					c, _ := gmsm4.NewCipher(parent)
					c.Encrypt(k, div)
					c, _ = gmsm4.NewCipher(k)
					if sh.session {
						c.Encrypt(k, sess)
						c, _ = gmsm4.NewCipher(k)
					}
					cipher.NewCBCEncrypter(c, iv).CryptBlocks(out, msg)
					if sh.two {
						cipher.NewCBCEncrypter(c, iv).CryptBlocks(out, msg)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/txn")
			})
		})
	}
}

// BenchmarkSboxIn times one generic round's S-box layer: four calls of the
// bitsliced S-box on 64 lanes, their inputs XORed in from the round words
// and key. It is what TestSboxOrders' candidates are timed with.
func BenchmarkSboxIn(b *testing.B) {
	var x1, x2, x3, k, t planes
	for i := range x1 {
		x1[i] = uint64(i) * 0x9e3779b97f4a7c15
		x2[i] = uint64(i) * 0xc2b2ae3d27d4eb4f
		k[i] = uint64(i) * 0x165667b19e3779f9
	}
	for b.Loop() {
		sboxIn(&t, &x1, &x2, &x3, &k)
		x3 = t
	}
}
