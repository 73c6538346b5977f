package bench

import (
	"sync"
	"testing"
)

// benchTxns is the number of transactions each benchmark iteration verifies.
const benchTxns = 1024

var (
	workloadOnce sync.Once
	workload     *Workload
	workloadErr  error
)

func sharedWorkload(tb testing.TB) *Workload {
	workloadOnce.Do(func() { workload, workloadErr = NewWorkload(benchTxns, 1) })
	if workloadErr != nil {
		tb.Fatal(workloadErr)
	}
	return workload
}

func benchmarkCheck(b *testing.B, c Check) {
	w := sharedWorkload(b)
	for _, impl := range Impls() {
		b.Run("impl="+impl.Name, func(b *testing.B) { Measure(b, impl, w, c) })
	}
}

// BenchmarkVerifyTAC verifies purchase TACs from the issuer's master TAC
// key (one level: the card's application serial).
func BenchmarkVerifyTAC(b *testing.B) { benchmarkCheck(b, CheckTAC) }

// BenchmarkVerifyMAC1 verifies purchase MAC1s from the issuer's master
// purchase key (one level), through the session key.
func BenchmarkVerifyMAC1(b *testing.B) { benchmarkCheck(b, CheckMAC1) }

// TestImpls checks that every implementation accepts the workload and
// rejects a tampered copy of it.
func TestImpls(t *testing.T) {
	w, err := NewWorkload(200, 2)
	if err != nil {
		t.Fatal(err)
	}
	bad := *w
	bad.Txns = append(bad.Txns[:0:0], w.Txns...)
	bad.Purchases = append(bad.Purchases[:0:0], w.Purchases...)
	for i := 0; i < len(bad.Txns); i += 3 {
		bad.Txns[i].Amount++
		bad.Purchases[i].Amount++
	}
	wantBad := len(w.Txns) - (len(w.Txns)+2)/3
	for _, impl := range Impls() {
		for _, c := range []Check{CheckTAC, CheckMAC1} {
			run, err := impl.Prepare(w, c)
			if err != nil {
				t.Fatalf("%s: %v", impl.Name, err)
			}
			if got := run(); got != len(w.Txns) {
				t.Errorf("%s %v: %d of %d verified", impl.Name, c, got, len(w.Txns))
			}
			run, _ = impl.Prepare(&bad, c)
			if got := run(); got != wantBad {
				t.Errorf("%s %v on tampered records: %d verified, want %d", impl.Name, c, got, wantBad)
			}
		}
	}
}
