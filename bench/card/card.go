// Package card is a software user card: the ED/EP purse application of PBOC
// and the PIN rules of the social-security application (SPEC §5, §6), built
// on github.com/tjfoc/gmsm's SM4 and crypto/des. It answers command APDUs:
//
//	00 B0 95 P2 Le           READ BINARY of the issuer file (SFI 15, 30 bytes)
//	80 50 P1 P2 0B …         INITIALIZE FOR PURCHASE (P1 01, 02 withdrawal, 03 composite) / FOR LOAD (P1 00)
//	80 54 01 00 0F …         DEBIT FOR PURCHASE → TAC4 ‖ MAC2 4
//	80 52 00 00 0B …         CREDIT FOR LOAD → TAC4
//	80 5C 00 P2 04           GET BALANCE
//	00 20 00 00 Lc PIN       VERIFY (3 tries: 63Cx, then 6983)
//	80 5E 01 00 Lc old‖FF‖new CHANGE PIN
//	80 5E 00 00 Lc new‖MAC4  RELOAD PIN (MAC under DRPK)
//	84 24 00 00 Lc enc‖MAC4  UNBLOCK PIN (secure messaging under DPUK)
//	00 84 00 00 04|08        GET CHALLENGE
//
// P2 of INITIALIZE and GET BALANCE is 01 (ED) or 02 (EP); this model keeps
// one purse for both, and the transaction type follows P1 and P2: 05/06
// purchase (P1 01), 04 cash withdrawal (P1 02, ED), 09 composite purchase
// (P1 03, EP), 01/02 load (P1 00).
//
// The purse never goes wrong: a purchase over the balance answers 9401, a
// load that would overflow the balance or a counter at its maximum answers
// 6985, and a wrong MAC answers 9302 and changes nothing (the pending
// transaction is dropped). Any command other than the one that completes a
// pending transaction drops it. A Card is not safe for concurrent use.
package card

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/sscard/sscard/bench/apdu"
	"github.com/sscard/sscard/bench/internal/ref"
)

// PINTries is the number of consecutive wrong PINs that locks the PIN.
const PINTries = 3

// DefaultPIN is the PIN a card is issued with.
const DefaultPIN = "123456"

// KeyIndex is the only purse key index the model holds.
const KeyIndex = 0x01

// Keys are the card-level keys, each a child of an issuer master key.
type Keys struct {
	DPK  [16]byte // purchase / withdrawal
	DLK  [16]byte // load
	DTK  [16]byte // TAC
	DPUK [16]byte // PIN unblock
	DRPK [16]byte // PIN reload
}

// Config personalises a card.
type Config struct {
	Alg        ref.Alg
	KeyVersion byte
	Keys       Keys
	// ASN is the 10-byte application serial number; its low 8 bytes are the
	// card-level diversification factor.
	ASN        [10]byte
	Balance    uint32
	OnlineSeq  uint16
	OfflineSeq uint16
	// PIN is the initial PIN (DefaultPIN when empty).
	PIN string
	// MaxBalance bounds the balance (no bound when 0).
	MaxBalance uint32
	// Rand is the source of card randoms and challenges (crypto/rand when nil).
	Rand io.Reader
	// SM4Session, SM4TACKey and SM4PINReloadKey select the SM4 rules.
	SM4Session      ref.SessionRule
	SM4TACKey       ref.KeyRule
	SM4PINReloadKey ref.KeyRule
}

// ErrConfig reports a card that cannot be personalised as asked.
var ErrConfig = errors.New("card: bad configuration")

type pending uint8

const (
	none pending = iota
	purchase
	load
)

// Card is a software user card.
type Card struct {
	cfg       Config
	balance   uint32
	online    uint16
	offline   uint16
	pin       []byte // BCD, odd length padded with F
	triesLeft int
	challenge []byte
	state     pending
	txType    byte
	amount    [4]byte
	terminal  [6]byte
	random    [4]byte
	sk        []byte
	balBefore uint32
	resp      [64]byte
}

