// Package gen generates synthetic clearing records in the sscard JSON Lines
// format, with MACs computed by package mac (the scalar reference), and the
// built-in demo key set. It is used by the command line and by tests.
package gen

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// Key is one issuer master key of a key set.
type Key struct {
	Usage   string // purchase, load, tac, unload, overdraw
	Alg     diversify.Alg
	Version int
	Levels  int
	Key     [16]byte
}

// Demo returns the built-in demo key set: for SM4 and 3DES, key version 1,
// every usage, two levels (city, card) below each master. The keys are
// fixed, public and for demonstration only.
func Demo() []Key {
	var keys []Key
	for ai, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
		for ui, u := range Usages {
			var k [16]byte
			for i := range k {
				k[i] = byte(0x11*(ui+1) + 0x3b*ai + 7*i)
			}
			keys = append(keys, Key{Usage: u, Alg: alg, Version: 1, Levels: 2, Key: k})
		}
	}
	return keys
}

// DemoProfile is the profile of the demo key set.
const DemoProfile = "SM4"

// Usages lists the key usages in key-set files.
var Usages = []string{"purchase", "load", "tac", "unload", "overdraw"}

// AppendKeySetJSON appends a key-set file for keys under profile.
func AppendKeySetJSON(b []byte, profile string, keys []Key) []byte {
	b = append(b, `{"profile": `...)
	b = strconv.AppendQuote(b, profile)
	b = append(b, `, "keys": [`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		kcv, _ := diversify.KCV(k.Alg, &k.Key)
		b = fmt.Appendf(b, "\n  {\"usage\": %q, \"alg\": %q, \"version\": %d, \"levels\": %d, \"key\": \"%X\", \"kcv\": \"%X\"}",
			k.Usage, k.Alg.String(), k.Version, k.Levels, k.Key[:], kcv[:])
	}
	return append(b, "\n]}\n"...)
}

// Options controls generation.
type Options struct {
	Seed   uint64
	Tamper float64         // fraction of records with one field changed after signing
	Algs   []diversify.Alg // families to draw from; empty means both
	Kinds  []mac.Kind      // kinds to draw from; empty means purchase and load
	// Cities is the number of distinct upper-level factor paths (default 64):
	// cards share city keys, as in a real clearing file.
	Cities int
}

// Generator produces records. It is not safe for concurrent use.
type Generator struct {
	prof   *mac.Profile
	keys   map[keyID]*Key
	opt    Options
	rng    *rand.Rand
	cities [][]diversify.Factor
}

type keyID struct {
	usage   string
	alg     diversify.Alg
	version int
}

// ErrNoKeys reports a key set that lacks the keys a requested kind needs.
var ErrNoKeys = errors.New("gen: key set lacks keys for the requested algorithms and kinds")

// New returns a generator over keys under profile prof.
func New(prof *mac.Profile, keys []Key, opt Options) (*Generator, error) {
	if len(opt.Algs) == 0 {
		opt.Algs = []diversify.Alg{diversify.SM4, diversify.TDES}
	}
	if len(opt.Kinds) == 0 {
		opt.Kinds = []mac.Kind{mac.KindPurchase, mac.KindLoad}
	}
	if opt.Cities <= 0 {
		opt.Cities = 64
	}
	if !(opt.Tamper >= 0 && opt.Tamper <= 1) { // NaN too
		return nil, fmt.Errorf("gen: tamper fraction %v is not in [0, 1]", opt.Tamper)
	}
	g := &Generator{prof: prof, keys: map[keyID]*Key{}, opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x5eed))}
	for i := range keys {
		k := &keys[i]
		g.keys[keyID{k.Usage, k.Alg, k.Version}] = k
	}
	for _, alg := range opt.Algs {
		if !prof.Allows(alg) {
			return nil, fmt.Errorf("gen: profile %s does not accept %v", prof.Name, alg)
		}
		for _, kind := range opt.Kinds {
			if _, _, ok := g.pick(alg, kind); !ok {
				return nil, fmt.Errorf("%w: %v %v", ErrNoKeys, alg, kind)
			}
		}
	}
	for c := 0; c < opt.Cities; c++ {
		path := make([]diversify.Factor, diversify.MaxLevels-1) // upper levels, root first
		region := 110000 + 1000*c
		city, _ := diversify.CityFactor(strconv.Itoa(region % 1000000))
		for l := range path {
			for i := range path[l] {
				path[l][i] = byte(g.rng.Uint32())
			}
		}
		path[len(path)-1] = city // the level just above the card is the city
		g.cities = append(g.cities, path)
	}
	return g, nil
}

