//go:build purego || !amd64

package sm4

// SetGFNIVariant reports false: this build has no GFNI kernels.
func SetGFNIVariant(bool) bool { return false }
