package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/sscard/sscard/batch"
)

func cmdVerify(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	keysPath := fs.String("keys", "", "key-set file (JSON); \"demo\" for the built-in demo set")
	in := fs.String("in", "-", "input clearing file (JSON Lines or CSV); - for standard input")
	out := fs.String("out", "-", "output file for the results (JSON Lines); - for standard output")
	workers := fs.Int("workers", 0, "worker goroutines (0: GOMAXPROCS)")
	format := fs.String("format", "", "input format: jsonl or csv (default: from the file extension, else detected)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *keysPath == "" {
		return usageErr("-keys is required")
	}
	if *workers < 0 {
		return usageErr("-workers must not be negative")
	}
	var sopt batch.StreamOptions
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
		outFile, err = os.Create(*out)
		if err != nil {
			return err
		}
		defer outFile.Close()
		w = outFile
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sum, err := v.VerifyStream(ctx, r, bw, &sopt)
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
