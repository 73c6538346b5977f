package fuzz

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sscard/sscard/batch"
	"github.com/sscard/sscard/internal/gen"
	"github.com/sscard/sscard/mac"
)

var demo struct {
	once sync.Once
	v    *batch.Verifier
	recs []byte
}

// demoVerifier returns a verifier over the demo key set and a few valid
// records to seed the corpus.
func demoVerifier(tb testing.TB) (*batch.Verifier, []byte) {
	demo.once.Do(func() {
		ks, err := batch.ParseKeySet(gen.AppendKeySetJSON(nil, gen.DemoProfile, gen.Demo()))
		if err != nil {
			panic(err)
		}
		demo.v, err = batch.NewVerifier(ks, &batch.Options{Workers: 1})
		if err != nil {
			panic(err)
		}
		g, _ := gen.New(ks.Profile, demoGenKeys(ks), gen.Options{Seed: 3,
			Kinds: []mac.Kind{mac.KindPurchase, mac.KindWithdrawal, mac.KindComposite, mac.KindLoad, mac.KindUnload, mac.KindOverdraw}})
		for i := 0; i < 12; i++ {
			demo.recs, _ = g.Next(demo.recs)
		}
		ks.Wipe()
	})
	return demo.v, demo.recs
}

func demoGenKeys(ks *batch.KeySet) []gen.Key {
	var keys []gen.Key
	for _, k := range ks.Keys {
		keys = append(keys, gen.Key{Usage: k.Usage.String(), Alg: k.Alg, Version: int(k.Version), Levels: k.Levels, Key: k.Key})
	}
	return keys
}

// The record parser's own targets live with it in package batch
// (FuzzParseRecord, FuzzParseMatchesReference).

var hexRuns = regexp.MustCompile(`[0-9a-f]{16,}`)

// FuzzKeySet: the key-set loader never panics and reports every failure as
// ErrKeySet (or a KCV mismatch), without echoing key material.
func FuzzKeySet(f *testing.F) {
	f.Add(gen.AppendKeySetJSON(nil, gen.DemoProfile, gen.Demo()))
	f.Add([]byte(`{"profile":"SM4","keys":[{"usage":"tac","alg":"sm4","version":1,"levels":1,"key":"00112233445566778899aabbccddeeff","kcv":"000000"}]}`))
	f.Add([]byte(`{"profile":"nope"}`))
	f.Add([]byte(`{"profile":{"name":"00112233445566778899","algs":["3des"]},"keys":[{"usage":"tac","alg":"sm4","version":1,"levels":1,"key":"00112233445566778899aabbccddeeff"}]}`))
	f.Add([]byte(`{"profile":{"name":"00112233445566778899","base":"SM4","sm4_session":"zero_pad","unload_mac3":["amount","type"]},"keys":[{"usage":"tac","alg":"sm4","version":1,"levels":1,"key":"00112233445566778899aabbccddeeff"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := batch.ParseKeySet(data)
		if err != nil {
			// No run of 16 or more hex digits from the input (a key, or half
			// of one, wherever it was put) may appear in the message.
			msg := strings.ToLower(err.Error())
			for _, run := range hexRuns.FindAllString(strings.ToLower(string(data)), -1) {
				if strings.Contains(msg, run) {
					t.Fatalf("error echoes key material %q: %v", run, err)
				}
			}
			return
		}
		v, err := batch.NewVerifier(ks, &batch.Options{Workers: 1})
		if err == nil {
			v.Close()
		}
		ks.Wipe()
	})
}

// FuzzVerifyStream: any input gives exactly one result line per input line,
// numbered in order, and never a panic.
func FuzzVerifyStream(f *testing.F) {
	v, recs := demoVerifier(f)
	f.Add(recs)
	f.Add([]byte("\n\n{\r\ngarbage\xff\n{}"))
	f.Add([]byte("type,alg,key_version\npurchase,sm4,1\n"))
	f.Add([]byte("\xef\xbb\xbf"))
	f.Add([]byte("\xef\xbb\xbf\xef\xbb\xbf\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		sum, err := v.VerifyStream(context.Background(), bytes.NewReader(data), &out, &batch.StreamOptions{Format: batch.FormatJSON})
		if err != nil {
			t.Fatalf("VerifyStream: %v", err)
		}
		body := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a leading BOM is no line's
		lines := bytes.Count(body, []byte("\n"))
		if len(body) > 0 && body[len(body)-1] != '\n' {
			lines++
		}
		if int(sum.Lines) != lines {
			t.Fatalf("%d input lines, %d results", lines, sum.Lines)
		}
		got := bytes.Count(out.Bytes(), []byte("\n"))
		if got != lines {
			t.Fatalf("%d input lines, %d result lines", lines, got)
		}
		if sum.OK+sum.Mismatch+sum.UnknownKey+sum.Malformed != sum.Lines {
			t.Fatalf("summary does not add up: %+v", sum)
		}
		// Batches of 1 to 3 lines: many rounds of the stream's pipeline
		// (verify one batch, format the one before, write the one before
		// that). The output must not depend on the batch size.
		var small bytes.Buffer
		sum2, err := v.VerifyStream(context.Background(), bytes.NewReader(data), &small, &batch.StreamOptions{Format: batch.FormatJSON, BatchLines: 1 + len(data)%3})
		if err != nil || sum2 != sum || !bytes.Equal(small.Bytes(), out.Bytes()) {
			t.Fatalf("batches of %d lines: %+v %v, output equal %v; one batch: %+v", 1+len(data)%3, sum2, err, bytes.Equal(small.Bytes(), out.Bytes()), sum)
		}
	})
}
