// Package psam is a software PSAM (terminal security module) for the PBOC /
// social-security purse: the reference path that verifies transactions the
// way terminals do today, one transaction at a time through APDUs.
//
// It speaks the commands of SPEC §5 with SM4 from github.com/tjfoc/gmsm and
// DES from crypto/des:
//
//	00 B0 96 00 06        read the terminal number
//	80 70 00 00 Lc …      INIT SAM FOR PURCHASE → termSeq4 ‖ MAC1
//	80 72 00 00 04 MAC2   CREDIT SAM FOR PURCHASE → 9000 or 9302
//	80 1A P1 P2 Lc …      INIT FOR DESCRYPT: derive a card key (and a session key)
//	80 FA P1 00 Lc …      DES CRYPT: encrypt, MAC, or verify a MAC
//
// Like a real PSAM it keeps the per-transaction session key between 80 70
// and 80 72, and the derived key between 80 1A and 80 FA, so it serves one
// transaction at a time. A PSAM is not safe for concurrent use.
//
// # INIT FOR DESCRYPT and DES CRYPT
//
// SPEC §5 leaves their parameters generic; this model fixes them as follows.
// 80 1A: P1 = levels<<5 | type, levels 1 to 3; type 01 purchase key (DPK
// master), 02 load key (DLK master), 03 TAC key (DTK master), plus 10 for the
// SM4 family (11, 12, 13). P2 = key version. Data = the factors, lowest level
// first (8 bytes each), optionally followed by D8, in which case the session
// key of SPEC §4 is derived too and DES CRYPT uses it.
// 80 FA: P1 = 00 encrypt (ECB, whole blocks), 05 generate a 4-byte MAC, 07
// verify: data = MAC input ‖ MAC4, answer 9000 or 9302. Without a session key
// MACs use the session-less rule of the TAC (3DES: MAC_DES under K[0:8] ^
// K[8:16]; SM4: MAC_SM4 under K), with one a MAC under the session key.
package psam

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sscard/sscard/bench/apdu"
	"github.com/sscard/sscard/bench/internal/ref"
)

// Usage is the usage of a master key held by the PSAM (the low bits of the
// key type of INIT FOR DESCRYPT).
type Usage uint8

// Key usages.
const (
	Purchase Usage = 1 // DPK master: purchase, withdrawal, composite purchase
	Load     Usage = 2 // DLK master: load
	TAC      Usage = 3 // DTK master: TAC
)

// SM4Type is the bit of a key type that selects the SM4 family.
const SM4Type = 0x10

// MaxLevels is the most diversification levels a command may carry.
const MaxLevels = 3

// Key is a master key to install in a slot.
type Key struct {
	Usage   Usage
	Alg     ref.Alg
	Version byte
	// Levels is the number of factors from this key down to the card (1 to 3).
	Levels int
	Key    [16]byte
}

// Config configures a PSAM.
type Config struct {
	// Terminal is the 6-byte terminal number.
	Terminal [6]byte
	// Seq is the terminal transaction sequence; the next INIT SAM FOR PURCHASE
	// uses Seq+1.
	Seq uint32
	// SM4Session is the SM4 session-key rule (default SM4(K, D8 || ~D8)).
	SM4Session ref.SessionRule
	// SM4TACKey is the SM4 key rule of session-less MACs (default: as is).
	SM4TACKey ref.KeyRule
}

// Errors of Install.
var (
	ErrKey       = errors.New("psam: bad key")
	ErrDuplicate = errors.New("psam: key slot already used")
)

type slot struct {
	usage   Usage
	alg     ref.Alg
	version byte
	levels  int
	key     [16]byte
}

// PSAM is a software PSAM.
type PSAM struct {
	cfg   Config
	seq   uint32
	slots []slot

	// INIT SAM FOR PURCHASE state, kept until CREDIT SAM FOR PURCHASE.
	purchase struct {
		active bool
		sk     []byte
		amount [4]byte
	}
	// INIT FOR DESCRYPT state, kept until the next INIT FOR DESCRYPT.
	desc struct {
		active bool
		alg    ref.Alg
		key    [16]byte
		sk     []byte // nil without D8
	}
	resp [64]byte
}

// New returns a PSAM without keys.
func New(cfg Config) *PSAM {
	return &PSAM{cfg: cfg, seq: cfg.Seq}
}

