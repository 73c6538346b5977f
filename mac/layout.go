package mac

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Item is one field of a MAC input, for the layouts a profile may redefine
// (Profile.UnloadMAC3, Profile.OverdrawTAC). Every item is big-endian.
type Item uint8

// Items of a Layout. Which a kind has: unload every item but the limits;
// overdraw every item but Amount.
const (
	itemEnd           Item = iota // ends a Layout
	ItemBalanceBefore             // 4 bytes: the balance before the transaction
	ItemBalanceAfter              // 4 bytes: unload Balance-Amount; overdraw Balance-OldLimit+NewLimit
	ItemAmount                    // 4 bytes (unload)
	ItemType                      // 1 byte: the transaction type, 03 or 07
	ItemTerminal                  // 6 bytes: the terminal number
	ItemDate                      // 4 bytes: YYYYMMDD, BCD
	ItemTime                      // 3 bytes: hhmmss, BCD
	ItemOnlineSeq                 // 2 bytes: the online counter before the increment
	ItemOldLimit                  // 3 bytes (overdraw)
	ItemNewLimit                  // 3 bytes (overdraw)
	itemCount
)

var itemNames = [itemCount]string{"", "balance_before", "balance_after", "amount", "type",
	"terminal", "date", "time", "online_seq", "old_limit", "new_limit"}

// itemSize is the encoded size of each item.
var itemSize = [itemCount]uint8{0, 4, 4, 4, 1, 6, 4, 3, 2, 3, 3}

// String returns the item's name as profile files spell it
// ("balance_after", "online_seq", …).
func (it Item) String() string {
	if it < itemCount && it != itemEnd {
		return itemNames[it]
	}
	return fmt.Sprintf("item(%d)", uint8(it))
}

// ParseItem parses an item name as String returns it.
func ParseItem(s string) (Item, error) {
	for i := ItemBalanceBefore; i < itemCount; i++ {
		if itemNames[i] == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown layout item %q", ErrBadProfile, s)
}

// MaxLayout is the most items a Layout holds.
const MaxLayout = 12

// Layout is a MAC input as the items it concatenates, in order, up to the
// first zero item. The zero Layout stands for SPEC §4's layout of the kind
// it is used for. Items may repeat.
type Layout [MaxLayout]Item

// The layouts of SPEC §4.
var (
	// SpecUnloadMAC3 is the unload MAC3 input: balAfter4 || onlineSeq2 ||
	// amt4 || 03 || term6 || date4 || time3.
	SpecUnloadMAC3 = Layout{ItemBalanceAfter, ItemOnlineSeq, ItemAmount, ItemType, ItemTerminal, ItemDate, ItemTime}
	// SpecOverdrawTAC is the overdraw TAC input: newBal4 || onlineSeq2 ||
	// newLimit3 || 07 || term6 || date4 || time3.
	SpecOverdrawTAC = Layout{ItemBalanceAfter, ItemOnlineSeq, ItemNewLimit, ItemType, ItemTerminal, ItemDate, ItemTime}
)

// Items returns the items up to the first zero one.
func (l *Layout) Items() []Item {
	for i, it := range l {
		if it == itemEnd {
			return l[:i]
		}
	}
	return l[:]
}

// resolve returns the layout in force for kind k: l, or SPEC's when l is
// zero.
func (l *Layout) resolve(k Kind) *Layout {
	if *l != (Layout{}) {
		return l
	}
	if k == KindOverdraw {
		return &SpecOverdrawTAC
	}
	return &SpecUnloadMAC3
}

// Default reports whether l is SPEC §4's layout for kind k (KindUnload or
// KindOverdraw), spelled out or zero.
func (l *Layout) Default(k Kind) bool {
	return *l.resolve(k) == *(&Layout{}).resolve(k)
}

var errLayoutHole = errors.New("an item after the end")

// check reports an item the kind lacks or a hole.
func (l *Layout) check(k Kind) error {
	end := false
	for _, it := range l {
		switch {
		case it == itemEnd:
			end = true
		case end:
			return errLayoutHole
		case it >= itemCount:
			return fmt.Errorf("unknown item %d", uint8(it))
		case k == KindUnload && (it == ItemOldLimit || it == ItemNewLimit),
			k == KindOverdraw && it == ItemAmount:
			return fmt.Errorf("%s has no %s", k, it)
		}
	}
	return nil
}

// Size returns the byte length of the input l describes for kind k.
func (l *Layout) Size(k Kind) int {
	n := 0
	for _, it := range l.resolve(k).Items() {
		if it < itemCount {
			n += int(itemSize[it])
		}
	}
	return n
}

// appendLayout appends the input of t under l (resolved for t's kind) to
// b. t is an *Unload or an *Overdraw; items it lacks append nothing (a
// validated profile has none).
func appendLayout(b []byte, l *Layout, t Transaction) []byte {
	var bal, after, amt, oldL, newL uint32
	var typ byte
	var term *[6]byte
	var date *[4]byte
	var tim *[3]byte
	var seq uint16
	unload := false
	switch t := t.(type) {
	case *Unload:
		bal, after, amt, typ = t.Balance, t.Balance-t.Amount, t.Amount, 0x03
		term, date, tim, seq = &t.Terminal, &t.Date, &t.Time, t.OnlineSeq
		l, unload = l.resolve(KindUnload), true
	case *Overdraw:
		bal, after, oldL, newL, typ = t.Balance, t.BalanceAfter(), t.OldLimit, t.NewLimit, 0x07
		term, date, tim, seq = &t.Terminal, &t.Date, &t.Time, t.OnlineSeq
		l = l.resolve(KindOverdraw)
	default:
		return b
	}
	for _, it := range l.Items() {
		switch it {
		case ItemBalanceBefore:
			b = u32(b, bal)
		case ItemBalanceAfter:
			b = u32(b, after)
		case ItemAmount:
			if unload {
				b = u32(b, amt)
			}
		case ItemType:
			b = append(b, typ)
		case ItemTerminal:
			b = append(b, term[:]...)
		case ItemDate:
			b = append(b, date[:]...)
		case ItemTime:
			b = append(b, tim[:]...)
		case ItemOnlineSeq:
			b = binary.BigEndian.AppendUint16(b, seq)
		case ItemOldLimit:
			if !unload {
				b = u24(b, oldL)
			}
		case ItemNewLimit:
			if !unload {
				b = u24(b, newL)
			}
		}
	}
	return b
}

// AppendSeal appends t's TAC input (MAC3 for an unload) under the profile:
// the transaction's AppendSeal, but through UnloadMAC3 or OverdrawTAC for an
// unload or an overdraw update. It assumes t validated.
func (p *Profile) AppendSeal(b []byte, t Transaction) []byte {
	switch t := t.(type) {
	case *Unload:
		return appendLayout(b, &p.UnloadMAC3, t)
	case *Overdraw:
		return appendLayout(b, &p.OverdrawTAC, t)
	case *Purchase:
		return t.AppendSeal(b)
	case *Load:
		return t.AppendSeal(b)
	}
	return b
}