// sessionUsage is the key usage of MAC1/MAC2 for a kind.
func sessionUsage(k mac.Kind) string {
	switch k {
	case mac.KindLoad:
		return "load"
	case mac.KindUnload:
		return "unload"
	case mac.KindOverdraw:
		return "overdraw"
	}
	return "purchase"
}

// pick returns the version-1 session-key master and TAC master (nil for
// unload); generated records always name key version 1.
func (g *Generator) pick(alg diversify.Alg, kind mac.Kind) (sess, tac *Key, ok bool) {
	sess = g.keys[keyID{sessionUsage(kind), alg, 1}]
	if kind != mac.KindUnload {
		tac = g.keys[keyID{"tac", alg, 1}]
		if tac == nil || (sess != nil && tac.Levels != sess.Levels) {
			return nil, nil, false
		}
	}
	return sess, tac, sess != nil
}

// Next appends one record line (with a trailing newline) to b and reports
// whether it was tampered with.
func (g *Generator) Next(b []byte) ([]byte, bool) {
	r := g.rng
	alg := g.opt.Algs[r.IntN(len(g.opt.Algs))]
	kind := g.opt.Kinds[r.IntN(len(g.opt.Kinds))]
	sessKey, tacKey, _ := g.pick(alg, kind)
	levels := sessKey.Levels

	// Factors: the upper levels come from a shared city path, the card's
	// ASN is random.
	factors := make([]diversify.Factor, levels)
	if levels > 0 {
		path := g.cities[r.IntN(len(g.cities))]
		copy(factors[:levels-1], path[len(path)-(levels-1):])
		for i := range factors[levels-1] {
			factors[levels-1][i] = byte(r.Uint32())
		}
	}
	var dsk, dtk [16]byte
	diversify.Derive(alg, &dsk, &sessKey.Key, factors)
	if tacKey != nil {
		diversify.Derive(alg, &dtk, &tacKey.Key, factors)
	}

	var term [6]byte
	var rnd, seq [4]byte
	fill(r, term[:])
	fill(r, rnd[:])
	fill(r, seq[:])
	date := [4]byte{0x20, 0x26, bcd(1 + r.IntN(12)), bcd(1 + r.IntN(28))}
	tm := [3]byte{bcd(r.IntN(24)), bcd(r.IntN(60)), bcd(r.IntN(60))}
	amount := uint32(1 + r.IntN(100000))
	balance := uint32(r.IntN(1000000)) + amount
	var tx mac.Transaction
	var ttype byte
	switch kind {
	case mac.KindPurchase, mac.KindWithdrawal, mac.KindComposite:
		ttype = kind.DefaultType()
		if kind == mac.KindPurchase && r.IntN(2) == 0 {
			ttype = 0x05
		}
		tx = &mac.Purchase{Type: ttype, Amount: amount, Terminal: term, TermSeq: seq, Date: date, Time: tm, Random: rnd, OfflineSeq: uint16(r.Uint32())}
	case mac.KindLoad:
		ttype = byte(1 + r.IntN(2))
		tx = &mac.Load{Type: ttype, Amount: amount, Balance: balance, Terminal: term, Date: date, Time: tm, Random: rnd, OnlineSeq: uint16(r.Uint32())}
	case mac.KindUnload:
		ttype = 0x03
		tx = &mac.Unload{Amount: amount, Balance: balance, Terminal: term, Date: date, Time: tm, Random: rnd, OnlineSeq: uint16(r.Uint32())}
	case mac.KindOverdraw:
		ttype = 0x07
		old := uint32(r.IntN(100000))
		tx = &mac.Overdraw{Balance: balance + old, OldLimit: old, NewLimit: uint32(r.IntN(200000)), Terminal: term, Date: date, Time: tm, Random: rnd, OnlineSeq: uint16(r.Uint32())}
	}
	s, err := mac.NewSession(g.prof, alg, &dsk, tx)
	if err != nil {
		panic("gen: generated an invalid transaction: " + err.Error())
	}
	macs := map[string][4]byte{"mac1": s.MAC1(tx), "mac2": s.MAC2(tx)}
	if kind == mac.KindUnload {
		macs["mac3"], _ = s.MAC3(tx)
	} else {
		macs["tac"], _ = mac.TAC(g.prof, alg, &dtk, tx)
	}
	s.Wipe()
	clear(dsk[:])
	clear(dtk[:])

	tampered := g.opt.Tamper > 0 && r.Float64() < g.opt.Tamper
	if tampered {
		// Change one signed value: the amount (or the new limit), or one
		// bit of one MAC. Every choice must make the record fail.
		switch r.IntN(3) {
		case 0:
			switch t := tx.(type) {
			case *mac.Purchase:
				t.Amount ^= 1 << r.IntN(16)
			case *mac.Load:
				t.Amount ^= 1 << r.IntN(16)
			case *mac.Unload:
				t.Amount ^= 1 << r.IntN(16)
				if t.Amount > t.Balance {
					t.Balance = t.Amount
				}
			case *mac.Overdraw:
				t.NewLimit ^= 1 << r.IntN(16)
			}
		default:
			names := []string{"mac1", "mac2", "tac"}
			if kind == mac.KindUnload {
				names[2] = "mac3"
			}
			n := names[r.IntN(3)]
			m := macs[n]
			m[r.IntN(4)] ^= 1 << r.IntN(8)
			macs[n] = m
		}
	}

	b = append(b, `{"type":"`...)
	b = append(b, kind.String()...)
	b = append(b, `","alg":"`...)
	b = append(b, alg.String()...)
	b = append(b, `","key_version":1,"factors":[`...)
	if g.prof.FactorOrder == mac.LowestFirst {
		// Derived root first above; written in the profile's order.
		diversify.Reverse(factors)
	}
	for i, f := range factors {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHex(b, f[:])
	}
	b = fmt.Appendf(b, `],"trans_type":"%02X"`, ttype)
	switch t := tx.(type) {
	case *mac.Purchase:
		b = fmt.Appendf(b, `,"amount":%d,"terminal_id":"%X","terminal_seq":"%X","date":"%X","time":"%X","card_random":"%X","offline_seq":%d`,
			t.Amount, t.Terminal[:], t.TermSeq[:], t.Date[:], t.Time[:], t.Random[:], t.OfflineSeq)
	case *mac.Load:
		b = fmt.Appendf(b, `,"amount":%d,"balance":%d,"terminal_id":"%X","date":"%X","time":"%X","card_random":"%X","online_seq":%d`,
			t.Amount, t.Balance, t.Terminal[:], t.Date[:], t.Time[:], t.Random[:], t.OnlineSeq)
	case *mac.Unload:
		b = fmt.Appendf(b, `,"amount":%d,"balance":%d,"terminal_id":"%X","date":"%X","time":"%X","card_random":"%X","online_seq":%d`,
			t.Amount, t.Balance, t.Terminal[:], t.Date[:], t.Time[:], t.Random[:], t.OnlineSeq)
	case *mac.Overdraw:
		b = fmt.Appendf(b, `,"balance":%d,"old_limit":%d,"new_limit":%d,"terminal_id":"%X","date":"%X","time":"%X","card_random":"%X","online_seq":%d`,
			t.Balance, t.OldLimit, t.NewLimit, t.Terminal[:], t.Date[:], t.Time[:], t.Random[:], t.OnlineSeq)
	}
	for _, n := range []string{"mac1", "mac2", "tac", "mac3"} {
		if m, ok := macs[n]; ok {
			b = fmt.Appendf(b, `,"%s":"%X"`, n, m[:])
		}
	}
	return append(b, "}\n"...), tampered
}

func appendHex(b []byte, p []byte) []byte {
	b = append(b, '"')
	b = hex.AppendEncode(b, p)
	return append(b, '"')
}

func fill(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

func bcd(v int) byte { return byte(v/10<<4 | v%10) }
