package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func demoKeys(t *testing.T) string {
	t.Helper()
	_, out, _ := runCmd(t, "", "keys", "-demo")
	return writeFile(t, "keys.json", out)
}

func resultLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var res []map[string]any
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("result line %d is not JSON: %q", i+1, line)
		}
		if int(m["line"].(float64)) != i+1 {
			t.Fatalf("result line %d numbered %v", i+1, m["line"])
		}
		res = append(res, m)
	}
	return res
}

func TestGenVerifyRoundTrip(t *testing.T) {
	keys := demoKeys(t)
	code, recs, _ := runCmd(t, "", "gen", "-keys", keys, "-n", "300", "-seed", "7",
		"-types", "purchase,withdrawal,composite,load,unload,overdraw")
	if code != 0 || strings.Count(recs, "\n") != 300 {
		t.Fatalf("gen: exit %d, %d lines", code, strings.Count(recs, "\n"))
	}
	code, out, errs := runCmd(t, recs, "verify", "-keys", keys)
	if code != 0 {
		t.Fatalf("verify of clean records: exit %d: %s", code, errs)
	}
	for _, r := range resultLines(t, out) {
		if r["status"] != "ok" {
			t.Fatalf("clean record rejected: %v", r)
		}
	}
	if !strings.Contains(errs, "300 ok") {
		t.Errorf("summary: %q", errs)
	}

	// Tampered records are rejected, and only they.
	code, recs, errs = runCmd(t, "", "gen", "-keys", keys, "-n", "400", "-tamper", "0.25", "-alg", "sm4")
	if code != 0 {
		t.Fatal(errs)
	}
	var tampered int
	if _, err := fmtSscanTampered(errs, &tampered); err != nil {
		t.Fatalf("gen summary %q: %v", errs, err)
	}
	in := writeFile(t, "recs.jsonl", recs)
	outPath := filepath.Join(t.TempDir(), "out.jsonl")
	code, _, _ = runCmd(t, "", "verify", "-keys", keys, "-in", in, "-out", outPath, "-workers", "2")
	if code != 1 {
		t.Fatalf("verify of tampered records: exit %d, want 1", code)
	}
	b, _ := os.ReadFile(outPath)
	bad := 0
	for _, r := range resultLines(t, string(b)) {
		if r["status"] != "ok" {
			if r["status"] != "mismatch" || r["field"] == "" {
				t.Fatalf("tampered record: %v", r)
			}
			bad++
		}
	}
	if bad != tampered || tampered == 0 {
		t.Fatalf("rejected %d, tampered %d", bad, tampered)
	}
}

// TestDefinedProfile: a key set whose profile is an object defining one
// (other session rule, one-block 16-byte factors, a redefined unload MAC3)
// generates records that verify under it and not under the shipped SM4
// profile.
func TestDefinedProfile(t *testing.T) {
	_, demo, _ := runCmd(t, "", "keys", "-demo")
	var ks map[string]any
	if err := json.Unmarshal([]byte(demo), &ks); err != nil {
		t.Fatal(err)
	}
	ks["profile"] = map[string]any{"name": "SD-SM4", "base": "SM4", "sm4_session": "zero_pad",
		"sm4_long_factor": "one_block", "unload_mac3": []string{"amount", "balance_before", "type", "terminal", "date", "time"}}
	b, _ := json.Marshal(ks)
	keys := writeFile(t, "custom.json", string(b))
	code, recs, errs := runCmd(t, "", "gen", "-keys", keys, "-n", "400", "-seed", "9", "-tamper", "0.05",
		"-types", "purchase,load,unload,overdraw")
	if code != 0 {
		t.Fatal(errs)
	}
	var tampered int
	if _, err := fmtSscanTampered(errs, &tampered); err != nil || tampered == 0 {
		t.Fatalf("gen summary %q: %v", errs, err)
	}
	code, out, _ := runCmd(t, recs, "verify", "-keys", keys)
	bad := 0
	for _, r := range resultLines(t, out) {
		if r["status"] != "ok" {
			bad++
		}
	}
	if code != 1 || bad != tampered {
		t.Fatalf("verify under the defined profile: exit %d, %d rejected, %d tampered", code, bad, tampered)
	}
	// Under the shipped profile the SM4 session MACs and unload MAC3s fail.
	_, out, _ = runCmd(t, recs, "verify", "-keys", demoKeys(t))
	bad = 0
	for _, r := range resultLines(t, out) {
		if r["status"] != "ok" {
			bad++
		}
	}
	if bad <= 2*tampered {
		t.Fatalf("the shipped SM4 profile rejected only %d of 400", bad)
	}
	// gen writes the factors in the profile's order.
	ks["profile"] = map[string]any{"name": "LF", "base": "SM4", "factor_order": "lowest_first"}
	b, _ = json.Marshal(ks)
	lf := writeFile(t, "lf.json", string(b))
	code, recs, errs = runCmd(t, "", "gen", "-keys", lf, "-n", "200", "-seed", "4")
	if code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs = runCmd(t, recs, "verify", "-keys", lf); code != 0 {
		t.Fatalf("lowest first: exit %d: %s", code, errs)
	}
	// A misspelt setting is a usage error that names the setting only.
	ks["profile"] = map[string]any{"name": "SD-SM4", "base": "SM4", "sm4_session": "11181F262D343B42"}
	b, _ = json.Marshal(ks)
	code, _, errs = runCmd(t, "", "verify", "-keys", writeFile(t, "bad.json", string(b)))
	if code != 2 || !strings.Contains(errs, "sm4_session") || strings.Contains(errs, "11181F") {
		t.Fatalf("bad profile: exit %d: %s", code, errs)
	}
}

