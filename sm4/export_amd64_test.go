//go:build amd64 && !purego

package sm4

// SetGFNIVariant forces the VEX-only GFNI kernels (tern false) or their
// AVX-512VL twins (tern true) while the gfni path is selected. It reports
// whether the CPU can run the requested variant.
func SetGFNIVariant(tern bool) bool {
	if tern && !hasGFNI512 || !hasGFNI {
		return false
	}
	useTern = tern
	return true
}
