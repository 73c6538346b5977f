//go:build !race

// Package race reports whether the race detector is on.
package race

// Enabled is true when built with -race.
const Enabled = false
