//go:build purego || !amd64

package sm4

func expandKey(s *Schedule, key *[KeySize]byte) { expandKeyGeneric(s, key) }

func encryptBlock(s *Schedule, dst, src *[BlockSize]byte, decrypt bool) {
	encryptBlockGeneric(s, dst, src, decrypt)
}

func initEncrypt(s *Schedule, key *[KeySize]byte, dst, src *[BlockSize]byte) {
	expandKeyGeneric(s, key)
	encryptBlockGeneric(s, dst, src, false)
}

// Impl names the implementation in use: always "generic" (portable Go,
// constant-time) in this build.
func Impl() string { return "generic" }

// SetImpl selects the implementation by the name Impl reports; only
// "generic" exists in this build, any other name returns ErrUnsupported.
func SetImpl(name string) error {
	if name != "generic" {
		return ErrUnsupported
	}
	return nil
}

// Impls lists the implementations this build can run.
func Impls() []string { return []string{"generic"} }
