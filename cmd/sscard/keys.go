package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"io"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/gen"
)

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sscard "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return &exitError{0, errSilent}
		}
		return &exitError{2, errSilent}
	}
	if fs.NArg() > 0 {
		// Not echoed: it may be a key given without its flag.
		return usageErr("%d unexpected argument(s) after the flags (flags go first, each with its value)", fs.NArg())
	}
	return nil
}

func cmdKeys(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys", stderr)
	demo := fs.Bool("demo", false, "print the built-in demo key set")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !*demo {
		return usageErr("only -demo is supported: sscard keys -demo")
	}
	_, err := stdout.Write(gen.AppendKeySetJSON(nil, gen.DemoProfile, gen.Demo()))
	return err
}

func cmdKCV(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("kcv", stderr)
	algName := fs.String("alg", "sm4", "algorithm family: sm4 or 3des")
	keyHex := fs.String("key", "", "the key, 32 hex digits")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	alg, err := diversify.ParseAlg(*algName)
	if err != nil {
		return usageErr("-alg must be sm4 or 3des") // not echoed: it may be the key
	}
	var key [16]byte
	if len(*keyHex) != 32 {
		return usageErr("-key must be 32 hex digits, got %d characters", len(*keyHex))
	}
	if _, err := hex.Decode(key[:], []byte(*keyHex)); err != nil {
		return usageErr("-key is not hex") // never echo the key
	}
	kcv, err := diversify.KCV(alg, &key)
	clear(key[:])
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%X\n", kcv[:])
	return err
}
