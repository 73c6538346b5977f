package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/sscard/sscard/batch"
	"github.com/sscard/sscard/bench/apdu"
	"github.com/sscard/sscard/bench/terminal"
	"github.com/sscard/sscard/mac"
)

var purchaseTypes = []byte{0x04, 0x05, 0x06, 0x09}

// TestCrossCheckFlows runs end-to-end card + PSAM flows (SM4 and 3DES, 1 to
// 3 levels, purchase, withdrawal, composite purchase and load) and checks
// that every MAC1, MAC2 and TAC verifies with package mac, survives the
// record format, and that a tampered record fails both in mac and on the
// PSAM (9302) for exactly the same MACs.
func TestCrossCheckFlows(t *testing.T) {
	w := newWorld(t, 1, 8)
	n := flowCount()
	var purchases, loads, refused, tampered int
	bc := newBatchCheck(t, w)
	for k := 0; k < n; k++ {
		i := w.rng.IntN(len(w.issuers))
		c := w.cards[i][w.rng.IntN(len(w.cards[i]))]
		tm := w.terms[i]
		balBefore := c.Balance()
		onl, offl := c.Counters()
		var tx terminal.Txn
		var err error
		if w.rng.IntN(2) == 0 {
			typ := byte(0x01 + w.rng.IntN(2))
			amount := uint32(w.rng.IntN(50000))
			tx, err = tm.Load(c, typ, amount)
			if err != nil {
				t.Fatalf("flow %d: load: %v", k, err)
			}
			if c.Balance() != balBefore+amount || tx.Balance != balBefore || tx.OnlineSeq != onl {
				t.Fatalf("flow %d: load balance %d → %d (+%d), record %+v", k, balBefore, c.Balance(), amount, tx)
			}
			loads++
		} else {
			typ := purchaseTypes[w.rng.IntN(len(purchaseTypes))]
			amount := uint32(w.rng.IntN(30000))
			tx, err = tm.Purchase(c, typ, amount)
			if amount > balBefore {
				if !isSW(err, apdu.Insufficient) {
					t.Fatalf("flow %d: purchase of %d over balance %d: %v", k, amount, balBefore, err)
				}
				if o2, f2 := c.Counters(); c.Balance() != balBefore || o2 != onl || f2 != offl {
					t.Fatalf("flow %d: refused purchase changed the purse", k)
				}
				refused++
				continue
			}
			if err != nil {
				t.Fatalf("flow %d: purchase: %v", k, err)
			}
			if c.Balance() != balBefore-amount || tx.OfflineSeq != offl {
				t.Fatalf("flow %d: purchase balance %d → %d (-%d)", k, balBefore, c.Balance(), amount)
			}
			purchases++
		}
		if m1, m2, tac := w.macVerdict(t, &tx); m1 != nil || m2 != nil || tac != nil {
			t.Fatalf("flow %d (%v %v %d levels): mac rejects the card/PSAM record: %v / %v / %v", k, tx.Kind(), tx.Alg, len(tx.Factors), m1, m2, tac)
		}
		// Through the record format and back.
		rec := tx.Record()
		js, err := json.Marshal(&rec)
		if err != nil {
			t.Fatal(err)
		}
		var back terminal.Record
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatal(err)
		}
		tx2, err := terminal.ParseRecord(&back)
		if err != nil {
			t.Fatalf("flow %d: %v in %s", k, err, js)
		}
		bc.add(&tx2, 0)
		if k%4 == 0 {
			if m1, m2, tac := psamVerdict(w.sam, &tx2); m1 != nil || m2 != nil || tac != nil {
				t.Fatalf("flow %d: PSAM rejects its own record: %v / %v / %v", k, m1, m2, tac)
			}
		}
		// Tamper and compare verdicts.
		tamper(w, &tx2)
		if equalTxn(&tx, &tx2) {
			continue
		}
		tampered++
		a1, a2, a3 := w.macVerdict(t, &tx2)
		b1, b2, b3 := psamVerdict(w.sam, &tx2)
		if a1 == nil && a2 == nil && a3 == nil {
			t.Fatalf("flow %d: tampered record %+v passes mac", k, tx2)
		}
		var failed batch.Field
		for j, p := range [][2]error{{a1, b1}, {a2, b2}, {a3, b3}} {
			if (p[0] == nil) != (p[1] == nil) {
				t.Fatalf("flow %d: MAC %d: mac says %v, PSAM says %v", k, j+1, p[0], p[1])
			}
			if p[0] != nil && (!errors.Is(p[0], mac.ErrMACMismatch) || !isSW(p[1], apdu.MACWrong)) {
				t.Fatalf("flow %d: MAC %d: mac %v, PSAM %v (want 9302)", k, j+1, p[0], p[1])
			}
			if p[0] != nil {
				failed |= []batch.Field{batch.FieldMAC1, batch.FieldMAC2, batch.FieldTAC}[j]
			}
		}
		bc.add(&tx2, failed)
	}
	bc.flush()
	t.Logf("%d flows: %d purchases, %d loads, %d refused (9401), %d tampered; batch checked %d records", n, purchases, loads, refused, tampered, bc.checked)
	if purchases == 0 || loads == 0 || refused == 0 || tampered < n/2 {
		t.Fatal("the random flows did not cover every case")
	}
}

