package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sscard/sscard/batch"
	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/internal/gen"
	"github.com/sscard/sscard/mac"
)

// loadKeys reads a key-set file ("-" or "demo" give the built-in demo set).
func loadKeys(path string) (*batch.KeySet, error) {
	var data []byte
	if path == "demo" {
		data = gen.AppendKeySetJSON(nil, gen.DemoProfile, gen.Demo())
	} else {
		var err error
		data, err = os.ReadFile(path)
		if err != nil {
			return nil, err
		}
	}
	ks, err := batch.ParseKeySet(data)
	clear(data)
	if err != nil {
		return nil, fmt.Errorf("key set %s: %w", path, err)
	}
	return ks, nil
}

// genKeys converts a key set into the generator's form.
func genKeys(ks *batch.KeySet) []gen.Key {
	keys := make([]gen.Key, len(ks.Keys))
	for i, k := range ks.Keys {
		keys[i] = gen.Key{Usage: k.Usage.String(), Alg: k.Alg, Version: int(k.Version), Levels: k.Levels, Key: k.Key}
	}
	return keys
}

func parseAlgs(s string) ([]diversify.Alg, error) {
	switch s {
	case "mixed", "":
		return []diversify.Alg{diversify.SM4, diversify.TDES}, nil
	}
	a, err := diversify.ParseAlg(s)
	if err != nil {
		return nil, err
	}
	return []diversify.Alg{a}, nil
}

func parseKinds(s string) ([]mac.Kind, error) {
	var kinds []mac.Kind
	for _, name := range strings.Split(s, ",") {
		k, err := mac.ParseKind(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		kinds = append(kinds, k)
	}
	return kinds, nil
}

func cmdGen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("gen", stderr)
	keysPath := fs.String("keys", "", "key-set file (JSON); \"demo\" for the built-in demo set")
	n := fs.Int("n", 1000, "number of records")
	seed := fs.Uint64("seed", 1, "random seed")
	tamper := fs.Float64("tamper", 0, "fraction of records with one signed field changed")
	algName := fs.String("alg", "mixed", "sm4, 3des or mixed")
	types := fs.String("types", "purchase,load", "comma-separated kinds: purchase,withdrawal,composite,load,unload,overdraw")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *keysPath == "" {
		return usageErr("-keys is required (a key-set file, or \"demo\")")
	}
	if *n < 0 {
		return usageErr("-n must not be negative")
	}
	algs, err := parseAlgs(*algName)
	if err != nil {
		return usageErr("-alg: %v", err)
	}
	kinds, err := parseKinds(*types)
	if err != nil {
		return usageErr("-types: %v", err)
	}
	ks, err := loadKeys(*keysPath)
	if err != nil {
		return err
	}
	defer ks.Wipe()
	keys := genKeys(ks)
	defer func() {
		for i := range keys {
			clear(keys[i].Key[:])
		}
	}()
	g, err := gen.New(ks.Profile, keys, gen.Options{Seed: *seed, Tamper: *tamper, Algs: algs, Kinds: kinds})
	if err != nil {
		return usageErr("%v", err)
	}
	w := bufio.NewWriterSize(stdout, 1<<16)
	var line []byte
	tampered := 0
	for i := 0; i < *n; i++ {
		var t bool
		line, t = g.Next(line[:0])
		if t {
			tampered++
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "sscard gen: %d records, %d tampered\n", *n, tampered)
	return nil
}
