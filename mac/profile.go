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

// ShortRule selects how a factor shorter than 8 bytes becomes one (SPEC §3).
type ShortRule uint8

// Short-factor rules.
const (
	// ShortPadRight right-pads with 00 [one source].
	ShortPadRight ShortRule = iota
	// ShortPadLeft left-pads with 00, as a number is widened.
	ShortPadLeft
	// ShortRefused refuses factors shorter than 8 bytes.
	ShortRefused
)

// LongRule selects what a 16-byte SM4 factor is (SPEC §3).
type LongRule uint8

// Long-factor rules.
const (
	// LongTwoLevels makes a 16-byte factor two levels of 8 bytes, in list
	// order (our decision), in both families.
	LongTwoLevels LongRule = iota
	// LongOneBlock makes a 16-byte SM4 factor one level, a single SM4 call
	// on the 16 bytes (diversify.SM4BlockChild); 3DES keeps two levels.
	LongOneBlock
)

// Profile names every choice the published sources do not settle (SPEC §7).
// The 3DES family's key rules are confirmed by published vectors and fixed:
// SK = 3DES(K, D8) with MAC_DES, TAC key DTK[0:8]^DTK[8:16] with MAC_DES,
// PIN reload key DRPK[0:8]^DRPK[8:16] with MAC_DES; Padding applies to both
// families. A setting outside its constants is refused (ErrBadProfile) by
// every function that computes a MAC or derives a key under the profile
// (Factor, Levels and AppendSeal only read the settings they need). A Profile is read-only once in use
// and safe for concurrent use. It is comparable, and a key-set file names a
// shipped one or defines its own (MarshalJSON, UnmarshalJSON).
//
// SPEC marks as [1] (one source) or [D] (our decision) the SM4 session-key,
// TAC-key and PIN-reload-key rules, the short-factor padding, what a 16-byte
// factor is, and the unload MAC3 and overdraw TAC inputs; each is a setting
// here, its zero value SPEC's choice.
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
	// ShortFactor is the rule for factors shorter than 8 bytes given as
	// text or bytes (Derive, Factor, the record formats).
	ShortFactor ShortRule
	// SM4LongFactor is the rule for 16-byte factors of SM4 keys.
	SM4LongFactor LongRule
	// UnloadMAC3 is the MAC3 input of an unload; the zero Layout is SPEC
	// §4's: balance after, online counter, amount, type, terminal, date,
	// time [one source].
	UnloadMAC3 Layout
	// OverdrawTAC is the TAC input of an overdraw-limit update; the zero
	// Layout is SPEC §4's: balance after, online counter, new limit, type,
	// terminal, date, time [one source].
	OverdrawTAC Layout
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
	case p.ShortFactor > ShortRefused:
		return fmt.Errorf("%w: %s: ShortFactor %d", ErrBadProfile, p.Name, p.ShortFactor)
	case p.SM4LongFactor > LongOneBlock:
		return fmt.Errorf("%w: %s: SM4LongFactor %d", ErrBadProfile, p.Name, p.SM4LongFactor)
	}
	if err := p.UnloadMAC3.check(KindUnload); err != nil {
		return fmt.Errorf("%w: %s: UnloadMAC3: %v", ErrBadProfile, p.Name, err)
	}
	if err := p.OverdrawTAC.check(KindOverdraw); err != nil {
		return fmt.Errorf("%w: %s: OverdrawTAC: %v", ErrBadProfile, p.Name, err)
	}
	return nil
}

// DefaultFactorRules reports whether the profile's factor rules are SPEC
// §3's: short factors right-padded with 00 and 16-byte factors two levels.
// Under them a factor list is a plain list of 8-byte levels.
func (p *Profile) DefaultFactorRules() bool {
	return p.ShortFactor == ShortPadRight && p.SM4LongFactor == LongTwoLevels
}

// DefaultLayouts reports whether the profile's unload MAC3 and overdraw TAC
// inputs are SPEC §4's.
func (p *Profile) DefaultLayouts() bool {
	return p.UnloadMAC3.Default(KindUnload) && p.OverdrawTAC.Default(KindOverdraw)
}

// Factor makes one level's factor from b (1 to 8 bytes) under the
// ShortFactor rule.
func (p *Profile) Factor(b []byte) (diversify.Factor, error) {
	var f diversify.Factor
	switch {
	case len(b) == 0 || len(b) > 8:
		return f, fmt.Errorf("%w: %d bytes, want 1 to 8 for one level", diversify.ErrFactor, len(b))
	case len(b) == 8 || p.ShortFactor == ShortPadRight:
		copy(f[:], b)
	case p.ShortFactor == ShortPadLeft:
		copy(f[8-len(b):], b)
	default:
		return f, fmt.Errorf("%w: %d bytes, and profile %s refuses short factors", diversify.ErrFactor, len(b), p.Name)
	}
	return f, nil
}

// Levels returns how many levels the factors stand for under the profile's
// rules (see Derive).
func (p *Profile) Levels(alg diversify.Alg, factors ...[]byte) (int, error) {
	n := 0
	for _, f := range factors {
		switch {
		case len(f) == 16:
			n += 2
			if alg == diversify.SM4 && p.SM4LongFactor == LongOneBlock {
				n--
			}
		case len(f) >= 1 && len(f) <= 8:
			n++
		default:
			return 0, fmt.Errorf("%w: %d bytes, want 1 to 8 or 16", diversify.ErrFactor, len(f))
		}
	}
	return n, nil
}

// Derive sets dst to the key reached from root through factors under the
// profile's rules: the factors are listed in FactorOrder; each is 1 to 8
// bytes (one level, padded by ShortFactor when shorter) or 16 bytes (two
// levels, its first 8 bytes first in list order; for SM4 under
// LongOneBlock, one level: SM4(parent, factor)). At most
// diversify.MaxLevels levels; with none dst is root. dst may alias root.
func (p *Profile) Derive(alg diversify.Alg, dst, root *[16]byte, factors ...[]byte) error {
	if err := p.check(alg); err != nil {
		return err
	}
	n, err := p.Levels(alg, factors...)
	if err != nil {
		return err
	}
	if n > diversify.MaxLevels {
		return fmt.Errorf("%w: %d levels", diversify.ErrTooManyLevels, n)
	}
	// Check every factor before deriving anything.
	for _, f := range factors {
		if len(f) < 8 {
			if _, err := p.Factor(f); err != nil {
				return err
			}
		}
	}
	k := *root
	for i := range factors {
		j := i
		if p.FactorOrder == LowestFirst {
			j = len(factors) - 1 - i
		}
		p.deriveStep(alg, &k, factors[j])
	}
	*dst = k
	clear(k[:])
	return nil
}

// deriveStep applies one checked factor f to k in place, root first.
func (p *Profile) deriveStep(alg diversify.Alg, k *[16]byte, f []byte) {
	if len(f) == 16 {
		if alg == diversify.SM4 && p.SM4LongFactor == LongOneBlock {
			diversify.SM4BlockChild(k, k, (*[16]byte)(f))
			return
		}
		// Two levels in list order: root first, the upper half first.
		hi, lo := f[:8], f[8:]
		if p.FactorOrder == LowestFirst {
			hi, lo = lo, hi
		}
		p.deriveStep(alg, k, hi)
		p.deriveStep(alg, k, lo)
		return
	}
	fac, _ := p.Factor(f)
	if alg == diversify.SM4 {
		diversify.SM4Child(k, k, &fac)
	} else {
		diversify.TDESChild(k, k, &fac)
	}
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