func equalTxn(a, b *terminal.Txn) bool {
	ja, _ := json.Marshal(a.Record())
	jb, _ := json.Marshal(b.Record())
	return bytes.Equal(ja, jb)
}

// tamper changes one field that some MAC covers.
func tamper(w *world, t *terminal.Txn) {
	bit := byte(1) << w.rng.IntN(8)
	switch w.rng.IntN(10) {
	case 0:
		t.MAC1[w.rng.IntN(4)] ^= bit
	case 1:
		t.MAC2[w.rng.IntN(4)] ^= bit
	case 2:
		t.TAC[w.rng.IntN(4)] ^= bit
	case 3:
		t.Amount ^= 1 << w.rng.IntN(16)
	case 4:
		t.Terminal[w.rng.IntN(6)] ^= bit
	case 5:
		t.Time[2] ^= 0x01 // stays a valid BCD second: 0↔1, 2↔3, …, 8↔9
	case 6:
		t.Random[w.rng.IntN(4)] ^= bit
	case 7:
		if t.IsLoad() {
			t.OnlineSeq ^= uint16(bit)
		} else {
			t.OfflineSeq ^= uint16(bit)
		}
	case 8:
		if t.IsLoad() {
			t.Balance ^= uint32(bit)
		} else {
			t.TermSeq[3] ^= bit
		}
	case 9:
		switch t.Type {
		case 0x01, 0x02:
			t.Type ^= 0x03
		case 0x05, 0x06:
			t.Type ^= 0x03
		}
	}
}

