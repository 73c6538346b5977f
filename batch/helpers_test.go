package batch

import (
	"crypto/subtle"
	"encoding/binary"
	"math/rand/v2"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// testKeySet returns a key set with every usage for SM4 and 3DES, versions
// 1..4 at levels 0..3 (levels = version-1), keys drawn from seed.
func testKeySet(p *mac.Profile, seed uint64) *KeySet {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	ks := &KeySet{Profile: p}
	for u := UsagePurchase; u <= UsageOverdraw; u++ {
		for _, alg := range []diversify.Alg{diversify.SM4, diversify.TDES} {
			if !p.Allows(alg) {
				continue
			}
			for ver := 1; ver <= 4; ver++ {
				var k MasterKey
				k.Usage, k.Alg, k.Version, k.Levels = u, alg, uint8(ver), ver-1
				for i := range k.Key {
					k.Key[i] = byte(rng.Uint32())
				}
				if ver%2 == 0 {
					kcv, _ := diversify.KCV(alg, &k.Key)
					k.KCV, k.KCVLen = kcv, 3
				}
				ks.Keys = append(ks.Keys, k)
			}
		}
	}
	return ks
}

// refKey returns the master key of ks for (u, alg, version), or nil: a
// plain linear search, independent of the Verifier's index.
func refKey(ks *KeySet, u Usage, alg diversify.Alg, ver uint8) *MasterKey {
	for i := range ks.Keys {
		if k := &ks.Keys[i]; k.Usage == u && k.Alg == alg && k.Version == ver {
			return k
		}
	}
	return nil
}

// refTxn builds the transaction of package mac from a record, field by
// field, independently of the package's own conversion.
func refTxn(r *Record) mac.Transaction {
	switch r.Kind {
	case mac.KindLoad:
		typ := r.Type
		if typ == 0 {
			typ = 0x02
		}
		return &mac.Load{Type: typ, Amount: r.Amount, Balance: r.Balance, Terminal: r.Terminal, Date: r.Date,
			Time: r.Time, Random: r.Random, OnlineSeq: r.OnlineSeq}
	case mac.KindUnload:
		return &mac.Unload{Amount: r.Amount, Balance: r.Balance, Terminal: r.Terminal, Date: r.Date,
			Time: r.Time, Random: r.Random, OnlineSeq: r.OnlineSeq}
	case mac.KindOverdraw:
		return &mac.Overdraw{Balance: r.Balance, OldLimit: r.OldLimit, NewLimit: r.NewLimit, Terminal: r.Terminal,
			Date: r.Date, Time: r.Time, Random: r.Random, OnlineSeq: r.OnlineSeq}
	}
	typ := r.Type
	if typ == 0 {
		typ = map[mac.Kind]byte{mac.KindPurchase: 0x06, mac.KindWithdrawal: 0x04, mac.KindComposite: 0x09}[r.Kind]
	}
	return &mac.Purchase{Type: typ, Amount: r.Amount, Terminal: r.Terminal, TermSeq: r.TermSeq, Date: r.Date,
		Time: r.Time, Random: r.Random, OfflineSeq: r.OfflineSeq}
}

func refFields(k mac.Kind) Field {
	if k == mac.KindUnload {
		return FieldMAC1 | FieldMAC2 | FieldMAC3
	}
	return FieldMAC1 | FieldMAC2 | FieldTAC
}

func refSessionUsage(k mac.Kind) Usage {
	switch k {
	case mac.KindLoad:
		return UsageLoad
	case mac.KindUnload:
		return UsageUnload
	case mac.KindOverdraw:
		return UsageOverdraw
	}
	return UsagePurchase
}

// refMACs computes the reference MACs of r (the fields of its kind) with
// package mac, deriving every card key from its master with
// diversify.Derive. ok is false when a key is missing or the factor count
// is wrong.
func refMACs(ks *KeySet, r *Record) (m1, m2, tac, m3 [4]byte, unknown, levels bool) {
	fs := append([]diversify.Factor(nil), r.Factors[:r.NFactors]...)
	if ks.Profile.FactorOrder == mac.LowestFirst {
		diversify.Reverse(fs)
	}
	t := refTxn(r)
	fields := r.Present & refFields(r.Kind)
	if fields&(FieldMAC1|FieldMAC2|FieldMAC3) != 0 {
		mk := refKey(ks, refSessionUsage(r.Kind), r.Alg, r.KeyVersion)
		if mk == nil {
			unknown = true
			return
		}
		if mk.Levels != len(fs) {
			levels = true
		}
	}
	if fields&FieldTAC != 0 {
		mk := refKey(ks, UsageTAC, r.Alg, r.KeyVersion)
		if mk == nil {
			unknown = true
			return
		}
		if mk.Levels != len(fs) {
			levels = true
		}
	}
	if levels {
		return
	}
	if fields&(FieldMAC1|FieldMAC2|FieldMAC3) != 0 {
		mk := refKey(ks, refSessionUsage(r.Kind), r.Alg, r.KeyVersion)
		var k [16]byte
		if err := diversify.Derive(r.Alg, &k, &mk.Key, fs); err != nil {
			panic(err)
		}
		var err error
		if m1, err = mac.MAC1(ks.Profile, r.Alg, &k, t); err != nil {
			panic(err)
		}
		m2, _ = mac.MAC2(ks.Profile, r.Alg, &k, t)
		if r.Kind == mac.KindUnload {
			m3, _ = mac.MAC3(ks.Profile, r.Alg, &k, t)
		}
	}
	if fields&FieldTAC != 0 {
		mk := refKey(ks, UsageTAC, r.Alg, r.KeyVersion)
		var k [16]byte
		diversify.Derive(r.Alg, &k, &mk.Key, fs)
		var err error
		if tac, err = mac.TAC(ks.Profile, r.Alg, &k, t); err != nil {
			panic(err)
		}
	}
	return
}

// refResult is the expected result of a well-formed record (the caller
// knows which records are malformed by construction).
func refResult(ks *KeySet, r *Record) (st Status, bad Field) {
	m1, m2, tac, m3, unknown, levels := refMACs(ks, r)
	switch {
	case unknown:
		return StatusUnknownKey, 0
	case levels:
		return StatusMalformed, 0
	}
	fields := r.Present & refFields(r.Kind)
	check := func(f Field, got, want [4]byte) {
		if fields&f != 0 && subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			bad |= f
		}
	}
	check(FieldMAC1, m1, r.MAC1)
	check(FieldMAC2, m2, r.MAC2)
	check(FieldTAC, tac, r.TAC)
	check(FieldMAC3, m3, r.MAC3)
	if bad != 0 {
		return StatusMismatch, bad
	}
	return StatusOK, 0
}

