package mac

import (
	"encoding/binary"
	"fmt"
)

// Kind is the kind of an ED/EP transaction.
type Kind uint8

// Transaction kinds.
const (
	KindPurchase   Kind = iota + 1 // ED purchase 05, EP purchase 06
	KindWithdrawal                 // ED cash withdrawal 04
	KindComposite                  // composite (CAPP) purchase 09
	KindLoad                       // ED load 01, EP load 02
	KindUnload                     // unload 03
	KindOverdraw                   // update overdraw limit 07
)

var kindNames = [...]string{"", "purchase", "withdrawal", "composite", "load", "unload", "overdraw"}

// String returns the kind's name as used in record files.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind parses a kind name ("purchase", "load", …).
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if i != 0 && n == s {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown transaction kind %q", ErrField, s)
}

// DefaultType returns the transaction type byte used for a kind when none is
// given: 06 (EP purchase), 04, 09, 02 (EP load), 03, 07.
func (k Kind) DefaultType() byte {
	switch k {
	case KindPurchase:
		return 0x06
	case KindWithdrawal:
		return 0x04
	case KindComposite:
		return 0x09
	case KindLoad:
		return 0x02
	case KindUnload:
		return 0x03
	case KindOverdraw:
		return 0x07
	}
	return 0
}

// KindOfType maps a transaction type byte to its kind.
func KindOfType(t byte) (Kind, error) {
	switch t {
	case 0x01, 0x02:
		return KindLoad, nil
	case 0x03:
		return KindUnload, nil
	case 0x04:
		return KindWithdrawal, nil
	case 0x05, 0x06:
		return KindPurchase, nil
	case 0x07:
		return KindOverdraw, nil
	case 0x09:
		return KindComposite, nil
	}
	return 0, fmt.Errorf("%w: unknown transaction type %02x", ErrField, t)
}

// MaxLimit is the largest overdraw limit: limits are 3-byte fields.
const MaxLimit = 1<<24 - 1

// maxData bounds every MAC input: SPEC §4's longest is 24 bytes, a
// profile's Layout at most MaxLayout items of 6 bytes.
const maxData = MaxLayout * 6

// Transaction is one of the typed records *Purchase, *Load, *Unload and
// *Overdraw. Its fields encode into the MAC inputs of SPEC §4 on the stack.
type Transaction interface {
	// Kind reports the transaction kind.
	Kind() Kind
	// Validate reports whether every field fits its encoding.
	Validate() error
	// SessionInput returns D8, the 8-byte session-key input.
	SessionInput() [8]byte
	// AppendMAC1, AppendMAC2 and AppendSeal append the MAC1, MAC2 and TAC
	// (MAC3 for unload) inputs to b. They assume Validate succeeded.
	AppendMAC1(b []byte) []byte
	AppendMAC2(b []byte) []byte
	AppendSeal(b []byte) []byte
	// sealed keeps the set of transactions closed.
	sealed()
}

func (*Purchase) sealed() {}
func (*Load) sealed()     {}
func (*Unload) sealed()   {}
func (*Overdraw) sealed() {}

// The encoders below dispatch with a type switch rather than through the
// interface, so that escape analysis keeps the stack buffers on the stack.

const (
	inMAC1 = iota
	inMAC2
	inSeal
)

// validate is t.Validate without interface dispatch.
func validate(t Transaction) error {
	switch t := t.(type) {
	case *Purchase:
		return t.Validate()
	case *Load:
		return t.Validate()
	case *Unload:
		return t.Validate()
	case *Overdraw:
		return t.Validate()
	}
	return errNilTxn
}

// errNilTxn reports a nil Transaction, or a nil pointer in one.
var errNilTxn = fmt.Errorf("%w: nil transaction", ErrField)

// sessionInput is t.SessionInput without interface dispatch.
func sessionInput(t Transaction) [8]byte {
	switch t := t.(type) {
	case *Purchase:
		return t.SessionInput()
	case *Load:
		return t.SessionInput()
	case *Unload:
		return t.SessionInput()
	case *Overdraw:
		return t.SessionInput()
	}
	return [8]byte{}
}

// encode writes MAC input which of t into buf and returns it; the seal input
// of an unload or an overdraw update follows lay.
func encode(t Transaction, which int, buf *[maxData]byte, lay *Layout) []byte {
	b := buf[:0]
	switch t := t.(type) {
	case *Purchase:
		switch which {
		case inMAC1:
			return t.AppendMAC1(b)
		case inMAC2:
			return t.AppendMAC2(b)
		}
		return t.AppendSeal(b)
	case *Load:
		switch which {
		case inMAC1:
			return t.AppendMAC1(b)
		case inMAC2:
			return t.AppendMAC2(b)
		}
		return t.AppendSeal(b)
	case *Unload:
		switch which {
		case inMAC1:
			return t.AppendMAC1(b)
		case inMAC2:
			return t.AppendMAC2(b)
		}
		return appendLayout(b, lay, t)
	case *Overdraw:
		switch which {
		case inMAC1:
			return t.AppendMAC1(b)
		case inMAC2:
			return t.AppendMAC2(b)
		}
		return appendLayout(b, lay, t)
	}
	return b
}