func fmtSscanTampered(s string, n *int) (int, error) {
	var recs int
	i := strings.Index(s, "sscard gen:")
	return fmtSscanf(s[i:], "sscard gen: %d records, %d tampered", &recs, n)
}

func TestVerifyBadInput(t *testing.T) {
	keys := demoKeys(t)
	_, recs, _ := runCmd(t, "", "gen", "-keys", keys, "-n", "2", "-alg", "sm4")
	lines := strings.Split(strings.TrimSpace(recs), "\n")
	input := lines[0] + "\r\n" + "\n" + "garbage {{{\n" + "\xff\xfe\n" + lines[1] // truncated: no final newline
	code, out, _ := runCmd(t, input, "verify", "-keys", keys)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	res := resultLines(t, out)
	want := []string{"ok", "malformed", "malformed", "malformed", "ok"}
	if len(res) != len(want) {
		t.Fatalf("%d results for %d lines: %s", len(res), len(want), out)
	}
	for i, w := range want {
		if res[i]["status"] != w {
			t.Errorf("line %d: %v, want %s", i+1, res[i], w)
		}
	}
	for _, bad := range [][]string{
		{"verify"},
		{"verify", "-keys", keys, "-format", "xml"},
		{"verify", "-keys", keys, "-in", filepath.Join(t.TempDir(), "missing.jsonl")},
		{"verify", "-keys", filepath.Join(t.TempDir(), "missing.json")},
		{"gen", "-keys", keys, "-types", "refund"},
		{"gen", "-keys", keys, "-alg", "aes"},
		{"gen", "-keys", keys, "-tamper", "2"},
		{"gen", "-keys", keys, "-tamper", "NaN"},
		{"verify", "-keys", keys, "-workers", "100000"},
		{"verify", "-keys", keys, "-max-line", "0"},
	} {
		if code, _, _ := runCmd(t, "", bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	// A 1 MB line (a record with a long remark) is malformed under the
	// default -max-line and verifies under a larger one.
	long := strings.TrimSuffix(lines[0], "}") + `, "note": "` + strings.Repeat("x", 1<<20) + `"}` + "\n"
	for _, c := range []struct {
		args   []string
		code   int
		status string
	}{
		{nil, 1, "malformed"},
		{[]string{"-max-line", "2000000"}, 0, "ok"},
	} {
		code, out, _ := runCmd(t, long, append([]string{"verify", "-keys", keys}, c.args...)...)
		if res := resultLines(t, out); code != c.code || len(res) != 1 || res[0]["status"] != c.status {
			t.Errorf("1 MB line %v: exit %d, %v", c.args, code, res)
		}
	}
	// -in and -out naming one file (by another path too) is refused before
	// the output is created, and the records survive.
	dir := t.TempDir()
	same := filepath.Join(dir, "same.jsonl")
	if err := os.WriteFile(same, []byte(recs), 0o600); err != nil {
		t.Fatal(err)
	}
	outs := []string{same}
	if link := filepath.Join(dir, "link.jsonl"); os.Symlink(same, link) == nil {
		outs = append(outs, link)
	}
	for _, out := range outs {
		code, _, errs := runCmd(t, "", "verify", "-keys", keys, "-in", same, "-out", out)
		if b, _ := os.ReadFile(same); code != 2 || string(b) != recs {
			t.Errorf("-in %s -out %s: exit %d (%q), records left %d bytes of %d", same, out, code, errs, len(b), len(recs))
		}
	}
}

// TestMain lets TestVerifyInterrupt run the command in a child process
// (os.Exit and signals end the process, so it cannot run in this one).
func TestMain(m *testing.M) {
	if os.Getenv("SSCARD_TEST_CHILD") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestVerifyInterrupt: SIGINT ends a verify whose input is still open
// (a pipe nobody writes to) with exit status 2, never 0: the stream sees the
// cancellation once its read returns, and otherwise the process exits after
// interruptGrace or on a second signal.
func TestVerifyInterrupt(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("needs SIGINT")
	}
	keys := demoKeys(t)
	for _, c := range []struct {
		name    string
		signals int
		closeIn bool // close the input after the signal
		max     time.Duration
	}{
		{"input closed after the signal", 1, true, interruptGrace},
		{"second signal", 2, false, interruptGrace},
		{"grace", 1, false, interruptGrace + 3*time.Second},
	} {
		if c.name == "grace" && testing.Short() {
			continue
		}
		cmd := exec.Command(os.Args[0], "verify", "-keys", keys)
		cmd.Env = append(os.Environ(), "SSCARD_TEST_CHILD=1")
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // the child is reading its input
		start := time.Now()
		for range c.signals {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if c.closeIn {
			in.Close()
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err = <-done:
		case <-time.After(c.max + 2*time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%s: still running %v after SIGINT", c.name, time.Since(start))
		}
		in.Close()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("%s: %v, stderr %q; want exit status 2, interrupted", c.name, err, stderr.String())
		}
	}
}

func TestBenchJSON(t *testing.T) {
	code, out, errs := runCmd(t, "", "bench", "-n", "3000", "-json")
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, errs)
	}
	var rows []struct {
		Path         string  `json:"path"`
		TxnPerSec    float64 `json:"txn_per_sec"`
		NsPerTxn     float64 `json:"ns_per_txn"`
		AllocsPerTxn float64 `json:"allocs_per_txn"`
		Records      int     `json:"records"`
		Rejected     int     `json:"rejected"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("bench -json: %v\n%s", err, out)
	}
	if len(rows) < 3 || rows[0].Path != "scalar" {
		t.Fatalf("rows: %+v", rows)
	}
	for _, r := range rows {
		if r.Records != 3000 || r.TxnPerSec <= 0 || r.NsPerTxn <= 0 || r.Rejected != rows[0].Rejected {
			t.Errorf("row %+v", r)
		}
	}
}
