package batch

import (
	"unsafe"

	"github.com/sscard/sscard/asm"
)

// tacFill is the argument block of the vector fast-route filler
// (fillTAC512): where the lanes go, and what a record must match. The
// destination pointers name the arrays of one shared laneBatch.
type tacFill struct {
	div   *asm.Blocks
	msg   *[asm.MaxMACBlocks]asm.Blocks
	nb    *[asm.MaxLanes]uint8
	want  *[asm.MaxLanes]uint32
	idx   *[asm.MaxLanes]int32
	field *[asm.MaxLanes]Field
	// hdr is bytes 0..3 of the record (kind, type, alg, key version) as a
	// little-endian word; nf and present the factor count and the Present
	// byte a record must have.
	hdr, nf, present uint32
	t                uint32 // the type byte << 24
	div0             [4]uint32
	// transpose selects the loads of fillTAC512: plain loads and a
	// transpose rather than gathers (fillTranspose).
	transpose uint32
	// maxDay[m&31] is maxDayBCD[m] for the BCD months m 0x01..0x12, 0
	// elsewhere; months above 0x12 are refused separately.
	maxDay [32]uint32
}

// set points a at batch b and the route's record header.
func (a *tacFill) set(b *laneBatch, fr *fastRoute) {
	a.div, a.msg, a.nb = &b.f.Div, &b.f.Msg, &b.f.NBlocks
	a.want, a.idx, a.field = &b.f.Want, &b.idx, &b.field
	a.hdr = uint32(fr.hdr)
	a.nf = uint32(fr.hdr>>32) & 0xff
	a.present = uint32(fr.hdr>>40) & 0xff
	a.t = fr.t << 24
	a.div0 = fr.m.div0w
	a.transpose = 0
	if fillTranspose {
		a.transpose = 1
	}
	for m := 1; m <= 0x12; m++ {
		a.maxDay[m&31] = uint32(maxDayBCD[m])
	}
}

// wipe clears the argument block (div0 is key-derived).
func (a *tacFill) wipe() { *a = tacFill{} }

// fillVec is fillTAC through fillTAC512: same contract.
func (w *worker) fillVec(b *laneBatch, records []Record, base int) int {
	if len(records) == 0 {
		return 0
	}
	a := &w.fill
	raceRead(&records[0], len(records))
	k := fillTAC512(a, &records[0], len(records), b.f.N, base)
	raceWrite(a.div, 1)
	raceWrite(a.msg, 1)
	raceWrite(a.nb, 1)
	raceWrite(a.want, 1)
	raceWrite(a.idx, 1)
	raceWrite(a.field, 1)
	b.f.N += k
	return k
}

// fillTAC512 reads the TAC message bytes Terminal, TermSeq, Date and Time
// as one run: a layout change breaks the build here.
var _ [0]struct{} = [unsafe.Offsetof(Record{}.Time) - unsafe.Offsetof(Record{}.Terminal) - 14]struct{}{}
var _ [0]struct{} = [unsafe.Offsetof(Record{}.Date) - unsafe.Offsetof(Record{}.Terminal) - 10]struct{}{}
var _ [0]struct{} = [unsafe.Offsetof(Record{}.TermSeq) - unsafe.Offsetof(Record{}.Terminal) - 6]struct{}{}

// The transposed path of fillTAC512 reads each record through three
// windows: A, 32 bytes from Amount (Amount, Terminal-1 .. Time+4); B, the
// first 16 bytes (the header, NFactors, the first factor); C, 16 bytes from
// Present (Present, TAC), inside the record. A negative length (a window
// that misses a field) breaks the build.
var _ [unsafe.Offsetof(Record{}.Amount) + 32 - unsafe.Offsetof(Record{}.Time) - 5]struct{}
var _ [unsafe.Offsetof(Record{}.Terminal) - 1 - unsafe.Offsetof(Record{}.Amount)]struct{}
var _ [16 - unsafe.Offsetof(Record{}.Factors) - 8]struct{}
var _ [unsafe.Offsetof(Record{}.Present) + 16 - unsafe.Offsetof(Record{}.TAC) - 4]struct{}
var _ [unsafe.Sizeof(Record{}) - unsafe.Offsetof(Record{}.Present) - 16]struct{}
