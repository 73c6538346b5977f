package diversify

import "fmt"

// PadFactor right-pads b (at most 8 bytes) with 00 to one factor.
func PadFactor(b []byte) (Factor, error) {
	var f Factor
	if len(b) > 8 {
		return f, fmt.Errorf("%w: %d bytes, at most 8 (a 16-byte factor is two levels)", ErrFactor, len(b))
	}
	copy(f[:], b)
	return f, nil
}

// ParseFactor parses a factor from hex (at most 16 digits, case-insensitive;
// fewer digits are right-padded with 00 after decoding; an odd count is an
// error).
func ParseFactor(s string) (Factor, error) {
	var f Factor
	if len(s) > 16 || len(s)%2 != 0 {
		return f, fmt.Errorf("%w: want up to 16 hex digits in pairs, got %d", ErrFactor, len(s))
	}
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return Factor{}, fmt.Errorf("%w: not hex", ErrFactor)
		}
		f[i/2] = hi<<4 | lo
	}
	return f, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// PANFactor returns the EMV option A factor: the rightmost 16 digits of
// PAN || PSN as 8 BCD bytes, left-padded with 0 digits when shorter.
// pan must be 1 to 19 digits, psn 0 to 2 digits (EMV PSN is 2 digits; pass ""
// when the card has none, which EMV treats as "00").
func PANFactor(pan, psn string) (Factor, error) {
	var f Factor
	if len(pan) == 0 || len(pan) > 19 || len(psn) > 2 {
		return f, fmt.Errorf("%w: PAN must be 1-19 digits and PSN 0-2 digits", ErrFactor)
	}
	if psn == "" {
		psn = "00"
	}
	var digits [21]byte
	n := copy(digits[:], pan)
	n += copy(digits[n:], psn)
	for i := 0; i < n; i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return f, fmt.Errorf("%w: PAN and PSN must be decimal digits", ErrFactor)
		}
	}
	// Rightmost 16 digits, left-padded with zeros.
	var d [16]byte
	for i := range d {
		d[i] = '0'
	}
	if n >= 16 {
		copy(d[:], digits[n-16:n])
	} else {
		copy(d[16-n:], digits[:n])
	}
	for i := 0; i < 8; i++ {
		f[i] = (d[2*i]-'0')<<4 | (d[2*i+1] - '0')
	}
	return f, nil
}

// CityFactor returns the social-security city factor: the ASCII of a 6-digit
// region code followed by "sx", e.g. "371700" → 3337313730307378.
func CityFactor(region string) (Factor, error) {
	var f Factor
	if len(region) != 6 {
		return f, fmt.Errorf("%w: region code must be 6 digits, got %d characters", ErrFactor, len(region))
	}
	for i := 0; i < 6; i++ {
		if region[i] < '0' || region[i] > '9' {
			return f, fmt.Errorf("%w: region code must be decimal digits", ErrFactor)
		}
		f[i] = region[i]
	}
	f[6], f[7] = 's', 'x'
	return f, nil
}
