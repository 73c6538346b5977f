package asm

import (
	"encoding/binary"

	"github.com/sscard/sscard/sm4"
)

// This file is the lane-by-lane reference built on package sm4. Tests compare
// every path against it; it is not a dispatch path.

func laneBlock(b *Blocks, i int) (out [16]byte) {
	for j := 0; j < 4; j++ {
		binary.BigEndian.PutUint32(out[4*j:], b.W[j][i])
	}
	return
}

func setLaneBlock(b *Blocks, i int, in *[16]byte) {
	for j := 0; j < 4; j++ {
		b.W[j][i] = binary.BigEndian.Uint32(in[4*j:])
	}
}

func refExpandKeys(dst *Keys, keys *Blocks, n int) {
	for i := 0; i < n; i++ {
		k := laneBlock(keys, i)
		var s sm4.Schedule
		s.Init(&k)
		for r := 0; r < 32; r++ {
			dst.RK[r][i] = s[r]
		}
	}
}

func laneSchedule(k *Keys, i int) (s sm4.Schedule) {
	for r := 0; r < 32; r++ {
		s[r] = k.RK[r][i]
	}
	return
}

func refEncrypt(dst *Blocks, k *Keys, src *Blocks, n int) {
	for i := 0; i < n; i++ {
		s := laneSchedule(k, i)
		b := laneBlock(src, i)
		s.Encrypt(&b, &b)
		setLaneBlock(dst, i, &b)
	}
}

func refFused(f *Fused) {
	for i := 0; i < f.N; i++ {
		var s sm4.Schedule
		if f.Shared != nil {
			s = *f.Shared
		} else {
			p := laneBlock(&f.Parent, i)
			s.Init(&p)
		}
		k := laneBlock(&f.Div, i)
		s.Encrypt(&k, &k)
		s.Init(&k)
		if f.Session {
			k = laneBlock(&f.Sess, i)
			s.Encrypt(&k, &k)
			s.Init(&k)
		}
		c := refChain(&s, &f.Msg, int(f.NBlocks[i]), i)
		setLaneBlock(&f.Out, i, &c)
		c = refChain(&s, &f.Msg2, int(f.NBlocks2[i]), i)
		setLaneBlock(&f.Out2, i, &c)
	}
}

// refChain is the CBC-MAC (zero IV) under s of blocks 0..nb-1 of lane i of
// msg.
func refChain(s *sm4.Schedule, msg *[MaxMACBlocks]Blocks, nb, i int) [16]byte {
	var c [16]byte
	for b := 0; b < nb; b++ {
		m := laneBlock(&msg[b], i)
		for j := range c {
			c[j] ^= m[j]
		}
		s.Encrypt(&c, &c)
	}
	return c
}