// Install loads a master key into a slot (usage, algorithm, version, levels).
func (p *PSAM) Install(k Key) error {
	if k.Usage < Purchase || k.Usage > TAC {
		return fmt.Errorf("%w: usage %d", ErrKey, k.Usage)
	}
	if k.Alg != ref.SM4 && k.Alg != ref.TDES {
		return fmt.Errorf("%w: algorithm %d", ErrKey, k.Alg)
	}
	if k.Levels < 1 || k.Levels > MaxLevels {
		return fmt.Errorf("%w: %d levels, want 1 to %d", ErrKey, k.Levels, MaxLevels)
	}
	if p.find(k.Usage, k.Alg, k.Version, k.Levels) != nil {
		return fmt.Errorf("%w: usage %d %v version %d levels %d", ErrDuplicate, k.Usage, k.Alg, k.Version, k.Levels)
	}
	p.slots = append(p.slots, slot{k.Usage, k.Alg, k.Version, k.Levels, k.Key})
	return nil
}

func (p *PSAM) find(u Usage, alg ref.Alg, version byte, levels int) *slot {
	for i := range p.slots {
		s := &p.slots[i]
		if s.usage == u && s.alg == alg && s.version == version && s.levels == levels {
			return s
		}
	}
	return nil
}

// Terminal returns the terminal number.
func (p *PSAM) Terminal() [6]byte { return p.cfg.Terminal }

// Seq returns the terminal transaction sequence last issued.
func (p *PSAM) Seq() uint32 { return p.seq }

// SetSeq sets the terminal transaction sequence, so that the next INIT SAM
// FOR PURCHASE issues seq+1 (an administrative operation, for replaying
// recorded transactions).
func (p *PSAM) SetSeq(seq uint32) { p.seq = seq }

// Transmit executes one command APDU and returns the response data (valid
// until the next call) and the status word. It never panics.
func (p *PSAM) Transmit(cmd []byte) ([]byte, apdu.SW) {
	// Any command ends an open purchase, a malformed one included; only a
	// CREDIT SAM FOR PURCHASE gets to use it, and its session key is wiped
	// either way.
	pur := p.purchase
	p.purchase.active, p.purchase.sk = false, nil
	defer clear(pur.sk)
	c, sw := apdu.Parse(cmd)
	if sw != apdu.OK {
		return nil, sw
	}
	switch {
	case c.INS == 0xB0:
		if c.CLA != 0x00 {
			return nil, apdu.CLANotSupported
		}
		return p.readBinary(&c)
	case c.INS == 0x70:
		if c.CLA != 0x80 {
			return nil, apdu.CLANotSupported
		}
		return p.initSAMForPurchase(&c)
	case c.INS == 0x72:
		if c.CLA != 0x80 {
			return nil, apdu.CLANotSupported
		}
		return p.creditSAMForPurchase(&c, pur.active, pur.sk, &pur.amount)
	case c.INS == 0x1A:
		if c.CLA != 0x80 {
			return nil, apdu.CLANotSupported
		}
		return p.initForDescrypt(&c)
	case c.INS == 0xFA:
		if c.CLA != 0x80 {
			return nil, apdu.CLANotSupported
		}
		return p.desCrypt(&c)
	}
	return nil, apdu.INSNotSupported
}

// readBinary answers 00 B0 96 P2 Le: the terminal number file (SFI 16).
func (p *PSAM) readBinary(c *apdu.Command) ([]byte, apdu.SW) {
	if c.P1 != 0x96 || c.P2 >= 6 {
		return nil, apdu.WrongP1P2
	}
	if c.Data != nil || !c.HasLe || c.Le > 6-int(c.P2) {
		return nil, apdu.WrongLength
	}
	n := copy(p.resp[:], p.cfg.Terminal[c.P2:int(c.P2)+c.Le])
	return p.resp[:n], apdu.OK
}

func purchaseType(t byte) bool { return t == 0x04 || t == 0x05 || t == 0x06 || t == 0x09 }

// factors converts a lowest-first factor list to root first.
func factors(data []byte) [][8]byte {
	n := len(data) / 8
	f := make([][8]byte, n)
	for i := 0; i < n; i++ {
		copy(f[n-1-i][:], data[8*i:])
	}
	return f
}

