// Package fuzz holds the native Go fuzz targets of sscard: differential
// targets that run every path against another implementation (our generic
// code, package mac, emmansun/gmsm, crypto/des) and robustness targets for
// the parsers. Run one with
//
//	go test -fuzz=FuzzSM4Block -fuzztime=30s ./fuzz
//
// Seed corpora live under testdata/fuzz/FuzzXxx/; plain `go test` runs the
// seeds as regression tests.
package fuzz
