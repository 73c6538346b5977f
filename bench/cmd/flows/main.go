// Command flows runs card + PSAM transactions end to end in the reference
// world and writes the clearing records (JSON Lines, the sscard record
// format) and the matching key set file, for feeding a verifier.
//
//	go -C bench run ./cmd/flows -n 1000 -records /tmp/records.jsonl -keys /tmp/keys.json
//
// Each issuer (SM4 and 3DES, 1 to 3 levels, key version = levels) personalises
// cards; every flow is a random EP/ED purchase, cash withdrawal, composite
// purchase or load on a random card. Purchases over the balance are refused
// by the card (9401) and produce no record.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/sscard/sscard/bench/apdu"
	"github.com/sscard/sscard/bench/card"
	"github.com/sscard/sscard/bench/internal/ref"
	"github.com/sscard/sscard/bench/issuer"
	"github.com/sscard/sscard/bench/psam"
	"github.com/sscard/sscard/bench/terminal"
)

func main() {
	n := flag.Int("n", 1000, "number of flows")
	seed := flag.Uint64("seed", 1, "random seed")
	recPath := flag.String("records", "records.jsonl", "output records (JSON Lines)")
	keyPath := flag.String("keys", "keys.json", "output key set")
	algs := flag.String("alg", "both", "sm4, 3des or both")
	flag.Parse()
	if err := run(*n, *seed, *recPath, *keyPath, *algs); err != nil {
		fmt.Fprintln(os.Stderr, "flows:", err)
		os.Exit(1)
	}
}

func run(n int, seed uint64, recPath, keyPath, algs string) error {
	src := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), 'f'})
	rng := rand.New(src)
	sam := psam.New(psam.Config{Terminal: [6]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, Seq: 1})
	var families []ref.Alg
	switch algs {
	case "sm4":
		families = []ref.Alg{ref.SM4}
	case "3des":
		families = []ref.Alg{ref.TDES}
	case "both":
		families = []ref.Alg{ref.SM4, ref.TDES}
	default:
		return fmt.Errorf("-alg %q: want sm4, 3des or both", algs)
	}
	province := [8]byte{'3', '7'}
	city := [8]byte{'3', '7', '1', '7', '0', '0', 's', 'x'}
	type tree struct {
		term  *terminal.Terminal
		cards []*card.Card
	}
	var issuers []*issuer.Issuer
	var trees []tree
	for _, alg := range families {
		for lv, up := range [][][8]byte{nil, {city}, {province, city}} {
			is, err := issuer.New(alg, byte(lv+1), up, src)
			if err != nil {
				return err
			}
			if err := is.Install(sam); err != nil {
				return err
			}
			tr := tree{term: &terminal.Terminal{SAM: sam, Upper: up}}
			for i := 0; i < 16; i++ {
				var asn [10]byte
				asn[0], asn[1] = 0x37, 0x17
				src.Read(asn[2:])
				c, err := is.NewCard(asn, card.Config{Balance: uint32(rng.IntN(50000)), Rand: src})
				if err != nil {
					return err
				}
				tr.cards = append(tr.cards, c)
			}
			issuers = append(issuers, is)
			trees = append(trees, tr)
		}
	}
	f, err := os.Create(recPath)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(f)
	enc := json.NewEncoder(out)
	written, refused := 0, 0
	for k := 0; k < n; k++ {
		tr := trees[rng.IntN(len(trees))]
		c := tr.cards[rng.IntN(len(tr.cards))]
		var t terminal.Txn
		var err error
		if rng.IntN(2) == 0 {
			t, err = tr.term.Load(c, byte(1+rng.IntN(2)), uint32(1+rng.IntN(20000)))
		} else {
			t, err = tr.term.Purchase(c, []byte{0x04, 0x05, 0x06, 0x09}[rng.IntN(4)], uint32(1+rng.IntN(10000)))
		}
		var ae *apdu.Error
		if errors.As(err, &ae) && ae.SW == apdu.Insufficient {
			refused++
			continue
		}
		if err != nil {
			return err
		}
		r := t.Record()
		if err := enc.Encode(&r); err != nil {
			return err
		}
		written++
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	ks, err := json.MarshalIndent(issuer.NewKeySet("SM4", issuers...), "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, append(ks, '\n'), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "flows: %d records to %s (%d purchases refused: insufficient balance), key set to %s\n", written, recPath, refused, keyPath)
	return nil
}
