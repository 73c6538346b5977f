// Command compare prints the verification benchmarks of package bench as a
// table: ns and allocations per transaction for each implementation, and the
// speed-up over the PSAM reference path.
//
//	go -C bench run ./cmd/compare [-n 1024] [-benchtime 1s] [-check TAC,MAC1]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/sscard/sscard/bench"
)

func main() {
	testing.Init()
	n := flag.Int("n", 1024, "transactions per pass (distinct SM4 cards, one diversification level)")
	benchtime := flag.String("benchtime", "1s", "time per implementation (or Nx for N passes)")
	checks := flag.String("check", "TAC,MAC1", "checks to run: TAC, MAC1")
	flag.Parse()
	if err := flag.Set("test.benchtime", *benchtime); err != nil {
		fmt.Fprintln(os.Stderr, "compare: -benchtime:", err)
		os.Exit(2)
	}
	w, err := bench.NewWorkload(*n, 1)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
	fmt.Printf("%d EP purchases from %d SM4 cards (1 level), %s/%s, GOMAXPROCS %d\n\n", *n, *n, runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	for _, name := range strings.Split(*checks, ",") {
		var c bench.Check
		switch strings.ToUpper(strings.TrimSpace(name)) {
		case "TAC":
			c = bench.CheckTAC
		case "MAC1":
			c = bench.CheckMAC1
		default:
			fmt.Fprintf(os.Stderr, "compare: unknown check %q\n", name)
			os.Exit(2)
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "Verify%s\tns/txn\tallocs/txn\tB/txn\tvs psam-ref\t\n", c)
		var base float64
		for _, impl := range bench.Impls() {
			var failed error
			r := testing.Benchmark(func(b *testing.B) {
				defer func() {
					if b.Failed() {
						failed = fmt.Errorf("%s failed", impl.Name)
					}
				}()
				bench.Measure(b, impl, w, c)
			})
			if failed != nil || r.N == 0 {
				fmt.Fprintf(tw, "impl=%s\tfailed\t\t\t\t\n", impl.Name)
				continue
			}
			ns := r.Extra["ns/txn"]
			if base == 0 {
				base = ns
			}
			fmt.Fprintf(tw, "impl=%s\t%.1f\t%.2f\t%.0f\t%.2fx\t\n", impl.Name, ns, r.Extra["allocs/txn"],
				float64(r.MemBytes)/float64(r.N)/float64(len(w.Txns)), base/ns)
		}
		tw.Flush()
		fmt.Println()
	}
	for _, impl := range bench.Impls() {
		fmt.Printf("  %-9s %s\n", impl.Name, impl.Note)
	}
}
