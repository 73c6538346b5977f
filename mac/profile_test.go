package mac

import (
	"bytes"
	"crypto/des"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	gmsm4 "github.com/emmansun/gmsm/sm4"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/race"
)

// TestSpecLayouts: the zero layouts and the spelled-out Spec layouts give
// the transactions' own AppendSeal bytes, and their sizes are SPEC §4's.
func TestSpecLayouts(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for i := 0; i < 200; i++ {
		txns := randomTxns(rng)
		for _, tx := range txns[2:] { // unload, overdraw
			want := tx.AppendSeal(nil)
			for _, p := range []*Profile{SM4Profile, {Name: "x", AllowSM4: true, UnloadMAC3: SpecUnloadMAC3, OverdrawTAC: SpecOverdrawTAC}} {
				if got := p.AppendSeal(nil, tx); !bytes.Equal(got, want) {
					t.Fatalf("%s %v: %x want %x", p.Name, tx.Kind(), got, want)
				}
			}
		}
	}
	if n := (&Layout{}).Size(KindUnload); n != 24 {
		t.Errorf("unload MAC3 size %d, want 24", n)
	}
	if n := (&Layout{}).Size(KindOverdraw); n != 23 {
		t.Errorf("overdraw TAC size %d, want 23", n)
	}
	if !SM4Profile.DefaultLayouts() || !(&Layout{}).Default(KindUnload) || !SpecOverdrawTAC.Default(KindOverdraw) {
		t.Error("the Spec layouts are not default")
	}
	if SpecUnloadMAC3.Default(KindOverdraw) {
		t.Error("the unload layout counts as the overdraw one")
	}
}

// TestCustomLayouts: MAC3 and the overdraw TAC under redefined layouts equal
// emmansun/gmsm and crypto/des MACs over bytes assembled here by hand.
func TestCustomLayouts(t *testing.T) {
	p := *SM4Profile
	p.Name = "custom"
	p.UnloadMAC3 = Layout{ItemAmount, ItemBalanceBefore, ItemType, ItemTime, ItemDate, ItemTerminal, ItemOnlineSeq, ItemBalanceAfter}
	p.OverdrawTAC = Layout{ItemOldLimit, ItemNewLimit, ItemBalanceBefore, ItemBalanceAfter, ItemOnlineSeq, ItemType, ItemTerminal, ItemDate, ItemTime}
	if p.DefaultLayouts() {
		t.Fatal("custom layouts count as default")
	}
	rng := rand.New(rand.NewPCG(23, 24))
	be := binary.BigEndian
	for i := 0; i < 300; i++ {
		var key [16]byte
		fill(rng, key[:])
		txns := randomTxns(rng)
		u, o := txns[2].(*Unload), txns[3].(*Overdraw)
		var ud []byte
		ud = be.AppendUint32(ud, u.Amount)
		ud = be.AppendUint32(ud, u.Balance)
		ud = append(ud, 0x03)
		ud = append(ud, u.Time[:]...)
		ud = append(ud, u.Date[:]...)
		ud = append(ud, u.Terminal[:]...)
		ud = be.AppendUint16(ud, u.OnlineSeq)
		ud = be.AppendUint32(ud, u.Balance-u.Amount)
		od := []byte{byte(o.OldLimit >> 16), byte(o.OldLimit >> 8), byte(o.OldLimit),
			byte(o.NewLimit >> 16), byte(o.NewLimit >> 8), byte(o.NewLimit)}
		od = be.AppendUint32(od, o.Balance)
		od = be.AppendUint32(od, o.Balance-o.OldLimit+o.NewLimit)
		od = be.AppendUint16(od, o.OnlineSeq)
		od = append(od, 0x07)
		od = append(od, o.Terminal[:]...)
		od = append(od, o.Date[:]...)
		od = append(od, o.Time[:]...)
		if got := p.AppendSeal(nil, u); !bytes.Equal(got, ud) || p.UnloadMAC3.Size(KindUnload) != len(ud) {
			t.Fatalf("unload input %x want %x", got, ud)
		}
		if got := p.AppendSeal(nil, o); !bytes.Equal(got, od) || p.OverdrawTAC.Size(KindOverdraw) != len(od) {
			t.Fatalf("overdraw input %x want %x", got, od)
		}
		for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
			d8 := u.SessionInput()
			var want3, wantT []byte
			if alg == diversify.SM4 {
				b, _ := gmsm4.NewCipher(key[:])
				in := append(d8[:], make([]byte, 8)...)
				for j := 0; j < 8; j++ {
					in[8+j] = ^d8[j]
				}
				sk := make([]byte, 16)
				b.Encrypt(sk, in)
				want3 = peerSM4MAC(sk, ud)[:4]
				wantT = peerSM4MAC(key[:], od)[:4]
			} else {
				b, _ := des.NewTripleDESCipher(append(key[:], key[:8]...))
				sk := make([]byte, 8)
				b.Encrypt(sk, d8[:])
				want3 = peerDESMAC(sk, make([]byte, 8), ud)[:4]
				k := make([]byte, 8)
				for j := range k {
					k[j] = key[j] ^ key[8+j]
				}
				wantT = peerDESMAC(k, make([]byte, 8), od)[:4]
			}
			m3, err := MAC3(&p, alg, &key, u)
			if err != nil || !bytes.Equal(m3[:], want3) {
				t.Fatalf("%v MAC3 %X want %X (%v)", alg, m3, want3, err)
			}
			if err := VerifyMAC3(&p, alg, &key, u, (*[4]byte)(want3)); err != nil {
				t.Fatalf("%v VerifyMAC3: %v", alg, err)
			}
			if err := VerifyMAC3(SM4Profile, alg, &key, u, (*[4]byte)(want3)); !errors.Is(err, ErrMAC3Mismatch) {
				t.Fatalf("%v: the SPEC layout verified a custom MAC3: %v", alg, err)
			}
			tac, err := TAC(&p, alg, &key, o)
			if err != nil || !bytes.Equal(tac[:], wantT) {
				t.Fatalf("%v overdraw TAC %X want %X (%v)", alg, tac, wantT, err)
			}
			// The other kinds are unchanged by the layouts.
			for _, tx := range txns[:2] {
				a, _ := TAC(&p, alg, &key, tx)
				b, _ := TAC(SM4Profile, alg, &key, tx)
				if a != b {
					t.Fatalf("%v %v TAC changed by an unload/overdraw layout", alg, tx.Kind())
				}
			}
		}
	}
}

