module github.com/sscard/sscard

go 1.26.0

require (
	github.com/emmansun/gmsm v0.44.0
	github.com/klauspost/cpuid/v2 v2.4.2
	golang.org/x/sys v0.50.0
)
