package batch

import (
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestUnhexInto compares unhexInto with encoding/hex on every byte value in
// every digit position (valid digits elsewhere), and on random digit
// strings of every length up to 16 bytes.
func TestUnhexInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 16))
	const digits = "0123456789abcdefABCDEF"
	check := func(s []byte) {
		t.Helper()
		dst := make([]byte, len(s)/2)
		ok := unhexInto(dst, s)
		want, err := hex.DecodeString(string(s))
		if ok != (err == nil) {
			t.Fatalf("%q: unhexInto ok=%v, encoding/hex %v", s, ok, err)
		}
		if ok && string(dst) != string(want) {
			t.Fatalf("%q: %x, want %x", s, dst, want)
		}
	}
	for n := 1; n <= 16; n++ {
		s := make([]byte, 2*n)
		for it := 0; it < 200; it++ {
			for i := range s {
				s[i] = digits[rng.IntN(len(digits))]
			}
			check(s)
		}
		for pos := range s {
			for i := range s {
				s[i] = digits[rng.IntN(len(digits))]
			}
			for c := 0; c < 256; c++ {
				s[pos] = byte(c)
				check(s)
			}
		}
	}
}
