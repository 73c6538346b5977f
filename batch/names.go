package batch

import (
	"fmt"
	"strings"
)

var usageNames = [...]string{"", "purchase", "load", "tac", "unload", "overdraw"}

// String returns the usage's name in key-set files: "purchase", "load",
// "tac", "unload" or "overdraw".
func (u Usage) String() string {
	if u != 0 && int(u) < len(usageNames) {
		return usageNames[u]
	}
	return fmt.Sprintf("usage(%d)", uint8(u))
}

// ParseUsage parses a usage name (see Usage.String).
func ParseUsage(s string) (Usage, error) {
	for i, n := range usageNames {
		if i != 0 && n == s {
			return Usage(i), nil
		}
	}
	// The value is not echoed: key-set files hold secrets, and a
	// misplaced column must not carry a key into an error message.
	return 0, fmt.Errorf("%w: unknown key usage (want purchase, load, tac, unload or overdraw)", ErrKeySet)
}

var fieldNames = [...]string{"mac1", "mac2", "tac", "mac3"}

// String returns the field's name as in record files ("mac1", "mac2", "tac",
// "mac3"); a set of several is comma-separated in that order, the empty
// set is "".
func (f Field) String() string {
	switch f {
	case FieldMAC1:
		return "mac1"
	case FieldMAC2:
		return "mac2"
	case FieldTAC:
		return "tac"
	case FieldMAC3:
		return "mac3"
	case 0:
		return ""
	}
	var b strings.Builder
	for i, n := range fieldNames {
		if f&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n)
		}
	}
	if f >= 1<<len(fieldNames) {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "field(%#x)", uint8(f>>len(fieldNames)<<len(fieldNames)))
	}
	return b.String()
}

// appendFields appends f.String() without allocating.
func appendFields(dst []byte, f Field) []byte {
	first := true
	for i, n := range fieldNames {
		if f&(1<<i) != 0 {
			if !first {
				dst = append(dst, ',')
			}
			dst = append(dst, n...)
			first = false
		}
	}
	return dst
}

var statusNames = [...]string{"ok", "mismatch", "unknown_key", "malformed"}

// String returns the status as in result files: "ok", "mismatch",
// "unknown_key" or "malformed".
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}
