package batch

import (
	"encoding/binary"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// sessionFields are the MAC fields computed under a session key.
const sessionFields = FieldMAC1 | FieldMAC2 | FieldMAC3

// kindFields returns the MAC fields a kind has.
func kindFields(k mac.Kind) Field {
	switch k {
	case mac.KindPurchase, mac.KindWithdrawal, mac.KindComposite, mac.KindLoad, mac.KindOverdraw:
		return FieldMAC1 | FieldMAC2 | FieldTAC
	case mac.KindUnload:
		return FieldMAC1 | FieldMAC2 | FieldMAC3
	}
	return 0
}

// sessionUsage returns the usage of the key under which a kind's session
// MACs are computed.
func sessionUsage(k mac.Kind) Usage {
	switch k {
	case mac.KindLoad:
		return UsageLoad
	case mac.KindUnload:
		return UsageUnload
	case mac.KindOverdraw:
		return UsageOverdraw
	}
	return UsagePurchase
}

func isPurchaseKind(k mac.Kind) bool {
	return k == mac.KindPurchase || k == mac.KindWithdrawal || k == mac.KindComposite
}

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
	errKind      = newRecordError("type", "unknown transaction kind")
	errTypeByte  = newRecordError("trans_type", "type byte does not match the kind")
	errAlg       = newRecordError("alg", "unknown algorithm")
	errAlgDenied = newRecordError("alg", "algorithm not allowed by the profile")
	errNFactors  = newRecordError("factors", "too many factors")
	errNoMAC     = newRecordError("", "no MAC field to check (need one of the kind's mac1, mac2, tac, mac3)")
	errDate      = newRecordError("date", "not a valid YYYYMMDD date")
	errTime      = newRecordError("time", "not a valid hhmmss time")
	errLoadBal   = newRecordError("balance", "balance after load exceeds 4 bytes")
	errUnloadBal = newRecordError("amount", "unload amount exceeds the balance")
	errLimit     = newRecordError("new_limit", "overdraw limit exceeds 3 bytes")
	errOldLimit  = newRecordError("old_limit", "overdraw limit exceeds 3 bytes")
	errOverBal   = newRecordError("balance", "balance after the limit change does not fit 4 bytes")
)

