package asm_test

import (
	"crypto/des"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/sscard/sscard/asm"
	"github.com/sscard/sscard/sm4"
)

// setLane stores a 16-byte block into lane l of b (four big-endian words).
func setLane(b *asm.Blocks, l int, blk *[16]byte) {
	for j := range 4 {
		b.W[j][l] = binary.BigEndian.Uint32(blk[4*j:])
	}
}

// Three lanes, each under its own key: lane 0 is the example of GB/T
// 32907-2016 (key and plaintext 0123456789abcdeffedcba9876543210), lanes 1
// and 2 are checked against package sm4.
func ExampleEncrypt() {
	var keys, src, dst asm.Blocks
	var k [3][16]byte
	hex.Decode(k[0][:], []byte("0123456789abcdeffedcba9876543210"))
	for l := range k {
		if l > 0 {
			for i := range k[l] {
				k[l][i] = byte(31*l + 7*i)
			}
		}
		setLane(&keys, l, &k[l])
		setLane(&src, l, &k[0])
	}
	var sched asm.Keys
	asm.ExpandKeys(&sched, &keys, 3)
	asm.Encrypt(&dst, &sched, &src, 3)
	fmt.Printf("lane 0: %08x\n", []uint32{dst.W[0][0], dst.W[1][0], dst.W[2][0], dst.W[3][0]})
	for l := 1; l < 3; l++ {
		var want [16]byte
		sm4.EncryptBlock(&k[l], &want, &k[0])
		same := true
		for j := range 4 {
			same = same && dst.W[j][l] == binary.BigEndian.Uint32(want[4*j:])
		}
		fmt.Printf("lane %d matches package sm4: %v\n", l, same)
	}
	// Output:
	// lane 0: [681edf34 d206965e 86b3e94f 536e4246]
	// lane 1 matches package sm4: true
	// lane 2 matches package sm4: true
}

// 100 lanes over two batches, in one call each: lane i is lane i%64 of batch
// i/64. Lane 70 (batch 1, lane 6) holds the GB/T 32907-2016 example; the
// others are checked against package sm4.
func ExampleEncryptMany() {
	keys := make([]asm.Blocks, 2)
	src := make([]asm.Blocks, 2)
	var k [100][16]byte
	var pt [16]byte
	hex.Decode(pt[:], []byte("0123456789abcdeffedcba9876543210"))
	for i := range k {
		for j := range k[i] {
			k[i][j] = byte(13*i + 5*j)
		}
		if i == 70 {
			k[i] = pt
		}
		setLane(&keys[i/asm.MaxLanes], i%asm.MaxLanes, &k[i])
		setLane(&src[i/asm.MaxLanes], i%asm.MaxLanes, &pt)
	}
	sched := make([]asm.Keys, 2)
	dst := make([]asm.Blocks, 2)
	asm.ExpandKeysMany(sched, keys, len(k))
	asm.EncryptMany(dst, sched, src, len(k))
	b := &dst[1]
	fmt.Printf("lane 70: %08x\n", []uint32{b.W[0][6], b.W[1][6], b.W[2][6], b.W[3][6]})
	same := 0
	for i := range k {
		var want [16]byte
		sm4.EncryptBlock(&k[i], &want, &pt)
		ok := true
		for j := range 4 {
			ok = ok && dst[i/asm.MaxLanes].W[j][i%asm.MaxLanes] == binary.BigEndian.Uint32(want[4*j:])
		}
		if ok {
			same++
		}
	}
	fmt.Printf("%d of %d lanes match package sm4\n", same, len(k))
	// Output:
	// lane 70: [681edf34 d206965e 86b3e94f 536e4246]
	// 100 of 100 lanes match package sm4
}

