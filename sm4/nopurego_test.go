//go:build !purego

package sm4_test

const purego = false
