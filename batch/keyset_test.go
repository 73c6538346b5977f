package batch

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

const keyFile = `{"profile": "SM4", "keys": [
 {"usage": "purchase", "alg": "sm4", "version": 1, "levels": 2, "key": "0123456789ABCDEFFEDCBA9876543210", "kcv": "2677F4"},
 {"usage": "tac", "alg": "3des", "version": 1, "levels": 1, "key": "11223344556677888877665544332211"}
]}`

func TestParseKeySet(t *testing.T) {
	ks, err := ParseKeySet([]byte(keyFile))
	if err != nil {
		t.Fatal(err)
	}
	if ks.Profile != mac.SM4Profile || len(ks.Keys) != 2 {
		t.Fatalf("%+v", ks)
	}
	k := ks.Keys[0]
	if k.Usage != UsagePurchase || k.Alg != diversify.SM4 || k.Version != 1 || k.Levels != 2 || k.KCVLen != 3 ||
		hex.EncodeToString(k.Key[:]) != "0123456789abcdeffedcba9876543210" {
		t.Fatalf("%+v", k)
	}
	// Marshal and parse back (the KCV written is the computed one).
	b, err := ks.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	ks2, err := ParseKeySet(b)
	if err != nil {
		t.Fatalf("%v", err)
	}
	for i := range ks.Keys {
		a, c := ks.Keys[i], ks2.Keys[i]
		if a.Usage != c.Usage || a.Alg != c.Alg || a.Version != c.Version || a.Levels != c.Levels || a.Key != c.Key || c.KCVLen != 3 {
			t.Fatalf("key %d: %+v vs %+v", i, a, c)
		}
	}
	ks.Wipe()
	if ks.Keys[0].Key != ([16]byte{}) {
		t.Fatal("not wiped")
	}

	// A defined profile reads, writes back as an object and reads again;
	// one equal to a shipped profile is that profile.
	def := strings.Replace(keyFile, `"profile": "SM4"`, `"profile": {"name": "SD", "base": "SM4",
		"sm4_session": "pad_80", "short_factor": "pad_left", "overdraw_tac": ["new_limit", "type", "terminal"]}`, 1)
	ks, err = ParseKeySet([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	want := mac.Profile{Name: "SD", AllowSM4: true, AllowTDES: true, SM4Session: mac.SessionPad80, ShortFactor: mac.ShortPadLeft,
		OverdrawTAC: mac.Layout{mac.ItemNewLimit, mac.ItemType, mac.ItemTerminal}}
	if *ks.Profile != want {
		t.Fatalf("profile %+v", *ks.Profile)
	}
	if b, err = ks.MarshalJSON(); err != nil || !strings.Contains(string(b), `"profile":{"name":"SD",`) {
		t.Fatalf("%s %v", b, err)
	}
	if ks2, err = ParseKeySet(b); err != nil || *ks2.Profile != want {
		t.Fatalf("read back: %+v %v", ks2, err)
	}
	same := strings.Replace(keyFile, `"profile": "SM4"`, `"profile": {"name": "SM4", "algs": ["sm4", "3des"]}`, 1)
	if ks, err = ParseKeySet([]byte(same)); err != nil || ks.Profile != mac.SM4Profile {
		t.Fatalf("SM4 spelled out: %v", err)
	}
}

func TestKeySetRefused(t *testing.T) {
	kcv, _ := diversify.KCV(diversify.SM4, (*[16]byte)(mustHex("0123456789abcdeffedcba9876543210")))
	good := hex.EncodeToString(kcv[:])
	bad := good[:5] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", good[5])+1)%16])
	secret := "0123456789ABCDEFFEDCBA9876543210"
	entry := `{"usage": "purchase", "alg": "sm4", "version": 1, "levels": 2, "key": "` + secret + `"}`
	cases := []struct {
		name, file string
		want       error
	}{
		{"kcv mismatch", `{"profile": "SM4", "keys": [{"usage": "purchase", "alg": "sm4", "version": 1, "levels": 2, "key": "` + secret + `", "kcv": "` + bad + `"}]}`, diversify.ErrKCVMismatch},
		{"duplicate", `{"profile": "SM4", "keys": [` + entry + `,` + strings.Replace(entry, `"levels": 2`, `"levels": 1`, 1) + `]}`, ErrDuplicateKey},
		{"bad profile", `{"profile": "AES", "keys": []}`, ErrKeySet},
		{"sm4 in 3des profile", `{"profile": "PBOC-3DES", "keys": [` + entry + `]}`, ErrKeySet},
		{"bad usage", `{"profile": "SM4", "keys": [` + strings.Replace(entry, "purchase", "pin", 1) + `]}`, ErrKeySet},
		{"bad alg", `{"profile": "SM4", "keys": [` + strings.Replace(entry, `"sm4"`, `"aes"`, 1) + `]}`, ErrKeySet},
		{"short key", `{"profile": "SM4", "keys": [` + strings.Replace(entry, secret, secret[:30], 1) + `]}`, ErrKeySet},
		{"key not hex", `{"profile": "SM4", "keys": [` + strings.Replace(entry, secret, "X"+secret[1:], 1) + `]}`, ErrKeySet},
		{"no version", `{"profile": "SM4", "keys": [` + strings.Replace(entry, `"version": 1,`, ``, 1) + `]}`, ErrKeySet},
		{"levels 9", `{"profile": "SM4", "keys": [` + strings.Replace(entry, `"levels": 2`, `"levels": 9`, 1) + `]}`, ErrKeySet},
		{"version 256", `{"profile": "SM4", "keys": [` + strings.Replace(entry, `"version": 1`, `"version": 256`, 1) + `]}`, ErrKeySet},
		{"syntax", `{"profile": "SM4", "keys": [` + entry, ErrKeySet},
		{"kcv not hex", `{"profile": "SM4", "keys": [` + strings.Replace(entry, `"levels": 2`, `"levels": 2, "kcv": "zz"`, 1) + `]}`, ErrKeySet},
		{"no profile", `{"keys": [` + entry + `]}`, ErrKeySet},
		{"null profile", `{"profile": null, "keys": [` + entry + `]}`, ErrKeySet},
		{"number profile", `{"profile": 4, "keys": [` + entry + `]}`, mac.ErrBadProfile},
		{"profile setting", `{"profile": {"name": "x", "base": "SM4", "padding": "` + secret + `"}, "keys": [` + entry + `]}`, mac.ErrBadProfile},
		{"profile key", `{"profile": {"name": "x", "base": "SM4", "key": "` + secret + `"}, "keys": [` + entry + `]}`, mac.ErrBadProfile},
		{"profile item", `{"profile": {"name": "x", "base": "SM4", "unload_mac3": ["` + secret + `"]}, "keys": [` + entry + `]}`, mac.ErrBadProfile},
		{"profile key name", `{"profile": {"name": "x", "base": "SM4", "` + secret + `": 1}, "keys": [` + entry + `]}`, mac.ErrBadProfile},
		{"profile name", `{"profile": {"name": "` + secret + `", "base": "SM4", "unload_mac3": ["new_limit"]}, "keys": [` + entry + `]}`, mac.ErrBadProfile},
		{"profile type", `{"profile": {"name": "x", "base": "SM4", "unload_mac3": "` + secret + `"}, "keys": [` + entry + `]}`, mac.ErrBadProfile},
		{"profile name echoed", `{"profile": {"name": "` + secret + `", "algs": ["3des"]}, "keys": [` + entry + `]}`, ErrKeySet},
		{"profile algs", `{"profile": {"name": "x", "algs": ["3des"]}, "keys": [` + entry + `]}`, ErrKeySet},
		// Names are exact: encoding/json alone would skip "kvc" (leaving
		// the key unchecked), take "KCV" for "kcv" and let a repeated
		// field override the first.
		{"misspelt kcv", `{"profile": "SM4", "keys": [` + strings.Replace(entry, `"levels": 2`, `"levels": 2, "kvc": "`+bad+`"`, 1) + `]}`, ErrKeySet},
		{"upper-case KCV", `{"profile": "SM4", "keys": [` + strings.Replace(entry, `"levels": 2`, `"levels": 2, "KCV": "`+bad+`"`, 1) + `]}`, ErrKeySet},
		{"repeated key", `{"profile": "SM4", "keys": [` + strings.Replace(entry, `"levels": 2`, `"levels": 2, "key": "`+secret+`"`, 1) + `]}`, ErrKeySet},
		{"key as a name", `{"profile": "SM4", "keys": [` + strings.Replace(entry, `"levels": 2`, `"levels": 2, "`+secret+`": 1`, 1) + `]}`, ErrKeySet},
		{"upper-case Keys", `{"profile": "SM4", "Keys": [` + entry + `]}`, ErrKeySet},
		{"repeated profile", `{"profile": "SM4", "profile": "PBOC-3DES", "keys": [` + entry + `]}`, ErrKeySet},
		{"trailing data", `{"profile": "SM4", "keys": [` + entry + `]} {}`, ErrKeySet},
		{"upper-case profile setting", `{"profile": {"name": "x", "base": "SM4", "Padding": "if_needed"}, "keys": [` + entry + `]}`, mac.ErrBadProfile},
		{"repeated profile setting", `{"profile": {"name": "x", "base": "SM4", "padding": "if_needed", "padding": "always"}, "keys": [` + entry + `]}`, mac.ErrBadProfile},
	}
	for _, c := range cases {
		ks, err := ParseKeySet([]byte(c.file))
		if !errors.Is(err, c.want) || ks != nil {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(secret[:12])) {
			t.Errorf("%s: error shows the key: %v", c.name, err)
		}
	}
	// The same rules apply to a key set built in code.
	ks := &KeySet{Profile: mac.SM4Profile, Keys: []MasterKey{
		{Usage: UsageTAC, Alg: diversify.SM4, Version: 3}, {Usage: UsageTAC, Alg: diversify.SM4, Version: 3, Levels: 1},
	}}
	if _, err := NewVerifier(ks, nil); !errors.Is(err, ErrDuplicateKey) {
		t.Errorf("NewVerifier duplicate: %v", err)
	}
	ks.Keys = ks.Keys[:1]
	ks.Keys[0].KCV, ks.Keys[0].KCVLen = [3]byte{1, 2, 3}, 3
	if _, err := NewVerifier(ks, nil); !errors.Is(err, diversify.ErrKCVMismatch) {
		t.Errorf("NewVerifier KCV: %v", err)
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestSign checks KeySet.Sign against the reference on generated records.
func TestSign(t *testing.T) {
	ks := testKeySet(mac.SM4Profile, 17)
	g := newGen(ks, 18)
	for i := 0; i < 500; i++ {
		r := g.valid()
		want := canonical(r)
		r = want
		r.MAC1, r.MAC2, r.TAC, r.MAC3 = [4]byte{}, [4]byte{}, [4]byte{}, [4]byte{}
		p := r.Present
		r.Present = 0
		if err := ks.Sign(&r, p); err != nil {
			t.Fatal(err)
		}
		if r = canonical(r); r != want {
			t.Fatalf("Sign: %+v, want %+v", r, want)
		}
	}
	r := g.valid()
	r.KeyVersion = 200
	if err := ks.Sign(&r, FieldTAC|FieldMAC1); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: %v", err)
	}
}

func TestNames(t *testing.T) {
	for u := UsagePurchase; u <= UsageOverdraw; u++ {
		if p, err := ParseUsage(u.String()); err != nil || p != u {
			t.Errorf("usage %v", u)
		}
	}
	if s := (FieldMAC1 | FieldTAC).String(); s != "mac1,tac" {
		t.Errorf("fields %q", s)
	}
	if s := FieldMAC3.String(); s != "mac3" {
		t.Errorf("field %q", s)
	}
	if StatusUnknownKey.String() != "unknown_key" || StatusMalformed.String() != "malformed" {
		t.Error("status names")
	}
}