// initSAMForPurchase answers 80 70 00 00 Lc rand4 ‖ offline2 ‖ amt4 ‖ type ‖
// date4 ‖ time3 ‖ keyVersion ‖ algId ‖ factors (lowest level first).
func (p *PSAM) initSAMForPurchase(c *apdu.Command) ([]byte, apdu.SW) {
	if c.P1 != 0 || c.P2 != 0 {
		return nil, apdu.WrongP1P2
	}
	d := c.Data
	if len(d) < 0x14+8 || len(d) > 0x14+8*MaxLevels || (len(d)-0x14)%8 != 0 {
		return nil, apdu.WrongLength
	}
	if !purchaseType(d[10]) {
		return nil, apdu.WrongData
	}
	alg, err := ref.AlgFromID(d[19])
	if err != nil {
		return nil, apdu.KeyNotFound
	}
	f := factors(d[0x14:])
	s := p.find(Purchase, alg, d[18], len(f))
	if s == nil {
		return nil, apdu.KeyNotFound
	}
	if p.seq == ^uint32(0) {
		return nil, apdu.Conditions
	}
	p.seq++
	var seq [4]byte
	binary.BigEndian.PutUint32(seq[:], p.seq)

	dpk := ref.Derive(alg, &s.key, f)
	var d8 [8]byte
	copy(d8[:6], d[0:6]) // rand4 ‖ offline2
	copy(d8[6:], seq[2:4])
	sk := ref.SessionKey(alg, p.cfg.SM4Session, &dpk, &d8)
	clear(dpk[:])

	// MAC1 over amt4 ‖ type ‖ term6 ‖ date4 ‖ time3.
	var in [18]byte
	copy(in[0:5], d[6:11])
	copy(in[5:11], p.cfg.Terminal[:])
	copy(in[11:18], d[11:18])
	mac1 := ref.SessionMAC(sk, in[:])

	p.purchase.active = true
	p.purchase.sk = sk
	copy(p.purchase.amount[:], d[6:10])
	copy(p.resp[0:4], seq[:])
	copy(p.resp[4:8], mac1[:])
	return p.resp[:8], apdu.OK
}

// creditSAMForPurchase answers 80 72 00 00 04 MAC2. The purchase session
// ends either way.
func (p *PSAM) creditSAMForPurchase(c *apdu.Command, active bool, sk []byte, amount *[4]byte) ([]byte, apdu.SW) {
	if c.P1 != 0 || c.P2 != 0 {
		return nil, apdu.WrongP1P2
	}
	if len(c.Data) != 4 {
		return nil, apdu.WrongLength
	}
	if !active {
		return nil, apdu.Conditions
	}
	want := ref.SessionMAC(sk, amount[:])
	if !ref.Equal(want[:], c.Data) {
		return nil, apdu.MACWrong
	}
	return nil, apdu.OK
}

// initForDescrypt answers 80 1A P1 P2 Lc factors [‖ D8].
func (p *PSAM) initForDescrypt(c *apdu.Command) ([]byte, apdu.SW) {
	p.desc.active = false
	clear(p.desc.sk)
	p.desc.sk = nil
	levels := int(c.P1 >> 5)
	typ := c.P1 & 0x1F
	alg := ref.TDES
	if typ&SM4Type != 0 {
		alg = ref.SM4
	}
	u := Usage(typ &^ SM4Type)
	if levels < 1 || levels > MaxLevels || u < Purchase || u > TAC {
		return nil, apdu.WrongP1P2
	}
	withD8 := false
	switch len(c.Data) {
	case 8 * levels:
	case 8*levels + 8:
		withD8 = true
	default:
		return nil, apdu.WrongLength
	}
	s := p.find(u, alg, c.P2, levels)
	if s == nil {
		return nil, apdu.KeyNotFound
	}
	p.desc.alg = alg
	p.desc.key = ref.Derive(alg, &s.key, factors(c.Data[:8*levels]))
	if withD8 {
		p.desc.sk = ref.SessionKey(alg, p.cfg.SM4Session, &p.desc.key, (*[8]byte)(c.Data[8*levels:]))
	}
	p.desc.active = true
	return nil, apdu.OK
}

// desCrypt answers 80 FA P1 00 Lc data.
func (p *PSAM) desCrypt(c *apdu.Command) ([]byte, apdu.SW) {
	if c.P2 != 0 || (c.P1 != 0x00 && c.P1 != 0x05 && c.P1 != 0x07) {
		return nil, apdu.WrongP1P2
	}
	if !p.desc.active {
		return nil, apdu.Conditions
	}
	d := c.Data
	switch c.P1 {
	case 0x00:
		b := ref.Block(p.desc.alg, p.desc.key[:])
		if p.desc.sk != nil {
			b = ref.SessionBlock(p.desc.sk)
		}
		n := b.BlockSize()
		if len(d) == 0 || len(d)%n != 0 || len(d) > len(p.resp) {
			return nil, apdu.WrongLength
		}
		for off := 0; off < len(d); off += n {
			b.Encrypt(p.resp[off:off+n], d[off:off+n])
		}
		return p.resp[:len(d)], apdu.OK
	case 0x05:
		m := p.mac(d)
		copy(p.resp[:4], m[:])
		return p.resp[:4], apdu.OK
	}
	if len(d) < 4 {
		return nil, apdu.WrongLength
	}
	m := p.mac(d[:len(d)-4])
	if !ref.Equal(m[:], d[len(d)-4:]) {
		return nil, apdu.MACWrong
	}
	return nil, apdu.OK
}

func (p *PSAM) mac(data []byte) [4]byte {
	if p.desc.sk != nil {
		return ref.SessionMAC(p.desc.sk, data)
	}
	return ref.KeyedMAC(p.desc.alg, p.cfg.SM4TACKey, &p.desc.key, data)
}
