module github.com/sscard/sscard

go 1.26.0

require (
	github.com/emmansun/gmsm v0.15.5 // indirect
	github.com/klauspost/cpuid/v2 v2.4.2 // indirect
	golang.org/x/sys v0.50.0 // indirect
)
