//go:build purego

package asm

const testPurego = true
