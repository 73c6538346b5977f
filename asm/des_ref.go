package asm

import "github.com/sscard/sscard/internal/des"

// This file is the lane-by-lane DESFused reference, built on single-DES
// schedules of internal/des with 3DES spelled out as E_KL(D_KR(E_KL(x))).
// Tests compare every path against it (and against crypto/des); it is not a
// dispatch path.

func ref3DES(kl, kr, x uint64) uint64 {
	var l, r des.Schedule
	var a, b [8]byte
	putBE(&a, kl)
	putBE(&b, kr)
	l.Init(&a)
	r.Init(&b)
	putBE(&a, x)
	l.Encrypt(&a, &a)
	r.Decrypt(&a, &a)
	l.Encrypt(&a, &a)
	return getBE(&a)
}

func refDESMAC(k uint64, msg []uint64) uint64 {
	var s des.Schedule
	var b [8]byte
	putBE(&b, k)
	s.Init(&b)
	var c uint64
	for _, m := range msg {
		putBE(&b, c^m)
		s.Encrypt(&b, &b)
		c = getBE(&b)
	}
	return c
}

// refDESLane computes lane i of f, Out and Out2; kl, kr are the parent key
// halves.
func refDESLane(f *DESFused, kl, kr uint64, i int) (out, out2 uint64) {
	cl := ref3DES(kl, kr, f.Div[i])
	cr := ref3DES(kl, kr, ^f.Div[i])
	mk := cl ^ cr
	if f.Session {
		mk = ref3DES(cl, cr, f.D8[i])
	}
	msg := make([]uint64, f.NBlocks[i])
	for b := range msg {
		msg[b] = f.Msg[b][i]
	}
	msg2 := make([]uint64, f.NBlocks2[i])
	for b := range msg2 {
		msg2[b] = f.Msg2[b][i]
	}
	return refDESMAC(mk, msg), refDESMAC(mk, msg2)
}
