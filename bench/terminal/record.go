package terminal

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sscard/sscard/bench/internal/ref"
)

// Record is one clearing record of the sscard record format, one JSON object
// per line. Factors are root first; the last is the card's application
// serial (its low 8 bytes). Balance is the balance before the transaction
// (for a load, the balance MAC1 covers). A field a transaction does not use
// is zero ("00000000" for the terminal sequence of a load).
type Record struct {
	Type        string   `json:"type"` // purchase, withdrawal, composite, load, unload, overdraw
	Alg         string   `json:"alg"`  // sm4 or 3des
	KeyVersion  int      `json:"key_version"`
	Factors     []string `json:"factors"`
	TransType   string   `json:"trans_type"` // 2 hex digits
	Amount      uint32   `json:"amount"`
	Balance     uint32   `json:"balance"`
	TerminalID  string   `json:"terminal_id"`  // 12 hex digits
	TerminalSeq string   `json:"terminal_seq"` // 8 hex digits
	Date        string   `json:"date"`         // YYYYMMDD
	Time        string   `json:"time"`         // hhmmss
	CardRandom  string   `json:"card_random"`  // 8 hex digits
	OfflineSeq  uint16   `json:"offline_seq"`
	OnlineSeq   uint16   `json:"online_seq"`
	MAC1        string   `json:"mac1"`
	MAC2        string   `json:"mac2"`
	TAC         string   `json:"tac"`
}

// Kind is the kind of a transaction.
type Kind uint8

// Kinds produced by the terminal flows.
const (
	Purchase   Kind = 1 // 05 ED, 06 EP
	Withdrawal Kind = 2 // 04
	Composite  Kind = 3 // 09
	Load       Kind = 4 // 01 ED, 02 EP
)

var kindNames = [...]string{"", "purchase", "withdrawal", "composite", "load"}

// String returns the record name of the kind.
func (k Kind) String() string {
	if k >= Purchase && k <= Load {
		return kindNames[k]
	}
	return "unknown"
}

// KindOf returns the kind of a transaction type byte.
func KindOf(typ byte) (Kind, bool) {
	switch typ {
	case 0x05, 0x06:
		return Purchase, true
	case 0x04:
		return Withdrawal, true
	case 0x09:
		return Composite, true
	case 0x01, 0x02:
		return Load, true
	}
	return 0, false
}

// Txn is a record in binary form.
type Txn struct {
	Alg        ref.Alg
	KeyVersion byte
	Factors    [][8]byte // root first
	Type       byte
	Amount     uint32
	Balance    uint32 // before
	Terminal   [6]byte
	TermSeq    [4]byte
	Date       [4]byte
	Time       [3]byte
	Random     [4]byte
	OfflineSeq uint16
	OnlineSeq  uint16
	MAC1       [4]byte
	MAC2       [4]byte
	TAC        [4]byte
}

// Kind returns the kind of the transaction type.
func (t *Txn) Kind() Kind {
	k, _ := KindOf(t.Type)
	return k
}

// IsLoad reports whether t is a load.
func (t *Txn) IsLoad() bool { return t.Kind() == Load }

// D8 returns the session-key input: rand4 ‖ offline2 ‖ termSeq[2:4] for a
// purchase, rand4 ‖ online2 ‖ 8000 for a load.
func (t *Txn) D8() (d [8]byte) {
	copy(d[:4], t.Random[:])
	if t.IsLoad() {
		binary.BigEndian.PutUint16(d[4:], t.OnlineSeq)
		d[6] = 0x80
		return
	}
	binary.BigEndian.PutUint16(d[4:], t.OfflineSeq)
	copy(d[6:], t.TermSeq[2:])
	return
}

// AppendMAC1 appends the MAC1 input (SPEC §4).
func (t *Txn) AppendMAC1(b []byte) []byte {
	if t.IsLoad() {
		b = binary.BigEndian.AppendUint32(b, t.Balance)
		b = binary.BigEndian.AppendUint32(b, t.Amount)
		b = append(b, t.Type)
		return append(b, t.Terminal[:]...)
	}
	b = binary.BigEndian.AppendUint32(b, t.Amount)
	b = append(b, t.Type)
	b = append(b, t.Terminal[:]...)
	b = append(b, t.Date[:]...)
	return append(b, t.Time[:]...)
}

// AppendMAC2 appends the MAC2 input.
func (t *Txn) AppendMAC2(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, t.Amount)
	if !t.IsLoad() {
		return b
	}
	b = append(b, t.Type)
	b = append(b, t.Terminal[:]...)
	b = append(b, t.Date[:]...)
	return append(b, t.Time[:]...)
}

