package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/sscard/sscard/bench/apdu"
	"github.com/sscard/sscard/bench/card"
	"github.com/sscard/sscard/bench/internal/ref"
	"github.com/sscard/sscard/bench/issuer"
	"github.com/sscard/sscard/bench/psam"
	"github.com/sscard/sscard/bench/terminal"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// world is a reference world: six issuers (SM4 and 3DES, 1 to 3 levels,
// key versions 1 to 3 by depth), one PSAM holding all their masters, a
// terminal per issuer, and a pool of cards per issuer.
type world struct {
	rng     *rand.Rand
	sam     *psam.PSAM
	issuers []*issuer.Issuer
	terms   []*terminal.Terminal
	cards   [][]*card.Card
	keys    map[keyID][16]byte // masters, read back from the key set JSON

	keySetJSON []byte
}

type keyID struct {
	usage, alg string
	version    int
}

var (
	province = [8]byte{'3', '7', 0, 0, 0, 0, 0, 0}
	city     = [8]byte{'3', '7', '1', '7', '0', '0', 's', 'x'}
)

func newWorld(t testing.TB, seed uint64, cardsPerIssuer int) *world {
	t.Helper()
	w := &world{
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		sam: psam.New(psam.Config{Terminal: [6]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, Seq: 0x0001FFF0}),
	}
	src := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 7})
	uppers := [][][8]byte{nil, {city}, {province, city}}
	for _, alg := range []ref.Alg{ref.SM4, ref.TDES} {
		for lv, up := range uppers {
			is, err := issuer.New(alg, byte(lv+1), up, src)
			if err != nil {
				t.Fatal(err)
			}
			if err := is.Install(w.sam); err != nil {
				t.Fatal(err)
			}
			w.issuers = append(w.issuers, is)
			w.terms = append(w.terms, &terminal.Terminal{SAM: w.sam, Upper: up})
			var pool []*card.Card
			for i := 0; i < cardsPerIssuer; i++ {
				var asn [10]byte
				asn[0], asn[1] = 0x37, 0x17
				src.Read(asn[2:])
				c, err := is.NewCard(asn, card.Config{Balance: uint32(w.rng.IntN(100000)), OfflineSeq: uint16(w.rng.IntN(1000)), OnlineSeq: uint16(w.rng.IntN(1000)), Rand: src})
				if err != nil {
					t.Fatal(err)
				}
				pool = append(pool, c)
			}
			w.cards = append(w.cards, pool)
		}
	}
	// The verifier's keys come from the key set file, as a clearing
	// system would read them.
	js, err := json.Marshal(issuer.NewKeySet("SM4", w.issuers...))
	if err != nil {
		t.Fatal(err)
	}
	w.keySetJSON = js
	var ks issuer.KeySet
	if err := json.Unmarshal(js, &ks); err != nil {
		t.Fatal(err)
	}
	w.keys = map[keyID][16]byte{}
	for _, k := range ks.Keys {
		key, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		alg, _ := diversify.ParseAlg(k.Alg)
		if err := diversify.CheckKCV(alg, &key, mustHex(t, k.KCV)); err != nil {
			t.Fatalf("key set KCV: %v", err)
		}
		w.keys[keyID{k.Usage, k.Alg, k.Version}] = key
	}
	return w
}

// macTxn converts a terminal transaction into the main module's typed record.
func macTxn(t *terminal.Txn) mac.Transaction {
	if t.IsLoad() {
		return &mac.Load{Type: t.Type, Amount: t.Amount, Balance: t.Balance, Terminal: t.Terminal,
			Date: t.Date, Time: t.Time, Random: t.Random, OnlineSeq: t.OnlineSeq}
	}
	return &mac.Purchase{Type: t.Type, Amount: t.Amount, Terminal: t.Terminal, TermSeq: t.TermSeq,
		Date: t.Date, Time: t.Time, Random: t.Random, OfflineSeq: t.OfflineSeq}
}

func macAlg(a ref.Alg) diversify.Alg {
	if a == ref.SM4 {
		return diversify.SM4
	}
	return diversify.TDES
}

func factorsOf(t *terminal.Txn) []diversify.Factor {
	f := make([]diversify.Factor, len(t.Factors))
	for i := range t.Factors {
		f[i] = diversify.Factor(t.Factors[i])
	}
	return f
}

// cardKey derives the card key of usage from the key set with diversify.
func (w *world) cardKey(tb testing.TB, usage string, t *terminal.Txn) [16]byte {
	m, ok := w.keys[keyID{usage, t.Alg.String(), int(t.KeyVersion)}]
	if !ok {
		tb.Fatalf("no %s key for %v version %d", usage, t.Alg, t.KeyVersion)
	}
	var k [16]byte
	if err := diversify.Derive(macAlg(t.Alg), &k, &m, factorsOf(t)); err != nil {
		tb.Fatal(err)
	}
	return k
}

// macVerdict verifies MAC1, MAC2 and TAC of t with package mac.
func (w *world) macVerdict(tb testing.TB, t *terminal.Txn) (m1, m2, tac error) {
	usage := "purchase"
	if t.IsLoad() {
		usage = "load"
	}
	sk := w.cardKey(tb, usage, t)
	dtk := w.cardKey(tb, "tac", t)
	mt, alg := macTxn(t), macAlg(t.Alg)
	m1 = mac.VerifyMAC1(mac.SM4Profile, alg, &sk, mt, &t.MAC1)
	m2 = mac.VerifyMAC2(mac.SM4Profile, alg, &sk, mt, &t.MAC2)
	tac = mac.VerifyTAC(mac.SM4Profile, alg, &dtk, mt, &t.TAC)
	return
}

// psamVerdict checks MAC1, MAC2 and TAC of t on the PSAM.
func psamVerdict(sam apdu.Transmitter, t *terminal.Txn) (m1, m2, tac error) {
	ck := terminal.Checker{SAM: sam}
	return ck.MAC1(t), ck.MAC2(t), ck.TAC(t)
}

func isSW(err error, sw apdu.SW) bool {
	var e *apdu.Error
	return errors.As(err, &e) && e.SW == sw
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	var b []byte
	if _, err := fmt.Sscanf(s, "%x", &b); err != nil {
		tb.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// flowCount is the number of flows of the cross-checks.
func flowCount() int {
	if testing.Short() {
		return 3000
	}
	return 100000
}
