//go:build amd64 && !purego

package asm

import "golang.org/x/sys/cpu"

// The AVX2 DES lanes: the bitsliced path of des_generic.go on 256 lanes, the
// four DESFused of a RunDES4 call side by side. A plane is four uint64, word
// q holding the bit of the 64 lanes of fs[q] (as in the generic path), so
// that one YMM operation runs a gate on all 256 lanes. The rounds are
// assembly (des_bs4_amd64.s, generated with des_generic_sbox.go from the
// same circuits); the transposes, IP and the CBC chaining are the generic
// path's, word by word. Constant-time as the generic path: no branch and no
// memory address depends on keys or data.

// hasDESAVX2 reports whether the CPU has AVX2 for desRounds4.
var hasDESAVX2 = cpu.X86.HasAVX2

// desKSOff is desKS as byte offsets of key planes in a [64][4]uint64.
var desKSOff = func() (t [16][48]uint16) {
	for r := range t {
		for m := range t[r] {
			t[r][m] = 32 * uint16(desKS[r][m])
		}
	}
	return
}()

// desRounds4 runs the 16 rounds of a DES on the half-block planes (a, b) =
// (L0, R0), leaving (L16, R16) in (a, b), under the key planes k; decrypt
// (not 0) takes the round keys in reverse.
//
//go:noescape
func desRounds4(a, b *[32][4]uint64, k *[64][4]uint64, ks *[16][48]uint16, decrypt int)

// desTranspose4 is desTranspose on each of the four matrices a[.][q].
//
//go:noescape
func desTranspose4(a *[64][4]uint64)

// desUseAVX2 reports whether RunDES4 runs the AVX2 lanes: under Impl avx2,
// or avx512gfni without the AVX-512 DES lanes (no VBMI).
func desUseAVX2() bool { return impl >= implAVX2 && hasDESAVX2 && !desUseAVX512() }

// desBS4State is the scratch of one AVX2 run; it holds key material and is
// wiped before the run returns.
type desBS4State struct {
	kl, kr, cl, cr, mk [64][4]uint64
	blk, c             [64][4]uint64
	l, r               [32][4]uint64
	t                  [64][4]uint64 // transpose buffer
}

// desPlanes4 sets p to the planes of the lanes src[q] (all 64 of them) of
// every q with src[q] not nil; the words of the others are 0.
func desPlanes4(p *[64][4]uint64, src *[4]*[MaxLanes]uint64) {
	for q, a := range src {
		if a == nil {
			for i := range p {
				p[i][q] = 0
			}
			continue
		}
		for i := range p {
			p[i][q] = a[i]
		}
	}
	desTranspose4(p)
}

// desLanes4 stores the planes p as lanes into dst[q][:n[q]] for every q with
// dst[q] not nil; t is scratch.
func desLanes4(dst *[4]*[MaxLanes]uint64, n *[4]int, p, t *[64][4]uint64) {
	*t = *p
	desTranspose4(t)
	for q, a := range dst {
		if a == nil {
			continue
		}
		for i := range a[:n[q]] {
			a[i] = t[i][q]
		}
	}
}

// encrypt is single DES on the planes: out = E_k(in); out and in may alias.
func (s *desBS4State) encrypt(out, in, k *[64][4]uint64) {
	for i := range 32 {
		s.l[i] = in[desIP[i]&63]
		s.r[i] = in[desIP[32+i]&63]
	}
	desRounds4(&s.l, &s.r, k, &desKSOff, 0)
	for i := range 32 {
		out[desIP[i]&63] = s.r[i]
		out[desIP[32+i]&63] = s.l[i]
	}
}

// encrypt3 is two-key 3DES on the planes: out = E_kl(D_kr(E_kl(in))).
func (s *desBS4State) encrypt3(out, in, kl, kr *[64][4]uint64) {
	for i := range 32 {
		s.l[i] = in[desIP[i]&63]
		s.r[i] = in[desIP[32+i]&63]
	}
	desRounds4(&s.l, &s.r, kl, &desKSOff, 0)
	desRounds4(&s.r, &s.l, kr, &desKSOff, 1)
	desRounds4(&s.l, &s.r, kl, &desKSOff, 0)
	for i := range 32 {
		out[desIP[i]&63] = s.r[i]
		out[desIP[32+i]&63] = s.l[i]
	}
}

