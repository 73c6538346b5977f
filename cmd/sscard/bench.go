package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"text/tabwriter"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/sscard/sscard/asm"
	"github.com/sscard/sscard/batch"
	"github.com/sscard/sscard/internal/gen"
)

// benchRow is one line of the bench table; the JSON names are part of the
// command's interface.
type benchRow struct {
	Path         string  `json:"path"`
	TxnPerSec    float64 `json:"txn_per_sec"`
	NsPerTxn     float64 `json:"ns_per_txn"`
	AllocsPerTxn float64 `json:"allocs_per_txn"`
	Records      int     `json:"records"`
	Rejected     int     `json:"rejected"`
}

// benchPath is one way of verifying the workload.
type benchPath struct {
	name string
	impl string // asm path to force; "" for none
	opts batch.Options
}

func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	n := fs.Int("n", 1000000, "number of synthetic records")
	asJSON := fs.Bool("json", false, "print the rows as a JSON array")
	seed := fs.Uint64("seed", 1, "random seed of the workload")
	algName := fs.String("alg", "mixed", "families in the workload: sm4, 3des or mixed")
	types := fs.String("types", "purchase,load", "kinds in the workload (comma-separated)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "workers of the all-cores row")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the verify runs to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	algs, err := parseAlgs(*algName)
	if err != nil {
		return usageErr("-alg: %v", err)
	}
	kinds, err := parseKinds(*types)
	if err != nil {
		return usageErr("-types: %v", err)
	}
	if *workers <= 0 {
		return usageErr("-workers must be positive")
	}
	if *n <= 0 {
		return usageErr("-n must be positive")
	}
	progress := isTerminal(stderr)

	// The workload: the demo key set, by default mixed SM4/3DES, purchase
	// and load, 0.1 % tampered.
	ks, err := loadKeys("demo")
	if err != nil {
		return err
	}
	defer ks.Wipe()
	g, err := gen.New(ks.Profile, genKeys(ks), gen.Options{Seed: *seed, Tamper: 0.001, Algs: algs, Kinds: kinds})
	if err != nil {
		return err
	}
	recs := make([]batch.Record, *n)
	tampered := 0
	var line []byte
	for i := range recs {
		var t bool
		line, t = g.Next(line[:0])
		if t {
			tampered++
		}
		if err := batch.ParseRecord(line, &recs[i]); err != nil {
			return fmt.Errorf("generated record %d does not parse: %v", i+1, err)
		}
		if progress && i%50000 == 0 {
			fmt.Fprintf(stderr, "\rgenerating %d/%d", i, *n)
		}
	}
	if progress {
		fmt.Fprintf(stderr, "\r%-40s\r", "")
	}
	res := make([]batch.Result, *n)

	paths := []benchPath{{name: "scalar", opts: batch.Options{Scalar: true, Workers: 1}}}
	for _, impl := range asm.Impls() {
		paths = append(paths, benchPath{name: "batch " + impl, impl: impl, opts: batch.Options{Workers: 1}})
	}
	best := asm.Impl()
	cores := *workers
	paths = append(paths, benchPath{name: fmt.Sprintf("batch %s, %d cores", best, cores), impl: best, opts: batch.Options{Workers: cores}})
	defer asm.SetImpl(best)

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var rows []benchRow
	for _, p := range paths {
		if progress {
			fmt.Fprintf(stderr, "\rverifying: %-40s", p.name)
		}
		if p.impl != "" {
			if err := asm.SetImpl(p.impl); err != nil {
				return err
			}
		}
		row, err := benchOne(ks, p, recs, res)
		if err != nil {
			return err
		}
		rows = append(rows, row)
		if row.Rejected != tampered {
			return fmt.Errorf("path %s rejected %d records, but %d were tampered", p.name, row.Rejected, tampered)
		}
	}
	if progress {
		fmt.Fprintf(stderr, "\r%-60s\r", "")
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	fmt.Fprintf(stdout, "%d records (alg %s, types %s, %d tampered), GOMAXPROCS=%d, CPU: %s\n\n",
		*n, *algName, *types, tampered, runtime.GOMAXPROCS(0), cpuid.CPU.BrandName)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\ttxn/s\tns/txn\tallocs/txn\trecords\trejected\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.4f\t%d\t%d\t\n", r.Path, r.TxnPerSec, r.NsPerTxn, r.AllocsPerTxn, r.Records, r.Rejected)
	}
	return tw.Flush()
}

// benchOne verifies recs once (after a short warm-up) with one path.
func benchOne(ks *batch.KeySet, p benchPath, recs []batch.Record, res []batch.Result) (benchRow, error) {
	v, err := batch.NewVerifier(ks, &p.opts)
	if err != nil {
		return benchRow{}, err
	}
	defer v.Close()
	warm := min(len(recs), 4096)
	if err := v.Verify(recs[:warm], res[:warm]); err != nil {
		return benchRow{}, err
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	err = v.Verify(recs, res)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		return benchRow{}, err
	}
	rejected := 0
	for i := range res {
		if res[i].Status != batch.StatusOK {
			rejected++
		}
	}
	n := float64(len(recs))
	return benchRow{
		Path:         p.name,
		TxnPerSec:    n / elapsed.Seconds(),
		NsPerTxn:     float64(elapsed.Nanoseconds()) / n,
		AllocsPerTxn: float64(after.Mallocs-before.Mallocs) / n,
		Records:      len(recs),
		Rejected:     rejected,
	}, nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
