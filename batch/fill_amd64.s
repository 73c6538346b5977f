//go:build amd64 && !purego

#include "go_asm.h"
#include "textflag.h"

// fillTAC512: the fast-route filler of engine.go (fillTAC) in AVX-512, 16
// records per step. Each record field is fetched for 16 records at once by
// a gather (indices i*sizeof(Record)); the TAC message words are
// unaligned big-endian loads over the contiguous run Terminal, TermSeq,
// Date, Time (fill.go checks the layout at compile time). The checks of
// fillTAC (route header, BCD date and time) give a 16-bit pass mask; the
// leading passing records are stored to their lanes with masked stores.

// VPSHUFB mask: byte-swap every 32-bit word.
DATA fillbswap<>+0(SB)/8, $0x0405060700010203
DATA fillbswap<>+8(SB)/8, $0x0c0d0e0f08090a0b
DATA fillbswap<>+16(SB)/8, $0x0405060700010203
DATA fillbswap<>+24(SB)/8, $0x0c0d0e0f08090a0b
DATA fillbswap<>+32(SB)/8, $0x0405060700010203
DATA fillbswap<>+40(SB)/8, $0x0c0d0e0f08090a0b
DATA fillbswap<>+48(SB)/8, $0x0405060700010203
DATA fillbswap<>+56(SB)/8, $0x0c0d0e0f08090a0b
GLOBL fillbswap<>(SB), RODATA|NOPTR, $64

// Gather indices: record i at i*Record__size.
DATA fillstride<>+0(SB)/4, $0
DATA fillstride<>+4(SB)/4, $(1*Record__size)
DATA fillstride<>+8(SB)/4, $(2*Record__size)
DATA fillstride<>+12(SB)/4, $(3*Record__size)
DATA fillstride<>+16(SB)/4, $(4*Record__size)
DATA fillstride<>+20(SB)/4, $(5*Record__size)
DATA fillstride<>+24(SB)/4, $(6*Record__size)
DATA fillstride<>+28(SB)/4, $(7*Record__size)
DATA fillstride<>+32(SB)/4, $(8*Record__size)
DATA fillstride<>+36(SB)/4, $(9*Record__size)
DATA fillstride<>+40(SB)/4, $(10*Record__size)
DATA fillstride<>+44(SB)/4, $(11*Record__size)
DATA fillstride<>+48(SB)/4, $(12*Record__size)
DATA fillstride<>+52(SB)/4, $(13*Record__size)
DATA fillstride<>+56(SB)/4, $(14*Record__size)
DATA fillstride<>+60(SB)/4, $(15*Record__size)
GLOBL fillstride<>(SB), RODATA|NOPTR, $64

// 0..15: the record offsets of the 16 lanes of a step.
DATA filliota<>+0(SB)/8, $0x0000000100000000
DATA filliota<>+8(SB)/8, $0x0000000300000002
DATA filliota<>+16(SB)/8, $0x0000000500000004
DATA filliota<>+24(SB)/8, $0x0000000700000006
DATA filliota<>+32(SB)/8, $0x0000000900000008
DATA filliota<>+40(SB)/8, $0x0000000b0000000a
DATA filliota<>+48(SB)/8, $0x0000000d0000000c
DATA filliota<>+56(SB)/8, $0x0000000f0000000e
GLOBL filliota<>(SB), RODATA|NOPTR, $64

// 32-bit constants, broadcast.
#define cNibble 0  // 0x88888888: the top bit of every nibble
#define cHour 4    // 0x005c2020: hh+0x5c, mm+0x20, ss+0x20 carry into bit 7 when too large
#define cBit7 8    // 0x00808080
#define cMonth 12  // 0x12: the last BCD month
#define cByte 16   // 0xff
#define cHi16 20   // 0xffff0000
#define cPad 24    // 0x8000: the 80 padding byte after the last message byte
#define cLow24 28  // 0x00ffffff
#define cOne 32    // 1
#define cStep 36   // 16
DATA fillc<>+0(SB)/4, $0x88888888
DATA fillc<>+4(SB)/4, $0x005c2020
DATA fillc<>+8(SB)/4, $0x00808080
DATA fillc<>+12(SB)/4, $0x12
DATA fillc<>+16(SB)/4, $0xff
DATA fillc<>+20(SB)/4, $0xffff0000
DATA fillc<>+24(SB)/4, $0x8000
DATA fillc<>+28(SB)/4, $0x00ffffff
DATA fillc<>+32(SB)/4, $1
DATA fillc<>+36(SB)/4, $16
GLOBL fillc<>(SB), RODATA|NOPTR, $40

