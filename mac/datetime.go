package mac

import "fmt"

func bcd(b byte) (int, bool) {
	hi, lo := b>>4, b&0x0f
	if hi > 9 || lo > 9 {
		return 0, false
	}
	return int(hi)*10 + int(lo), true
}

// checkDateTime checks a BCD date YYYYMMDD and time hhmmss.
func checkDateTime(d *[4]byte, t *[3]byte) error {
	c, ok1 := bcd(d[0])
	y, ok2 := bcd(d[1])
	m, ok3 := bcd(d[2])
	day, ok4 := bcd(d[3])
	if !(ok1 && ok2 && ok3 && ok4) || m < 1 || m > 12 || day < 1 || day > daysIn(c*100+y, m) {
		return fmt.Errorf("%w: date %x is not a valid BCD YYYYMMDD", ErrField, *d)
	}
	h, ok1 := bcd(t[0])
	mi, ok2 := bcd(t[1])
	s, ok3 := bcd(t[2])
	if !(ok1 && ok2 && ok3) || h > 23 || mi > 59 || s > 59 {
		return fmt.Errorf("%w: time %x is not a valid BCD hhmmss", ErrField, *t)
	}
	return nil
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ParseDate parses "YYYYMMDD" into its 4-byte BCD form and validates it.
func ParseDate(s string) ([4]byte, error) {
	var d [4]byte
	if err := packBCD(d[:], s); err != nil {
		return d, fmt.Errorf("%w: date must be 8 digits YYYYMMDD", ErrField)
	}
	var t [3]byte
	t[0] = 0
	return d, checkDateTime(&d, &t)
}

// ParseTime parses "hhmmss" into its 3-byte BCD form and validates it.
func ParseTime(s string) ([3]byte, error) {
	var t [3]byte
	if err := packBCD(t[:], s); err != nil {
		return t, fmt.Errorf("%w: time must be 6 digits hhmmss", ErrField)
	}
	d := [4]byte{0x20, 0x00, 0x01, 0x01}
	return t, checkDateTime(&d, &t)
}

func packBCD(dst []byte, s string) error {
	if len(s) != 2*len(dst) {
		return ErrField
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return ErrField
		}
		if i%2 == 0 {
			dst[i/2] = (c - '0') << 4
		} else {
			dst[i/2] |= c - '0'
		}
	}
	return nil
}
