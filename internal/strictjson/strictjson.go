// Package strictjson checks the member names of JSON objects before
// encoding/json decodes them: encoding/json matches names without regard
// to case, lets a repeated name override the first, and (without
// DisallowUnknownFields) skips unknown names, so a misspelt "kcv" in a key
// set would silently go unchecked. It scans the input in place and returns
// subslices of it (no copies: key-set files hold keys), and its errors never
// repeat a name or value from the input.
package strictjson

import "errors"

// Errors of Members and Elements.
var (
	ErrNotObject = errors.New("not a JSON object (or array)")
	ErrUnknown   = errors.New("unknown member name (names are case-sensitive)")
	ErrDuplicate = errors.New("member name repeated")
	ErrTrailing  = errors.New("data after the JSON value")
)

// maxDepth bounds the nesting Members skips over.
const maxDepth = 64

// Members checks that b holds exactly one JSON object, whose member names
// are all in allowed (spelled exactly, without escapes) and appear at most
// once, and returns the raw value of each member present, by name, as
// subslices of b. It checks the structure it walks, not every detail of
// JSON (number syntax, say): the caller decodes the values afterwards.
func Members(b []byte, allowed ...string) (map[string][]byte, error) {
	s := scanner{b: b}
	s.space()
	if !s.eat('{') {
		return nil, ErrNotObject
	}
	m := make(map[string][]byte, len(allowed))
	var err error
	ok := s.seq('}', func() bool {
		name, plain, ok := s.str()
		if !ok {
			return false
		}
		known := false
		for _, a := range allowed {
			known = known || plain && a == string(name)
		}
		if !known {
			err = ErrUnknown
			return false
		}
		if _, dup := m[string(name)]; dup {
			err = ErrDuplicate
			return false
		}
		s.space()
		if !s.eat(':') {
			return false
		}
		s.space()
		start := s.i
		if !s.value(0) {
			return false
		}
		m[string(name)] = b[start:s.i:s.i]
		return true
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotObject
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	return m, nil
}

// Elements checks that b holds exactly one JSON array and returns its
// elements as subslices of b.
func Elements(b []byte) ([][]byte, error) {
	s := scanner{b: b}
	s.space()
	if !s.eat('[') {
		return nil, ErrNotObject
	}
	var elems [][]byte
	if !s.seq(']', func() bool {
		start := s.i
		if !s.value(0) {
			return false
		}
		elems = append(elems, b[start:s.i:s.i])
		return true
	}) {
		return nil, ErrNotObject
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	return elems, nil
}

type scanner struct {
	b []byte
	i int
}

// seq scans the items of an object or array up to its closing end, after
// the opening one: item scans one (from its first byte), separated by
// commas.
func (s *scanner) seq(end byte, item func() bool) bool {
	s.space()
	if s.eat(end) {
		return true
	}
	for {
		s.space()
		if !item() {
			return false
		}
		s.space()
		if s.eat(end) {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// end checks that only white space follows.
func (s *scanner) end() error {
	s.space()
	if s.i != len(s.b) {
		return ErrTrailing
	}
	return nil
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str scans a string and returns its contents (between the quotes) and
// whether it has no escapes.
func (s *scanner) str() (body []byte, plain, ok bool) {
	if !s.eat('"') {
		return nil, false, false
	}
	start := s.i
	plain = true
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], plain, true
		case c == '\\':
			plain = false
			s.i += 2
		case c < 0x20:
			return nil, false, false
		default:
			s.i++
		}
	}
	return nil, false, false
}

// value skips one JSON value.
func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) || depth > maxDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, _, ok := s.str()
		return ok
	case c == '{' || c == '[':
		s.i++
		if c == '[' {
			return s.seq(']', func() bool { return s.value(depth + 1) })
		}
		return s.seq('}', func() bool {
			if _, _, ok := s.str(); !ok {
				return false
			}
			s.space()
			if !s.eat(':') {
				return false
			}
			s.space()
			return s.value(depth + 1)
		})
	default:
		// A number or a literal: the characters that can make one.
		start := s.i
		for s.i < len(s.b) && isScalar(s.b[s.i]) {
			s.i++
		}
		return s.i > start
	}
}

func isScalar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E'
}