// TestCrossCheckMACToPSAM computes records with package mac and checks that
// the PSAM accepts them (DES CRYPT checks, and INIT / CREDIT SAM FOR
// PURCHASE reproduce MAC1 and accept MAC2) and answers 9302 to tampered ones.
func TestCrossCheckMACToPSAM(t *testing.T) {
	w := newWorld(t, 2, 1)
	n := flowCount() / 4
	for k := 0; k < n; k++ {
		is := w.issuers[w.rng.IntN(len(w.issuers))]
		var asn [10]byte
		for j := range asn {
			asn[j] = byte(w.rng.Uint32())
		}
		tx := terminal.Txn{Alg: is.Alg, KeyVersion: is.Version, Factors: is.Factors(asn),
			Amount: uint32(w.rng.IntN(1 << 20)), Balance: uint32(w.rng.IntN(1 << 24)),
			Terminal: w.sam.Terminal(), OfflineSeq: uint16(w.rng.Uint32()), OnlineSeq: uint16(w.rng.Uint32()),
			Date: [4]byte{0x20, 0x26, byte(0x01 + w.rng.IntN(9)), byte(0x10 + w.rng.IntN(9))},
			Time: [3]byte{bcd(w.rng.IntN(24)), bcd(w.rng.IntN(60)), bcd(w.rng.IntN(60))}}
		for j := range tx.Random {
			tx.Random[j] = byte(w.rng.Uint32())
		}
		if w.rng.IntN(2) == 0 {
			tx.Type = byte(1 + w.rng.IntN(2))
		} else {
			tx.Type = purchaseTypes[w.rng.IntN(4)]
			seq := w.rng.Uint32() >> 1
			tx.TermSeq = [4]byte{byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq)}
		}
		usage := "purchase"
		if tx.IsLoad() {
			usage = "load"
		}
		sk, dtk := w.cardKey(t, usage, &tx), w.cardKey(t, "tac", &tx)
		mt, alg := macTxn(&tx), macAlg(tx.Alg)
		var err error
		if tx.MAC1, err = mac.MAC1(mac.SM4Profile, alg, &sk, mt); err != nil {
			t.Fatalf("%+v: %v", tx, err)
		}
		tx.MAC2, _ = mac.MAC2(mac.SM4Profile, alg, &sk, mt)
		tx.TAC, _ = mac.TAC(mac.SM4Profile, alg, &dtk, mt)
		if m1, m2, tac := psamVerdict(w.sam, &tx); m1 != nil || m2 != nil || tac != nil {
			t.Fatalf("record %d (%v %v %d levels): PSAM rejects mac's MACs: %v / %v / %v", k, tx.Kind(), tx.Alg, len(tx.Factors), m1, m2, tac)
		}
		if !tx.IsLoad() {
			checkPurchaseOnSAM(t, w, &tx)
		}
		bad := tx
		switch k % 3 {
		case 0:
			bad.MAC1[k%4] ^= 0x80
		case 1:
			bad.MAC2[k%4] ^= 0x01
		case 2:
			bad.TAC[k%4] ^= 0x10
		}
		m1, m2, tac := psamVerdict(w.sam, &bad)
		for j, e := range []error{m1, m2, tac} {
			if (j == k%3) != isSW(e, apdu.MACWrong) || (j != k%3 && e != nil) {
				t.Fatalf("record %d: tampered MAC %d: PSAM answers %v / %v / %v", k, k%3+1, m1, m2, tac)
			}
		}
	}
}

// checkPurchaseOnSAM replays a purchase through INIT SAM FOR PURCHASE and
// CREDIT SAM FOR PURCHASE.
func checkPurchaseOnSAM(t *testing.T, w *world, tx *terminal.Txn) {
	t.Helper()
	seq := uint32(tx.TermSeq[0])<<24 | uint32(tx.TermSeq[1])<<16 | uint32(tx.TermSeq[2])<<8 | uint32(tx.TermSeq[3])
	w.sam.SetSeq(seq - 1)
	d := append([]byte(nil), tx.Random[:]...)
	d = append(d, byte(tx.OfflineSeq>>8), byte(tx.OfflineSeq), byte(tx.Amount>>24), byte(tx.Amount>>16), byte(tx.Amount>>8), byte(tx.Amount), tx.Type)
	d = append(d, tx.Date[:]...)
	d = append(d, tx.Time[:]...)
	d = append(d, tx.KeyVersion, tx.Alg.ID())
	for i := len(tx.Factors) - 1; i >= 0; i-- {
		d = append(d, tx.Factors[i][:]...)
	}
	r, sw := w.sam.Transmit(apdu.Append(nil, 0x80, 0x70, 0, 0, d, 8))
	if sw != apdu.OK || !bytes.Equal(r, append(tx.TermSeq[:], tx.MAC1[:]...)) {
		t.Fatalf("INIT SAM FOR PURCHASE: %X %v, want %X %X", r, sw, tx.TermSeq, tx.MAC1)
	}
	bad := tx.MAC2
	bad[0] ^= 1
	if _, sw := w.sam.Transmit(apdu.Append(nil, 0x80, 0x72, 0, 0, bad[:], 0)); sw != apdu.MACWrong {
		t.Fatalf("CREDIT SAM FOR PURCHASE with a wrong MAC2: %v", sw)
	}
	// The session ended with the failure; a second try is out of sequence.
	if _, sw := w.sam.Transmit(apdu.Append(nil, 0x80, 0x72, 0, 0, tx.MAC2[:], 0)); sw != apdu.Conditions {
		t.Fatalf("CREDIT SAM FOR PURCHASE after the session ended: %v", sw)
	}
	w.sam.SetSeq(seq - 1)
	w.sam.Transmit(apdu.Append(nil, 0x80, 0x70, 0, 0, d, 8))
	if _, sw := w.sam.Transmit(apdu.Append(nil, 0x80, 0x72, 0, 0, tx.MAC2[:], 0)); sw != apdu.OK {
		t.Fatalf("CREDIT SAM FOR PURCHASE with mac's MAC2: %v", sw)
	}
}