#define GATHER(off, dst) \
	KMOVW K1, K3 \
	VPGATHERDD off(SI)(Z31*1), K3, dst

// func fillTAC512(a *tacFill, recs *Record, n int, lane int, base int) int
// Requires: AVX512F, AVX512BW, AVX512VL, BMI2
TEXT ·fillTAC512(SB), NOSPLIT, $0-48
	MOVQ a+0(FP), R8
	MOVQ recs+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ lane+24(FP), DX
	MOVQ base+32(FP), BX
	XORQ AX, AX
	VMOVDQU64 fillstride<>(SB), Z31
	VMOVDQU64 fillbswap<>(SB), Z30
	VPBROADCASTD BX, Z29
	VPADDD filliota<>(SB), Z29, Z29
	VMOVDQU64 tacFill_maxDay(R8), Z28
	VMOVDQU64 tacFill_maxDay+64(R8), Z27
	VPBROADCASTD tacFill_hdr(R8), Z26
	VPBROADCASTD tacFill_nf(R8), Z25
	VPBROADCASTD tacFill_present(R8), Z24
	VPBROADCASTD tacFill_t(R8), Z23
	MOVL $0x02, BX
	VPBROADCASTB BX, X22
	MOVL $const_FieldTAC, BX
	VPBROADCASTB BX, X21
	VPXORD Z20, Z20, Z20
	// A key of level 0: every lane's diversification input is div0.
	VPBROADCASTD tacFill_div0+0(R8), Z12
	VPBROADCASTD tacFill_div0+4(R8), Z13
	VPBROADCASTD tacFill_div0+8(R8), Z14
	VPBROADCASTD tacFill_div0+12(R8), Z15

loop:
	TESTQ CX, CX
	JLE   done

	// K1: the lanes of this step that have a record.
	MOVQ    $16, BX
	CMPQ    CX, BX
	CMOVQLT CX, BX
	MOVL    $0xffff, R9
	BZHIL   BX, R9, R9
	KMOVW   R9, K1

	GATHER(Record_Kind, Z0)
	GATHER(Record_NFactors, Z1)
	GATHER(Record_Present, Z2)
	GATHER(Record_Amount, Z5)
	GATHER(Record_Terminal-1, Z6)
	GATHER(Record_Terminal+3, Z7)
	GATHER(Record_TermSeq+1, Z8)
	GATHER(Record_Date+1, Z9)
	GATHER(Record_Time+1, Z10)
	GATHER(Record_TAC, Z11)
	CMPL tacFill_nf(R8), $0
	JEQ  msg
	GATHER(Record_Factors, Z3)
	GATHER(Record_Factors+4, Z4)
	VPSHUFB    Z30, Z3, Z12
	VPSHUFB    Z30, Z4, Z13
	VPTERNLOGD $0x33, Z12, Z12, Z14 // ^w0
	VPTERNLOGD $0x33, Z13, Z13, Z15 // ^w1