// New personalises a card.
func New(cfg Config) (*Card, error) {
	if cfg.Alg != ref.SM4 && cfg.Alg != ref.TDES {
		return nil, fmt.Errorf("%w: algorithm", ErrConfig)
	}
	if cfg.PIN == "" {
		cfg.PIN = DefaultPIN
	}
	pin, ok := EncodePIN(cfg.PIN)
	if !ok {
		return nil, fmt.Errorf("%w: PIN must be 4 to 12 digits", ErrConfig)
	}
	if cfg.MaxBalance != 0 && cfg.Balance > cfg.MaxBalance {
		return nil, fmt.Errorf("%w: balance over the maximum", ErrConfig)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Card{
		cfg:       cfg,
		balance:   cfg.Balance,
		online:    cfg.OnlineSeq,
		offline:   cfg.OfflineSeq,
		pin:       pin,
		triesLeft: PINTries,
	}, nil
}

// EncodePIN packs a 4- to 12-digit PIN into BCD, an odd count padded with F.
func EncodePIN(digits string) ([]byte, bool) {
	if len(digits) < 4 || len(digits) > 12 {
		return nil, false
	}
	b := make([]byte, (len(digits)+1)/2)
	for i := 0; i < len(digits); i++ {
		d := digits[i]
		if d < '0' || d > '9' {
			return nil, false
		}
		b[i/2] |= (d - '0') << (4 * (1 - i%2))
	}
	if len(digits)%2 == 1 {
		b[len(b)-1] |= 0x0F
	}
	return b, true
}

// validPIN reports whether b is a BCD PIN of 4 to 12 digits (F padding only
// in the last nibble).
func validPIN(b []byte) bool {
	if len(b) < 2 || len(b) > 6 {
		return false
	}
	for i, x := range b {
		hi, lo := x>>4, x&0x0F
		if hi > 9 || (lo > 9 && !(lo == 0x0F && i == len(b)-1)) {
			return false
		}
	}
	return true
}

// Balance returns the purse balance.
func (c *Card) Balance() uint32 { return c.balance }

// Counters returns the online and offline transaction counters.
func (c *Card) Counters() (online, offline uint16) { return c.online, c.offline }

// PINTriesLeft returns the PIN tries left (0 when locked).
func (c *Card) PINTriesLeft() int { return c.triesLeft }

// ASN returns the application serial number.
func (c *Card) ASN() [10]byte { return c.cfg.ASN }

// Transmit executes one command APDU and returns the response data (valid
// until the next call) and the status word. It never panics.
func (c *Card) Transmit(cmd []byte) ([]byte, apdu.SW) {
	a, sw := apdu.Parse(cmd)
	if sw != apdu.OK {
		c.drop()
		c.challenge = nil
		return nil, sw
	}
	state := c.state
	c.state = none
	ch := c.challenge // a challenge serves the next command only
	c.challenge = nil
	switch {
	case a.CLA == 0x00 && a.INS == 0xB0:
		return c.readBinary(&a)
	case a.CLA == 0x80 && a.INS == 0x50:
		return c.initialize(&a)
	case a.CLA == 0x80 && a.INS == 0x54:
		if state != purchase {
			c.drop()
			return nil, apdu.Conditions
		}
		return c.debitForPurchase(&a)
	case a.CLA == 0x80 && a.INS == 0x52:
		if state != load {
			c.drop()
			return nil, apdu.Conditions
		}
		return c.creditForLoad(&a)
	case a.CLA == 0x80 && a.INS == 0x5C:
		return c.getBalance(&a)
	case a.CLA == 0x00 && a.INS == 0x20:
		return c.verify(&a)
	case a.CLA == 0x80 && a.INS == 0x5E:
		return c.changeOrReload(&a)
	case a.CLA == 0x84 && a.INS == 0x24:
		return c.unblock(&a, cmd, ch)
	case a.CLA == 0x00 && a.INS == 0x84:
		return c.getChallenge(&a)
	}
	c.drop()
	switch a.INS {
	case 0xB0, 0x50, 0x54, 0x52, 0x5C, 0x20, 0x5E, 0x24, 0x84:
		return nil, apdu.CLANotSupported
	}
	return nil, apdu.INSNotSupported
}

// drop ends a pending transaction.
func (c *Card) drop() {
	c.state = none
	clear(c.sk)
	c.sk = nil
}

// issuerFile is the 30-byte public file SFI 15: issuer id 8, application
// type 1, version 1, ASN 10, start date 4, expiry date 4, custom 2.
func (c *Card) issuerFile() (f [30]byte) {
	copy(f[0:8], "SSCARD\x00\x01")
	f[8] = 0x03 // ED and EP
	f[9] = 0x01
	copy(f[10:20], c.cfg.ASN[:])
	copy(f[20:24], []byte{0x20, 0x26, 0x01, 0x01})
	copy(f[24:28], []byte{0x20, 0x36, 0x12, 0x31})
	return
}

func (c *Card) readBinary(a *apdu.Command) ([]byte, apdu.SW) {
	c.drop()
	if a.P1 != 0x95 || a.P2 >= 30 {
		return nil, apdu.WrongP1P2
	}
	if a.Data != nil || !a.HasLe || a.Le > 30-int(a.P2) {
		return nil, apdu.WrongLength
	}
	f := c.issuerFile()
	n := copy(c.resp[:], f[a.P2:int(a.P2)+a.Le])
	return c.resp[:n], apdu.OK
}

func (c *Card) getBalance(a *apdu.Command) ([]byte, apdu.SW) {
	c.drop()
	if a.P1 != 0 || (a.P2 != 1 && a.P2 != 2) {
		return nil, apdu.WrongP1P2
	}
	if a.Data != nil || !a.HasLe || a.Le != 4 {
		return nil, apdu.WrongLength
	}
	binary.BigEndian.PutUint32(c.resp[:4], c.balance)
	return c.resp[:4], apdu.OK
}

// txnType maps INITIALIZE's P1 P2 to the transaction type byte.
func txnType(p1, p2 byte) (byte, bool) {
	switch {
	case p1 == 0x00 && p2 == 0x01:
		return 0x01, true
	case p1 == 0x00 && p2 == 0x02:
		return 0x02, true
	case p1 == 0x01 && p2 == 0x01:
		return 0x05, true
	case p1 == 0x01 && p2 == 0x02:
		return 0x06, true
	case p1 == 0x02 && p2 == 0x01:
		return 0x04, true
	case p1 == 0x03 && p2 == 0x02:
		return 0x09, true
	}
	return 0, false
}

// initialize answers INITIALIZE FOR PURCHASE / FOR LOAD: 80 50 P1 P2 0B
// keyIdx amt4 term6.
func (c *Card) initialize(a *apdu.Command) ([]byte, apdu.SW) {
	c.drop()
	typ, ok := txnType(a.P1, a.P2)
	if !ok {
		return nil, apdu.WrongP1P2
	}
	d := a.Data
	if len(d) != 0x0B {
		return nil, apdu.WrongLength
	}
	if d[0] != KeyIndex {
		return nil, apdu.KeyNotFound
	}
	amount := binary.BigEndian.Uint32(d[1:5])
	isLoad := a.P1 == 0x00
	if isLoad {
		sum := uint64(c.balance) + uint64(amount)
		if sum > 1<<32-1 || (c.cfg.MaxBalance != 0 && sum > uint64(c.cfg.MaxBalance)) || c.online == ^uint16(0) {
			return nil, apdu.Conditions
		}
	} else {
		if amount > c.balance {
			return nil, apdu.Insufficient
		}
		if c.offline == ^uint16(0) {
			return nil, apdu.Conditions
		}
	}
	if _, err := io.ReadFull(c.cfg.Rand, c.random[:]); err != nil {
		return nil, apdu.Conditions
	}
	c.txType = typ
	copy(c.amount[:], d[1:5])
	copy(c.terminal[:], d[5:11])
	c.balBefore = c.balance

	var d8 [8]byte
	copy(d8[:4], c.random[:])
	r := c.resp[:0]
	r = binary.BigEndian.AppendUint32(r, c.balance)
	if isLoad {
		binary.BigEndian.PutUint16(d8[4:], c.online)
		d8[6] = 0x80
		c.sk = ref.SessionKey(c.cfg.Alg, c.cfg.SM4Session, &c.cfg.Keys.DLK, &d8)
		// MAC1 over balBefore4 ‖ amt4 ‖ type ‖ term6.
		var in [15]byte
		binary.BigEndian.PutUint32(in[0:], c.balance)
		copy(in[4:8], c.amount[:])
		in[8] = typ
		copy(in[9:], c.terminal[:])
		mac1 := ref.SessionMAC(c.sk, in[:])
		r = binary.BigEndian.AppendUint16(r, c.online)
		r = append(r, c.cfg.KeyVersion, c.cfg.Alg.ID())
		r = append(r, c.random[:]...)
		r = append(r, mac1[:]...)
		c.state = load
	} else {
		// The session key waits for the terminal sequence in DEBIT.
		r = binary.BigEndian.AppendUint16(r, c.offline)
		r = append(r, 0, 0, 0) // overdraw limit
		r = append(r, c.cfg.KeyVersion, c.cfg.Alg.ID())
		r = append(r, c.random[:]...)
		c.state = purchase
	}
	return r, apdu.OK
}

// debitForPurchase answers 80 54 01 00 0F termSeq4 date4 time3 MAC1.
func (c *Card) debitForPurchase(a *apdu.Command) ([]byte, apdu.SW) {
	defer c.drop()
	if a.P1 != 0x01 || a.P2 != 0x00 {
		return nil, apdu.WrongP1P2
	}
	d := a.Data
	if len(d) != 0x0F {
		return nil, apdu.WrongLength
	}
	var d8 [8]byte
	copy(d8[:4], c.random[:])
	binary.BigEndian.PutUint16(d8[4:], c.offline)
	copy(d8[6:], d[2:4])
	c.sk = ref.SessionKey(c.cfg.Alg, c.cfg.SM4Session, &c.cfg.Keys.DPK, &d8)

	var in [25]byte // amt4 ‖ type ‖ term6 ‖ termSeq4 ‖ date4 ‖ time3 (TAC)
	copy(in[0:4], c.amount[:])
	in[4] = c.txType
	copy(in[5:11], c.terminal[:])
	copy(in[11:15], d[0:4])
	copy(in[15:22], d[4:11])
	var m1in [18]byte // amt4 ‖ type ‖ term6 ‖ date4 ‖ time3
	copy(m1in[0:11], in[0:11])
	copy(m1in[11:18], d[4:11])
	mac1 := ref.SessionMAC(c.sk, m1in[:])
	if subtle.ConstantTimeCompare(mac1[:], d[11:15]) != 1 {
		return nil, apdu.MACWrong
	}
	amount := binary.BigEndian.Uint32(c.amount[:])
	if amount > c.balance || c.balance != c.balBefore {
		return nil, apdu.Conditions
	}
	c.balance -= amount
	c.offline++
	tac := ref.KeyedMAC(c.cfg.Alg, c.cfg.SM4TACKey, &c.cfg.Keys.DTK, in[:22])
	mac2 := ref.SessionMAC(c.sk, c.amount[:])
	copy(c.resp[0:4], tac[:])
	copy(c.resp[4:8], mac2[:])
	return c.resp[:8], apdu.OK
}

// creditForLoad answers 80 52 00 00 0B date4 time3 MAC2.
func (c *Card) creditForLoad(a *apdu.Command) ([]byte, apdu.SW) {
	defer c.drop()
	if a.P1 != 0 || a.P2 != 0 {
		return nil, apdu.WrongP1P2
	}
	d := a.Data
	if len(d) != 0x0B {
		return nil, apdu.WrongLength
	}
	var m2in [18]byte // amt4 ‖ type ‖ term6 ‖ date4 ‖ time3
	copy(m2in[0:4], c.amount[:])
	m2in[4] = c.txType
	copy(m2in[5:11], c.terminal[:])
	copy(m2in[11:18], d[0:7])
	mac2 := ref.SessionMAC(c.sk, m2in[:])
	if subtle.ConstantTimeCompare(mac2[:], d[7:11]) != 1 {
		return nil, apdu.MACWrong
	}
	amount := binary.BigEndian.Uint32(c.amount[:])
	if c.balance != c.balBefore || uint64(c.balance)+uint64(amount) > 1<<32-1 {
		return nil, apdu.Conditions
	}
	// TAC over balAfter4 ‖ online2 ‖ amt4 ‖ type ‖ term6 ‖ date4 ‖ time3.
	var in [24]byte
	binary.BigEndian.PutUint32(in[0:], c.balance+amount)
	binary.BigEndian.PutUint16(in[4:], c.online)
	copy(in[6:], m2in[:])
	tac := ref.KeyedMAC(c.cfg.Alg, c.cfg.SM4TACKey, &c.cfg.Keys.DTK, in[:])
	c.balance += amount
	c.online++
	copy(c.resp[0:4], tac[:])
	return c.resp[:4], apdu.OK
}

// checkPIN compares a presented PIN with the reference in constant time
// (for equal lengths) and updates the try counter.
func (c *Card) checkPIN(p []byte) apdu.SW {
	if subtle.ConstantTimeCompare(p, c.pin) == 1 {
		c.triesLeft = PINTries
		return apdu.OK
	}
	c.triesLeft--
	return apdu.PINWrong(c.triesLeft)
}

// verify answers 00 20 00 00 Lc PIN; without data it reports the tries left.
func (c *Card) verify(a *apdu.Command) ([]byte, apdu.SW) {
	c.drop()
	if a.P1 != 0 || a.P2 != 0 {
		return nil, apdu.WrongP1P2
	}
	if a.HasLe {
		return nil, apdu.WrongLength
	}
	if c.triesLeft == 0 {
		return nil, apdu.Locked
	}
	if a.Data == nil {
		return nil, apdu.PINWrong(c.triesLeft)
	}
	if len(a.Data) > 6 {
		return nil, apdu.WrongLength
	}
	if !validPIN(a.Data) {
		return nil, apdu.WrongData
	}
	return nil, c.checkPIN(a.Data)
}

// changeOrReload answers CHANGE PIN (P1 01) and RELOAD PIN (P1 00).
func (c *Card) changeOrReload(a *apdu.Command) ([]byte, apdu.SW) {
	c.drop()
	if a.P2 != 0 || a.P1 > 1 {
		return nil, apdu.WrongP1P2
	}
	d := a.Data
	if a.P1 == 0x01 { // CHANGE PIN: old ‖ FF ‖ new
		if len(d) < 5 || len(d) > 13 {
			return nil, apdu.WrongLength
		}
		sep := -1
		for i, b := range d {
			if b == 0xFF {
				sep = i
				break
			}
		}
		if sep < 0 || !validPIN(d[:sep]) || !validPIN(d[sep+1:]) {
			return nil, apdu.WrongData
		}
		if c.triesLeft == 0 {
			return nil, apdu.Locked
		}
		if sw := c.checkPIN(d[:sep]); sw != apdu.OK {
			return nil, sw
		}
		c.pin = append([]byte(nil), d[sep+1:]...)
		return nil, apdu.OK
	}
	// RELOAD PIN: new ‖ MAC4.
	if len(d) < 6 || len(d) > 10 {
		return nil, apdu.WrongLength
	}
	pin, got := d[:len(d)-4], d[len(d)-4:]
	want := ref.KeyedMAC(c.cfg.Alg, c.cfg.SM4PINReloadKey, &c.cfg.Keys.DRPK, pin)
	if subtle.ConstantTimeCompare(want[:], got) != 1 {
		return nil, apdu.SMMACWrong
	}
	if !validPIN(pin) {
		return nil, apdu.WrongData
	}
	c.pin = append([]byte(nil), pin...)
	c.triesLeft = PINTries
	return nil, apdu.OK
}

// unblock answers UNBLOCK PIN 84 24 00 00 Lc enc ‖ MAC4: the MAC covers the
// header (with Lc) and enc, with the last challenge as IV; enc is the ECB of
// len ‖ PIN ‖ 80 00… under DPUK. The PIN becomes the decrypted one and the
// try counter is reset.
func (c *Card) unblock(a *apdu.Command, raw, ch []byte) ([]byte, apdu.SW) {
	c.drop()
	if a.P1 != 0 || a.P2 != 0 {
		return nil, apdu.WrongP1P2
	}
	n := c.cfg.Alg.BlockSize()
	if len(a.Data) != n+4 || a.HasLe {
		return nil, apdu.WrongLength
	}
	if ch == nil {
		return nil, apdu.NoChallenge
	}
	enc, got := a.Data[:n], a.Data[n:]
	want := ref.CommandMAC(c.cfg.Alg, &c.cfg.Keys.DPUK, ch, raw[:5+n])
	if subtle.ConstantTimeCompare(want[:], got) != 1 {
		return nil, apdu.SMMACWrong
	}
	var blk [16]byte
	ref.Block(c.cfg.Alg, c.cfg.Keys.DPUK[:]).Decrypt(blk[:n], enc)
	defer clear(blk[:])
	l := int(blk[0])
	if l < 2 || l > 6 || 1+l >= n || blk[1+l] != 0x80 || !validPIN(blk[1:1+l]) {
		return nil, apdu.WrongData
	}
	for _, b := range blk[2+l : n] {
		if b != 0 {
			return nil, apdu.WrongData
		}
	}
	c.pin = append([]byte(nil), blk[1:1+l]...)
	c.triesLeft = PINTries
	return nil, apdu.OK
}

// getChallenge answers 00 84 00 00 Le (4 or 8). The challenge serves as the
// IV of the next command only.
func (c *Card) getChallenge(a *apdu.Command) ([]byte, apdu.SW) {
	c.drop()
	if a.P1 != 0 || a.P2 != 0 {
		return nil, apdu.WrongP1P2
	}
	if a.Data != nil || !a.HasLe || (a.Le != 4 && a.Le != 8) {
		return nil, apdu.WrongLength
	}
	ch := make([]byte, a.Le)
	if _, err := io.ReadFull(c.cfg.Rand, ch); err != nil {
		return nil, apdu.Conditions
	}
	c.challenge = ch
	copy(c.resp[:], ch)
	return c.resp[:a.Le], apdu.OK
}
