package asm

import "github.com/sscard/sscard/internal/des"

// desFusedGeneric is the portable DESFused path: lane after lane on the
// constant-time scalar DES of internal/des. Its scratch is wiped.
func desFusedGeneric(f *DESFused) {
	var own des.Triple
	var card des.Triple
	var mac des.Schedule
	var key [16]byte
	var blk [8]byte
	for i := 0; i < f.N; i++ {
		parent := &own
		if f.Shared != nil {
			parent = &f.Shared.t
		} else {
			putBE((*[8]byte)(key[0:8]), f.Parent[0][i])
			putBE((*[8]byte)(key[8:16]), f.Parent[1][i])
			own.Init(&key)
		}
		putBE((*[8]byte)(key[0:8]), f.Div[i])
		putBE((*[8]byte)(key[8:16]), ^f.Div[i])
		parent.Encrypt((*[8]byte)(key[0:8]), (*[8]byte)(key[0:8]))
		parent.Encrypt((*[8]byte)(key[8:16]), (*[8]byte)(key[8:16]))
		if f.Session {
			card.Init(&key)
			putBE(&blk, f.D8[i])
			card.Encrypt(&blk, &blk)
		} else {
			putBE(&blk, getBE((*[8]byte)(key[0:8]))^getBE((*[8]byte)(key[8:16])))
		}
		mac.Init(&blk)
		var c uint64
		for b := 0; b < int(f.NBlocks[i]); b++ {
			putBE(&blk, c^f.Msg[b][i])
			mac.Encrypt(&blk, &blk)
			c = getBE(&blk)
		}
		f.Out[i] = c
	}
	own.Wipe()
	card.Wipe()
	mac.Wipe()
	clear(key[:])
	clear(blk[:])
}
