// Package terminal runs card + PSAM transactions end to end, the way a
// purse terminal does, and emits clearing records in the sscard record
// format (see Record). It also checks recorded MAC1, MAC2 and TAC on a PSAM
// through INIT FOR DESCRYPT / DES CRYPT (Checker): the reference verify path,
// one transaction at a time.
package terminal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/sscard/sscard/bench/apdu"
	"github.com/sscard/sscard/bench/internal/ref"
	"github.com/sscard/sscard/bench/psam"
)

// Terminal runs transactions between cards and a PSAM.
type Terminal struct {
	// SAM is the terminal's PSAM (purchase and TAC masters).
	SAM apdu.Transmitter
	// Host is the issuer host's security module for loads: a PSAM holding
	// the load masters that checks MAC1 and issues MAC2 (SAM when nil).
	Host apdu.Transmitter
	// Upper lists the factors above the card level, root first (0 to 2).
	Upper [][8]byte
	// Now gives the transaction date and time (time.Now when nil).
	Now func() time.Time

	id    [6]byte
	hasID bool
	buf   [128]byte
}

// ErrFlow reports a card or PSAM answer the terminal cannot use.
var ErrFlow = errors.New("terminal: bad response")

func call(t apdu.Transmitter, name string, cmd []byte, want int) ([]byte, error) {
	r, sw := t.Transmit(cmd)
	if sw != apdu.OK {
		return nil, &apdu.Error{Command: name, SW: sw}
	}
	if want >= 0 && len(r) != want {
		return nil, fmt.Errorf("%w: %s answered %d bytes, want %d", ErrFlow, name, len(r), want)
	}
	return r, nil
}

// TerminalID reads (once) the terminal number from the PSAM.
func (tm *Terminal) TerminalID() ([6]byte, error) {
	if !tm.hasID {
		r, err := call(tm.SAM, "READ BINARY (terminal number)", []byte{0x00, 0xB0, 0x96, 0x00, 0x06}, 6)
		if err != nil {
			return tm.id, err
		}
		copy(tm.id[:], r)
		tm.hasID = true
	}
	return tm.id, nil
}

func bcd(v int) byte { return byte(v/10<<4 | v%10) }

func (tm *Terminal) clock(t *Txn) {
	now := time.Now
	if tm.Now != nil {
		now = tm.Now
	}
	n := now()
	y := n.Year()
	t.Date = [4]byte{bcd(y / 100), bcd(y % 100), bcd(int(n.Month())), bcd(n.Day())}
	t.Time = [3]byte{bcd(n.Hour()), bcd(n.Minute()), bcd(n.Second())}
}

// start reads the card's ASN and fills the common fields.
func (tm *Terminal) start(c apdu.Transmitter, typ byte, amount uint32) (Txn, error) {
	var t Txn
	id, err := tm.TerminalID()
	if err != nil {
		return t, err
	}
	f, err := call(c, "READ BINARY (issuer file)", []byte{0x00, 0xB0, 0x95, 0x00, 0x1E}, 30)
	if err != nil {
		return t, err
	}
	var asn [8]byte
	copy(asn[:], f[12:20])
	t.Factors = append(append([][8]byte(nil), tm.Upper...), asn)
	if len(t.Factors) > psam.MaxLevels {
		return t, fmt.Errorf("%w: %d levels", ErrFlow, len(t.Factors))
	}
	t.Type, t.Amount, t.Terminal = typ, amount, id
	tm.clock(&t)
	return t, nil
}

// p1p2 returns INITIALIZE's P1 P2 for a transaction type.
func p1p2(typ byte) (byte, byte, bool) {
	switch typ {
	case 0x01:
		return 0x00, 0x01, true
	case 0x02:
		return 0x00, 0x02, true
	case 0x05:
		return 0x01, 0x01, true
	case 0x06:
		return 0x01, 0x02, true
	case 0x04:
		return 0x02, 0x01, true
	case 0x09:
		return 0x03, 0x02, true
	}
	return 0, 0, false
}

// lowestFirst appends factors in PSAM order.
func lowestFirst(b []byte, f [][8]byte) []byte {
	for i := len(f) - 1; i >= 0; i-- {
		b = append(b, f[i][:]...)
	}
	return b
}

