package batch

import (
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/strictjson"
	"github.com/sscard/sscard/mac"
)

// keyHex is a 16-byte key read straight from the key-set file (no string
// copy of the secret is made).
type keyHex struct {
	set bool
	k   [16]byte
}

func (h *keyHex) UnmarshalJSON(b []byte) error {
	if len(b) != 34 || b[0] != '"' || b[33] != '"' {
		return fmt.Errorf("%w: key must be a string of 32 hex digits", ErrKeySet)
	}
	if _, err := hex.Decode(h.k[:], b[1:33]); err != nil {
		clear(h.k[:])
		return fmt.Errorf("%w: key is not hex", ErrKeySet)
	}
	h.set = true
	return nil
}

type kcvHex struct {
	n int
	k [3]byte
}

func (h *kcvHex) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 4 || len(b) > 8 || len(b)%2 != 0 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("%w: kcv must be a string of 2 to 6 hex digits", ErrKeySet)
	}
	n, err := hex.Decode(h.k[:], b[1:len(b)-1])
	if err != nil {
		return fmt.Errorf("%w: kcv is not hex", ErrKeySet)
	}
	h.n = n
	return nil
}

type keyEntryJSON struct {
	Usage   string `json:"usage"`
	Alg     string `json:"alg"`
	Version *int   `json:"version"`
	Levels  *int   `json:"levels"`
	Key     keyHex `json:"key"`
	KCV     kcvHex `json:"kcv"`
}

type keySetJSON struct {
	Profile json.RawMessage `json:"profile"`
	Keys    []keyEntryJSON  `json:"keys"`
}

// ParseKeySet parses a key-set file:
//
//	{"profile": "SM4" | "PBOC-3DES" | {"name": …, "base": …, …},
//	 "keys": [{"usage": "purchase"|"load"|"tac"|"unload"|"overdraw",
//	           "alg": "sm4"|"3des", "version": 1, "levels": 2,
//	           "key": "32 hex digits", "kcv": "6 hex digits, optional"}]}
//
// where the profile is a shipped profile's name or an object defining one
// (see mac.Profile.UnmarshalJSON), and validates it (see
// KeySet.Validate): a KCV mismatch or a duplicate
// (usage, alg, version) refuses the whole set. Errors wrap ErrKeySet,
// diversify.ErrKCVMismatch or ErrDuplicateKey and never contain key
// material. The caller should wipe data afterwards; the result holds the
// keys and should be wiped with Wipe when no longer needed.
func ParseKeySet(data []byte) (*KeySet, error) {
	// Exact, unrepeated, known names first: encoding/json would take
	// "KCV" for "kcv", let a repeated field override, and skip a
	// misspelt "kvc", leaving the key unchecked.
	serr := checkKeySetNames(data)
	if serr != nil && !errors.Is(serr, strictjson.ErrNotObject) {
		return nil, serr
	}
	var f keySetJSON
	err := json.Unmarshal(data, &f)
	defer func() {
		for i := range f.Keys {
			clear(f.Keys[i].Key.k[:])
		}
	}()
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%w: JSON syntax error at offset %d", ErrKeySet, se.Offset)
		}
		if errors.Is(err, ErrKeySet) {
			return nil, err
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("%w: field %q has the wrong JSON type", ErrKeySet, te.Field)
		}
		return nil, fmt.Errorf("%w: not a key-set object", ErrKeySet)
	}
	if serr != nil {
		return nil, fmt.Errorf("%w: not a key-set object", ErrKeySet)
	}
	p, err := parseProfile(f.Profile)
	if err != nil {
		return nil, err
	}
	ks := &KeySet{Profile: p, Keys: make([]MasterKey, len(f.Keys))}
	for i := range f.Keys {
		e := &f.Keys[i]
		u, err := ParseUsage(e.Usage)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		alg, err := parseAlgString(e.Alg)
		if err != nil {
			return nil, fmt.Errorf("%w: key %d: unknown alg (want sm4 or 3des)", ErrKeySet, i)
		}
		if e.Version == nil || *e.Version < 0 || *e.Version > 255 {
			return nil, fmt.Errorf("%w: key %d: version must be 0 to 255", ErrKeySet, i)
		}
		if e.Levels == nil || *e.Levels < 0 || *e.Levels > MaxFactors {
			return nil, fmt.Errorf("%w: key %d: levels must be 0 to %d", ErrKeySet, i, MaxFactors)
		}
		if !e.Key.set {
			return nil, fmt.Errorf("%w: key %d: no key", ErrKeySet, i)
		}
		ks.Keys[i] = MasterKey{Usage: u, Alg: alg, Version: uint8(*e.Version), Levels: *e.Levels,
			Key: e.Key.k, KCV: e.KCV.k, KCVLen: e.KCV.n}
	}
	if err := ks.Validate(); err != nil {
		ks.Wipe()
		return nil, err
	}
	return ks, nil
}