// TestCrossCheckMACToCard drives cards directly with MACs computed by
// package mac: the card accepts MAC1 (purchase) and MAC2 (load) from mac and
// answers the MAC2 and TAC mac predicts; a wrong one answers 9302 and
// changes nothing.
func TestCrossCheckMACToCard(t *testing.T) {
	w := newWorld(t, 3, 4)
	n := flowCount() / 4
	for k := 0; k < n; k++ {
		i := w.rng.IntN(len(w.issuers))
		is, c := w.issuers[i], w.cards[i][w.rng.IntN(len(w.cards[i]))]
		tx := terminal.Txn{Alg: is.Alg, KeyVersion: is.Version, Factors: is.Factors(c.ASN()),
			Terminal: [6]byte{1, 2, 3, 4, 5, byte(k)}, Date: [4]byte{0x20, 0x26, 0x11, 0x22}, Time: [3]byte{0x13, 0x51, byte(k%60/10<<4 | k%10)}}
		tx.Balance = c.Balance()
		onl, offl := c.Counters()
		tx.OnlineSeq, tx.OfflineSeq = onl, offl
		wrong := k%5 == 0
		alg := macAlg(tx.Alg)
		dtk := w.cardKey(t, "tac", &tx)
		if k%2 == 0 {
			tx.Type, tx.Amount = 0x02, uint32(w.rng.IntN(10000))
			init := apdu.Append(nil, 0x80, 0x50, 0x00, 0x02, append([]byte{1, byte(tx.Amount >> 24), byte(tx.Amount >> 16), byte(tx.Amount >> 8), byte(tx.Amount)}, tx.Terminal[:]...), 0x10)
			r, sw := c.Transmit(init)
			if sw != apdu.OK {
				t.Fatalf("INITIALIZE FOR LOAD: %v", sw)
			}
			copy(tx.Random[:], r[8:12])
			copy(tx.MAC1[:], r[12:16])
			dlk := w.cardKey(t, "load", &tx)
			mt := macTxn(&tx)
			if err := mac.VerifyMAC1(mac.SM4Profile, alg, &dlk, mt, &tx.MAC1); err != nil {
				t.Fatalf("card's load MAC1: %v", err)
			}
			m2, _ := mac.MAC2(mac.SM4Profile, alg, &dlk, mt)
			if wrong {
				m2[3] ^= 0x40
			}
			data := append(append(append([]byte(nil), tx.Date[:]...), tx.Time[:]...), m2[:]...)
			r, sw = c.Transmit(apdu.Append(nil, 0x80, 0x52, 0, 0, data, 4))
			if wrong {
				if o2, f2 := c.Counters(); sw != apdu.MACWrong || c.Balance() != tx.Balance || o2 != onl || f2 != offl {
					t.Fatalf("CREDIT FOR LOAD with a wrong MAC2: %v, balance %d → %d", sw, tx.Balance, c.Balance())
				}
				continue
			}
			tac, _ := mac.TAC(mac.SM4Profile, alg, &dtk, mt)
			if sw != apdu.OK || !bytes.Equal(r, tac[:]) || c.Balance() != tx.Balance+tx.Amount {
				t.Fatalf("CREDIT FOR LOAD: %X %v, want TAC %X", r, sw, tac)
			}
			continue
		}
		tx.Type, tx.Amount = 0x06, uint32(w.rng.IntN(int(tx.Balance)+1))
		tx.TermSeq = [4]byte{0, 0, byte(k >> 8), byte(k)}
		init := apdu.Append(nil, 0x80, 0x50, 0x01, 0x02, append([]byte{1, byte(tx.Amount >> 24), byte(tx.Amount >> 16), byte(tx.Amount >> 8), byte(tx.Amount)}, tx.Terminal[:]...), 0x0F)
		r, sw := c.Transmit(init)
		if sw != apdu.OK {
			t.Fatalf("INITIALIZE FOR PURCHASE: %v", sw)
		}
		copy(tx.Random[:], r[11:15])
		dpk := w.cardKey(t, "purchase", &tx)
		mt := macTxn(&tx)
		m1, _ := mac.MAC1(mac.SM4Profile, alg, &dpk, mt)
		if wrong {
			m1[0] ^= 0x01
		}
		data := append(append(append(append([]byte(nil), tx.TermSeq[:]...), tx.Date[:]...), tx.Time[:]...), m1[:]...)
		r, sw = c.Transmit(apdu.Append(nil, 0x80, 0x54, 0x01, 0x00, data, 8))
		if wrong {
			if o2, f2 := c.Counters(); sw != apdu.MACWrong || c.Balance() != tx.Balance || o2 != onl || f2 != offl {
				t.Fatalf("DEBIT FOR PURCHASE with a wrong MAC1: %v, balance %d → %d", sw, tx.Balance, c.Balance())
			}
			continue
		}
		m2, _ := mac.MAC2(mac.SM4Profile, alg, &dpk, mt)
		tac, _ := mac.TAC(mac.SM4Profile, alg, &dtk, mt)
		if sw != apdu.OK || !bytes.Equal(r, append(tac[:], m2[:]...)) || c.Balance() != tx.Balance-tx.Amount {
			t.Fatalf("DEBIT FOR PURCHASE: %X %v, want %X %X", r, sw, tac, m2)
		}
	}
}