// validate checks that every field of r fits its encoding, so that the
// scalar path of package mac accepts it.
func (r *Record) validate() error {
	if r.Kind < mac.KindPurchase || r.Kind > mac.KindOverdraw {
		return errKind
	}
	if r.Alg != diversify.SM4 && r.Alg != diversify.TDES {
		return errAlg
	}
	if r.NFactors > MaxFactors {
		return errNFactors
	}
	if r.Present&kindFields(r.Kind) == 0 {
		return errNoMAC
	}
	if r.Type != 0 {
		ok := false
		switch r.Kind {
		case mac.KindPurchase:
			ok = r.Type == 0x05 || r.Type == 0x06
		case mac.KindWithdrawal:
			ok = r.Type == 0x04
		case mac.KindComposite:
			ok = r.Type == 0x09
		case mac.KindLoad:
			ok = r.Type == 0x01 || r.Type == 0x02
		case mac.KindUnload:
			ok = r.Type == 0x03
		case mac.KindOverdraw:
			ok = r.Type == 0x07
		}
		if !ok {
			return errTypeByte
		}
	}
	if !validDate(&r.Date) {
		return errDate
	}
	if !validTime(&r.Time) {
		return errTime
	}
	switch r.Kind {
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

func bcd2(b byte) (int, bool) {
	hi, lo := b>>4, b&0x0f
	if hi > 9 || lo > 9 {
		return 0, false
	}
	return int(hi)*10 + int(lo), true
}

func validDate(d *[4]byte) bool {
	c, ok1 := bcd2(d[0])
	y, ok2 := bcd2(d[1])
	m, ok3 := bcd2(d[2])
	day, ok4 := bcd2(d[3])
	if !(ok1 && ok2 && ok3 && ok4) || m < 1 || m > 12 || day < 1 {
		return false
	}
	year := c*100 + y
	max := 31
	switch m {
	case 2:
		max = 28
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			max = 29
		}
	case 4, 6, 9, 11:
		max = 30
	}
	return day <= max
}

func validTime(t *[3]byte) bool {
	h, ok1 := bcd2(t[0])
	mi, ok2 := bcd2(t[1])
	s, ok3 := bcd2(t[2])
	return ok1 && ok2 && ok3 && h <= 23 && mi <= 59 && s <= 59
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

// msgBuf is a MAC input being written as big-endian 32-bit words, the
// layout of the lanes (asm.Blocks): bytes are shifted into an accumulator
// and whole words are stored, so that nothing is read back byte-wise.
type msgBuf struct {
	w     [4 * 4]uint32 // up to asm.MaxMACBlocks blocks
	acc   uint64
	nbits uint
	n     int // words stored
	bytes int // bytes written
}

// put appends the nb low bytes of v, big-endian (nb <= 4).
func (m *msgBuf) put(v uint32, nb int) {
	m.acc = m.acc<<(8*uint(nb)) | uint64(v)&(1<<(8*uint(nb))-1)
	m.nbits += 8 * uint(nb)
	m.bytes += nb
	if m.nbits >= 32 {
		m.nbits -= 32
		m.w[m.n&15] = uint32(m.acc >> m.nbits)
		m.n++
	}
}

func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

func (m *msgBuf) term(r *Record) {
	m.put(be32(r.Terminal[0:4]), 4)
	m.put(uint32(r.Terminal[4])<<8|uint32(r.Terminal[5]), 2)
}

func (m *msgBuf) dateTime(r *Record) {
	m.put(be32(r.Date[:]), 4)
	m.put(uint32(r.Time[0])<<16|uint32(r.Time[1])<<8|uint32(r.Time[2]), 3)
}

// encode writes the MAC input of field f (MAC3 and TAC share the seal
// input) of r into m (SPEC §4; the same bytes as the Append methods of
// package mac, which the tests check).
func (r *Record) encode(f Field, m *msgBuf) {
	*m = msgBuf{}
	t := uint32(r.typeByte())
	switch r.Kind {
	case mac.KindLoad, mac.KindUnload:
		switch f {
		case FieldMAC1:
			m.put(r.Balance, 4)
			m.put(r.Amount, 4)
			m.put(t, 1)
			m.term(r)
			return
		case FieldMAC2:
		default:
			if r.Kind == mac.KindLoad {
				m.put(r.Balance+r.Amount, 4)
			} else {
				m.put(r.Balance-r.Amount, 4)
			}
			m.put(uint32(r.OnlineSeq), 2)
		}
		m.put(r.Amount, 4)
		m.put(t, 1)
		m.term(r)
		m.dateTime(r)
	case mac.KindOverdraw:
		switch f {
		case FieldMAC1:
			m.put(r.Balance, 4)
			m.put(r.OldLimit, 3)
			m.put(t, 1)
			m.term(r)
			return
		case FieldMAC2:
		default:
			m.put(r.Balance-r.OldLimit+r.NewLimit, 4)
			m.put(uint32(r.OnlineSeq), 2)
		}
		m.put(r.NewLimit, 3)
		m.put(t, 1)
		m.term(r)
		m.dateTime(r)
	default:
		m.put(r.Amount, 4)
		switch f {
		case FieldMAC1:
			m.put(t, 1)
			m.term(r)
			m.dateTime(r)
		case FieldMAC2:
		default:
			m.put(t, 1)
			m.term(r)
			m.put(be32(r.TermSeq[:]), 4)
			m.dateTime(r)
		}
	}
}

// pad appends ISO/IEC 9797-1 method 2 padding per the profile, zero-fills
// the last block and returns the number of 16-byte blocks.
func (m *msgBuf) pad(p mac.Padding) int {
	n := m.bytes
	if n > 0 && n%16 == 0 && p == mac.PadIfNeeded {
		return n / 16
	}
	nb := n/16 + 1
	m.put(0x80, 1)
	if m.nbits > 0 {
		m.put(0, 4-int(m.nbits/8))
	}
	for m.n < 4*nb {
		m.w[m.n&15] = 0
		m.n++
	}
	return nb
}

// appendBytes appends the unpadded input bytes (for tests).
func (m *msgBuf) appendBytes(dst []byte) []byte {
	for i := 0; i < m.n; i++ {
		dst = binary.BigEndian.AppendUint32(dst, m.w[i])
	}
	for i := uint(0); i < m.nbits; i += 8 {
		dst = append(dst, byte(m.acc>>(m.nbits-8-i)))
	}
	return dst
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
