package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sscard/sscard/batch"
)

func cmdVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	keysPath := fs.String("keys", "", "key-set file (JSON); \"demo\" for the built-in demo set")
	in := fs.String("in", "-", "input clearing file (JSON Lines or CSV); - for standard input")
	out := fs.String("out", "-", "output file for the results (JSON Lines); - for standard output")
	workers := fs.Int("workers", 0, "worker goroutines (0: GOMAXPROCS)")
	format := fs.String("format", "", "input format: jsonl or csv (default: from the file extension, else detected)")
	maxLine := fs.Int("max-line", 64<<10, "longest input line in bytes; a longer one is malformed (at most 1 GiB)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *keysPath == "" {
		return usageErr("-keys is required")
	}
	if *workers < 0 || *workers > batch.MaxWorkers {
		return usageErr("-workers must be 0 (GOMAXPROCS) to %d", batch.MaxWorkers)
	}
	if *maxLine < 1 || *maxLine > 1<<30 {
		return usageErr("-max-line must be 1 to %d bytes", 1<<30)
	}
	sopt := batch.StreamOptions{MaxLineBytes: *maxLine}
	f := strings.ToLower(*format)
	if f == "" {
		switch strings.ToLower(filepath.Ext(*in)) {
		case ".csv":
			f = "csv"
		case ".jsonl", ".json", ".ndjson":
			f = "jsonl"
		}
	}
	switch f {
	case "":
		sopt.Format = batch.FormatAuto
	case "jsonl", "json", "ndjson":
		sopt.Format = batch.FormatJSON
	case "csv":
		sopt.Format = batch.FormatCSV
	default:
		return usageErr("-format must be jsonl or csv, got %q", *format)
	}

	ks, err := loadKeys(*keysPath)
	if err != nil {
		return err
	}
	v, err := batch.NewVerifier(ks, &batch.Options{Workers: *workers})
	ks.Wipe()
	if err != nil {
		return err
	}
	defer v.Close()

	r := stdin
	if *in != "-" {
		fh, err := os.Open(*in)
		if err != nil {
			return err
		}
		defer fh.Close()
		r = fh
	}
	w := stdout
	var outFile *os.File
	if *out != "-" {
		if same, err := sameFile(*in, *out); err != nil {
			return err
		} else if same {
			return usageErr("-in and -out name the same file; the results would overwrite the records")
		}
		outFile, err = os.Create(*out)
		if err != nil {
			return err
		}
		defer outFile.Close()
		w = outFile
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopSignals := onInterrupt(cancel, stderr)
	defer stopSignals()
	sum, err := v.VerifyStream(ctx, r, bw, &sopt)
	if ctx.Err() != nil {
		err = errors.New("interrupted: the results are incomplete")
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if outFile != nil {
		if cerr := outFile.Close(); err == nil {
			err = cerr
		}
	}
	fmt.Fprintf(stderr, "sscard verify: %d records: %d ok, %d mismatch, %d unknown key, %d malformed\n",
		sum.Lines, sum.OK, sum.Mismatch, sum.UnknownKey, sum.Malformed)
	if err != nil {
		return err
	}
	if sum.OK != sum.Lines {
		return &exitError{1, errSilent}
	}
	return nil
}

// sameFile reports whether the input path in (not "-") and the output path
// out name one existing file.
func sameFile(in, out string) (bool, error) {
	if in == "-" {
		return false, nil
	}
	fo, err := os.Stat(out)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	fi, err := os.Stat(in)
	if err != nil {
		return false, err
	}
	return os.SameFile(fi, fo), nil
}

// interruptGrace is how long an interrupted verify may take to stop before
// the process exits: a stream blocked reading its input (a pipe, a
// terminal) cannot see the cancellation until the read returns.
const interruptGrace = 2 * time.Second

// onInterrupt calls cancel on SIGINT or SIGTERM. If the command has not
// ended interruptGrace later, or on a second signal, the process exits with
// status 2. The returned function stops the watch.
func onInterrupt(cancel context.CancelFunc, stderr io.Writer) (stop func()) {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
		case <-done:
			return
		}
		cancel()
		select {
		case <-sig:
		case <-time.After(interruptGrace):
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "sscard verify: interrupted")
		os.Exit(2)
	}()
	return func() {
		signal.Stop(sig)
		close(done)
	}
}
