package fuzz

import (
	"encoding/binary"
	"testing"

	"github.com/emmansun/gmsm/cbcmac"
	"github.com/emmansun/gmsm/padding"
	gmsm4 "github.com/emmansun/gmsm/sm4"

	"github.com/sscard/sscard/asm"
	"github.com/sscard/sscard/mac"
	"github.com/sscard/sscard/sm4"
)

const canary = 0xC0FFEE11

// lanesInput spreads fuzz bytes over the lanes: byte 0 picks the lane
// count, byte 1 the flags, the rest is cycled into keys and data.
type lanesInput struct {
	data []byte
	pos  int
}

func (in *lanesInput) byte() byte {
	if len(in.data) == 0 {
		return 0
	}
	b := in.data[in.pos%len(in.data)] ^ byte(in.pos/len(in.data)*0x9d)
	in.pos++
	return b
}

func (in *lanesInput) word() uint32 {
	return uint32(in.byte())<<24 | uint32(in.byte())<<16 | uint32(in.byte())<<8 | uint32(in.byte())
}

func (in *lanesInput) blocks(b *asm.Blocks, n int) {
	for i := 0; i < n; i++ {
		for j := 0; j < 4; j++ {
			b.W[j][i] = in.word()
		}
	}
}

func laneBytes(b *asm.Blocks, i int) (out [16]byte) {
	for j := 0; j < 4; j++ {
		binary.BigEndian.PutUint32(out[4*j:], b.W[j][i])
	}
	return
}

// canaries fills lanes n..MaxLanes-1 of b with a marker.
func canaries(b *asm.Blocks, n int) {
	for j := 0; j < 4; j++ {
		for i := n; i < asm.MaxLanes; i++ {
			b.W[j][i] = canary
		}
	}
}

func checkCanaries(t *testing.T, what string, b *asm.Blocks, n int) {
	t.Helper()
	for j := 0; j < 4; j++ {
		for i := n; i < asm.MaxLanes; i++ {
			if b.W[j][i] != canary {
				t.Fatalf("%s: lane %d (n=%d) written past the end", what, i, n)
			}
		}
	}
}

