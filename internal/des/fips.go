package des

// FIPSTables is a copy of the FIPS PUB 46-3 tables of tables.go (1-based
// bit numbers, bit 1 the leftmost), for the generators and tests of other
// packages of this module (the bitsliced lanes of package asm).
type FIPSTables struct {
	IP     [64]uint8
	E      [48]uint8
	P      [32]uint8
	PC1    [56]uint8
	PC2    [48]uint8
	Shifts [16]uint8
	SBoxes [8][64]uint8 // SBoxes[i][16*row+column]
}

// FIPS returns the tables.
func FIPS() FIPSTables {
	return FIPSTables{IP: initialPermutation, E: expansion, P: permutation, PC1: permutedChoice1,
		PC2: permutedChoice2, Shifts: keyShifts, SBoxes: sBoxes}
}