// Purchase is a purchase (05 ED, 06 EP), a cash withdrawal (04) or a
// composite purchase (09): MAC1 by the PSAM, MAC2 and TAC by the card.
type Purchase struct {
	Type       byte    // transaction type; 0 means 06
	Amount     uint32  // in fen
	Terminal   [6]byte // terminal number
	TermSeq    [4]byte // terminal transaction sequence issued by the PSAM
	Date       [4]byte // YYYYMMDD, BCD
	Time       [3]byte // hhmmss, BCD
	Random     [4]byte // card random from INITIALIZE FOR PURCHASE
	OfflineSeq uint16  // card offline counter
}

// Load is an ED (01) or EP (02) load: MAC1 and TAC by the card, MAC2 by the
// host.
type Load struct {
	Type      byte   // 01 or 02; 0 means 02
	Amount    uint32 // in fen
	Balance   uint32 // balance before the load
	Terminal  [6]byte
	Date      [4]byte
	Time      [3]byte
	Random    [4]byte
	OnlineSeq uint16 // card online counter before increment
}

// Unload is an unload (03): MAC1 by the card, MAC2 by the host, and MAC3
// under the session key instead of a TAC.
type Unload struct {
	Amount    uint32
	Balance   uint32 // balance before the unload
	Terminal  [6]byte
	Date      [4]byte
	Time      [3]byte
	Random    [4]byte
	OnlineSeq uint16
}

// Overdraw is an update of the overdraw limit (07). The new balance is
// Balance - OldLimit + NewLimit (our decision; SPEC §4 marks the TAC layout
// as one source).
type Overdraw struct {
	Balance   uint32 // balance before, overdraw included
	OldLimit  uint32 // 3-byte field
	NewLimit  uint32 // 3-byte field
	Terminal  [6]byte
	Date      [4]byte
	Time      [3]byte
	Random    [4]byte
	OnlineSeq uint16
}

func u32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }
func u24(b []byte, v uint32) []byte { return append(b, byte(v>>16), byte(v>>8), byte(v)) }

func onlineD8(r *[4]byte, seq uint16) (d [8]byte) {
	copy(d[:4], r[:])
	binary.BigEndian.PutUint16(d[4:], seq)
	d[6] = 0x80
	return
}

// Kind reports the kind, from Type.
func (p *Purchase) Kind() Kind {
	k, err := KindOfType(p.typ())
	if err != nil {
		return 0
	}
	return k
}

func (p *Purchase) typ() byte {
	if p.Type == 0 {
		return 0x06
	}
	return p.Type
}

// Validate checks the type byte, date and time.
func (p *Purchase) Validate() error {
	if p == nil {
		return errNilTxn
	}
	switch p.typ() {
	case 0x04, 0x05, 0x06, 0x09:
	default:
		return fmt.Errorf("%w: type %02x is not a purchase, withdrawal or composite purchase", ErrField, p.typ())
	}
	return checkDateTime(&p.Date, &p.Time)
}

// SessionInput returns rand4 || offlineSeq2 || termSeq[2:4].
func (p *Purchase) SessionInput() (d [8]byte) {
	copy(d[:4], p.Random[:])
	binary.BigEndian.PutUint16(d[4:], p.OfflineSeq)
	d[6], d[7] = p.TermSeq[2], p.TermSeq[3]
	return
}

// AppendMAC1 appends amt4 || type || term6 || date4 || time3.
func (p *Purchase) AppendMAC1(b []byte) []byte {
	b = u32(b, p.Amount)
	b = append(b, p.typ())
	b = append(b, p.Terminal[:]...)
	b = append(b, p.Date[:]...)
	return append(b, p.Time[:]...)
}

// AppendMAC2 appends amt4.
func (p *Purchase) AppendMAC2(b []byte) []byte { return u32(b, p.Amount) }

// AppendSeal appends the TAC input amt4 || type || term6 || termSeq4 ||
// date4 || time3.
func (p *Purchase) AppendSeal(b []byte) []byte {
	b = u32(b, p.Amount)
	b = append(b, p.typ())
	b = append(b, p.Terminal[:]...)
	b = append(b, p.TermSeq[:]...)
	b = append(b, p.Date[:]...)
	return append(b, p.Time[:]...)
}

// Kind reports KindLoad.
func (l *Load) Kind() Kind { return KindLoad }

func (l *Load) typ() byte {
	if l.Type == 0 {
		return 0x02
	}
	return l.Type
}

// BalanceAfter returns the balance after the load.
func (l *Load) BalanceAfter() uint32 { return l.Balance + l.Amount }

// Validate checks the type byte, that the new balance fits 4 bytes, and the
// date and time.
func (l *Load) Validate() error {
	if l == nil {
		return errNilTxn
	}
	if t := l.typ(); t != 0x01 && t != 0x02 {
		return fmt.Errorf("%w: type %02x is not a load", ErrField, t)
	}
	if uint64(l.Balance)+uint64(l.Amount) > 1<<32-1 {
		return fmt.Errorf("%w: balance after load exceeds 4 bytes", ErrField)
	}
	return checkDateTime(&l.Date, &l.Time)
}

