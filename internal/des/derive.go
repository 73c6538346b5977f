package des

// Derivation of the constant-time round constants from the FIPS tables. The
// S-box planes are emitted into rounds_gen.go by TestGenerated (run
// `go test -run TestGenerated -update` after changing this file); the
// key-schedule networks are computed here at package initialisation.

// sBoxPlanes returns, for S-box i (0-based) and output bit j (0 = most
// significant) at index 4*i+j, the 64-entry truth table of that bit rotated
// so that rotating it left by the 6-bit S-box input x brings S_i(x)'s bit j
// to bit pos[4*i+j], the position in the 32-bit f output (bit 31 = FIPS bit
// 1) that the permutation P sends it to. The 6-bit input x has the first
// input bit b1 as its bit 5.
func sBoxPlanes() (planes [32]uint64, pos [32]uint) {
	var pPos [33]uint // S-output bit n (1-based) → position after P
	for t, n := range permutation {
		pPos[n] = uint(31 - t)
	}
	for i := range 8 {
		for j := range 4 {
			p := pPos[4*i+j+1]
			var plane uint64
			for m := range 64 {
				x := (int(p) - m) & 63 // rotl(plane, x) bit p = plane bit p-x
				if sBit(i, x, j) != 0 {
					plane |= 1 << m
				}
			}
			planes[4*i+j], pos[4*i+j] = plane, p
		}
	}
	return planes, pos
}

// sBit returns output bit j (0 = most significant) of S-box i (0-based) for
// the 6-bit input x (bit 5 = first input bit b1): row b1b6, column b2..b5.
func sBit(i, x, j int) uint8 {
	row := (x>>4)&2 | x&1
	col := (x >> 1) & 15
	return (sBoxes[i][16*row+col] >> (3 - j)) & 1
}

// Packed round keys. Round r's 48-bit key K_r is stored in one word so that
// XORing it into R duplicated in both halves of a 64-bit word (r64 = R<<32 |
// R) lines each S-box's 6 key bits up with its E-expansion window: S-box i
// reads r64 bits 27-4i .. 32-4i (i = 0..6), S-box 8 bits 31..36. The windows
// of S-boxes 1,3,5,7 do not overlap; their key bits sit at those positions.
// Those of S-boxes 2,4,6,8 are stored shifted left by 27 (bits 34..63) and
// used as k>>27. Bits outside the windows are never read.

// keyBitDst returns the packed position of bit u (0-based, 0 = first) of the
// 48-bit round key.
func keyBitDst(u int) int {
	i, b := u/6, 5-u%6
	if i%2 == 0 {
		return 27 - 4*i + b
	}
	return 27 + (27-4*i+32)%32 + b
}

// keyBitSrc returns, for round r (0-based) and round-key bit u, the position
// (0 = least significant) of the key bit it comes from in the key read as a
// big-endian uint64: PC-1, the cumulative left rotations of C and D, PC-2.
func keyBitSrc(r, u int) int {
	shift := 0
	for i := 0; i <= r; i++ {
		shift += int(keyShifts[i])
	}
	cd := int(permutedChoice2[u]) - 1 // 0..55 in C_r||D_r
	var idx int                       // the same bit in C_0||D_0
	if cd < 28 {
		idx = (cd + shift) % 28
	} else {
		idx = 28 + (cd-28+shift)%28
	}
	return 64 - int(permutedChoice1[idx])
}

// keyNet[r] are the masks of the Beneš network (delta swaps at distances 32,
// 16, 8, 4, 2, 1, 2, 4, 8, 16, 32) that maps the big-endian key
// word straight to round r's packed key (bits the round does not use land
// outside the windows).
var keyNet [16][11]uint64

func init() {
	for r := range 16 {
		var src [64]int
		for o := range src {
			src[o] = -1
		}
		var used [64]bool
		for u := range 48 {
			s := keyBitSrc(r, u)
			src[keyBitDst(u)] = s
			used[s] = true
		}
		// Complete the partial map to a permutation with the unused bits.
		next := 0
		for o := range src {
			if src[o] >= 0 {
				continue
			}
			for used[next] {
				next++
			}
			src[o] = next
			used[next] = true
		}
		benesRoute(src[:], 0, 0, &keyNet[r])
	}
}

// benesRoute sets the masks of a Beneš network of delta swaps so that output
// bit base+o takes input bit base+src[o], for the n = len(src) bits starting
// at base; level 0 is the outermost pair of stages (distance n/2). It uses
// the looping algorithm: each input goes through the lower or the upper
// half-size subnetwork, the two inputs of an input pair and the two sources
// of an output pair always through different ones.
func benesRoute(src []int, base, level int, masks *[11]uint64) {
	n := len(src)
	if n == 2 { // the middle stage: one conditional swap
		if src[0] != 0 {
			masks[level] |= 1 << base
		}
		return
	}
	h := n / 2
	inv := make([]int, n)
	for o, i := range src {
		inv[i] = o
	}
	sub := make([]int, n) // subnetwork of each input, -1 = unassigned
	for i := range sub {
		sub[i] = -1
	}
	partner := func(i int) int { return (i + h) % n }
	for o0 := range n {
		if sub[src[o0]] >= 0 {
			continue
		}
		o := o0
		for sub[src[o]] < 0 {
			i := src[o]
			sub[i] = 0
			i2 := partner(i)
			if sub[i2] >= 0 {
				break
			}
			sub[i2] = 1
			o = partner(inv[i2]) // its output partner needs subnetwork 0
		}
	}
	first, last := level, 10-level
	lowSrc, highSrc := make([]int, h), make([]int, h)
	for i := range h {
		if sub[i] != 0 { // input i goes up, i+h down: swap the pair
			masks[first] |= 1 << (base + i)
		}
	}
	for o := range n {
		i := src[o]
		if sub[i] == 0 {
			lowSrc[o%h] = i % h
		} else {
			highSrc[o%h] = i % h
		}
		if o < h && sub[i] != 0 { // output o (low half) fed from the upper subnetwork
			masks[last] |= 1 << (base + o)
		}
	}
	benesRoute(lowSrc, base, level+1, masks)
	benesRoute(highSrc, base+h, level+1, masks)
}

// keyFromNet applies round r's network to the big-endian key word (the
// eleven delta swaps unrolled so that every shift count is a constant).
func keyFromNet(kv uint64, m *[11]uint64) uint64 {
	t := (kv>>32 ^ kv) & m[0]
	kv ^= t ^ t<<32
	t = (kv>>16 ^ kv) & m[1]
	kv ^= t ^ t<<16
	t = (kv>>8 ^ kv) & m[2]
	kv ^= t ^ t<<8
	t = (kv>>4 ^ kv) & m[3]
	kv ^= t ^ t<<4
	t = (kv>>2 ^ kv) & m[4]
	kv ^= t ^ t<<2
	t = (kv>>1 ^ kv) & m[5]
	kv ^= t ^ t<<1
	t = (kv>>2 ^ kv) & m[6]
	kv ^= t ^ t<<2
	t = (kv>>4 ^ kv) & m[7]
	kv ^= t ^ t<<4
	t = (kv>>8 ^ kv) & m[8]
	kv ^= t ^ t<<8
	t = (kv>>16 ^ kv) & m[9]
	kv ^= t ^ t<<16
	t = (kv>>32 ^ kv) & m[10]
	kv ^= t ^ t<<32
	return kv
}