// TestLayoutAllocs: a custom layout costs no allocation.
func TestLayoutAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	p := *SM4Profile
	p.Name = "custom"
	p.UnloadMAC3 = Layout{ItemTerminal, ItemTerminal, ItemTerminal, ItemTerminal, ItemTerminal, ItemTerminal,
		ItemTerminal, ItemTerminal, ItemTerminal, ItemTerminal, ItemTerminal, ItemTerminal}
	u := &Unload{Amount: 1, Balance: 2, Date: [4]byte{0x20, 0x26, 0x12, 0x05}, Time: [3]byte{0x12}}
	key := [16]byte{1}
	if n := testing.AllocsPerRun(100, func() {
		if _, err := MAC3(&p, diversify.SM4, &key, u); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("MAC3 under a 72-byte layout: %v allocs", n)
	}
}

func TestFactorRules(t *testing.T) {
	short := []byte{0x37, 0x17}
	for _, c := range []struct {
		rule ShortRule
		want string // hex, "" for an error
	}{
		{ShortPadRight, "3717000000000000"},
		{ShortPadLeft, "0000000000003717"},
		{ShortRefused, ""},
	} {
		p := Profile{Name: "x", AllowSM4: true, ShortFactor: c.rule}
		f, err := p.Factor(short)
		if c.want == "" {
			if !errors.Is(err, diversify.ErrFactor) {
				t.Errorf("%v: %v, want ErrFactor", c.rule, err)
			}
		} else if got := (diversify.Factor)(h(t, c.want)); err != nil || f != got {
			t.Errorf("%v: %x %v, want %s", c.rule, f, err, c.want)
		}
		// A whole factor is the same under every rule.
		if f, err := p.Factor(h(t, "0123456789abcdef")); err != nil || f != (diversify.Factor)(h(t, "0123456789abcdef")) {
			t.Errorf("%v: whole factor %x %v", c.rule, f, err)
		}
		for _, n := range []int{0, 9, 16} {
			if _, err := p.Factor(make([]byte, n)); !errors.Is(err, diversify.ErrFactor) {
				t.Errorf("%v: %d bytes: %v", c.rule, n, err)
			}
		}
	}
}

