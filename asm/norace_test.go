//go:build !race

package asm

const testRace = false
