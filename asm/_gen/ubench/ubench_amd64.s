//go:build amd64

// The loops of main.go: loopK repeats the instructions of row K of its
// table over its chains (Z0, Z1, ...; 12 for the single instructions), n
// times.

#include "textflag.h"

#define XOR(z) VPXORD Z30, z, z
#define TERN(z) VPTERNLOGD $0x96, Z30, Z31, z
#define AFF(z) VGF2P8AFFINEQB $0x00, Z30, z, z
#define AFFINV(z) VGF2P8AFFINEINVQB $0x00, Z30, z, z
#define SHUF(z) VPSHUFB Z30, z, z
#define ROL(z) VPROLD $2, z, z

// The cipher round of the kernels as ten dependent operations.
#define ROUND(z) \
	XOR(z)    \
	TERN(z)   \
	AFF(z)    \
	AFFINV(z) \
	SHUF(z)   \
	XOR(z)    \
	SHUF(z)   \
	XOR(z)    \
	ROL(z)    \
	TERN(z)

// func loop0(n int)
TEXT ·loop0(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop0_l:
	XOR(Z0)
	XOR(Z1)
	XOR(Z2)
	XOR(Z3)
	XOR(Z4)
	XOR(Z5)
	XOR(Z6)
	XOR(Z7)
	XOR(Z8)
	XOR(Z9)
	XOR(Z10)
	XOR(Z11)
	DECQ CX
	JNZ loop0_l
	VZEROUPPER
	RET

// func loop1(n int)
TEXT ·loop1(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop1_l:
	TERN(Z0)
	TERN(Z1)
	TERN(Z2)
	TERN(Z3)
	TERN(Z4)
	TERN(Z5)
	TERN(Z6)
	TERN(Z7)
	TERN(Z8)
	TERN(Z9)
	TERN(Z10)
	TERN(Z11)
	DECQ CX
	JNZ loop1_l
	VZEROUPPER
	RET

// func loop2(n int)
TEXT ·loop2(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop2_l:
	AFF(Z0)
	AFF(Z1)
	AFF(Z2)
	AFF(Z3)
	AFF(Z4)
	AFF(Z5)
	AFF(Z6)
	AFF(Z7)
	AFF(Z8)
	AFF(Z9)
	AFF(Z10)
	AFF(Z11)
	DECQ CX
	JNZ loop2_l
	VZEROUPPER
	RET

// func loop3(n int)
TEXT ·loop3(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop3_l:
	AFFINV(Z0)
	AFFINV(Z1)
	AFFINV(Z2)
	AFFINV(Z3)
	AFFINV(Z4)
	AFFINV(Z5)
	AFFINV(Z6)
	AFFINV(Z7)
	AFFINV(Z8)
	AFFINV(Z9)
	AFFINV(Z10)
	AFFINV(Z11)
	DECQ CX
	JNZ loop3_l
	VZEROUPPER
	RET

// func loop4(n int)
TEXT ·loop4(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop4_l:
	SHUF(Z0)
	SHUF(Z1)
	SHUF(Z2)
	SHUF(Z3)
	SHUF(Z4)
	SHUF(Z5)
	SHUF(Z6)
	SHUF(Z7)
	SHUF(Z8)
	SHUF(Z9)
	SHUF(Z10)
	SHUF(Z11)
	DECQ CX
	JNZ loop4_l
	VZEROUPPER
	RET

// func loop5(n int)
TEXT ·loop5(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop5_l:
	ROL(Z0)
	ROL(Z1)
	ROL(Z2)
	ROL(Z3)
	ROL(Z4)
	ROL(Z5)
	ROL(Z6)
	ROL(Z7)
	ROL(Z8)
	ROL(Z9)
	ROL(Z10)
	ROL(Z11)
	DECQ CX
	JNZ loop5_l
	VZEROUPPER
	RET

// func loop6(n int)
TEXT ·loop6(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop6_l:
	AFF(Z0)
	ROL(Z0)
	AFF(Z1)
	ROL(Z1)
	AFF(Z2)
	ROL(Z2)
	AFF(Z3)
	ROL(Z3)
	AFF(Z4)
	ROL(Z4)
	AFF(Z5)
	ROL(Z5)
	AFF(Z6)
	ROL(Z6)
	AFF(Z7)
	ROL(Z7)
	AFF(Z8)
	ROL(Z8)
	AFF(Z9)
	ROL(Z9)
	AFF(Z10)
	ROL(Z10)
	AFF(Z11)
	ROL(Z11)
	DECQ CX
	JNZ loop6_l
	VZEROUPPER
	RET

// func loop7(n int)
TEXT ·loop7(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop7_l:
	AFF(Z0)
	SHUF(Z0)
	AFF(Z1)
	SHUF(Z1)
	AFF(Z2)
	SHUF(Z2)
	AFF(Z3)
	SHUF(Z3)
	AFF(Z4)
	SHUF(Z4)
	AFF(Z5)
	SHUF(Z5)
	AFF(Z6)
	SHUF(Z6)
	AFF(Z7)
	SHUF(Z7)
	AFF(Z8)
	SHUF(Z8)
	AFF(Z9)
	SHUF(Z9)
	AFF(Z10)
	SHUF(Z10)
	AFF(Z11)
	SHUF(Z11)
	DECQ CX
	JNZ loop7_l
	VZEROUPPER
	RET

// func loop8(n int)
TEXT ·loop8(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop8_l:
	SHUF(Z0)
	ROL(Z0)
	SHUF(Z1)
	ROL(Z1)
	SHUF(Z2)
	ROL(Z2)
	SHUF(Z3)
	ROL(Z3)
	SHUF(Z4)
	ROL(Z4)
	SHUF(Z5)
	ROL(Z5)
	SHUF(Z6)
	ROL(Z6)
	SHUF(Z7)
	ROL(Z7)
	SHUF(Z8)
	ROL(Z8)
	SHUF(Z9)
	ROL(Z9)
	SHUF(Z10)
	ROL(Z10)
	SHUF(Z11)
	ROL(Z11)
	DECQ CX
	JNZ loop8_l
	VZEROUPPER
	RET

// func loop9(n int)
TEXT ·loop9(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop9_l:
	ROUND(Z0)
	ROUND(Z0)
	ROUND(Z0)
	ROUND(Z0)
	ROUND(Z0)
	ROUND(Z0)
	ROUND(Z0)
	ROUND(Z0)
	ROUND(Z0)
	ROUND(Z0)
	ROUND(Z0)
	ROUND(Z0)
	DECQ CX
	JNZ loop9_l
	VZEROUPPER
	RET

// func loop10(n int)
TEXT ·loop10(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop10_l:
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z0)
	ROUND(Z1)
	DECQ CX
	JNZ loop10_l
	VZEROUPPER
	RET

// func loop11(n int)
TEXT ·loop11(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop11_l:
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z2)
	ROUND(Z3)
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z2)
	ROUND(Z3)
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z2)
	ROUND(Z3)
	DECQ CX
	JNZ loop11_l
	VZEROUPPER
	RET

// func loop12(n int)
TEXT ·loop12(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop12_l:
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z2)
	ROUND(Z3)
	ROUND(Z4)
	ROUND(Z5)
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z2)
	ROUND(Z3)
	ROUND(Z4)
	ROUND(Z5)
	DECQ CX
	JNZ loop12_l
	VZEROUPPER
	RET

// func loop13(n int)
TEXT ·loop13(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop13_l:
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z2)
	ROUND(Z3)
	ROUND(Z4)
	ROUND(Z5)
	ROUND(Z6)
	ROUND(Z7)
	DECQ CX
	JNZ loop13_l
	VZEROUPPER
	RET

// func loop14(n int)
TEXT ·loop14(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
loop14_l:
	ROUND(Z0)
	ROUND(Z1)
	ROUND(Z2)
	ROUND(Z3)
	ROUND(Z4)
	ROUND(Z5)
	ROUND(Z6)
	ROUND(Z7)
	ROUND(Z8)
	ROUND(Z9)
	ROUND(Z10)
	ROUND(Z11)
	DECQ CX
	JNZ loop14_l
	VZEROUPPER
	RET
