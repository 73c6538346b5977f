package asm

import (
	"crypto/cipher"
	"crypto/des"
	"encoding/binary"
	"testing"

	ides "github.com/sscard/sscard/internal/des"
)

// desBenchShapes are the DESFused verify shapes: the purchase TAC (Shared
// parent, no session key, 3 MAC blocks: 20 bytes + padding) and a session-key
// MAC1 (Shared parent, session key, 3 blocks); session2 verifies two MACs
// of 2 blocks each under one session key (the second chain: MAC1 and MAC2
// of a purchase).
var desBenchShapes = []struct {
	name    string
	session bool
	shared  bool
	blocks  uint8
	blocks2 uint8
}{
	{"tac", false, true, 3, 0},
	{"tac4", false, true, 4, 0},
	{"session", true, true, 3, 0},
	{"session-perlane", true, false, 3, 0},
	{"session2", true, true, 2, 2},
}

// benchDESImpls runs fn as impl=<DES path> for every distinct DES path,
// or with lone, every distinct path of a lone DESFused.Run (which the
// "avx2" lanes leave to the generic ones).
func benchDESImpls(b *testing.B, lone bool, fn func(b *testing.B)) {
	old := Impl()
	defer SetImpl(old)
	seen := map[string]bool{}
	for _, name := range Impls() {
		if err := SetImpl(name); err != nil {
			b.Fatal(err)
		}
		d := DESImpl()
		if lone && d == "avx2" {
			d = "generic"
		}
		if seen[d] {
			continue
		}
		seen[d] = true
		b.Run("impl="+d, fn)
	}
}

func BenchmarkDESFused(b *testing.B) {
	for _, sh := range desBenchShapes {
		b.Run("shape="+sh.name, func(b *testing.B) {
			benchDESImpls(b, true, func(b *testing.B) {
				r := newRand(b)
				f := new(DESFused)
				randDESFused(r, f, MaxLanes, sh.shared, sh.session)
				for i := range f.NBlocks {
					f.NBlocks[i] = sh.blocks
					f.NBlocks2[i] = sh.blocks2
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

// BenchmarkDESFusedPeer composes one transaction at a time: impl=scalar with
// internal/des (what batch does today), impl=stdlib with crypto/des and
// crypto/cipher (not constant-time, allocating).
func BenchmarkDESFusedPeer(b *testing.B) {
	for _, sh := range desBenchShapes[:3] {
		b.Run("shape="+sh.name, func(b *testing.B) {
			var parent [16]byte
			for i := range parent {
				parent[i] = byte(i * 37)
			}
			div, d8 := uint64(0x1234567890abcdef), uint64(0x1122334400000001)
			msg := make([]byte, 8*int(sh.blocks))
			b.Run("impl=scalar", func(b *testing.B) {
				var p ides.Triple
				p.Init(&parent)
				var k [16]byte
				var blk [8]byte
				b.ReportAllocs()
				for b.Loop() {
					binary.BigEndian.PutUint64(k[0:], div)
					binary.BigEndian.PutUint64(k[8:], ^div)
					p.Encrypt((*[8]byte)(k[0:8]), (*[8]byte)(k[0:8]))
					p.Encrypt((*[8]byte)(k[8:16]), (*[8]byte)(k[8:16]))
					if sh.session {
						var c ides.Triple
						c.Init(&k)
						binary.BigEndian.PutUint64(blk[:], d8)
						c.Encrypt(&blk, &blk)
					} else {
						for i := range blk {
							blk[i] = k[i] ^ k[8+i]
						}
					}
					var s ides.Schedule
					s.Init(&blk)
					clear(blk[:])
					for o := 0; o < len(msg); o += 8 {
						for i := range blk {
							blk[i] ^= msg[o+i]
						}
						s.Encrypt(&blk, &blk)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/txn")
			})
			b.Run("impl=stdlib", func(b *testing.B) {
				k := make([]byte, 24)
				copy(k, parent[:])
				copy(k[16:], parent[:8])
				blk := make([]byte, 8)
				out := make([]byte, len(msg))
				iv := make([]byte, 8)
				b.ReportAllocs()
				for b.Loop() {
					c, _ := des.NewTripleDESCipher(k)
					ck := make([]byte, 24)
					binary.BigEndian.PutUint64(blk, div)
					c.Encrypt(ck[0:8], blk)
					binary.BigEndian.PutUint64(blk, ^div)
					c.Encrypt(ck[8:16], blk)
					copy(ck[16:], ck[:8])
					var m cipher.Block
					if sh.session {
						cc, _ := des.NewTripleDESCipher(ck)
						binary.BigEndian.PutUint64(blk, d8)
						cc.Encrypt(blk, blk)
						m, _ = des.NewCipher(blk)
					} else {
						for i := range blk {
							blk[i] = ck[i] ^ ck[8+i]
						}
						m, _ = des.NewCipher(blk)
					}
					cipher.NewCBCEncrypter(m, iv).CryptBlocks(out, msg)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/txn")
			})
		})
	}
}

// BenchmarkDESFused4 runs RunDES4 on four full pipelines of each shape
// (ns/txn per lane of the 256).
func BenchmarkDESFused4(b *testing.B) {
	for _, sh := range desBenchShapes {
		b.Run("shape="+sh.name, func(b *testing.B) {
			benchDESImpls(b, false, func(b *testing.B) {
				r := newRand(b)
				fs := new([4]DESFused)
				for q := range fs {
					f := &fs[q]
					randDESFused(r, f, MaxLanes, sh.shared, sh.session)
					for i := range f.NBlocks {
						f.NBlocks[i] = sh.blocks
						f.NBlocks2[i] = sh.blocks2
					}
				}
				ps := [4]*DESFused{&fs[0], &fs[1], &fs[2], &fs[3]}
				b.ReportAllocs()
				for b.Loop() {
					RunDES4(&ps)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(4*MaxLanes), "ns/txn")
			})
		})
	}
}