// FuzzLanes runs every asm path (forced in turn, the generic one included)
// on fuzzed keys, factors and messages of ragged lengths, and compares each
// lane with package sm4, package mac and emmansun/gmsm. Canary lanes past n
// catch out-of-bounds writes.
func FuzzLanes(f *testing.F) {
	f.Add([]byte{1, 0, 0x01, 0x23, 0x45, 0x67})
	f.Add([]byte{64, 0xff, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x11})
	f.Add([]byte{37, 0x05, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		n := 1 + int(data[0])%asm.MaxLanes
		flags := data[1]
		in := &lanesInput{data: data[2:]}

		var keys, src, div, sess, parent asm.Blocks
		in.blocks(&keys, n)
		in.blocks(&src, n)
		in.blocks(&div, n)
		in.blocks(&sess, n)
		in.blocks(&parent, n)
		var msg [asm.MaxMACBlocks]asm.Blocks
		var nb [asm.MaxLanes]uint8
		raw := make([][]byte, n) // the unpadded message of each lane
		for i := 0; i < n; i++ {
			l := int(in.byte()) % (16*asm.MaxMACBlocks - 1) // padded fits MaxMACBlocks
			raw[i] = make([]byte, l)
			for k := range raw[i] {
				raw[i][k] = in.byte()
			}
			padded := append(append([]byte{}, raw[i]...), 0x80)
			for len(padded)%16 != 0 {
				padded = append(padded, 0)
			}
			nb[i] = uint8(len(padded) / 16)
			for b := 0; b < int(nb[i]); b++ {
				for j := 0; j < 4; j++ {
					msg[b].W[j][i] = binary.BigEndian.Uint32(padded[16*b+4*j:])
				}
			}
		}
		var shared *sm4.Schedule
		var sharedKey [16]byte
		if flags&1 != 0 {
			sharedKey = laneBytes(&parent, 0)
			shared = new(sm4.Schedule)
			shared.Init(&sharedKey)
		}
		session := flags&2 != 0
		two := flags&4 != 0 // a second MAC chain per lane

		defer asm.SetImpl(asm.Impl())
		for _, impl := range asm.Impls() {
			if err := asm.SetImpl(impl); err != nil {
				t.Fatal(err)
			}
			// Key schedules and single blocks.
			var ks asm.Keys
			asm.ExpandKeys(&ks, &keys, n)
			var enc asm.Blocks
			canaries(&enc, n)
			asm.Encrypt(&enc, &ks, &src, n)
			checkCanaries(t, impl+" Encrypt", &enc, n)
			// CBC-MAC under the same schedules.
			var cm asm.Blocks
			canaries(&cm, n)
			asm.CBCMAC(&cm, &ks, &msg, &nb, n)
			checkCanaries(t, impl+" CBCMAC", &cm, n)
			// The fused pipeline.
			fz := asm.Fused{N: n, Shared: shared, Parent: parent, Div: div, Session: session, Sess: sess, NBlocks: nb, Msg: msg}
			if two {
				// The second chain of lane i is the message of lane n-1-i.
				for i := 0; i < n; i++ {
					fz.NBlocks2[i] = nb[n-1-i]
					for b := range msg {
						for j := 0; j < 4; j++ {
							fz.Msg2[b].W[j][i] = msg[b].W[j][n-1-i]
						}
					}
				}
			}
			canaries(&fz.Out, n)
			canaries(&fz.Out2, n)
			fz.Run()
			checkCanaries(t, impl+" Fused", &fz.Out, n)
			checkCanaries(t, impl+" Fused chain 2", &fz.Out2, n)

			for i := 0; i < n; i++ {
				k := laneBytes(&keys, i)
				var s sm4.Schedule
				s.Init(&k)
				for r := 0; r < 32; r++ {
					if ks.RK[r][i] != s[r] {
						t.Fatalf("%s lane %d: round key %d differs", impl, i, r)
					}
				}
				p := laneBytes(&src, i)
				c, _ := gmsm4.NewCipher(k[:])
				want := make([]byte, 16)
				c.Encrypt(want, p[:])
				if got := laneBytes(&enc, i); string(got[:]) != string(want) {
					t.Fatalf("%s lane %d: Encrypt %X, emmansun %X", impl, i, got, want)
				}
				wantMAC := cbcmac.NewCBCMACWithPadding(c, 16, padding.NewISO9797M2Padding).MAC(raw[i])
				if got := laneBytes(&cm, i); string(got[:]) != string(wantMAC) {
					t.Fatalf("%s lane %d: CBCMAC %X, emmansun %X", impl, i, got, wantMAC)
				}
				// Fused, recomputed with package sm4 and package mac.
				var ps sm4.Schedule
				if shared != nil {
					ps = *shared
				} else {
					pk := laneBytes(&parent, i)
					ps.Init(&pk)
				}
				card := laneBytes(&div, i)
				ps.Encrypt(&card, &card)
				if session {
					sk := laneBytes(&sess, i)
					sm4.EncryptBlock(&card, &card, &sk)
				}
				var full [16]byte
				mac.SM4MAC(&full, &card, nil, raw[i])
				if got := laneBytes(&fz.Out, i); got != full {
					t.Fatalf("%s lane %d: Fused %X, mac.SM4MAC %X", impl, i, got, full)
				}
				var full2 [16]byte // zero: no second chain
				if two {
					mac.SM4MAC(&full2, &card, nil, raw[n-1-i])
				}
				if got := laneBytes(&fz.Out2, i); got != full2 {
					t.Fatalf("%s lane %d: Fused chain 2 %X, mac.SM4MAC %X", impl, i, got, full2)
				}
			}
			// The compare step: again, expecting the MAC in some lanes and
			// a MAC one bit off in the others.
			var wantBad, wantBad2 uint64
			for i := range fz.Want {
				fz.Want[i] = fz.Out.W[0][i]
				fz.Want2[i] = fz.Out2.W[0][i]
				if (i+int(flags>>2))%3 == 0 {
					fz.Want[i] ^= 1 << (i % 32)
					if i < n {
						wantBad |= 1 << i
					}
				}
				if (i+int(flags>>3))%5 == 0 {
					fz.Want2[i] ^= 1 << (i % 32)
					if i < n {
						wantBad2 |= 1 << i
					}
				}
			}
			fz.Run()
			if fz.Bad != wantBad || fz.Bad2 != wantBad2 {
				t.Fatalf("%s: Fused.Bad %064b, Bad2 %064b, want %064b, %064b", impl, fz.Bad, fz.Bad2, wantBad, wantBad2)
			}
		}
	})
}