// TestProfileDerive checks Profile.Derive against diversify.Derive (the SPEC
// rules) and, for the one-block SM4 rule, against emmansun/gmsm.
func TestProfileDerive(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for i := 0; i < 200; i++ {
		var root [16]byte
		fill(rng, root[:])
		var a, b, c diversify.Factor
		fill(rng, a[:])
		fill(rng, b[:])
		fill(rng, c[:])
		ab := append(a[:], b[:]...)
		for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
			var want, got [16]byte
			diversify.Derive(alg, &want, &root, []diversify.Factor{a, b, c})
			// Root first: a 16-byte factor is two levels, upper half first.
			for _, fs := range [][][]byte{{a[:], b[:], c[:]}, {ab, c[:]}} {
				if err := SM4Profile.Derive(alg, &got, &root, fs...); err != nil || got != want {
					t.Fatalf("%v root first %d factors: %x %v, want %x", alg, len(fs), got, err, want)
				}
				if n, _ := SM4Profile.Levels(alg, fs...); n != 3 {
					t.Fatalf("%v: %d levels", alg, n)
				}
			}
			// Lowest first: the list reversed; a 16-byte factor's first
			// half is the lower level.
			low := &Profile{Name: "low", AllowSM4: true, AllowTDES: true, FactorOrder: LowestFirst}
			ba := append(b[:], a[:]...)
			for _, fs := range [][][]byte{{c[:], b[:], a[:]}, {c[:], ba}} {
				if err := low.Derive(alg, &got, &root, fs...); err != nil || got != want {
					t.Fatalf("%v lowest first %d factors: %x %v, want %x", alg, len(fs), got, err, want)
				}
			}
			// A short factor padded by the rule.
			left := &Profile{Name: "left", AllowSM4: true, AllowTDES: true, ShortFactor: ShortPadLeft}
			lc := diversify.Factor{0, 0, 0, 0, 0, c[5], c[6], c[7]}
			diversify.Derive(alg, &want, &root, []diversify.Factor{a, b, lc})
			if err := left.Derive(alg, &got, &root, a[:], b[:], c[5:]); err != nil || got != want {
				t.Fatalf("%v left-padded: %x %v, want %x", alg, got, err, want)
			}
			refused := &Profile{Name: "strict", AllowSM4: true, AllowTDES: true, ShortFactor: ShortRefused}
			if err := refused.Derive(alg, &got, &root, a[:], c[5:]); !errors.Is(err, diversify.ErrFactor) {
				t.Fatalf("%v: a short factor under ShortRefused: %v", alg, err)
			}
		}
		// One block: SM4(parent, 16 bytes) for SM4; 3DES keeps two levels.
		one := &Profile{Name: "one", AllowSM4: true, AllowTDES: true, SM4LongFactor: LongOneBlock}
		var mid, got [16]byte
		diversify.Derive(diversify.SM4, &mid, &root, []diversify.Factor{c})
		blk, _ := gmsm4.NewCipher(mid[:])
		var want [16]byte
		blk.Encrypt(want[:], ab)
		if err := one.Derive(diversify.SM4, &got, &root, c[:], ab); err != nil || got != want {
			t.Fatalf("one block: %x %v, want %x", got, err, want)
		}
		if n, _ := one.Levels(diversify.SM4, c[:], ab); n != 2 {
			t.Fatalf("one block: %d levels, want 2", n)
		}
		var want3 [16]byte
		diversify.Derive(diversify.TDES, &want3, &root, []diversify.Factor{c, a, b})
		if err := one.Derive(diversify.TDES, &got, &root, c[:], ab); err != nil || got != want3 {
			t.Fatalf("3DES under one block: %x %v, want two levels %x", got, err, want3)
		}
	}
	var k [16]byte
	for _, bad := range [][]byte{{}, make([]byte, 9), make([]byte, 15), make([]byte, 17)} {
		if err := SM4Profile.Derive(diversify.SM4, &k, &k, bad); !errors.Is(err, diversify.ErrFactor) {
			t.Errorf("%d-byte factor: %v", len(bad), err)
		}
	}
	nine := make([][]byte, 5)
	for i := range nine {
		nine[i] = make([]byte, 16)
	}
	if err := SM4Profile.Derive(diversify.SM4, &k, &k, nine...); !errors.Is(err, diversify.ErrTooManyLevels) {
		t.Errorf("10 levels: %v", err)
	}
	if err := PBOC3DES.Derive(diversify.SM4, &k, &k); !errors.Is(err, ErrAlgNotAllowed) {
		t.Errorf("SM4 under PBOC-3DES: %v", err)
	}
}

