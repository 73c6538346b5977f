package mac

import (
	"fmt"

	"github.com/sscard/sscard/diversify"
)

// SessionRule selects how an SM4 session key is formed from the 8-byte
// session input D8 (SPEC §4).
type SessionRule uint8

// SM4 session-key rules.
const (
	// SessionNotD8 is SK = SM4(K, D8 || ~D8) [one source].
	SessionNotD8 SessionRule = iota
	// SessionZeroPad is SK = SM4(K, D8 || 00*8).
	SessionZeroPad
	// SessionPad80 is SK = SM4(K, D8 || 80 00*7).
	SessionPad80
)

// KeyRule selects how a 16-byte card key becomes the MAC key of a
// session-less MAC (TAC, PIN reload) in the SM4 family.
type KeyRule uint8

// SM4 key rules.
const (
	// KeyAsIs uses the card key unchanged (our decision for SM4).
	KeyAsIs KeyRule = iota
	// KeyXORHalves uses L^R || L^R where L, R are the key halves: the
	// confirmed 3DES rule carried over to a 16-byte SM4 key.
	KeyXORHalves
)

// Order is the order of a list of diversification factors.
type Order uint8

// Factor orders.
const (
	// RootFirst lists the level just below the root first and the card last.
	RootFirst Order = iota
	// LowestFirst lists the card first, as PSAM commands do.
	LowestFirst
)

// Padding selects ISO/IEC 9797-1 method 2 padding behaviour.
type Padding uint8

// Paddings.
const (
	// PadAlways appends 80 00… always, a whole block when aligned [V][S].
	PadAlways Padding = iota
	// PadIfNeeded appends 80 00… only when the data is not block-aligned.
	PadIfNeeded
)

// Profile names every choice the published sources do not settle (SPEC §7).
// The 3DES family's key rules are confirmed by published vectors and fixed:
// SK = 3DES(K, D8) with MAC_DES, TAC key DTK[0:8]^DTK[8:16] with MAC_DES,
// PIN reload key DRPK[0:8]^DRPK[8:16] with MAC_DES; Padding applies to both
// families. A setting outside its constants is refused (ErrBadProfile) by
// every function that takes the profile. A Profile is read-only once in use
// and safe for concurrent use.
type Profile struct {
	// Name identifies the profile in key-set files.
	Name string
	// AllowSM4 and AllowTDES say which algorithm families the profile
	// accepts; a transaction of another family is refused.
	AllowSM4, AllowTDES bool
	// SM4Session is the SM4 session-key rule.
	SM4Session SessionRule
	// SM4TACKey is the SM4 TAC key rule.
	SM4TACKey KeyRule
	// SM4PINReloadKey is the SM4 PIN-reload MAC key rule.
	SM4PINReloadKey KeyRule
	// FactorOrder is the order in which multi-level factor lists are given
	// to APIs that follow the profile (the record formats).
	FactorOrder Order
	// Padding is the MAC padding rule.
	Padding Padding
}

// The shipped profiles.
var (
	// PBOC3DES holds the confirmed PBOC 3DES rules and accepts 3DES only.
	PBOC3DES = &Profile{Name: "PBOC-3DES", AllowTDES: true}
	// SM4Profile holds the SM4 rules of SPEC §4 and §6: session key
	// SM4(K, D8 || ~D8) [one source], TAC key DTK unchanged [decision], PIN
	// reload key DRPK unchanged [decision], factors root first, padding
	// always. It accepts 3DES transactions too, under the confirmed rules.
	SM4Profile = &Profile{Name: "SM4", AllowSM4: true, AllowTDES: true}
)

// ProfileByName returns a shipped profile.
func ProfileByName(name string) (*Profile, error) {
	switch name {
	case PBOC3DES.Name:
		return PBOC3DES, nil
	case SM4Profile.Name:
		return SM4Profile, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownProfile, name)
}

// Allows reports whether the profile accepts the algorithm family.
func (p *Profile) Allows(alg diversify.Alg) bool {
	if p == nil {
		return false
	}
	switch alg {
	case diversify.SM4:
		return p.AllowSM4
	case diversify.TDES:
		return p.AllowTDES
	}
	return false
}

// Validate reports a nil profile or a setting outside its constants
// (ErrBadProfile), naming the setting.
func (p *Profile) Validate() error {
	switch {
	case p == nil:
		return fmt.Errorf("%w: nil", ErrBadProfile)
	case p.SM4Session > SessionPad80:
		return fmt.Errorf("%w: %s: SM4Session %d", ErrBadProfile, p.Name, p.SM4Session)
	case p.SM4TACKey > KeyXORHalves:
		return fmt.Errorf("%w: %s: SM4TACKey %d", ErrBadProfile, p.Name, p.SM4TACKey)
	case p.SM4PINReloadKey > KeyXORHalves:
		return fmt.Errorf("%w: %s: SM4PINReloadKey %d", ErrBadProfile, p.Name, p.SM4PINReloadKey)
	case p.FactorOrder > LowestFirst:
		return fmt.Errorf("%w: %s: FactorOrder %d", ErrBadProfile, p.Name, p.FactorOrder)
	case p.Padding > PadIfNeeded:
		return fmt.Errorf("%w: %s: Padding %d", ErrBadProfile, p.Name, p.Padding)
	}
	return nil
}

func (p *Profile) check(alg diversify.Alg) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if alg != diversify.SM4 && alg != diversify.TDES {
		return fmt.Errorf("%w: %d", diversify.ErrUnknownAlg, uint8(alg))
	}
	if !p.Allows(alg) {
		return fmt.Errorf("%w: %v not in profile %s", ErrAlgNotAllowed, alg, p.Name)
	}
	return nil
}
