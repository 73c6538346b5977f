package mac

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/strictjson"
)

// The names profile files give the settings, indexed by value.
var (
	sessionNames = []string{"not_d8", "zero_pad", "pad_80"}
	keyRuleNames = []string{"as_is", "xor_halves"}
	orderNames   = []string{"root_first", "lowest_first"}
	paddingNames = []string{"always", "if_needed"}
	shortNames   = []string{"pad_right", "pad_left", "refused"}
	longNames    = []string{"two_levels", "one_block"}
)

func settingName(names []string, v uint8) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%d", v)
}

// String returns the rule's name in profile files: "not_d8", "zero_pad" or
// "pad_80".
func (r SessionRule) String() string { return settingName(sessionNames, uint8(r)) }

// String returns the rule's name in profile files: "as_is" or "xor_halves".
func (r KeyRule) String() string { return settingName(keyRuleNames, uint8(r)) }

// String returns the order's name in profile files: "root_first" or
// "lowest_first".
func (o Order) String() string { return settingName(orderNames, uint8(o)) }

// String returns the padding's name in profile files: "always" or
// "if_needed".
func (p Padding) String() string { return settingName(paddingNames, uint8(p)) }

// String returns the rule's name in profile files: "pad_right", "pad_left"
// or "refused".
func (r ShortRule) String() string { return settingName(shortNames, uint8(r)) }

// String returns the rule's name in profile files: "two_levels" or
// "one_block".
func (r LongRule) String() string { return settingName(longNames, uint8(r)) }

// profileJSON is a profile as profile files spell it. Pointers tell a
// setting left out (the base's) from one given.
type profileJSON struct {
	Name            string   `json:"name"`
	Base            string   `json:"base,omitempty"`
	Algs            []string `json:"algs,omitempty"`
	SM4Session      *string  `json:"sm4_session,omitempty"`
	SM4TACKey       *string  `json:"sm4_tac_key,omitempty"`
	SM4PINReloadKey *string  `json:"sm4_pin_reload_key,omitempty"`
	FactorOrder     *string  `json:"factor_order,omitempty"`
	Padding         *string  `json:"padding,omitempty"`
	ShortFactor     *string  `json:"short_factor,omitempty"`
	SM4LongFactor   *string  `json:"sm4_long_factor,omitempty"`
	UnloadMAC3      []string `json:"unload_mac3,omitempty"`
	OverdrawTAC     []string `json:"overdraw_tac,omitempty"`
}

// profileKeys are the member names of a profile object: profileJSON's.
var profileKeys = func() []string {
	t := reflect.TypeFor[profileJSON]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	return keys
}()

// MarshalJSON writes a shipped profile (or one equal to it) as its name, and
// any other as an object naming every setting, which UnmarshalJSON reads
// back:
//
//	{"name": "SD-SM4", "algs": ["sm4", "3des"], "sm4_session": "zero_pad",
//	 "sm4_tac_key": "as_is", "sm4_pin_reload_key": "as_is",
//	 "factor_order": "root_first", "padding": "always",
//	 "short_factor": "pad_right", "sm4_long_factor": "two_levels"}
//
// with "unload_mac3" and "overdraw_tac" item lists where the layouts are
// not zero. A profile UnmarshalJSON would refuse (no name, no algorithm, a
// shipped profile's name with other settings) is an error (ErrBadProfile).
func (p *Profile) MarshalJSON() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	for _, s := range []*Profile{PBOC3DES, SM4Profile} {
		if *p == *s {
			return json.Marshal(s.Name)
		}
	}
	// What UnmarshalJSON would refuse is not written.
	switch {
	case p.Name == "":
		return nil, fmt.Errorf("%w: a defined profile needs a name", ErrBadProfile)
	case !p.AllowSM4 && !p.AllowTDES:
		return nil, fmt.Errorf("%w: %s accepts no algorithm", ErrBadProfile, p.Name)
	case p.Name == PBOC3DES.Name || p.Name == SM4Profile.Name:
		return nil, fmt.Errorf("%w: %s is a shipped profile's name, with other settings; give the profile its own", ErrBadProfile, p.Name)
	}
	str := func(s string) *string { return &s }
	j := profileJSON{
		Name:            p.Name,
		SM4Session:      str(p.SM4Session.String()),
		SM4TACKey:       str(p.SM4TACKey.String()),
		SM4PINReloadKey: str(p.SM4PINReloadKey.String()),
		FactorOrder:     str(p.FactorOrder.String()),
		Padding:         str(p.Padding.String()),
		ShortFactor:     str(p.ShortFactor.String()),
		SM4LongFactor:   str(p.SM4LongFactor.String()),
	}
	if p.AllowSM4 {
		j.Algs = append(j.Algs, diversify.SM4.String())
	}
	if p.AllowTDES {
		j.Algs = append(j.Algs, diversify.TDES.String())
	}
	items := func(l *Layout, k Kind) (s []string) {
		if *l == (Layout{}) {
			return nil
		}
		for _, it := range l.Items() {
			s = append(s, it.String())
		}
		return s
	}
	j.UnloadMAC3 = items(&p.UnloadMAC3, KindUnload)
	j.OverdrawTAC = items(&p.OverdrawTAC, KindOverdraw)
	return json.Marshal(&j)
}

