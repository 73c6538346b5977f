//go:build amd64 && !purego

#include "textflag.h"
#include "funcdata.h"

// Stack probes for TestScratchWiped: each calls its kernel twice with the
// same arguments (copied from args), the first time so that the stack is
// grown to fit the kernel's frame, then paints the n bytes the kernel's
// frame will take (below its return address and saved frame pointer) with
// v, and after the second call counts the 8-byte words there that are
// neither v (never written) nor zero (wiped). A kernel that leaves key
// material in its scratch returns a large count.

// func fused512Probe(args *[15]uint64, n int, v uint64) (bad int)
TEXT ·fused512Probe(SB), 0, $120-32
	NO_LOCAL_POINTERS
	MOVQ args+0(FP), SI
	XORQ CX, CX
f1:
	MOVQ (SI)(CX*8), AX
	MOVQ AX, (SP)(CX*8)
	INCQ CX
	CMPQ CX, $15
	JB   f1
	CALL ·fused512(SB)

	// Paint [SP-16-n, SP-16): the kernel's frame, below the return address
	// (SP-8) and the frame pointer its prologue saves (SP-16).
	MOVQ v+16(FP), AX
	LEAQ -16(SP), DI
	MOVQ DI, BX
	SUBQ n+8(FP), BX
f2:
	MOVQ AX, (BX)
	ADDQ $8, BX
	CMPQ BX, DI
	JB   f2

	MOVQ args+0(FP), SI
	XORQ CX, CX
f3:
	MOVQ (SI)(CX*8), AX
	MOVQ AX, (SP)(CX*8)
	INCQ CX
	CMPQ CX, $15
	JB   f3
	CALL ·fused512(SB)

	MOVQ v+16(FP), AX
	LEAQ -16(SP), DI
	MOVQ DI, BX
	SUBQ n+8(FP), BX
	XORQ DX, DX
f4:
	MOVQ (BX), CX
	CMPQ CX, AX
	JEQ  f5
	TESTQ CX, CX
	JEQ  f5
	INCQ DX
f5:
	ADDQ $8, BX
	CMPQ BX, DI
	JB   f4
	MOVQ DX, bad+24(FP)
	RET

// func desFused512Probe(args *[15]uint64, n int, v uint64) (bad int)
TEXT ·desFused512Probe(SB), 0, $120-32
	NO_LOCAL_POINTERS
	MOVQ args+0(FP), SI
	XORQ CX, CX
d1:
	MOVQ (SI)(CX*8), AX
	MOVQ AX, (SP)(CX*8)
	INCQ CX
	CMPQ CX, $15
	JB   d1
	CALL ·desFused512(SB)

	MOVQ v+16(FP), AX
	LEAQ -16(SP), DI
	MOVQ DI, BX
	SUBQ n+8(FP), BX
d2:
	MOVQ AX, (BX)
	ADDQ $8, BX
	CMPQ BX, DI
	JB   d2

	MOVQ args+0(FP), SI
	XORQ CX, CX
d3:
	MOVQ (SI)(CX*8), AX
	MOVQ AX, (SP)(CX*8)
	INCQ CX
	CMPQ CX, $15
	JB   d3
	CALL ·desFused512(SB)

	MOVQ v+16(FP), AX
	LEAQ -16(SP), DI
	MOVQ DI, BX
	SUBQ n+8(FP), BX
	XORQ DX, DX
d4:
	MOVQ (BX), CX
	CMPQ CX, AX
	JEQ  d5
	TESTQ CX, CX
	JEQ  d5
	INCQ DX
d5:
	ADDQ $8, BX
	CMPQ BX, DI
	JB   d4
	MOVQ DX, bad+24(FP)
	RET