func bcd(v int) byte { return byte(v/10<<4 | v%10) }

// batchCheck verifies records with the main module's batch engine, read
// through the record format (JSON, batch.ParseRecord) and the key set file
// (batch.ParseKeySet), and expects exactly the failing fields mac found.
type batchCheck struct {
	t       *testing.T
	v       *batch.Verifier
	recs    []batch.Record
	want    []batch.Field
	res     []batch.Result
	checked int
}

func newBatchCheck(t *testing.T, w *world) *batchCheck {
	ks, err := batch.ParseKeySet(w.keySetJSON)
	if err != nil {
		t.Fatal(err)
	}
	v, err := batch.NewVerifier(ks, nil)
	ks.Wipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return &batchCheck{t: t, v: v}
}

func (bc *batchCheck) add(tx *terminal.Txn, failed batch.Field) {
	var r batch.Record
	if err := BatchRecord(tx, &r); err != nil {
		bc.t.Fatalf("batch.ParseRecord of %+v: %v", tx.Record(), err)
	}
	bc.recs = append(bc.recs, r)
	bc.want = append(bc.want, failed)
	if len(bc.recs) == 4096 {
		bc.flush()
	}
}

func (bc *batchCheck) flush() {
	if cap(bc.res) < len(bc.recs) {
		bc.res = make([]batch.Result, len(bc.recs))
	}
	res := bc.res[:len(bc.recs)]
	if err := bc.v.Verify(bc.recs, res); err != nil {
		bc.t.Fatal(err)
	}
	for i := range res {
		want := batch.StatusOK
		if bc.want[i] != 0 {
			want = batch.StatusMismatch
		}
		if res[i].Status != want || res[i].Fields != bc.want[i] {
			bc.t.Fatalf("batch: record %+v: %v %v (%v), want %v %v", bc.recs[i], res[i].Status, res[i].Fields, res[i].Err, want, bc.want[i])
		}
	}
	bc.checked += len(res)
	bc.recs, bc.want = bc.recs[:0], bc.want[:0]
}
