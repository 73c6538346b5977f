// Package issuer models a card issuer of the reference world: it holds the
// master keys of one algorithm family and key version at the top of a key
// tree, personalises software cards with their card-level keys, installs the
// masters into software PSAMs, and exports the key set file that a clearing
// verifier reads.
package issuer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/sscard/sscard/bench/card"
	"github.com/sscard/sscard/bench/internal/ref"
	"github.com/sscard/sscard/bench/psam"
)

// Masters are the issuer master keys, one per card key.
type Masters struct {
	Purchase   [16]byte // → DPK
	Load       [16]byte // → DLK
	TAC        [16]byte // → DTK
	PINUnblock [16]byte // → DPUK
	PINReload  [16]byte // → DRPK
}

// Issuer is one key tree: family, key version, masters, and the factors
// between the masters and the cards (root first, the card's ASN excluded).
type Issuer struct {
	Alg     ref.Alg
	Version byte
	Upper   [][8]byte
	Masters Masters
}

// ErrLevels reports a key tree deeper than a PSAM command can carry.
var ErrLevels = errors.New("issuer: 1 to 3 levels")

// New returns an issuer with masters drawn from r (crypto/rand when nil).
// upper lists the factors above the card level, root first (0 to 2).
func New(alg ref.Alg, version byte, upper [][8]byte, r io.Reader) (*Issuer, error) {
	if alg != ref.SM4 && alg != ref.TDES {
		return nil, ref.ErrAlg
	}
	if len(upper)+1 > psam.MaxLevels {
		return nil, ErrLevels
	}
	if r == nil {
		r = rand.Reader
	}
	is := &Issuer{Alg: alg, Version: version, Upper: append([][8]byte(nil), upper...)}
	for _, k := range []*[16]byte{&is.Masters.Purchase, &is.Masters.Load, &is.Masters.TAC, &is.Masters.PINUnblock, &is.Masters.PINReload} {
		if _, err := io.ReadFull(r, k[:]); err != nil {
			return nil, err
		}
	}
	return is, nil
}

// Levels is the number of factors from a master to a card.
func (is *Issuer) Levels() int { return len(is.Upper) + 1 }

// Factors returns the factors from the masters to the card with this ASN,
// root first: the upper levels, then the ASN's low 8 bytes.
func (is *Issuer) Factors(asn [10]byte) [][8]byte {
	f := append([][8]byte(nil), is.Upper...)
	var c [8]byte
	copy(c[:], asn[2:])
	return append(f, c)
}

// CardKeys derives the card-level keys of the card with this ASN.
func (is *Issuer) CardKeys(asn [10]byte) card.Keys {
	f := is.Factors(asn)
	return card.Keys{
		DPK:  ref.Derive(is.Alg, &is.Masters.Purchase, f),
		DLK:  ref.Derive(is.Alg, &is.Masters.Load, f),
		DTK:  ref.Derive(is.Alg, &is.Masters.TAC, f),
		DPUK: ref.Derive(is.Alg, &is.Masters.PINUnblock, f),
		DRPK: ref.Derive(is.Alg, &is.Masters.PINReload, f),
	}
}

// NewCard personalises a card: cfg's Alg, KeyVersion, Keys and ASN are set
// from the issuer; the rest is kept.
func (is *Issuer) NewCard(asn [10]byte, cfg card.Config) (*card.Card, error) {
	cfg.Alg = is.Alg
	cfg.KeyVersion = is.Version
	cfg.ASN = asn
	cfg.Keys = is.CardKeys(asn)
	return card.New(cfg)
}

// Install loads the purchase, load and TAC masters into p.
func (is *Issuer) Install(p *psam.PSAM) error {
	for _, k := range []struct {
		u   psam.Usage
		key *[16]byte
	}{{psam.Purchase, &is.Masters.Purchase}, {psam.Load, &is.Masters.Load}, {psam.TAC, &is.Masters.TAC}} {
		if err := p.Install(psam.Key{Usage: k.u, Alg: is.Alg, Version: is.Version, Levels: is.Levels(), Key: *k.key}); err != nil {
			return err
		}
	}
	return nil
}

// KeySet is the key set file of the sscard record format.
type KeySet struct {
	Profile string      `json:"profile"`
	Keys    []KeyRecord `json:"keys"`
}

// KeyRecord is one master key of a KeySet.
type KeyRecord struct {
	Usage   string `json:"usage"` // purchase (DPK master), load (DLK master), tac (DTK master)
	Alg     string `json:"alg"`   // sm4 or 3des
	Version int    `json:"version"`
	Levels  int    `json:"levels"` // factors from this master to the card
	Key     string `json:"key"`    // 32 hex digits
	KCV     string `json:"kcv"`    // 6 hex digits
}

// NewKeySet returns the key set of several issuers under a profile name.
func NewKeySet(profile string, issuers ...*Issuer) KeySet {
	ks := KeySet{Profile: profile, Keys: []KeyRecord{}}
	for _, is := range issuers {
		for _, k := range []struct {
			u   string
			key *[16]byte
		}{{"purchase", &is.Masters.Purchase}, {"load", &is.Masters.Load}, {"tac", &is.Masters.TAC}} {
			kcv := ref.KCV(is.Alg, k.key)
			ks.Keys = append(ks.Keys, KeyRecord{
				Usage: k.u, Alg: is.Alg.String(), Version: int(is.Version), Levels: is.Levels(),
				Key: hex.EncodeToString(k.key[:]), KCV: hex.EncodeToString(kcv[:]),
			})
		}
	}
	return ks
}

// Bytes returns the master of a key set entry as a 16-byte key.
func (r *KeyRecord) Bytes() ([16]byte, error) {
	var k [16]byte
	b, err := hex.DecodeString(r.Key)
	if err != nil || len(b) != 16 {
		return k, fmt.Errorf("issuer: key set entry %s/%s/%d: key must be 32 hex digits", r.Usage, r.Alg, r.Version)
	}
	copy(k[:], b)
	return k, nil
}
