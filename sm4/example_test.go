package sm4_test

import (
	"encoding/hex"
	"fmt"

	"github.com/sscard/sscard/sm4"
)

// The example of GB/T 32907-2016, Appendix A: key and plaintext
// 0123456789abcdeffedcba9876543210.
func ExampleSchedule_Encrypt() {
	var key [sm4.KeySize]byte
	hex.Decode(key[:], []byte("0123456789abcdeffedcba9876543210"))
	var s sm4.Schedule // on the stack: no allocation
	s.Init(&key)
	defer s.Wipe()
	src := key
	var dst, back [sm4.BlockSize]byte
	s.Encrypt(&dst, &src)
	s.Decrypt(&back, &dst)
	fmt.Printf("%x\n%x\n", dst, back)
	// Output:
	// 681edf34d206965e86b3e94f536e4246
	// 0123456789abcdeffedcba9876543210
}
