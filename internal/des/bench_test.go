package des

import (
	"crypto/cipher"
	"crypto/des"
	"testing"
)

var benchKey = [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10}

// BenchmarkDES measures one single-DES block encryption, and Init plus one
// block (the session-key pattern: a fresh key for every transaction).
func BenchmarkDES(b *testing.B) {
	b.Run("impl=ours", func(b *testing.B) {
		var s Schedule
		s.Init((*[8]byte)(benchKey[:8]))
		var blk [8]byte
		b.SetBytes(BlockSize)
		b.ReportAllocs()
		for b.Loop() {
			s.Encrypt(&blk, &blk)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/block")
	})
	b.Run("impl=stdlib", func(b *testing.B) {
		c, _ := des.NewCipher(benchKey[:8])
		var blk [8]byte
		b.SetBytes(BlockSize)
		b.ReportAllocs()
		for b.Loop() {
			c.Encrypt(blk[:], blk[:])
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/block")
	})
}

// BenchmarkDESInit measures key expansion plus one block.
func BenchmarkDESInit(b *testing.B) {
	b.Run("impl=ours", func(b *testing.B) {
		var blk [8]byte
		b.ReportAllocs()
		for b.Loop() {
			var s Schedule
			s.Init((*[8]byte)(benchKey[:8]))
			s.Encrypt(&blk, &blk)
		}
	})
	b.Run("impl=stdlib", func(b *testing.B) {
		var blk [8]byte
		b.ReportAllocs()
		for b.Loop() {
			c, _ := des.NewCipher(benchKey[:8])
			c.Encrypt(blk[:], blk[:])
		}
	})
}

// Benchmark3DES measures one two-key 3DES (EDE) block encryption.
func Benchmark3DES(b *testing.B) {
	b.Run("impl=ours", func(b *testing.B) {
		var t Triple
		t.Init(&benchKey)
		var blk [8]byte
		b.SetBytes(BlockSize)
		b.ReportAllocs()
		for b.Loop() {
			t.Encrypt(&blk, &blk)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/block")
	})
	b.Run("impl=stdlib", func(b *testing.B) {
		c := stdTriple(b)
		var blk [8]byte
		b.SetBytes(BlockSize)
		b.ReportAllocs()
		for b.Loop() {
			c.Encrypt(blk[:], blk[:])
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/block")
	})
}

// Benchmark3DESInit measures key expansion plus one block.
func Benchmark3DESInit(b *testing.B) {
	b.Run("impl=ours", func(b *testing.B) {
		var blk [8]byte
		b.ReportAllocs()
		for b.Loop() {
			var t Triple
			t.Init(&benchKey)
			t.Encrypt(&blk, &blk)
		}
	})
	b.Run("impl=stdlib", func(b *testing.B) {
		var blk [8]byte
		b.ReportAllocs()
		for b.Loop() {
			c := stdTriple(b)
			c.Encrypt(blk[:], blk[:])
		}
	})
}

func stdTriple(b *testing.B) cipher.Block {
	k24 := make([]byte, 0, 24)
	k24 = append(append(k24, benchKey[:]...), benchKey[:8]...)
	c, err := des.NewTripleDESCipher(k24)
	if err != nil {
		b.Fatal(err)
	}
	return c
}
