//go:build amd64 && !purego

#include "textflag.h"
#include "funcdata.h"

// func kernelProbe(kernel int, args *[15]uint64, n int, v uint64) (bad int)
//
// A stack probe for TestScratchWiped: it calls kernel (probeFused512,
// probeDESFused512, probeExpand512x2, probeEncrypt512x2) twice with the 15
// argument words at args, the first time so that the stack is grown to fit
// the kernel's frame, then paints the n bytes the kernel's frame takes
// (below its return address and the frame pointer its prologue saves) with
// v, and after the second call counts the 8-byte words there that are
// neither v (never written) nor zero (wiped). A kernel that leaves key
// material in its frame returns a large count.
TEXT ·kernelProbe(SB), 0, $128-40
	NO_LOCAL_POINTERS
	MOVQ kernel+0(FP), AX
	MOVQ $·fused512(SB), BX
	CMPQ AX, $1
	JNE  2(PC)
	MOVQ $·desFused512(SB), BX
	CMPQ AX, $2
	JNE  2(PC)
	MOVQ $·expandKeys512x2(SB), BX
	CMPQ AX, $3
	JNE  2(PC)
	MOVQ $·encrypt512x2(SB), BX
	MOVQ BX, 120(SP)

	MOVQ args+8(FP), SI
	XORQ CX, CX
copy1:
	MOVQ (SI)(CX*8), AX
	MOVQ AX, (SP)(CX*8)
	INCQ CX
	CMPQ CX, $15
	JB   copy1
	MOVQ 120(SP), BX
	CALL BX

	// Paint [SP-16-n, SP-16): the kernel's frame, below the return address
	// (SP-8) and the saved frame pointer (SP-16).
	MOVQ v+24(FP), AX
	LEAQ -16(SP), DI
	MOVQ DI, BX
	SUBQ n+16(FP), BX
paint:
	MOVQ AX, (BX)
	ADDQ $8, BX
	CMPQ BX, DI
	JB   paint

	MOVQ args+8(FP), SI
	XORQ CX, CX
copy2:
	MOVQ (SI)(CX*8), AX
	MOVQ AX, (SP)(CX*8)
	INCQ CX
	CMPQ CX, $15
	JB   copy2
	MOVQ 120(SP), BX
	CALL BX

	MOVQ v+24(FP), AX
	LEAQ -16(SP), DI
	MOVQ DI, BX
	SUBQ n+16(FP), BX
	XORQ DX, DX
scan:
	MOVQ (BX), CX
	CMPQ CX, AX
	JEQ  next
	TESTQ CX, CX
	JEQ  next
	INCQ DX
next:
	ADDQ $8, BX
	CMPQ BX, DI
	JB   scan
	MOVQ DX, bad+32(FP)
	RET
