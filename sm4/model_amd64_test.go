//go:build amd64 && !purego

package sm4

import (
	"testing"
	"unsafe"
)

// These tests check the derived constants with a Go model of the
// instructions the assembly uses, independently of the assembly.

func TestModelSbox(t *testing.T) {
	g := &theAlgebra
	t.Logf("d=%#02x kEnc=%#02x kKey=%#02x", g.d, g.kEnc, g.kKey)
	for z := 0; z < 256; z++ {
		want := byte(sbox4(uint32(z)))
		y := g.m.apply(byte(z)) ^ g.d
		got := g.a.apply(g.phiInv.apply(gfInvPoly(y, polyG))) ^ sboxC
		if got != want {
			t.Fatalf("S(%#02x) = %#02x, want %#02x", z, got, want)
		}
	}
}

// modelGFNIRound computes the layout form of M·L(S(z)) ⊕ ... from the layout
// form of the S-box input y, as the assembly does.
func modelGFNIRound(y vec, n *[4]vec, imm byte) (out vec) {
	for k := 0; k < 4; k++ {
		var in vec
		for s := 0; s < 4; s++ {
			copy(in[4*s:4*s+4], y[4*((s+k)&3):4*((s+k)&3)+4])
		}
		q := uint64(0)
		for i := 0; i < 8; i++ {
			q |= uint64(n[k][i]) << (8 * i)
		}
		im := byte(0)
		if k == 0 {
			im = imm
		}
		for i := range in {
			out[i] ^= affineQB(gfInvPoly(in[i], polyG), q, im)
		}
	}
	return
}

func affineQB(x byte, q uint64, imm byte) byte {
	var y byte
	for i := 0; i < 8; i++ {
		row := byte(q >> (8 * (7 - i)))
		p := row & x
		p ^= p >> 4
		p ^= p >> 2
		p ^= p >> 1
		y |= (p & 1) << i
	}
	return y ^ imm
}

func TestModelGFNI(t *testing.T) {
	g := &theAlgebra
	c := buildGFNI(g)
	for _, z := range []uint32{0, 1, 0x01234567, 0xdeadbeef, 0xffffffff, 0x80000000} {
		y := xorVec(mapVec(layoutWord(z), &g.m), c.d)
		got := modelGFNIRound(y, &c.nEnc, g.kEnc)
		want := mapVec(layoutWord(tEnc(z)), &g.m)
		if got != want {
			t.Fatalf("enc z=%08x got %x want %x", z, got, want)
		}
		got = modelGFNIRound(y, &c.nKey, g.kKey)
		want = mapVec(layoutWord(tKey(z)), &g.m)
		if got != want {
			t.Fatalf("key z=%08x got %x want %x", z, got, want)
		}
	}
}

func TestModelAES(t *testing.T) {
	g := &theAlgebra
	c := buildAES(g)
	aesSbox := func(x byte) byte {
		v := gfInvPoly(x, polyG)
		var y byte
		for i := 0; i < 8; i++ {
			b := v>>i ^ v>>((i+4)%8) ^ v>>((i+5)%8) ^ v>>((i+6)%8) ^ v>>((i+7)%8)
			y |= (b & 1) << i
		}
		return y ^ 0x63
	}
	look := func(lo, hi vec, x vec) (o vec) {
		for i := range x {
			o[i] = lo[x[i]&15] ^ hi[x[i]>>4]
		}
		return
	}
	perm := func(x, m vec) (o vec) {
		for i := range o {
			o[i] = x[m[i]]
		}
		return
	}
	for _, z := range []uint32{0, 1, 0x01234567, 0xdeadbeef, 0xffffffff, 0x80000000} {
		y := look(c.mLo, c.mHi, bcastWord(z))
		var o vec
		for i := range y {
			o[i] = aesSbox(y[i])
		}
		var got, gotK vec
		for r := 0; r < 4; r++ {
			got = xorVec(got, perm(look(c.encLo[r], c.encHi[r], o), c.rot[r]))
			gotK = xorVec(gotK, perm(look(c.keyLo[r], c.keyHi[r], o), c.rot[r]))
		}
		if want := mapVec(bcastWord(tEnc(z)), &g.m); got != want {
			t.Fatalf("enc z=%08x got %x want %x", z, got, want)
		}
		if want := mapVec(bcastWord(tKey(z)), &g.m); gotK != want {
			t.Fatalf("key z=%08x got %x want %x", z, gotK, want)
		}
		if back := look(c.mInvLo, c.mInvHi, mapVec(bcastWord(z), &g.m)); back != bcastWord(z) {
			t.Fatalf("M^-1")
		}
	}
}

// TestConstLayout checks the struct offsets that _asm/gen.go hard-codes.
func TestConstLayout(t *testing.T) {
	var g gfniConsts
	var a aesConsts
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"g.nEnc", unsafe.Offsetof(g.nEnc), 0}, {"g.nKey", unsafe.Offsetof(g.nKey), 64},
		{"g.m", unsafe.Offsetof(g.m), 128}, {"g.mInv", unsafe.Offsetof(g.mInv), 144},
		{"g.load", unsafe.Offsetof(g.load), 160}, {"g.rkMask", unsafe.Offsetof(g.rkMask), 224},
		{"g.bswap", unsafe.Offsetof(g.bswap), 240}, {"g.d", unsafe.Offsetof(g.d), 256},
		{"g.fk", unsafe.Offsetof(g.fk), 272}, {"g.ck", unsafe.Offsetof(g.ck), 336},
		{"a.encLo", unsafe.Offsetof(a.encLo), 0}, {"a.encHi", unsafe.Offsetof(a.encHi), 64},
		{"a.keyLo", unsafe.Offsetof(a.keyLo), 128}, {"a.keyHi", unsafe.Offsetof(a.keyHi), 192},
		{"a.mLo", unsafe.Offsetof(a.mLo), 256}, {"a.mHi", unsafe.Offsetof(a.mHi), 272},
		{"a.mInvLo", unsafe.Offsetof(a.mInvLo), 288}, {"a.mInvHi", unsafe.Offsetof(a.mInvHi), 304},
		{"a.rot", unsafe.Offsetof(a.rot), 320}, {"a.load", unsafe.Offsetof(a.load), 384},
		{"a.bswap", unsafe.Offsetof(a.bswap), 448}, {"a.low4", unsafe.Offsetof(a.low4), 464},
		{"a.d", unsafe.Offsetof(a.d), 480}, {"a.fk", unsafe.Offsetof(a.fk), 496},
		{"a.ck", unsafe.Offsetof(a.ck), 560},
	} {
		if c.got != c.want {
			t.Errorf("offset of %s = %d, generator assumes %d", c.name, c.got, c.want)
		}
	}
	if !aligned16(unsafe.Pointer(aesTab)) {
		t.Error("aesTab is not 16-byte aligned")
	}
}
