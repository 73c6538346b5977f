package main

import (
	"crypto/des"
	"encoding/hex"

	gmsm4 "github.com/emmansun/gmsm/sm4"

	"bytes"
	"fmt"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestKCV(t *testing.T) {
	// The check value is the first 3 bytes of E(K, 0); compute it with
	// independent implementations (emmansun/gmsm, crypto/des).
	key, _ := hex.DecodeString("0123456789abcdeffedcba9876543210")
	zero := make([]byte, 16)
	c, _ := gmsm4.NewCipher(key)
	want := make([]byte, 16)
	c.Encrypt(want, zero)
	code, out, _ := runCmd(t, "", "kcv", "-alg", "sm4", "-key", "0123456789abcdeffedcba9876543210")
	if code != 0 || strings.TrimSpace(out) != strings.ToUpper(hex.EncodeToString(want[:3])) {
		t.Fatalf("sm4 kcv: exit %d %q, want %X", code, out, want[:3])
	}
	c3, _ := des.NewTripleDESCipher(append(key, key[:8]...))
	c3.Encrypt(want[:8], zero[:8])
	code, out, _ = runCmd(t, "", "kcv", "-alg", "3des", "-key", "0123456789ABCDEFFEDCBA9876543210")
	if code != 0 || strings.TrimSpace(out) != strings.ToUpper(hex.EncodeToString(want[:3])) {
		t.Fatalf("3des kcv: exit %d %q, want %X", code, out, want[:3])
	}
	for _, bad := range [][]string{
		{"kcv", "-alg", "aes", "-key", "0123456789abcdeffedcba9876543210"},
		{"kcv", "-key", "0123"},
		{"kcv", "-key", "0123456789abcdeffedcba987654321g"},
		{"kcv", "-bogus"},
		{"kcv", "0123456789abcdeffedcba9876543210"},
		{"kcv", "-alg", "-key", "0123456789abcdeffedcba9876543210"},
		{"kcv", "-alg", "0123456789abcdeffedcba9876543210"},
		{"kcv", "-key", "0123456789abcdeffedcba9876543210", "0123456789abcdeffedcba9876543210"},
	} {
		code, _, errs := runCmd(t, "", bad...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
		if strings.Contains(errs, "0123456789abcdeffedcba98765432") {
			t.Errorf("%v: key echoed in error: %q", bad, errs)
		}
	}
}

func TestKeysDemo(t *testing.T) {
	code, out, _ := runCmd(t, "", "keys", "-demo")
	if code != 0 || !strings.Contains(out, `"profile": "SM4"`) || strings.Count(out, `"usage"`) != 10 {
		t.Fatalf("keys -demo: %d %s", code, out)
	}
	if code, _, _ := runCmd(t, "", "keys"); code != 2 {
		t.Errorf("keys without -demo: exit %d", code)
	}
	if code, _, _ := runCmd(t, "", "nope"); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
	if code, _, _ := runCmd(t, ""); code != 2 {
		t.Errorf("no command: exit %d", code)
	}
}

func fmtSscanf(s, format string, a ...any) (int, error) { return fmt.Sscanf(s, format, a...) }