// checkKeySetNames checks the member names of a key-set file and of its
// keys' entries (strictjson.Members). Errors wrap ErrKeySet, or are
// strictjson.ErrNotObject where the structure is not what it walks (the
// JSON decoder then names the problem).
func checkKeySetNames(data []byte) error {
	top, err := strictjson.Members(data, "profile", "keys")
	if err == nil {
		raw, ok := top["keys"]
		if !ok || raw[0] != '[' {
			return nil // the decoder refuses it
		}
		var elems [][]byte
		if elems, err = strictjson.Elements(raw); err == nil {
			for i, e := range elems {
				if e[0] != '{' {
					continue // the decoder refuses it
				}
				if _, err := strictjson.Members(e, "usage", "alg", "version", "levels", "key", "kcv"); err != nil {
					return keySetNameError(err, fmt.Sprintf("key %d: ", i))
				}
			}
			return nil
		}
	}
	return keySetNameError(err, "")
}

func keySetNameError(err error, where string) error {
	switch {
	case errors.Is(err, strictjson.ErrUnknown):
		return fmt.Errorf("%w: %sunknown field (names are case-sensitive: profile, keys; usage, alg, version, levels, key, kcv)", ErrKeySet, where)
	case errors.Is(err, strictjson.ErrDuplicate):
		return fmt.Errorf("%w: %sa field is repeated", ErrKeySet, where)
	case errors.Is(err, strictjson.ErrTrailing):
		return fmt.Errorf("%w: %sdata after the JSON value", ErrKeySet, where)
	}
	return err
}

// parseProfile reads the profile of a key-set file: a shipped profile's
// name, or an object that defines one (mac.Profile.UnmarshalJSON).
func parseProfile(raw json.RawMessage) (*mac.Profile, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("%w: no profile", ErrKeySet)
	}
	if raw[0] == '"' {
		var name string
		if json.Unmarshal(raw, &name) == nil {
			if p, err := mac.ProfileByName(name); err == nil {
				return p, nil
			}
		}
		// Values from a key-set file are never echoed (see ParseUsage).
		return nil, fmt.Errorf("%w: %w (want %q or %q, or an object defining one)", ErrKeySet, mac.ErrUnknownProfile, mac.SM4Profile.Name, mac.PBOC3DES.Name)
	}
	p := new(mac.Profile)
	if err := p.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("%w: profile: %w", ErrKeySet, err)
	}
	for _, s := range []*mac.Profile{mac.SM4Profile, mac.PBOC3DES} {
		if *p == *s {
			return s, nil
		}
	}
	return p, nil
}

func parseAlgString(s string) (diversify.Alg, error) {
	switch s {
	case "sm4", "SM4":
		return diversify.SM4, nil
	case "3des", "3DES":
		return diversify.TDES, nil
	}
	return 0, diversify.ErrUnknownAlg
}

// Validate checks the key set: a profile, valid usages, algorithms the
// profile allows, levels 0 to MaxFactors, no duplicate (usage, alg,
// version), and every given KCV matching its key. Errors never contain key
// material.
func (ks *KeySet) Validate() error {
	if ks == nil || ks.Profile == nil {
		return fmt.Errorf("%w: no profile", ErrKeySet)
	}
	if err := ks.Profile.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrKeySet, err)
	}
	seen := make(map[[3]uint8]int, len(ks.Keys))
	for i := range ks.Keys {
		k := &ks.Keys[i]
		if k.Usage < UsagePurchase || k.Usage > UsageOverdraw {
			return fmt.Errorf("%w: key %d: unknown usage", ErrKeySet, i)
		}
		if k.Alg != diversify.SM4 && k.Alg != diversify.TDES {
			return fmt.Errorf("%w: key %d: unknown alg", ErrKeySet, i)
		}
		if !ks.Profile.Allows(k.Alg) {
			// The profile's name may come from the file: not echoed.
			return fmt.Errorf("%w: key %d: %v not allowed by the profile", ErrKeySet, i, k.Alg)
		}
		if k.Levels < 0 || k.Levels > MaxFactors {
			return fmt.Errorf("%w: key %d: levels must be 0 to %d", ErrKeySet, i, MaxFactors)
		}
		id := [3]uint8{uint8(k.Usage), uint8(k.Alg), k.Version}
		if j, dup := seen[id]; dup {
			return fmt.Errorf("%w: keys %d and %d are both %v/%v/version %d", ErrDuplicateKey, j, i, k.Usage, k.Alg, k.Version)
		}
		seen[id] = i
		if k.KCVLen < 0 || k.KCVLen > 3 {
			return fmt.Errorf("%w: key %d: KCV length must be 0 to 3 bytes", ErrKeySet, i)
		}
		if k.KCVLen > 0 {
			got, err := diversify.KCV(k.Alg, &k.Key)
			if err != nil {
				return fmt.Errorf("%w: key %d: %w", ErrKeySet, i, err)
			}
			if subtle.ConstantTimeCompare(got[:k.KCVLen], k.KCV[:k.KCVLen]) != 1 {
				return fmt.Errorf("key %d (%v/%v/version %d): %w", i, k.Usage, k.Alg, k.Version, diversify.ErrKCVMismatch)
			}
		}
	}
	return nil
}