// Purchase runs a purchase (typ 05 or 06), cash withdrawal (04) or
// composite purchase (09) of amount fen: INITIALIZE FOR PURCHASE, INIT SAM
// FOR PURCHASE, DEBIT FOR PURCHASE, CREDIT SAM FOR PURCHASE. A status word
// other than 9000 comes back as an *apdu.Error.
func (tm *Terminal) Purchase(c apdu.Transmitter, typ byte, amount uint32) (Txn, error) {
	p1, p2, ok := p1p2(typ)
	if !ok || p1 == 0 {
		return Txn{}, fmt.Errorf("%w: type %02x is not a purchase", ErrFlow, typ)
	}
	t, err := tm.start(c, typ, amount)
	if err != nil {
		return t, err
	}
	var data [11]byte
	data[0] = 0x01
	binary.BigEndian.PutUint32(data[1:], amount)
	copy(data[5:], t.Terminal[:])
	r, err := call(c, "INITIALIZE FOR PURCHASE", apdu.Append(tm.buf[:0], 0x80, 0x50, p1, p2, data[:], 0x0F), 15)
	if err != nil {
		return t, err
	}
	t.Balance = binary.BigEndian.Uint32(r[0:])
	t.OfflineSeq = binary.BigEndian.Uint16(r[4:])
	t.KeyVersion = r[9]
	alg, err := ref.AlgFromID(r[10])
	if err != nil {
		return t, fmt.Errorf("%w: algorithm id %02x", ErrFlow, r[10])
	}
	t.Alg = alg
	copy(t.Random[:], r[11:15])

	var in [64]byte
	d := append(in[:0], t.Random[:]...)
	d = binary.BigEndian.AppendUint16(d, t.OfflineSeq)
	d = binary.BigEndian.AppendUint32(d, amount)
	d = append(d, typ)
	d = append(d, t.Date[:]...)
	d = append(d, t.Time[:]...)
	d = append(d, t.KeyVersion, r[10])
	d = lowestFirst(d, t.Factors)
	r, err = call(tm.SAM, "INIT SAM FOR PURCHASE", apdu.Append(tm.buf[:0], 0x80, 0x70, 0x00, 0x00, d, 0x08), 8)
	if err != nil {
		return t, err
	}
	copy(t.TermSeq[:], r[0:4])
	copy(t.MAC1[:], r[4:8])

	d = append(in[:0], t.TermSeq[:]...)
	d = append(d, t.Date[:]...)
	d = append(d, t.Time[:]...)
	d = append(d, t.MAC1[:]...)
	r, err = call(c, "DEBIT FOR PURCHASE", apdu.Append(tm.buf[:0], 0x80, 0x54, 0x01, 0x00, d, 0x08), 8)
	if err != nil {
		return t, err
	}
	copy(t.TAC[:], r[0:4])
	copy(t.MAC2[:], r[4:8])
	_, err = call(tm.SAM, "CREDIT SAM FOR PURCHASE", apdu.Append(tm.buf[:0], 0x80, 0x72, 0x00, 0x00, t.MAC2[:], 0), 0)
	return t, err
}

// Load runs a load (typ 01 or 02) of amount fen: INITIALIZE FOR LOAD, the
// host checks MAC1 and issues MAC2 (INIT FOR DESCRYPT and DES CRYPT on
// Host), CREDIT FOR LOAD.
func (tm *Terminal) Load(c apdu.Transmitter, typ byte, amount uint32) (Txn, error) {
	p1, p2, ok := p1p2(typ)
	if !ok || p1 != 0 {
		return Txn{}, fmt.Errorf("%w: type %02x is not a load", ErrFlow, typ)
	}
	t, err := tm.start(c, typ, amount)
	if err != nil {
		return t, err
	}
	var data [11]byte
	data[0] = 0x01
	binary.BigEndian.PutUint32(data[1:], amount)
	copy(data[5:], t.Terminal[:])
	r, err := call(c, "INITIALIZE FOR LOAD", apdu.Append(tm.buf[:0], 0x80, 0x50, p1, p2, data[:], 0x10), 16)
	if err != nil {
		return t, err
	}
	t.Balance = binary.BigEndian.Uint32(r[0:])
	t.OnlineSeq = binary.BigEndian.Uint16(r[4:])
	t.KeyVersion = r[6]
	alg, err := ref.AlgFromID(r[7])
	if err != nil {
		return t, fmt.Errorf("%w: algorithm id %02x", ErrFlow, r[7])
	}
	t.Alg = alg
	copy(t.Random[:], r[8:12])
	copy(t.MAC1[:], r[12:16])

	host := tm.Host
	if host == nil {
		host = tm.SAM
	}
	ck := Checker{SAM: host}
	if err := ck.MAC1(&t); err != nil {
		return t, err
	}
	if t.MAC2, err = ck.SignMAC2(&t); err != nil {
		return t, err
	}
	var in [16]byte
	d := append(in[:0], t.Date[:]...)
	d = append(d, t.Time[:]...)
	d = append(d, t.MAC2[:]...)
	r, err = call(c, "CREDIT FOR LOAD", apdu.Append(tm.buf[:0], 0x80, 0x52, 0x00, 0x00, d, 0x04), 4)
	if err != nil {
		return t, err
	}
	copy(t.TAC[:], r)
	return t, nil
}

