module github.com/sscard/sscard/bench

go 1.26.0

require (
	github.com/emmansun/gmsm v0.44.0
	github.com/sscard/sscard v0.0.0
	github.com/tjfoc/gmsm v1.4.1
)

require (
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/sscard/sscard => ../
