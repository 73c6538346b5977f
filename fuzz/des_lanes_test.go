package fuzz

import (
	stddes "crypto/des"
	"encoding/binary"
	"testing"

	"github.com/sscard/sscard/asm"
)

// FuzzDESLanes runs the 3DES lanes (every asm path in turn) on fuzzed keys,
// factors, session inputs and ragged messages (a second chain when flags&4),
// and recomputes each lane with crypto/des. Canary lanes past n catch
// out-of-bounds writes; canaries in the lanes < n of Out2 catch a second
// chain of no blocks left unwritten.
func FuzzDESLanes(f *testing.F) {
	f.Add([]byte{1, 0, 0x01, 0x23, 0x45, 0x67})
	f.Add([]byte{64, 0xff, 0xde, 0xad, 0xbe, 0xef})
	f.Add([]byte{23, 0x02, 0x80, 0x00})
	f.Add([]byte{40, 0x07, 0x13, 0x37, 0x42})
	f.Add([]byte{5, 0x06, 0x99, 0x01, 0x02, 0x03})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		n := 1 + int(data[0])%asm.MaxLanes
		flags := data[1]
		in := &lanesInput{data: data[2:]}
		u64 := func() uint64 { return uint64(in.word())<<32 | uint64(in.word()) }

		var base asm.DESFused
		base.N = n
		base.Session = flags&2 != 0
		var shared asm.DESKey
		var sharedKey [16]byte
		if flags&1 != 0 {
			binary.BigEndian.PutUint64(sharedKey[:8], u64())
			binary.BigEndian.PutUint64(sharedKey[8:], u64())
			shared.Init(&sharedKey)
			base.Shared = &shared
		}
		for i := 0; i < n; i++ {
			base.Parent[0][i], base.Parent[1][i] = u64(), u64()
			base.Div[i], base.D8[i] = u64(), u64()
			base.NBlocks[i] = in.byte() % (asm.MaxDESBlocks + 1)
			for b := 0; b < asm.MaxDESBlocks; b++ {
				base.Msg[b][i] = u64()
			}
			if flags&4 != 0 {
				base.NBlocks2[i] = in.byte() % (asm.MaxDESBlocks + 1)
				for b := 0; b < asm.MaxDESBlocks; b++ {
					base.Msg2[b][i] = u64()
				}
			}
		}
		defer asm.SetImpl(asm.Impl())
		for _, impl := range asm.Impls() {
			if err := asm.SetImpl(impl); err != nil {
				t.Fatal(err)
			}
			fz := base
			for i := range asm.MaxLanes {
				if i >= n {
					fz.Out[i] = canary
				}
				fz.Out2[i] = canary
			}
			fz.Run()
			for i := n; i < asm.MaxLanes; i++ {
				if fz.Out[i] != canary || fz.Out2[i] != canary {
					t.Fatalf("%s (%s): lane %d of %d written", impl, asm.DESImpl(), i, n)
				}
			}
			for i := 0; i < n; i++ {
				parent := sharedKey
				if base.Shared == nil {
					binary.BigEndian.PutUint64(parent[:8], base.Parent[0][i])
					binary.BigEndian.PutUint64(parent[8:], base.Parent[1][i])
				}
				tdes, _ := stddes.NewTripleDESCipher(append(parent[:], parent[:8]...))
				var y, card [16]byte
				binary.BigEndian.PutUint64(y[:8], base.Div[i])
				binary.BigEndian.PutUint64(y[8:], ^base.Div[i])
				tdes.Encrypt(card[:8], y[:8])
				tdes.Encrypt(card[8:], y[8:])
				mk := make([]byte, 8)
				if base.Session {
					c3, _ := stddes.NewTripleDESCipher(append(card[:], card[:8]...))
					var d8 [8]byte
					binary.BigEndian.PutUint64(d8[:], base.D8[i])
					c3.Encrypt(mk, d8[:])
				} else {
					for j := range mk {
						mk[j] = card[j] ^ card[8+j]
					}
				}
				c, _ := stddes.NewCipher(mk)
				mac := func(msg *[asm.MaxDESBlocks][asm.MaxLanes]uint64, nb uint8) uint64 {
					var st [8]byte
					for b := 0; b < int(nb); b++ {
						var m [8]byte
						binary.BigEndian.PutUint64(m[:], msg[b][i])
						for j := range st {
							st[j] ^= m[j]
						}
						c.Encrypt(st[:], st[:])
					}
					return binary.BigEndian.Uint64(st[:])
				}
				if got, want := fz.Out[i], mac(&base.Msg, base.NBlocks[i]); got != want {
					t.Fatalf("%s (%s) lane %d: %016X, crypto/des %016X", impl, asm.DESImpl(), i, got, want)
				}
				if got, want := fz.Out2[i], mac(&base.Msg2, base.NBlocks2[i]); got != want {
					t.Fatalf("%s (%s) lane %d: Out2 %016X, crypto/des %016X", impl, asm.DESImpl(), i, got, want)
				}
			}
			// The same pipeline twice through RunDES4 (run jointly on
			// the AVX2 lanes), in two of its four places: the same
			// outputs as Run.
			var quad [4]asm.DESFused
			qa, qb := int(flags>>3)&3, int(flags>>5)&3
			if qa == qb {
				qb = (qa + 1) & 3
			}
			quad[qa], quad[qb] = base, base
			asm.RunDES4(&[4]*asm.DESFused{&quad[0], &quad[1], &quad[2], &quad[3]})
			for _, q := range []int{qa, qb} {
				for i := 0; i < n; i++ {
					if quad[q].Out[i] != fz.Out[i] || quad[q].Out2[i] != fz.Out2[i] {
						t.Fatalf("%s (%s) RunDES4 place %d lane %d: %016X %016X, Run %016X %016X",
							impl, asm.DESImpl(), q, i, quad[q].Out[i], quad[q].Out2[i], fz.Out[i], fz.Out2[i])
					}
				}
			}
		}
	})
}
