module github.com/sscard/sscard

go 1.25.0

require (
	github.com/emmansun/gmsm v0.44.0 // indirect
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
