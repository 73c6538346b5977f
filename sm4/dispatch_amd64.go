//go:build amd64 && !purego

package sm4

func expandKey(s *Schedule, key *[KeySize]byte) { expandKeyGeneric(s, key) }

func encryptBlock(s *Schedule, dst, src *[BlockSize]byte, decrypt bool) {
	encryptBlockGeneric(s, dst, src, decrypt)
}

// Impl names the implementation in use.
func Impl() string { return "generic" }
