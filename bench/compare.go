// Package bench compares sscard's engines with the way smart-card
// transactions are verified today. It is a nested module so that
// github.com/tjfoc/gmsm (and the old grpc and x/net its module graph drags
// in) never reaches importers of the main module.
//
// The reference world lives in the sub-packages: a software PSAM (psam) and
// user card (card) speaking APDUs (apdu), an issuer that personalises them
// (issuer), and a terminal that runs them end to end and writes clearing
// records (terminal). This package builds a workload of real clearing
// records from that world and the implementations that verify it (Impls),
// shared by the benchmarks of compare_test.go and by cmd/compare.
package bench

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/emmansun/gmsm/cbcmac"
	"github.com/emmansun/gmsm/padding"
	emsm4 "github.com/emmansun/gmsm/sm4"
	tjsm4 "github.com/tjfoc/gmsm/sm4"

	"github.com/sscard/sscard/batch"
	"github.com/sscard/sscard/bench/card"
	"github.com/sscard/sscard/bench/internal/ref"
	"github.com/sscard/sscard/bench/issuer"
	"github.com/sscard/sscard/bench/psam"
	"github.com/sscard/sscard/bench/terminal"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
	"github.com/sscard/sscard/sm4"
)

// Check is what a verification checks.
type Check uint8

// Checks.
const (
	CheckTAC  Check = iota // the purchase TAC under DTK (no session key)
	CheckMAC1              // the purchase MAC1 under the DPK session key
)

// String returns "TAC" or "MAC1".
func (c Check) String() string {
	if c == CheckMAC1 {
		return "MAC1"
	}
	return "TAC"
}

// Workload is a set of EP purchases made by distinct SM4 cards (one
// diversification level: the card's application serial) through the
// software PSAM and cards, with the issuer that made them.
type Workload struct {
	Issuer *issuer.Issuer
	Txns   []terminal.Txn
	// Purchases are the same transactions as the main module's typed records.
	Purchases []mac.Purchase
	// KeySet is the issuer's key set file (JSON).
	KeySet []byte
}

// NewWorkload runs n purchases, each on a fresh card, deterministically
// from seed.
func NewWorkload(n int, seed uint64) (*Workload, error) {
	src := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 's', 's'})
	is, err := issuer.New(ref.SM4, 1, nil, src)
	if err != nil {
		return nil, err
	}
	sam := psam.New(psam.Config{Terminal: [6]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, Seq: 0x100})
	if err := is.Install(sam); err != nil {
		return nil, err
	}
	tm := &terminal.Terminal{SAM: sam}
	w := &Workload{Issuer: is}
	for i := 0; i < n; i++ {
		var asn [10]byte
		src.Read(asn[:])
		c, err := is.NewCard(asn, card.Config{Balance: 100000, OfflineSeq: uint16(i), Rand: src})
		if err != nil {
			return nil, err
		}
		t, err := tm.Purchase(c, 0x06, uint32(1+i%5000))
		if err != nil {
			return nil, err
		}
		w.Txns = append(w.Txns, t)
		w.Purchases = append(w.Purchases, mac.Purchase{Type: t.Type, Amount: t.Amount, Terminal: t.Terminal,
			TermSeq: t.TermSeq, Date: t.Date, Time: t.Time, Random: t.Random, OfflineSeq: t.OfflineSeq})
	}
	w.KeySet, err = json.Marshal(issuer.NewKeySet("SM4", is))
	return w, err
}

// Impl is one way to verify a workload.
type Impl struct {
	// Name is the sub-benchmark name after "impl=".
	Name string
	// Note says what the implementation does per transaction.
	Note string
	// Prepare returns a function that verifies every transaction of w once
	// and returns how many verified. Setup (master keys expanded once,
	// records converted) happens in Prepare, outside the timing.
	Prepare func(w *Workload, c Check) (run func() int, err error)
}

// Impls returns the implementations, psam-ref first.
func Impls() []Impl {
	impls := []Impl{
		{Name: "psam-ref", Note: "APDUs to the software PSAM: INIT FOR DESCRYPT (80 1A) + DES CRYPT verify (80 FA), tjfoc SM4", Prepare: preparePSAM},
		{Name: "tjfoc", Note: "tjfoc/gmsm SM4: derive, NewCipher, (session key, NewCipher), CBC-MAC by hand", Prepare: prepareLib(tjNew, false)},
		{Name: "emmansun", Note: "emmansun/gmsm SM4: derive, NewCipher, (session key, NewCipher), cbcmac with ISO 9797-1 M2", Prepare: prepareLib(emNew, true)},
		{Name: "scalar", Note: "sscard diversify + mac, one transaction at a time", Prepare: prepareScalar},
		{Name: "batch", Note: "sscard batch.Verifier, 1 worker, the whole workload per call (SIMD lanes where the CPU has them)", Prepare: prepareBatch},
	}
	return impls
}

func preparePSAM(w *Workload, c Check) (func() int, error) {
	sam := psam.New(psam.Config{Terminal: w.Txns[0].Terminal})
	if err := w.Issuer.Install(sam); err != nil {
		return nil, err
	}
	ck := &terminal.Checker{SAM: sam}
	txns := w.Txns
	return func() int {
		ok := 0
		for i := range txns {
			var err error
			if c == CheckMAC1 {
				err = ck.MAC1(&txns[i])
			} else {
				err = ck.TAC(&txns[i])
			}
			if err == nil {
				ok++
			}
		}
		return ok
	}, nil
}

