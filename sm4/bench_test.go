package sm4_test

import (
	"crypto/cipher"
	"testing"

	gmsm "github.com/emmansun/gmsm/sm4"

	"github.com/sscard/sscard/sm4"
)

// benchImpls runs f as sub-benchmark impl=NAME for every path this CPU can
// run, then peer (if not nil) as impl=emmansun.
func benchImpls(b *testing.B, f func(b *testing.B), peer func(b *testing.B)) {
	defer restoreImpl(b, sm4.Impl())
	for _, c := range implCases() {
		if err := c.use(); err != nil {
			b.Fatal(err)
		}
		b.Run("impl="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			f(b)
		})
	}
	if peer != nil {
		b.Run("impl=emmansun", func(b *testing.B) {
			b.ReportAllocs()
			peer(b)
		})
	}
}

var (
	benchKey = [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}
	sinkC    cipher.Block
)

func BenchmarkExpand(b *testing.B) {
	benchImpls(b, func(b *testing.B) {
		var s sm4.Schedule
		key := benchKey
		for b.Loop() {
			s.Init(&key)
			key[0] ^= byte(s[31]) // serialise iterations
		}
	}, func(b *testing.B) {
		key := benchKey
		for b.Loop() {
			c, _ := gmsm.NewCipher(key[:])
			sinkC = c
		}
	})
}

func BenchmarkEncrypt(b *testing.B) {
	b.SetBytes(sm4.BlockSize)
	benchImpls(b, func(b *testing.B) {
		b.SetBytes(sm4.BlockSize)
		var s sm4.Schedule
		s.Init(&benchKey)
		var blk [16]byte
		for b.Loop() {
			s.Encrypt(&blk, &blk) // chained: measures latency
		}
	}, func(b *testing.B) {
		b.SetBytes(sm4.BlockSize)
		c, _ := gmsm.NewCipher(benchKey[:])
		var blk [16]byte
		for b.Loop() {
			c.Encrypt(blk[:], blk[:])
		}
	})
}

func BenchmarkInitEncrypt(b *testing.B) {
	benchImpls(b, func(b *testing.B) {
		var s sm4.Schedule
		key := benchKey
		var blk [16]byte
		for b.Loop() {
			s.InitEncrypt(&key, &blk, &blk)
			key[0] ^= blk[0]
		}
	}, func(b *testing.B) {
		key := benchKey
		var blk [16]byte
		for b.Loop() {
			c, _ := gmsm.NewCipher(key[:])
			c.Encrypt(blk[:], blk[:])
			key[0] ^= blk[0]
		}
	})
}

// BenchmarkVerifyChain measures the serial chain of a purchase-TAC check:
// diversify the card key with one block under a pre-expanded parent key,
// expand the card key and MAC two blocks with it (CBC).
func BenchmarkVerifyChain(b *testing.B) {
	var parent sm4.Schedule
	parent.Init(&benchKey)
	factor := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, ^byte(1), ^byte(2), ^byte(3), ^byte(4), ^byte(5), ^byte(6), ^byte(7), ^byte(8)}
	msg := [32]byte{0: 0x42, 17: 0x80}
	benchImpls(b, func(b *testing.B) {
		var card [16]byte
		var s sm4.Schedule
		for b.Loop() {
			parent.Encrypt(&card, &factor)
			var c [16]byte
			s.InitEncrypt(&card, &c, (*[16]byte)(msg[:16]))
			for j := range c {
				c[j] ^= msg[16+j]
			}
			s.Encrypt(&c, &c)
			factor[0] ^= c[0]
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/txn")
	}, func(b *testing.B) {
		p, _ := gmsm.NewCipher(benchKey[:])
		var card, c [16]byte
		for b.Loop() {
			p.Encrypt(card[:], factor[:])
			k, _ := gmsm.NewCipher(card[:])
			k.Encrypt(c[:], msg[:16])
			for j := range c {
				c[j] ^= msg[16+j]
			}
			k.Encrypt(c[:], c[:])
			factor[0] ^= c[0]
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/txn")
	})
}
