package batch

import (
	"encoding/binary"

	"github.com/sscard/sscard/asm"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// sessionFields are the MAC fields computed under a session key.
const sessionFields = FieldMAC1 | FieldMAC2 | FieldMAC3

// kindFieldTab[k] are the MAC fields kind k has (0 for an unknown kind
// below 8).
var kindFieldTab = [8]Field{
	mac.KindPurchase:   FieldMAC1 | FieldMAC2 | FieldTAC,
	mac.KindWithdrawal: FieldMAC1 | FieldMAC2 | FieldTAC,
	mac.KindComposite:  FieldMAC1 | FieldMAC2 | FieldTAC,
	mac.KindLoad:       FieldMAC1 | FieldMAC2 | FieldTAC,
	mac.KindUnload:     FieldMAC1 | FieldMAC2 | FieldMAC3,
	mac.KindOverdraw:   FieldMAC1 | FieldMAC2 | FieldTAC,
}

// kindFields returns the MAC fields a kind has.
func kindFields(k mac.Kind) Field {
	if k >= 8 {
		return 0
	}
	return kindFieldTab[k]
}

// sessionUsageTab[k] is the usage of the key under which kind k's session
// MACs are computed.
var sessionUsageTab = [8]Usage{
	mac.KindPurchase:   UsagePurchase,
	mac.KindWithdrawal: UsagePurchase,
	mac.KindComposite:  UsagePurchase,
	mac.KindLoad:       UsageLoad,
	mac.KindUnload:     UsageUnload,
	mac.KindOverdraw:   UsageOverdraw,
}

// sessionUsage returns the usage of the key under which a kind's session
// MACs are computed.
func sessionUsage(k mac.Kind) Usage {
	if k >= 8 || k == 0 {
		return UsagePurchase
	}
	return sessionUsageTab[k]
}

func isPurchaseKind(k mac.Kind) bool {
	return k == mac.KindPurchase || k == mac.KindWithdrawal || k == mac.KindComposite
}

// typeMask[k] has bit t set for each type byte t kind k accepts (bit 0:
// the default).
var typeMask = [8]uint16{
	mac.KindPurchase:   1 | 1<<0x05 | 1<<0x06,
	mac.KindWithdrawal: 1 | 1<<0x04,
	mac.KindComposite:  1 | 1<<0x09,
	mac.KindLoad:       1 | 1<<0x01 | 1<<0x02,
	mac.KindUnload:     1 | 1<<0x03,
	mac.KindOverdraw:   1 | 1<<0x07,
}

// typeTab[k][t] is the type byte of a record of kind k with Type t < 16
// (t = 0: the kind's default; unload and overdraw are fixed).
var typeTab = func() (tab [8][16]byte) {
	for k := mac.KindPurchase; k <= mac.KindOverdraw; k++ {
		for t := range tab[k] {
			r := Record{Kind: k, Type: byte(t)}
			tab[k][t] = r.typeByte()
		}
	}
	return
}()

// typeByte returns the transaction type byte of r (its default when 0).
func (r *Record) typeByte() byte {
	switch r.Kind {
	case mac.KindUnload:
		return 0x03
	case mac.KindOverdraw:
		return 0x07
	}
	if r.Type != 0 {
		return r.Type
	}
	return r.Kind.DefaultType()
}

// Prebuilt malformed-record errors: reporting one allocates nothing.
var (
	errKind     = newRecordError("type", "unknown transaction kind")
	errTypeByte = newRecordError("trans_type", "type byte does not match the kind")
	errAlg      = newRecordError("alg", "unknown algorithm")
	errNFactors = newRecordError("factors", "too many factors")
	errWide     = newRecordError("factors", "Wide marks no pair of factors")
	// errFactorRule: a factor the profile refuses (a short one under
	// mac.ShortRefused).
	errFactorRule = newRecordError("factors", "factor refused by the profile's factor rules")
	errNoMAC      = newRecordError("", "no MAC field to check (need one of the kind's mac1, mac2, tac, mac3)")
	errDate       = newRecordError("date", "not a valid YYYYMMDD date")
	errTime       = newRecordError("time", "not a valid hhmmss time")
	errLoadBal    = newRecordError("balance", "balance after load exceeds 4 bytes")
	errUnloadBal  = newRecordError("amount", "unload amount exceeds the balance")
	errLimit      = newRecordError("new_limit", "overdraw limit exceeds 3 bytes")
	errOldLimit   = newRecordError("old_limit", "overdraw limit exceeds 3 bytes")
	errOverBal    = newRecordError("balance", "balance after the limit change does not fit 4 bytes")
)

// validate checks that every field of r fits its encoding, so that the
// scalar path of package mac accepts it.
func (r *Record) validate() error {
	k := r.Kind
	if k-mac.KindPurchase > mac.KindOverdraw-mac.KindPurchase {
		return errKind
	}
	if r.Alg-diversify.SM4 > diversify.TDES-diversify.SM4 {
		return errAlg
	}
	if r.NFactors > MaxFactors {
		return errNFactors
	}
	if r.Present&kindFieldTab[k&7] == 0 {
		return errNoMAC
	}
	if r.Type >= 16 || typeMask[k&7]>>r.Type&1 == 0 {
		return errTypeByte
	}
	if !validDate(&r.Date) {
		return errDate
	}
	if !validTime(&r.Time) {
		return errTime
	}
	if k < mac.KindLoad {
		return nil
	}
	switch k {
	case mac.KindLoad:
		if uint64(r.Balance)+uint64(r.Amount) > 1<<32-1 {
			return errLoadBal
		}
	case mac.KindUnload:
		if r.Amount > r.Balance {
			return errUnloadBal
		}
	case mac.KindOverdraw:
		if r.OldLimit > mac.MaxLimit {
			return errOldLimit
		}
		if r.NewLimit > mac.MaxLimit {
			return errLimit
		}
		nb := int64(r.Balance) - int64(r.OldLimit) + int64(r.NewLimit)
		if nb < 0 || nb > 1<<32-1 {
			return errOverBal
		}
	}
	return nil
}

// badNibbles returns a non-zero value if a nibble of v is above 9 (BCD):
// a nibble b3b2b1b0 is above 9 when b3 and (b2 or b1).
func badNibbles(v uint32) uint32 {
	return v & (v<<1 | v<<2) & 0x88888888
}

// maxDayBCD[m] is the last day of BCD month m (0x01..0x12), in BCD, and 0
// for any other byte; February 29 is checked apart.
var maxDayBCD = [256]byte{
	0x01: 0x31, 0x02: 0x28, 0x03: 0x31, 0x04: 0x30, 0x05: 0x31, 0x06: 0x30,
	0x07: 0x31, 0x08: 0x31, 0x09: 0x30, 0x10: 0x31, 0x11: 0x30, 0x12: 0x31,
}

// validDate reports whether d is a valid YYYYMMDD date in BCD. With every
// nibble at most 9, BCD bytes compare like the numbers they encode, and
// day-1 < maxDayBCD[month] holds exactly for days 01..last of a valid
// month (day 00 wraps to 0xff).
func validDate(d *[4]byte) bool {
	return badNibbles(be32(d[:])) == 0 && (d[3]-1 < maxDayBCD[d[2]] || feb29(d))
}

// feb29 reports whether d is February 29 of a leap year (digits already
// checked). It is the rare case: kept out of line.
//
//go:noinline
func feb29(d *[4]byte) bool {
	return d[2] == 0x02 && d[3] == 0x29 && leapBCD(d[0], d[1])
}

// validDateTime is validDate(d) && validTime(t), in one inlinable piece
// for the per-record loop: the nibble checks of all 14 digits at once, and
// the time limits by adding to each byte what carries its top bit exactly
// when the byte is above its limit (23, 59, 59 in BCD; no byte carries
// into the next once its digits are valid).
func validDateTime(d *[4]byte, t *[3]byte) bool {
	tv := uint64(t[0])<<16 | uint64(t[1])<<8 | uint64(t[2])
	v := uint64(be32(d[:]))<<32 | tv
	bad := v&(v<<1|v<<2)&0x8888888888888888 | (tv+0x5c2020)&0x808080
	return bad == 0 && (d[3]-1 < maxDayBCD[d[2]] || feb29(d))
}

// leapBCD reports whether the year with BCD century c and BCD year y is a
// leap year: year%4 == 0 && (year%100 != 0 || year%400 == 0), with
// year%4 == y%4 and year%100 == y.
func leapBCD(c, y byte) bool {
	yb := (y>>4)*10 + y&0x0f
	cb := (c>>4)*10 + c&0x0f
	return yb%4 == 0 && (yb != 0 || cb%4 == 0)
}

// validTime reports whether t is a valid hhmmss time in BCD.
func validTime(t *[3]byte) bool {
	v := uint32(t[0])<<16 | uint32(t[1])<<8 | uint32(t[2])
	return badNibbles(v) == 0 && t[0] <= 0x23 && t[1] <= 0x59 && t[2] <= 0x59
}

// txn holds r as the typed transaction of package mac.
type txn struct {
	p mac.Purchase
	l mac.Load
	u mac.Unload
	o mac.Overdraw
}

// set fills the member of t for r's kind and returns it.
func (t *txn) set(r *Record) mac.Transaction {
	switch r.Kind {
	case mac.KindLoad:
		t.l = mac.Load{Type: r.typeByte(), Amount: r.Amount, Balance: r.Balance, Terminal: r.Terminal,
			Date: r.Date, Time: r.Time, Random: r.Random, OnlineSeq: r.OnlineSeq}
		return &t.l
	case mac.KindUnload:
		t.u = mac.Unload{Amount: r.Amount, Balance: r.Balance, Terminal: r.Terminal,
			Date: r.Date, Time: r.Time, Random: r.Random, OnlineSeq: r.OnlineSeq}
		return &t.u
	case mac.KindOverdraw:
		t.o = mac.Overdraw{Balance: r.Balance, OldLimit: r.OldLimit, NewLimit: r.NewLimit, Terminal: r.Terminal,
			Date: r.Date, Time: r.Time, Random: r.Random, OnlineSeq: r.OnlineSeq}
		return &t.o
	}
	t.p = mac.Purchase{Type: r.typeByte(), Amount: r.Amount, Terminal: r.Terminal, TermSeq: r.TermSeq,
		Date: r.Date, Time: r.Time, Random: r.Random, OfflineSeq: r.OfflineSeq}
	return &t.p
}

func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

// encodeLane writes the padded MAC input of field f (MAC3 and TAC share the
// seal input) of r into lane l of msg as big-endian words, and returns its
// block count (SPEC §4; the same bytes as the Append methods of package mac,
// which the tests check). t is the record's type byte. Every input length
// is fixed by the kind and none is a multiple of 16, so ISO/IEC 9797-1
// method 2 padding (80 00…) is the same under both padding rules; the
// padding is part of the words written here. Words past the last block are
// not written. l must be below asm.MaxLanes.
func (r *Record) encodeLane(msg *[asm.MaxMACBlocks]asm.Blocks, l int, f Field, t uint32) uint8 {
	l &= asm.MaxLanes - 1
	b0, b1 := &msg[0].W, &msg[1].W
	tw := be32(r.Terminal[0:4]) // T0 T1 T2 T3
	t2 := be32(r.Terminal[2:6]) // T2 T3 T4 T5
	dw := be32(r.Date[:])
	h0, h1, h2 := uint32(r.Time[0]), uint32(r.Time[1]), uint32(r.Time[2])
	switch r.Kind {
	case mac.KindLoad, mac.KindUnload:
		switch f {
		case FieldMAC1:
			// Balance(4) Amount(4) t T(6): 15 bytes.
			b0[0][l] = r.Balance
			b0[1][l] = r.Amount
			b0[2][l] = t<<24 | tw>>8
			b0[3][l] = t2<<8 | 0x80
			return 1
		case FieldMAC2:
			// Amount(4) t T(6) Date(4) Time(3): 18 bytes.
			return r.encodeATDH(b0, b1, l, t, tw, t2, dw)
		}
		// New balance(4) OnlineSeq(2) Amount(4) t T(6) Date(4) Time(3): 24 bytes.
		nb := r.Balance + r.Amount
		if r.Kind == mac.KindUnload {
			nb = r.Balance - r.Amount
		}
		a := r.Amount
		b0[0][l] = nb
		b0[1][l] = uint32(r.OnlineSeq)<<16 | a>>16
		b0[2][l] = a<<16 | t<<8 | tw>>24
		b0[3][l] = be32(r.Terminal[1:5])
		b1[0][l] = uint32(r.Terminal[5])<<24 | dw>>8
		b1[1][l] = dw<<24 | h0<<16 | h1<<8 | h2
		b1[2][l] = 0x80000000
		b1[3][l] = 0
		return 2
	case mac.KindOverdraw:
		switch f {
		case FieldMAC1:
			// Balance(4) OldLimit(3) t T(6): 14 bytes.
			b0[0][l] = r.Balance
			b0[1][l] = r.OldLimit<<8 | t
			b0[2][l] = tw
			b0[3][l] = t2<<16 | 0x8000
			return 1
		case FieldMAC2:
			// NewLimit(3) t T(6) Date(4) Time(3): 17 bytes.
			b0[0][l] = r.NewLimit<<8 | t
			b0[1][l] = tw
			b0[2][l] = t2<<16 | dw>>16
			b0[3][l] = dw<<16 | h0<<8 | h1
			b1[0][l] = h2<<24 | 0x800000
			b1[1][l] = 0
			b1[2][l] = 0
			b1[3][l] = 0
			return 2
		}
		// New balance(4) OnlineSeq(2) NewLimit(3) t T(6) Date(4) Time(3): 23 bytes.
		nl := r.NewLimit
		b0[0][l] = r.Balance - r.OldLimit + nl
		b0[1][l] = uint32(r.OnlineSeq)<<16 | nl>>8&0xffff
		b0[2][l] = nl<<24 | t<<16 | tw>>16
		b0[3][l] = t2
		b1[0][l] = dw
		b1[1][l] = h0<<24 | h1<<16 | h2<<8 | 0x80
		b1[2][l] = 0
		b1[3][l] = 0
		return 2
	}
	switch f {
	case FieldMAC1:
		// Amount(4) t T(6) Date(4) Time(3): 18 bytes.
		return r.encodeATDH(b0, b1, l, t, tw, t2, dw)
	case FieldMAC2:
		// Amount(4): 4 bytes.
		b0[0][l] = r.Amount
		b0[1][l] = 0x80000000
		b0[2][l] = 0
		b0[3][l] = 0
		return 1
	}
	// Amount(4) t T(6) TermSeq(4) Date(4) Time(3): 22 bytes.
	b0[0][l] = r.Amount
	b0[1][l] = t<<24 | tw>>8
	b0[2][l] = t2<<8 | uint32(r.TermSeq[0])
	b0[3][l] = be32(r.TermSeq[:])<<8 | dw>>24
	b1[0][l] = dw<<8 | h0
	b1[1][l] = h1<<24 | h2<<16 | 0x8000
	b1[2][l] = 0
	b1[3][l] = 0
	return 2
}

// encodeATDH writes Amount(4) t Terminal(6) Date(4) Time(3) (18 bytes),
// padded to two blocks.
func (r *Record) encodeATDH(b0, b1 *[4][asm.MaxLanes]uint32, l int, t, tw, t2, dw uint32) uint8 {
	l &= asm.MaxLanes - 1
	b0[0][l] = r.Amount
	b0[1][l] = t<<24 | tw>>8
	b0[2][l] = t2<<8 | dw>>24
	b0[3][l] = dw<<8 | uint32(r.Time[0])
	b1[0][l] = uint32(r.Time[1])<<24 | uint32(r.Time[2])<<16 | 0x8000
	b1[1][l] = 0
	b1[2][l] = 0
	b1[3][l] = 0
	return 2
}

// want returns the stored value of MAC field f.
func (r *Record) want(f Field) *[mac.Size]byte {
	switch f {
	case FieldMAC1:
		return &r.MAC1
	case FieldMAC2:
		return &r.MAC2
	case FieldTAC:
		return &r.TAC
	}
	return &r.MAC3
}