func TestProfileJSON(t *testing.T) {
	for _, p := range []*Profile{SM4Profile, PBOC3DES} {
		b, err := json.Marshal(p)
		if err != nil || string(b) != `"`+p.Name+`"` {
			t.Errorf("%s marshals as %s %v", p.Name, b, err)
		}
		var q Profile
		if err := json.Unmarshal(b, &q); err != nil || q != *p {
			t.Errorf("%s: %+v %v", p.Name, q, err)
		}
	}
	in := `{"name": "SD-SM4", "base": "SM4", "sm4_session": "zero_pad", "sm4_tac_key": "xor_halves",
		"factor_order": "lowest_first", "short_factor": "pad_left", "sm4_long_factor": "one_block",
		"unload_mac3": ["amount", "balance_after", "type", "terminal", "date", "time"]}`
	var p Profile
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	want := Profile{Name: "SD-SM4", AllowSM4: true, AllowTDES: true, SM4Session: SessionZeroPad, SM4TACKey: KeyXORHalves,
		FactorOrder: LowestFirst, ShortFactor: ShortPadLeft, SM4LongFactor: LongOneBlock,
		UnloadMAC3: Layout{ItemAmount, ItemBalanceAfter, ItemType, ItemTerminal, ItemDate, ItemTime}}
	if p != want {
		t.Fatalf("got %+v\nwant %+v", p, want)
	}
	b, err := json.Marshal(&p)
	if err != nil {
		t.Fatal(err)
	}
	var q Profile
	if err := json.Unmarshal(b, &q); err != nil || q != p {
		t.Fatalf("round trip through %s: %+v %v", b, q, err)
	}
	if !strings.Contains(string(b), `"unload_mac3":["amount",`) || strings.Contains(string(b), "overdraw_tac") {
		t.Errorf("marshalled %s", b)
	}
	// An object equal to a shipped profile marshals as its name.
	if err := json.Unmarshal([]byte(`{"name": "SM4", "base": "SM4", "padding": "always"}`), &q); err != nil || q != *SM4Profile {
		t.Errorf("SM4 spelled out: %+v %v", q, err)
	}
	for _, bad := range []string{
		`"SM9"`,
		`{"base": "SM4"}`,
		`{"name": "x"}`,
		`{"name": "x", "algs": []}`,
		`{"name": "x", "algs": ["aes"]}`,
		`{"name": "x", "base": "SM5"}`,
		`{"name": "x", "base": "SM4", "sm4_sesion": "zero_pad"}`,
		`{"name": "x", "base": "SM4", "sm4_session": "ZERO"}`,
		`{"name": "x", "base": "SM4", "padding": 1}`,
		`{"name": "x", "base": "SM4", "unload_mac3": []}`,
		`{"name": "x", "base": "SM4", "unload_mac3": ["new_limit"]}`,
		`{"name": "x", "base": "SM4", "overdraw_tac": ["amount"]}`,
		`{"name": "x", "base": "SM4", "overdraw_tac": ["tac"]}`,
		`{"name": "x", "base": "SM4", "overdraw_tac": ["type","type","type","type","type","type","type","type","type","type","type","type","type"]}`,
		`{"name": "SM4", "base": "SM4", "padding": "if_needed"}`,
		`{"name": "x", "base": "SM4"} {}`,
		`[]`,
	} {
		var q Profile
		err := json.Unmarshal([]byte(bad), &q)
		if !errors.Is(err, ErrBadProfile) && !errors.Is(err, ErrUnknownProfile) {
			var se *json.SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("%s: %v, want ErrBadProfile", bad, err)
			}
		}
	}
	// What UnmarshalJSON refuses is not written: no name, no algorithm, a
	// shipped name with other settings.
	renamed := *SM4Profile
	renamed.SM4Session = SessionZeroPad
	for _, bad := range []*Profile{{Name: "x", Padding: 7}, {AllowSM4: true}, {Name: "x"}, &renamed} {
		if b, err := json.Marshal(bad); !errors.Is(err, ErrBadProfile) {
			t.Errorf("%+v marshalled: %s %v", *bad, b, err)
		}
	}
	// A layout spelled out as SPEC's comes back equal.
	spelled := Profile{Name: "spelled", AllowSM4: true, UnloadMAC3: SpecUnloadMAC3, OverdrawTAC: SpecOverdrawTAC}
	if b, err = json.Marshal(&spelled); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &q); err != nil || q != spelled {
		t.Errorf("round trip through %s: %+v %v", b, q, err)
	}
	// An unknown name is not repeated.
	if err := json.Unmarshal([]byte(`"0011223344556677"`), &q); !errors.Is(err, ErrUnknownProfile) || strings.Contains(err.Error(), "0011") {
		t.Errorf("unknown name: %v", err)
	}
}

// TestProfileJSONStrictNames: setting names are exact and unrepeated, and a
// direct call refuses data after the object.
func TestProfileJSONStrictNames(t *testing.T) {
	for _, in := range []string{
		`{"name": "x", "base": "SM4", "Padding": "if_needed"}`,
		`{"name": "x", "base": "SM4", "padding": "if_needed", "padding": "always"}`,
		`{"NAME": "x", "base": "SM4"}`,
		`{"name": "x", "base": "SM4"} {"name": "y"}`,
		`{"name": "x", "base": "SM4"} junk`,
	} {
		var p Profile
		if err := p.UnmarshalJSON([]byte(in)); !errors.Is(err, ErrBadProfile) {
			t.Errorf("%s: %v, want ErrBadProfile", in, err)
		}
	}
	var p Profile
	if err := p.UnmarshalJSON([]byte(` {"name": "x", "base": "SM4", "padding": "if_needed"} `)); err != nil || p.Name != "x" {
		t.Fatalf("exact names refused: %v", err)
	}
}