// Wipe zeroes every key of the set.
func (ks *KeySet) Wipe() {
	if ks == nil {
		return
	}
	for i := range ks.Keys {
		clear(ks.Keys[i].Key[:])
	}
}

// MarshalJSON writes the key set in the format ParseKeySet reads, each key
// with its computed 3-byte KCV. The output holds the keys in clear: treat it
// as secret.
func (ks *KeySet) MarshalJSON() ([]byte, error) {
	if ks.Profile == nil {
		return nil, fmt.Errorf("%w: no profile", ErrKeySet)
	}
	pj, err := ks.Profile.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeySet, err)
	}
	b := []byte(`{"profile":`)
	b = append(b, pj...)
	b = append(b, `,"keys":[`...)
	for i := range ks.Keys {
		k := &ks.Keys[i]
		kcv, err := diversify.KCV(k.Alg, &k.Key)
		if err != nil {
			clear(b)
			return nil, fmt.Errorf("%w: key %d: %w", ErrKeySet, i, err)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"usage":"`...)
		b = append(b, k.Usage.String()...)
		b = append(b, `","alg":"`...)
		b = append(b, k.Alg.String()...)
		b = append(b, `","version":`...)
		b = strconv.AppendInt(b, int64(k.Version), 10)
		b = append(b, `,"levels":`...)
		b = strconv.AppendInt(b, int64(k.Levels), 10)
		b = append(b, `,"key":"`...)
		b = hex.AppendEncode(b, k.Key[:])
		b = append(b, `","kcv":"`...)
		b = hex.AppendEncode(b, kcv[:])
		b = append(b, `"}`...)
	}
	b = append(b, "]}"...)
	return b, nil
}

// lookupKey returns the master key for (u, alg, version), or nil.
func (ks *KeySet) lookupKey(u Usage, alg diversify.Alg, v uint8) *MasterKey {
	for i := range ks.Keys {
		k := &ks.Keys[i]
		if k.Usage == u && k.Alg == alg && k.Version == v {
			return k
		}
	}
	return nil
}

// Sign computes the MAC fields named in fields that r's kind has (the
// others are ignored), stores them in r and adds them to r.Present. It is a
// slow reference path for generators and tests: every key is derived from
// its master anew. Errors wrap ErrMalformed or ErrUnknownKey.
func (ks *KeySet) Sign(r *Record, fields Field) error {
	fields &= kindFields(r.Kind)
	if fields == 0 {
		return errNoMAC
	}
	saved := r.Present
	r.Present |= fields
	err := r.validate()
	r.Present = saved
	if err != nil {
		return err
	}
	var t txn
	tr := t.set(r)
	// The factors under the profile's rules (order, short and 16-byte
	// factors), as the Verifier reads them.
	var fsArr [MaxFactors][]byte
	var wide [MaxFactors][16]byte
	fs, err := factorList(ks.Profile, r, &fsArr, &wide)
	if err != nil {
		return err
	}
	levels, err := ks.Profile.Levels(r.Alg, fs...)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	derive := func(u Usage) ([16]byte, error) {
		var card [16]byte
		mk := ks.lookupKey(u, r.Alg, r.KeyVersion)
		if mk == nil {
			return card, unknownKeyErr(u, r.Alg)
		}
		if mk.Levels != levels {
			return card, ErrLevels
		}
		if err := ks.Profile.Derive(r.Alg, &card, &mk.Key, fs...); err != nil {
			return card, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		return card, nil
	}
	if fields&sessionFields != 0 {
		key, err := derive(sessionUsage(r.Kind))
		if err != nil {
			return err
		}
		s, err := mac.NewSession(ks.Profile, r.Alg, &key, tr)
		clear(key[:])
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if fields&FieldMAC1 != 0 {
			r.MAC1 = s.MAC1(tr)
		}
		if fields&FieldMAC2 != 0 {
			r.MAC2 = s.MAC2(tr)
		}
		if fields&FieldMAC3 != 0 {
			r.MAC3, _ = s.MAC3(tr)
		}
		s.Wipe()
	}
	if fields&FieldTAC != 0 {
		key, err := derive(UsageTAC)
		if err != nil {
			return err
		}
		r.TAC, err = mac.TAC(ks.Profile, r.Alg, &key, tr)
		clear(key[:])
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	r.Present |= fields
	return nil
}

// unknownKeyErrs are the prebuilt unknown-key errors per usage and alg.
var unknownKeyErrs [UsageOverdraw + 1][3]error

func init() {
	for u := UsagePurchase; u <= UsageOverdraw; u++ {
		for _, a := range []diversify.Alg{diversify.SM4, diversify.TDES} {
			unknownKeyErrs[u][a] = fmt.Errorf("%w: no %v key for usage %v and this version", ErrUnknownKey, a, u)
		}
	}
}

func unknownKeyErr(u Usage, a diversify.Alg) error {
	if u > UsageOverdraw || a > diversify.TDES || unknownKeyErrs[u][a] == nil {
		return ErrUnknownKey
	}
	return unknownKeyErrs[u][a]
}