// gen draws random records.
type gen struct {
	rng    *rand.Rand
	ks     *KeySet
	algs   []diversify.Alg
	cities []diversify.Factor // shared upper-level factors
}

func newGen(ks *KeySet, seed uint64) *gen {
	g := &gen{rng: rand.New(rand.NewPCG(seed, 1)), ks: ks}
	for _, a := range []diversify.Alg{diversify.SM4, diversify.TDES} {
		if ks.Profile.Allows(a) {
			g.algs = append(g.algs, a)
		}
	}
	for i := 0; i < 6; i++ {
		var f diversify.Factor
		binary.BigEndian.PutUint64(f[:], g.rng.Uint64())
		g.cities = append(g.cities, f)
	}
	return g
}

func (g *gen) bytes(b []byte) {
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
}

func bcd(v int) byte { return byte(v/10<<4 | v%10) }

// valid returns a random well-formed, correctly signed record.
func (g *gen) valid() Record {
	rng := g.rng
	var r Record
	r.Kind = mac.Kind(1 + rng.IntN(6))
	r.Alg = g.algs[rng.IntN(len(g.algs))]
	r.KeyVersion = uint8(1 + rng.IntN(4))
	levels := int(r.KeyVersion) - 1
	r.NFactors = uint8(levels)
	for i := 0; i < levels; i++ {
		if i < levels-1 {
			// Upper levels from a small pool: cache hits and shared parents.
			r.Factors[i] = g.cities[(rng.IntN(3)+i)%len(g.cities)]
		} else {
			binary.BigEndian.PutUint64(r.Factors[i][:], rng.Uint64())
		}
	}
	switch r.Kind {
	case mac.KindPurchase:
		r.Type = []byte{0, 5, 6}[rng.IntN(3)]
	case mac.KindLoad:
		r.Type = []byte{0, 1, 2}[rng.IntN(3)]
	case mac.KindWithdrawal:
		r.Type = []byte{0, 4}[rng.IntN(2)]
	}
	r.Amount = rng.Uint32() >> uint(rng.IntN(32))
	r.Balance = rng.Uint32() >> uint(rng.IntN(32))
	switch r.Kind {
	case mac.KindLoad:
		if uint64(r.Balance)+uint64(r.Amount) > 1<<32-1 {
			r.Balance = 1<<32 - 1 - r.Amount
		}
	case mac.KindUnload:
		if r.Amount > r.Balance {
			r.Amount, r.Balance = r.Balance, r.Amount
		}
	case mac.KindOverdraw:
		r.OldLimit = rng.Uint32N(mac.MaxLimit + 1)
		r.NewLimit = rng.Uint32N(mac.MaxLimit + 1)
		r.Balance = r.OldLimit + rng.Uint32N(1<<30)
	}
	g.bytes(r.Terminal[:])
	g.bytes(r.TermSeq[:])
	g.bytes(r.Random[:])
	y := 1990 + rng.IntN(80)
	r.Date = [4]byte{bcd(y / 100), bcd(y % 100), bcd(1 + rng.IntN(12)), bcd(1 + rng.IntN(28))}
	r.Time = [3]byte{bcd(rng.IntN(24)), bcd(rng.IntN(60)), bcd(rng.IntN(60))}
	r.OfflineSeq = uint16(rng.Uint32())
	r.OnlineSeq = uint16(rng.Uint32())
	all := refFields(r.Kind)
	for r.Present == 0 {
		r.Present = Field(rng.IntN(16)) & all
	}
	m1, m2, tac, m3, _, _ := refMACs(g.ks, &r)
	r.MAC1, r.MAC2, r.TAC, r.MAC3 = m1, m2, tac, m3
	return r
}