// Four cards under one city key: each lane derives its card key from the
// shared parent (SM4 of the card's factor F || ^F), computes a one-block
// CBC-MAC under it and compares the MAC's leftmost 4 bytes with Want. The
// expected MACs come from package sm4; lane 2's is then tampered with.
func ExampleFused_Run() {
	var city [16]byte
	hex.Decode(city[:], []byte("00112233445566778899aabbccddeeff"))
	var parent sm4.Schedule
	parent.Init(&city)
	defer parent.Wipe()

	f := asm.Fused{N: 4, Shared: &parent}
	for l := range f.N {
		var div, msg [16]byte
		binary.BigEndian.PutUint64(div[:8], 0x3337313730300000+uint64(l)) // the card's factor F
		binary.BigEndian.PutUint64(div[8:], ^(0x3337313730300000 + uint64(l)))
		copy(msg[:], "purchase #")
		msg[10] = byte('0' + l)
		msg[11] = 0x80 // padding
		setLane(&f.Div, l, &div)
		setLane(&f.Msg[0], l, &msg)
		f.NBlocks[l] = 1

		var card [16]byte
		var mac [16]byte
		parent.Encrypt(&card, &div)
		sm4.EncryptBlock(&card, &mac, &msg)
		f.Want[l] = binary.BigEndian.Uint32(mac[:4])
	}
	f.Run()
	fmt.Printf("mismatched lanes: %04b\n", f.Bad)
	f.Want[2] ^= 1
	f.Run()
	fmt.Printf("mismatched lanes: %04b\n", f.Bad)
	// Output:
	// mismatched lanes: 0000
	// mismatched lanes: 0100
}

// Two batches of 3DES purchase TACs under two issuer keys, run together:
// on a CPU with AVX2 (DESQuad) RunDES4 runs them bitsliced side by side,
// elsewhere one after the other. Either way lane i of each batch holds the
// single-DES CBC-MAC under the card's TAC key, the XOR of the halves
// 3DES_K(Y) and 3DES_K(^Y) of its card key (Y its factor), checked here
// against crypto/des.
func ExampleRunDES4() {
	var fs [4]asm.DESFused
	var keys [2]asm.DESKey
	var raw [2][16]byte
	for q := range 2 {
		for i := range raw[q] {
			raw[q][i] = byte(0x11*q + 7*i)
		}
		keys[q].Init(&raw[q])
		defer keys[q].Wipe()
		f := &fs[q]
		f.N, f.Shared = 3, &keys[q]
		for l := range f.N {
			f.Div[l] = 0x3337313730300000 + uint64(l)
			f.Msg[0][l] = 0x000003e806001122 // amount 1000, type 06, terminal…
			f.Msg[1][l] = 0x3344556600000001
			f.Msg[2][l] = 0x2026112213510080 // date, time, padding
			f.NBlocks[l] = 3
		}
	}
	asm.RunDES4(&[4]*asm.DESFused{&fs[0], &fs[1]})
	for q := range 2 {
		for l := range fs[q].N {
			want := stdTAC(&raw[q], fs[q].Div[l], fs[q].Msg[0][l], fs[q].Msg[1][l], fs[q].Msg[2][l])
			fmt.Printf("batch %d lane %d: TAC %08X, crypto/des agrees: %v\n", q, l, fs[q].Out[l]>>32, fs[q].Out[l] == want)
		}
	}
	// Output:
	// batch 0 lane 0: TAC 9AA1BA3B, crypto/des agrees: true
	// batch 0 lane 1: TAC 22098A98, crypto/des agrees: true
	// batch 0 lane 2: TAC 5FA752C4, crypto/des agrees: true
	// batch 1 lane 0: TAC 482EDBE4, crypto/des agrees: true
	// batch 1 lane 1: TAC E522A88B, crypto/des agrees: true
	// batch 1 lane 2: TAC 41B63BB8, crypto/des agrees: true
}

// stdTAC is the lane computation of ExampleRunDES4 with crypto/des.
func stdTAC(key *[16]byte, y uint64, msg ...uint64) uint64 {
	k3, _ := des.NewTripleDESCipher(append(key[:], key[:8]...))
	var in, card [16]byte
	binary.BigEndian.PutUint64(in[:8], y)
	binary.BigEndian.PutUint64(in[8:], ^y)
	k3.Encrypt(card[:8], in[:8])
	k3.Encrypt(card[8:], in[8:])
	var tk [8]byte
	for i := range tk {
		tk[i] = card[i] ^ card[8+i]
	}
	c, _ := des.NewCipher(tk[:])
	var st [8]byte
	for _, m := range msg {
		binary.BigEndian.PutUint64(st[:], binary.BigEndian.Uint64(st[:])^m)
		c.Encrypt(st[:], st[:])
	}
	return binary.BigEndian.Uint64(st[:])
}