// AppendTAC appends the TAC input.
func (t *Txn) AppendTAC(b []byte) []byte {
	if t.IsLoad() {
		b = binary.BigEndian.AppendUint32(b, t.Balance+t.Amount)
		b = binary.BigEndian.AppendUint16(b, t.OnlineSeq)
		return t.AppendMAC2(b)
	}
	b = binary.BigEndian.AppendUint32(b, t.Amount)
	b = append(b, t.Type)
	b = append(b, t.Terminal[:]...)
	b = append(b, t.TermSeq[:]...)
	b = append(b, t.Date[:]...)
	return append(b, t.Time[:]...)
}

// Record returns the record form of t.
func (t *Txn) Record() Record {
	r := Record{
		Type:        t.Kind().String(),
		Alg:         t.Alg.String(),
		KeyVersion:  int(t.KeyVersion),
		TransType:   hex.EncodeToString([]byte{t.Type}),
		Amount:      t.Amount,
		Balance:     t.Balance,
		TerminalID:  hex.EncodeToString(t.Terminal[:]),
		TerminalSeq: hex.EncodeToString(t.TermSeq[:]),
		Date:        hex.EncodeToString(t.Date[:]),
		Time:        hex.EncodeToString(t.Time[:]),
		CardRandom:  hex.EncodeToString(t.Random[:]),
		OfflineSeq:  t.OfflineSeq,
		OnlineSeq:   t.OnlineSeq,
		MAC1:        hex.EncodeToString(t.MAC1[:]),
		MAC2:        hex.EncodeToString(t.MAC2[:]),
		TAC:         hex.EncodeToString(t.TAC[:]),
	}
	for _, f := range t.Factors {
		r.Factors = append(r.Factors, hex.EncodeToString(f[:]))
	}
	return r
}

// ErrRecord reports a record that does not parse.
var ErrRecord = errors.New("terminal: bad record")

func fixedHex(dst []byte, s, field string) error {
	if len(s) != 2*len(dst) {
		return fmt.Errorf("%w: %s must be %d hex digits", ErrRecord, field, 2*len(dst))
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return fmt.Errorf("%w: %s is not hex", ErrRecord, field)
	}
	return nil
}

func digits(dst []byte, s, field string) error {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Errorf("%w: %s must be decimal digits", ErrRecord, field)
		}
	}
	return fixedHex(dst, s, field)
}

// ParseRecord converts a record to binary form.
func ParseRecord(r *Record) (Txn, error) {
	var t Txn
	alg, err := ref.ParseAlg(r.Alg)
	if err != nil {
		return t, fmt.Errorf("%w: alg %q", ErrRecord, r.Alg)
	}
	t.Alg = alg
	if r.KeyVersion < 0 || r.KeyVersion > 255 {
		return t, fmt.Errorf("%w: key_version", ErrRecord)
	}
	t.KeyVersion = byte(r.KeyVersion)
	if len(r.Factors) < 1 || len(r.Factors) > 3 {
		return t, fmt.Errorf("%w: 1 to 3 factors", ErrRecord)
	}
	t.Factors = make([][8]byte, len(r.Factors))
	for i, f := range r.Factors {
		if err := fixedHex(t.Factors[i][:], f, "factor"); err != nil {
			return t, err
		}
	}
	var typ [1]byte
	if err := fixedHex(typ[:], r.TransType, "trans_type"); err != nil {
		return t, err
	}
	t.Type = typ[0]
	k, ok := KindOf(t.Type)
	if !ok || k.String() != r.Type {
		return t, fmt.Errorf("%w: type %q and trans_type %s disagree or are not supported", ErrRecord, r.Type, r.TransType)
	}
	t.Amount, t.Balance = r.Amount, r.Balance
	for _, f := range []struct {
		dst   []byte
		s     string
		name  string
		isBCD bool
	}{
		{t.Terminal[:], r.TerminalID, "terminal_id", false},
		{t.TermSeq[:], r.TerminalSeq, "terminal_seq", false},
		{t.Date[:], r.Date, "date", true},
		{t.Time[:], r.Time, "time", true},
		{t.Random[:], r.CardRandom, "card_random", false},
		{t.MAC1[:], r.MAC1, "mac1", false},
		{t.MAC2[:], r.MAC2, "mac2", false},
		{t.TAC[:], r.TAC, "tac", false},
	} {
		var err error
		if f.isBCD {
			err = digits(f.dst, f.s, f.name)
		} else {
			err = fixedHex(f.dst, f.s, f.name)
		}
		if err != nil {
			return t, err
		}
	}
	t.OfflineSeq, t.OnlineSeq = r.OfflineSeq, r.OnlineSeq
	return t, nil
}
