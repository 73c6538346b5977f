// Package fuzz holds the native Go fuzz targets of sscard: differential
// targets that run every path against another implementation (our generic
// code, package mac, emmansun/gmsm, crypto/des) and robustness targets for
// the parsers. Run one with
//
//	go test -fuzz=FuzzSM4Block -fuzztime=30s ./fuzz
//
// For the stream and parser targets add -fuzzminimizetime=3s: their seeds
// are whole files, and minimizing a new interesting input of a few KB with
// the default of 60 s leaves the fuzzer idle for most of a short run
// (FuzzVerifyStream: 164 executions in 30 s without it, 580,000 in 60 s
// with it).
//
// Seed corpora live under testdata/fuzz/FuzzXxx/; plain `go test` runs the
// seeds as regression tests.
package fuzz