// Case tags of generated records.
const (
	caseOK = iota
	caseTamperMAC
	caseTamperData
	caseUnknown
	caseLevels
	caseMalformed
)

// next returns a random record and its case. Tampered MAC values record
// the field changed in *field.
func (g *gen) next(field *Field) (Record, int) {
	r := g.valid()
	*field = 0
	switch p := g.rng.IntN(100); {
	case p < 70:
		return r, caseOK
	case p < 80:
		fs := r.Present
		for {
			f := Field(1) << g.rng.IntN(4)
			if fs&f != 0 {
				r.want(f)[g.rng.IntN(4)] ^= byte(1 << g.rng.IntN(8))
				*field = f
				return r, caseTamperMAC
			}
		}
	case p < 88:
		switch g.rng.IntN(7) {
		case 0:
			r.Amount ^= 1 << g.rng.IntN(32)
			if r.Kind == mac.KindUnload && r.Amount > r.Balance {
				r.Amount = r.Balance
			}
			if r.Kind == mac.KindLoad && uint64(r.Balance)+uint64(r.Amount) > 1<<32-1 {
				r.Balance = 1<<32 - 1 - r.Amount
			}
		case 1:
			r.Terminal[g.rng.IntN(6)] ^= 0x10
		case 2:
			r.Random[g.rng.IntN(4)] ^= 0x01
		case 3:
			r.Time[2] ^= 0x01
		case 4:
			r.OnlineSeq++
			r.OfflineSeq++
		case 5:
			if r.NFactors > 0 {
				r.Factors[r.NFactors-1][7] ^= 0x80
			} else {
				r.TermSeq[3] ^= 1
			}
		case 6:
			if r.NFactors > 1 {
				r.Factors[0][0] ^= 0x80
			} else {
				r.TermSeq[0] ^= 1
			}
		}
		return r, caseTamperData
	case p < 92:
		r.KeyVersion = uint8(5 + g.rng.IntN(250))
		return r, caseUnknown
	case p < 95:
		if r.NFactors < MaxFactors && g.rng.IntN(2) == 0 {
			r.NFactors++
		} else if r.NFactors > 0 {
			r.NFactors--
		} else {
			r.NFactors = 2
		}
		return r, caseLevels
	default:
		switch g.rng.IntN(4) {
		case 0:
			r.Date[2] = 0x13
		case 1:
			r.Present = 0
		case 2:
			r.Time[0] = 0x24
		case 3:
			r.Kind = 0
		}
		return r, caseMalformed
	}
}