msg:
	// The message words (Amount is a native uint32: its value is the word).
	VPSHUFB        Z30, Z6, Z6
	VPANDD.BCST    fillc<>+cLow24(SB), Z6, Z6
	VPORD          Z23, Z6, Z6 // t | Terminal[0:3]
	VPSHUFB        Z30, Z7, Z7
	VPSHUFB        Z30, Z8, Z8
	VPSHUFB        Z30, Z9, Z9
	VPSHUFB        Z30, Z10, Z10
	VPANDD.BCST    fillc<>+cHi16(SB), Z10, Z10
	VPORD.BCST     fillc<>+cPad(SB), Z10, Z10
	VPSHUFB        Z30, Z11, Z11

	// Checks: K2 = K1 and every check.
	KMOVW       K1, K2
	VPCMPEQD    Z26, Z0, K2, K2
	VPANDD.BCST fillc<>+cByte(SB), Z1, Z1
	VPCMPEQD    Z25, Z1, K2, K2
	VPANDD.BCST fillc<>+cByte(SB), Z2, Z2
	VPCMPEQD    Z24, Z2, K2, K2

	// dw = Date (BCD YYYYMMDD), tv = Time (00hhmmss).
	VPSLLD          $24, Z8, Z16
	VPSRLD          $8, Z9, Z17
	VPORD           Z16, Z17, Z16 // dw
	VPSLLD          $16, Z9, Z17
	VPSRLD          $16, Z10, Z18
	VPTERNLOGD.BCST $0xa8, fillc<>+cLow24(SB), Z18, Z17 // tv

	// Every nibble at most 9: no nibble with bit 3 and bit 2 or 1.
	VPSLLD          $1, Z16, Z18
	VPSLLD          $2, Z16, Z19
	VPTERNLOGD      $0xa8, Z16, Z19, Z18
	VPTESTNMD.BCST  fillc<>+cNibble(SB), Z18, K2, K2
	VPSLLD          $1, Z17, Z18
	VPSLLD          $2, Z17, Z19
	VPTERNLOGD      $0xa8, Z17, Z19, Z18
	VPTESTNMD.BCST  fillc<>+cNibble(SB), Z18, K2, K2

	// hh < 24, mm < 60, ss < 60.
	VPADDD.BCST    fillc<>+cHour(SB), Z17, Z18
	VPTESTNMD.BCST fillc<>+cBit7(SB), Z18, K2, K2

	// Month 01..12 and day-1 < maxDayBCD[month].
	VPSRLD          $8, Z16, Z18
	VPANDD.BCST     fillc<>+cByte(SB), Z18, Z18
	VPCMPUD.BCST    $2, fillc<>+cMonth(SB), Z18, K2, K2
	VPERMI2D        Z27, Z28, Z18
	VPSUBD.BCST     fillc<>+cOne(SB), Z16, Z19
	VPANDD.BCST     fillc<>+cByte(SB), Z19, Z19
	VPCMPUD         $1, Z18, Z19, K2, K2

	// BX = the leading records that pass; K4 their lanes.
	KMOVW  K2, BX
	NOTL   BX
	TZCNTL BX, BX
	MOVL   $0xffff, R9
	BZHIL  BX, R9, R9
	KMOVW  R9, K4

	MOVQ      tacFill_div(R8), DI
	VMOVDQU32 Z12, K4, (DI)(DX*4)
	VMOVDQU32 Z13, K4, 256(DI)(DX*4)
	VMOVDQU32 Z14, K4, 512(DI)(DX*4)
	VMOVDQU32 Z15, K4, 768(DI)(DX*4)
	MOVQ      tacFill_msg(R8), DI
	VMOVDQU32 Z5, K4, (DI)(DX*4)
	VMOVDQU32 Z6, K4, 256(DI)(DX*4)
	VMOVDQU32 Z7, K4, 512(DI)(DX*4)
	VMOVDQU32 Z8, K4, 768(DI)(DX*4)
	VMOVDQU32 Z9, K4, 1024(DI)(DX*4)
	VMOVDQU32 Z10, K4, 1280(DI)(DX*4)
	VMOVDQU32 Z20, K4, 1536(DI)(DX*4)
	VMOVDQU32 Z20, K4, 1792(DI)(DX*4)
	MOVQ      tacFill_want(R8), DI
	VMOVDQU32 Z11, K4, (DI)(DX*4)
	MOVQ      tacFill_idx(R8), DI
	VMOVDQU32 Z29, K4, (DI)(DX*4)
	MOVQ      tacFill_nb(R8), DI
	VMOVDQU8  X22, K4, (DI)(DX*1)
	MOVQ      tacFill_field(R8), DI
	VMOVDQU8  X21, K4, (DI)(DX*1)

	ADDQ BX, AX
	ADDQ BX, DX
	CMPQ BX, $16
	JLT  done
	ADDQ $(16*Record__size), SI
	SUBQ $16, CX
	VPADDD.BCST fillc<>+cStep(SB), Z29, Z29
	JMP  loop

done:
	MOVQ AX, ret+40(FP)
	// Z12..Z15 may hold div0 (key-derived).
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VZEROUPPER
	RET