func tjNew(k []byte) (cipher.Block, error) { return tjsm4.NewCipher(k) }
func emNew(k []byte) (cipher.Block, error) { return emsm4.NewCipher(k) }

// prepareLib composes a verification from a library's SM4 the obvious way:
// the master cipher is built once; per transaction the card key is
// diversified and expanded, then (MAC1) the session key derived and
// expanded, and the CBC-MAC computed (by hand when useEm is false, with
// emmansun's cbcmac when true).
func prepareLib(newCipher func([]byte) (cipher.Block, error), useEm bool) func(*Workload, Check) (func() int, error) {
	return func(w *Workload, c Check) (func() int, error) {
		masterKey := w.Issuer.Masters.TAC
		if c == CheckMAC1 {
			masterKey = w.Issuer.Masters.Purchase
		}
		m, err := newCipher(masterKey[:])
		if err != nil {
			return nil, err
		}
		txns := w.Txns
		return func() int {
			ok := 0
			var buf [32]byte
			for i := range txns {
				t := &txns[i]
				f := &t.Factors[len(t.Factors)-1]
				in := make([]byte, 16)
				for j := 0; j < 8; j++ {
					in[j], in[8+j] = f[j], ^f[j]
				}
				k := make([]byte, 16)
				m.Encrypt(k, in)
				kc, _ := newCipher(k)
				var data []byte
				want := &t.TAC
				if c == CheckMAC1 {
					d8 := t.D8()
					for j := 0; j < 8; j++ {
						in[j], in[8+j] = d8[j], ^d8[j]
					}
					kc.Encrypt(k, in)
					kc, _ = newCipher(k)
					data, want = t.AppendMAC1(buf[:0]), &t.MAC1
				} else {
					data = t.AppendTAC(buf[:0])
				}
				var got []byte
				if useEm {
					got = cbcmac.NewCBCMACWithPadding(kc, 16, padding.NewISO9797M2Padding).MAC(data)
				} else {
					got = make([]byte, 16)
					padded := append(append([]byte(nil), data...), 0x80)
					for len(padded)%16 != 0 {
						padded = append(padded, 0)
					}
					for off := 0; off < len(padded); off += 16 {
						subtle.XORBytes(got, got, padded[off:off+16])
						kc.Encrypt(got, got)
					}
				}
				if subtle.ConstantTimeCompare(got[:4], want[:]) == 1 {
					ok++
				}
			}
			return ok
		}, nil
	}
}

// prepareScalar verifies with the main module's diversify and mac, the
// master key schedule expanded once.
func prepareScalar(w *Workload, c Check) (func() int, error) {
	masterKey := w.Issuer.Masters.TAC
	if c == CheckMAC1 {
		masterKey = w.Issuer.Masters.Purchase
	}
	var ms sm4.Schedule
	ms.Init(&masterKey)
	txns, ps := w.Txns, w.Purchases
	return func() int {
		ok := 0
		for i := range txns {
			t := &txns[i]
			f := diversify.Factor(t.Factors[len(t.Factors)-1])
			var k [16]byte
			diversify.SM4ChildSchedule(&k, &ms, &f)
			var err error
			if c == CheckMAC1 {
				err = mac.VerifyMAC1(mac.SM4Profile, diversify.SM4, &k, &ps[i], &t.MAC1)
			} else {
				err = mac.VerifyTAC(mac.SM4Profile, diversify.SM4, &k, &ps[i], &t.TAC)
			}
			if err == nil {
				ok++
			}
		}
		return ok
	}, nil
}

// BatchRecord converts a transaction to the batch engine's record through
// the record format: JSON, then batch.ParseRecord.
func BatchRecord(t *terminal.Txn, rec *batch.Record) error {
	r := t.Record()
	line, err := json.Marshal(&r)
	if err != nil {
		return err
	}
	return batch.ParseRecord(line, rec)
}

// prepareBatch verifies with the main module's batch engine on one worker,
// the whole workload in one call.
func prepareBatch(w *Workload, c Check) (func() int, error) {
	ks, err := batch.ParseKeySet(w.KeySet)
	if err != nil {
		return nil, err
	}
	v, err := batch.NewVerifier(ks, &batch.Options{Workers: 1})
	ks.Wipe()
	if err != nil {
		return nil, err
	}
	recs := make([]batch.Record, len(w.Txns))
	res := make([]batch.Result, len(w.Txns))
	for i := range w.Txns {
		if err := BatchRecord(&w.Txns[i], &recs[i]); err != nil {
			return nil, err
		}
		recs[i].Present = batch.FieldTAC
		if c == CheckMAC1 {
			recs[i].Present = batch.FieldMAC1
		}
	}
	return func() int {
		if v.Verify(recs, res) != nil {
			return 0
		}
		ok := 0
		for i := range res {
			if res[i].Status == batch.StatusOK {
				ok++
			}
		}
		return ok
	}, nil
}

// Measure runs one implementation on w under b and reports ns/txn and
// allocs/txn (allocs/op counts a whole pass over the workload).
func Measure(b *testing.B, impl Impl, w *Workload, c Check) {
	run, err := impl.Prepare(w, c)
	if err != nil {
		b.Fatal(err)
	}
	n := len(w.Txns)
	if got := run(); got != n {
		b.Fatalf("%s: %d of %d transactions verified", impl.Name, got, n)
	}
	b.ReportAllocs()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	loops := 0
	for b.Loop() {
		if run() != n {
			b.Fatal("verification failed")
		}
		loops++
	}
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(loops*n), "ns/txn")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(loops*n), "allocs/txn")
}