// Checker checks recorded MACs on a PSAM that holds the masters, through
// INIT FOR DESCRYPT (80 1A) and DES CRYPT (80 FA). A mismatch comes back as
// an *apdu.Error with status word 9302.
type Checker struct {
	SAM apdu.Transmitter
	buf [128]byte
	in  [64]byte
}

// initKey sends INIT FOR DESCRYPT for the card key of usage u, with the
// session input when withD8.
func (ck *Checker) initKey(t *Txn, u psam.Usage, withD8 bool) error {
	if len(t.Factors) < 1 || len(t.Factors) > psam.MaxLevels {
		return fmt.Errorf("%w: %d levels", ErrFlow, len(t.Factors))
	}
	typ := byte(u)
	if t.Alg == ref.SM4 {
		typ |= psam.SM4Type
	}
	d := lowestFirst(ck.in[:0], t.Factors)
	if withD8 {
		d8 := t.D8()
		d = append(d, d8[:]...)
	}
	_, err := call(ck.SAM, "INIT FOR DESCRYPT", apdu.Append(ck.buf[:0], 0x80, 0x1A, byte(len(t.Factors))<<5|typ, t.KeyVersion, d, 0), 0)
	return err
}

func (ck *Checker) verify(d []byte) error {
	_, err := call(ck.SAM, "DES CRYPT (verify MAC)", apdu.Append(ck.buf[:0], 0x80, 0xFA, 0x07, 0x00, d, 0), 0)
	return err
}

func sessionUsage(t *Txn) psam.Usage {
	if t.IsLoad() {
		return psam.Load
	}
	return psam.Purchase
}

// TAC checks the TAC of t.
func (ck *Checker) TAC(t *Txn) error {
	if err := ck.initKey(t, psam.TAC, false); err != nil {
		return err
	}
	return ck.verify(append(t.AppendTAC(ck.in[:0]), t.TAC[:]...))
}

// MAC1 checks MAC1 of t under its session key.
func (ck *Checker) MAC1(t *Txn) error {
	if err := ck.initKey(t, sessionUsage(t), true); err != nil {
		return err
	}
	return ck.verify(append(t.AppendMAC1(ck.in[:0]), t.MAC1[:]...))
}

// MAC2 checks MAC2 of t under its session key.
func (ck *Checker) MAC2(t *Txn) error {
	if err := ck.initKey(t, sessionUsage(t), true); err != nil {
		return err
	}
	return ck.verify(append(t.AppendMAC2(ck.in[:0]), t.MAC2[:]...))
}

// SignMAC2 computes MAC2 of t on the PSAM (the host side of a load).
func (ck *Checker) SignMAC2(t *Txn) ([4]byte, error) {
	var m [4]byte
	if err := ck.initKey(t, sessionUsage(t), true); err != nil {
		return m, err
	}
	r, err := call(ck.SAM, "DES CRYPT (MAC)", apdu.Append(ck.buf[:0], 0x80, 0xFA, 0x05, 0x00, t.AppendMAC2(ck.in[:0]), 0), 4)
	if err != nil {
		return m, err
	}
	copy(m[:], r)
	return m, nil
}