// UnmarshalJSON reads a profile: a shipped profile's name ("SM4",
// "PBOC-3DES"), or an object (see MarshalJSON) that defines one. The object
// starts from the shipped profile named by "base" when given (else from no
// algorithm and every default rule) and sets what it names. Unknown keys,
// unknown setting names, a missing name, the name of a shipped profile with
// other settings, and a profile that accepts no algorithm are errors
// (ErrBadProfile or ErrUnknownProfile); their messages repeat no value from
// b, since profiles sit in key-set files.
func (p *Profile) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var name string
		if err := json.Unmarshal(b, &name); err != nil {
			return fmt.Errorf("%w: not a JSON string", ErrBadProfile)
		}
		s, err := ProfileByName(name)
		if err != nil {
			return fmt.Errorf("%w (want %q or %q, or an object defining one)", ErrUnknownProfile, SM4Profile.Name, PBOC3DES.Name)
		}
		*p = *s
		return nil
	}
	// Exact, unrepeated names first: encoding/json would take
	// "Padding" for "padding" and let a repeated setting override.
	if _, err := strictjson.Members(b, profileKeys...); err != nil {
		switch {
		case errors.Is(err, strictjson.ErrUnknown):
			return fmt.Errorf("%w: unknown setting (names are case-sensitive)", ErrBadProfile)
		case errors.Is(err, strictjson.ErrDuplicate):
			return fmt.Errorf("%w: a setting is repeated", ErrBadProfile)
		}
		return fmt.Errorf("%w: not a profile name or object", ErrBadProfile)
	}
	var j profileJSON
	if err := json.Unmarshal(b, &j); err != nil {
		// encoding/json's messages may repeat a key of b; the names are
		// known to be profileKeys by now.
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%w: %s has the wrong JSON type", ErrBadProfile, te.Field)
		}
		return fmt.Errorf("%w: not a profile name or object", ErrBadProfile)
	}
	q, err := j.profile()
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// profile builds the profile j defines.
func (j *profileJSON) profile() (Profile, error) {
	var q Profile
	if j.Name == "" {
		return q, fmt.Errorf("%w: a defined profile needs a name", ErrBadProfile)
	}
	if j.Base != "" {
		s, err := ProfileByName(j.Base)
		if err != nil {
			return q, fmt.Errorf("%w: unknown base", ErrUnknownProfile)
		}
		q = *s
	}
	q.Name = j.Name
	if j.Algs != nil {
		q.AllowSM4, q.AllowTDES = false, false
		for _, a := range j.Algs {
			alg, err := diversify.ParseAlg(a)
			if err != nil {
				return q, fmt.Errorf("%w: unknown alg (want sm4 or 3des)", ErrBadProfile)
			}
			if alg == diversify.SM4 {
				q.AllowSM4 = true
			} else {
				q.AllowTDES = true
			}
		}
	}
	set := func(dst *uint8, s *string, names []string, what string) error {
		if s == nil {
			return nil
		}
		for i, n := range names {
			if n == *s {
				*dst = uint8(i)
				return nil
			}
		}
		// The value is not echoed: profiles sit in key-set files.
		return fmt.Errorf("%w: unknown %s (want one of %q)", ErrBadProfile, what, names)
	}
	for _, e := range []error{
		set((*uint8)(&q.SM4Session), j.SM4Session, sessionNames, "sm4_session"),
		set((*uint8)(&q.SM4TACKey), j.SM4TACKey, keyRuleNames, "sm4_tac_key"),
		set((*uint8)(&q.SM4PINReloadKey), j.SM4PINReloadKey, keyRuleNames, "sm4_pin_reload_key"),
		set((*uint8)(&q.FactorOrder), j.FactorOrder, orderNames, "factor_order"),
		set((*uint8)(&q.Padding), j.Padding, paddingNames, "padding"),
		set((*uint8)(&q.ShortFactor), j.ShortFactor, shortNames, "short_factor"),
		set((*uint8)(&q.SM4LongFactor), j.SM4LongFactor, longNames, "sm4_long_factor"),
	} {
		if e != nil {
			return q, e
		}
	}
	layout := func(dst *Layout, names []string, what string) error {
		if names == nil {
			return nil
		}
		if len(names) == 0 || len(names) > MaxLayout {
			return fmt.Errorf("%w: %s: 1 to %d items, got %d", ErrBadProfile, what, MaxLayout, len(names))
		}
		*dst = Layout{}
		for i, n := range names {
			it, err := ParseItem(n)
			if err != nil {
				return fmt.Errorf("%w: %s: unknown item %d", ErrBadProfile, what, i)
			}
			dst[i] = it
		}
		return nil
	}
	if err := layout(&q.UnloadMAC3, j.UnloadMAC3, "unload_mac3"); err != nil {
		return q, err
	}
	if err := layout(&q.OverdrawTAC, j.OverdrawTAC, "overdraw_tac"); err != nil {
		return q, err
	}
	if !q.AllowSM4 && !q.AllowTDES {
		return q, fmt.Errorf("%w: the profile accepts no algorithm (give algs or base)", ErrBadProfile)
	}
	for _, s := range []*Profile{PBOC3DES, SM4Profile} {
		if q.Name == s.Name && q != *s {
			return q, fmt.Errorf("%w: a shipped profile's name with other settings; give the defined profile its own", ErrBadProfile)
		}
	}
	// The name is not echoed either.
	v := q
	v.Name = "defined profile"
	return q, v.Validate()
}