// SessionInput returns rand4 || onlineSeq2 || 8000.
func (l *Load) SessionInput() [8]byte { return onlineD8(&l.Random, l.OnlineSeq) }

// AppendMAC1 appends balBefore4 || amt4 || type || term6.
func (l *Load) AppendMAC1(b []byte) []byte {
	b = u32(b, l.Balance)
	b = u32(b, l.Amount)
	b = append(b, l.typ())
	return append(b, l.Terminal[:]...)
}

// AppendMAC2 appends amt4 || type || term6 || date4 || time3.
func (l *Load) AppendMAC2(b []byte) []byte {
	b = u32(b, l.Amount)
	b = append(b, l.typ())
	b = append(b, l.Terminal[:]...)
	b = append(b, l.Date[:]...)
	return append(b, l.Time[:]...)
}

// AppendSeal appends the TAC input balAfter4 || onlineSeq2 || amt4 || type
// || term6 || date4 || time3.
func (l *Load) AppendSeal(b []byte) []byte {
	b = u32(b, l.BalanceAfter())
	b = binary.BigEndian.AppendUint16(b, l.OnlineSeq)
	return l.AppendMAC2(b)
}

// Kind reports KindUnload.
func (u *Unload) Kind() Kind { return KindUnload }

// Validate checks that the amount does not exceed the balance, and the date
// and time.
func (u *Unload) Validate() error {
	if u == nil {
		return errNilTxn
	}
	if u.Amount > u.Balance {
		return fmt.Errorf("%w: unload amount exceeds the balance", ErrField)
	}
	return checkDateTime(&u.Date, &u.Time)
}

// SessionInput returns rand4 || onlineSeq2 || 8000.
func (u *Unload) SessionInput() [8]byte { return onlineD8(&u.Random, u.OnlineSeq) }

// AppendMAC1 appends balBefore4 || amt4 || 03 || term6.
func (u *Unload) AppendMAC1(b []byte) []byte {
	b = u32(b, u.Balance)
	b = u32(b, u.Amount)
	b = append(b, 0x03)
	return append(b, u.Terminal[:]...)
}

// AppendMAC2 appends amt4 || 03 || term6 || date4 || time3.
func (u *Unload) AppendMAC2(b []byte) []byte {
	b = u32(b, u.Amount)
	b = append(b, 0x03)
	b = append(b, u.Terminal[:]...)
	b = append(b, u.Date[:]...)
	return append(b, u.Time[:]...)
}

// AppendSeal appends the MAC3 input balAfter4 || onlineSeq2 || amt4 || 03 ||
// term6 || date4 || time3.
func (u *Unload) AppendSeal(b []byte) []byte {
	b = u32(b, u.Balance-u.Amount)
	b = binary.BigEndian.AppendUint16(b, u.OnlineSeq)
	return u.AppendMAC2(b)
}

// Kind reports KindOverdraw.
func (o *Overdraw) Kind() Kind { return KindOverdraw }

// BalanceAfter returns Balance - OldLimit + NewLimit.
func (o *Overdraw) BalanceAfter() uint32 { return o.Balance - o.OldLimit + o.NewLimit }

// Validate checks that both limits fit 3 bytes, that the new balance fits
// 4 bytes, and the date and time.
func (o *Overdraw) Validate() error {
	if o == nil {
		return errNilTxn
	}
	if o.OldLimit > MaxLimit || o.NewLimit > MaxLimit {
		return fmt.Errorf("%w: overdraw limit exceeds 3 bytes", ErrField)
	}
	nb := int64(o.Balance) - int64(o.OldLimit) + int64(o.NewLimit)
	if nb < 0 || nb > 1<<32-1 {
		return fmt.Errorf("%w: balance after the limit change does not fit 4 bytes", ErrField)
	}
	return checkDateTime(&o.Date, &o.Time)
}

// SessionInput returns rand4 || onlineSeq2 || 8000.
func (o *Overdraw) SessionInput() [8]byte { return onlineD8(&o.Random, o.OnlineSeq) }

// AppendMAC1 appends bal4 || oldLimit3 || 07 || term6.
func (o *Overdraw) AppendMAC1(b []byte) []byte {
	b = u32(b, o.Balance)
	b = u24(b, o.OldLimit)
	b = append(b, 0x07)
	return append(b, o.Terminal[:]...)
}

// AppendMAC2 appends newLimit3 || 07 || term6 || date4 || time3.
func (o *Overdraw) AppendMAC2(b []byte) []byte {
	b = u24(b, o.NewLimit)
	b = append(b, 0x07)
	b = append(b, o.Terminal[:]...)
	b = append(b, o.Date[:]...)
	return append(b, o.Time[:]...)
}

// AppendSeal appends the TAC input newBal4 || onlineSeq2 || newLimit3 || 07
// || term6 || date4 || time3.
func (o *Overdraw) AppendSeal(b []byte) []byte {
	b = u32(b, o.BalanceAfter())
	b = binary.BigEndian.AppendUint16(b, o.OnlineSeq)
	return o.AppendMAC2(b)
}