// desFusedAVX2 runs the pipelines fs[q] that are not nil (same Session
// where N > 0) on 256 lanes; lanes >= N are computed on whatever they hold
// and not stored.
func desFusedAVX2(fs *[4]*DESFused) {
	var s desBS4State
	session := false
	var kl, kr, div, d8 [4]*[MaxLanes]uint64
	for q, f := range fs {
		if f == nil {
			continue
		}
		session = session || f.N > 0 && f.Session
		if f.Shared == nil {
			kl[q], kr[q] = &f.Parent[0], &f.Parent[1]
		}
		div[q], d8[q] = &f.Div, &f.D8
	}
	desPlanes4(&s.kl, &kl)
	desPlanes4(&s.kr, &kr)
	for q, f := range fs {
		if f != nil && f.Shared != nil {
			for p := range 64 {
				s.kl[p][q] = -(f.Shared.raw[0] >> (63 - p) & 1)
				s.kr[p][q] = -(f.Shared.raw[1] >> (63 - p) & 1)
			}
		}
	}
	// Card key: 3DES(parent, Div) || 3DES(parent, ^Div).
	desPlanes4(&s.blk, &div)
	s.encrypt3(&s.cl, &s.blk, &s.kl, &s.kr)
	for j := range s.blk {
		for q := range 4 {
			s.blk[j][q] = ^s.blk[j][q]
		}
	}
	s.encrypt3(&s.cr, &s.blk, &s.kl, &s.kr)
	if session {
		desPlanes4(&s.blk, &d8)
		s.encrypt3(&s.mk, &s.blk, &s.cl, &s.cr)
	} else {
		for j := range s.mk {
			for q := range 4 {
				s.mk[j][q] = s.cl[j][q] ^ s.cr[j][q]
			}
		}
	}
	s.cbcMAC(fs, false)
	s.cbcMAC(fs, true)
	s.wipe()
}

// wipe clears the scratch (keys, blocks and chain values).
func (s *desBS4State) wipe() {
	clear(s.kl[:])
	clear(s.kr[:])
	clear(s.cl[:])
	clear(s.cr[:])
	clear(s.mk[:])
	clear(s.blk[:])
	clear(s.c[:])
	clear(s.l[:])
	clear(s.r[:])
	clear(s.t[:])
}

// chain returns f's first or second CBC-MAC chain.
func (f *DESFused) chain(second bool) (*[MaxLanes]uint8, *[MaxDESBlocks][MaxLanes]uint64, *[MaxLanes]uint64) {
	if second {
		return &f.NBlocks2, &f.Msg2, &f.Out2
	}
	return &f.NBlocks, &f.Msg, &f.Out
}

// cbcMAC runs the single-DES CBC-MAC under the planes s.mk of the first
// chain (Msg, NBlocks, Out) of every pipeline of fs, or of the second.
// Lanes past their block count keep their chain value; without blocks in
// any lane it only zeroes the outputs.
func (s *desBS4State) cbcMAC(fs *[4]*DESFused, second bool) {
	var masks [MaxDESBlocks][4]uint64 // lanes with more than b blocks
	var out [4]*[MaxLanes]uint64
	var n [4]int
	nb := 0
	for q, f := range fs {
		if f == nil {
			continue
		}
		counts, _, o := f.chain(second)
		out[q], n[q] = o, f.N
		for i, v := range counts[:f.N] {
			for b := range MaxDESBlocks {
				if int(v) > b {
					masks[b][q] |= 1 << (63 - i)
				}
			}
			nb = max(nb, int(v))
		}
	}
	if nb == 0 {
		for q, o := range out {
			if o != nil {
				clear(o[:n[q]])
			}
		}
		return
	}
	s.c = [64][4]uint64{}
	for b := range min(nb, MaxDESBlocks) {
		var msg [4]*[MaxLanes]uint64
		for q, f := range fs {
			if f != nil {
				_, m, _ := f.chain(second)
				msg[q] = &m[b]
			}
		}
		desPlanes4(&s.blk, &msg)
		for j := range s.blk {
			for q := range 4 {
				s.blk[j][q] ^= s.c[j][q]
			}
		}
		s.encrypt(&s.blk, &s.blk, &s.mk)
		m := &masks[b]
		for j := range s.c {
			for q := range 4 {
				s.c[j][q] ^= (s.blk[j][q] ^ s.c[j][q]) & m[q]
			}
		}
	}
	desLanes4(&out, &n, &s.c, &s.t)
}
