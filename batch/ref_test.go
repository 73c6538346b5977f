package batch

// The record parser and validation as first written, kept as the
// reference of TestParseMatchesReference and FuzzParseMatchesReference:
// the package's parser takes fast paths (word-wise key matching, fixed-
// length hex, SWAR string scans) that must find exactly what this finds.
// It has since learned the stricter rules (escapes, number grammar, escaped
// field names, a field named twice with null), written the plain way.

import (
	"bytes"
	"encoding/json"
	"regexp"
	"unicode/utf8"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

func refUnhex(c byte) (byte, bool) {
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

// refDecodeHex decodes exactly len(dst) bytes from s.
func refDecodeHex(dst []byte, s []byte, f int) error {
	if len(s) != 2*len(dst) {
		for _, c := range s {
			if _, ok := refUnhex(c); !ok {
				return fieldErrs[f][rHex]
			}
		}
		return fieldErrs[f][rLength]
	}
	for i := range dst {
		hi, ok1 := refUnhex(s[2*i])
		lo, ok2 := refUnhex(s[2*i+1])
		if !ok1 || !ok2 {
			return fieldErrs[f][rHex]
		}
		dst[i] = hi<<4 | lo
	}
	return nil
}

// refDecodeDigits packs 2*len(dst) decimal digits as BCD.
func refDecodeDigits(dst []byte, s []byte) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		if i%2 == 0 {
			dst[i/2] = (c - '0') << 4
		} else {
			dst[i/2] |= c - '0'
		}
	}
	return true
}

// refParseUint parses a decimal number of at most max.
func refParseUint(s []byte, max uint64, f int) (uint64, error) {
	if len(s) == 0 {
		return 0, fieldErrs[f][rNumber]
	}
	var v uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fieldErrs[f][rNumber]
		}
		v = v*10 + uint64(c-'0')
		if v > max {
			return 0, fieldErrs[f][rRange]
		}
	}
	return v, nil
}

// refAddFactor appends a factor's entries: 32 hex digits are two entries
// marked in Wide; fewer are one, its byte length noted when short.
func refAddFactor(r *Record, s []byte) error {
	n := int(r.NFactors)
	if len(s) == 32 {
		if n+2 > MaxFactors {
			return errFactorNum
		}
		var hi, lo diversify.Factor
		if refParseFactor(&hi, s[:16]) != nil || refParseFactor(&lo, s[16:]) != nil {
			return errFactorHex
		}
		r.Factors[n], r.Factors[n+1] = hi, lo
		r.Wide |= 1 << n
		r.NFactors += 2
		return nil
	}
	if n >= MaxFactors {
		return errFactorNum
	}
	var f diversify.Factor
	if err := refParseFactor(&f, s); err != nil {
		return err
	}
	r.Factors[n] = f
	if len(s) < 16 {
		r.short |= uint32(len(s)/2) << (4 * n)
	}
	r.NFactors++
	return nil
}

func refParseFactor(dst *diversify.Factor, s []byte) error {
	if len(s) == 0 || len(s) > 16 || len(s)%2 != 0 {
		return errFactorHex
	}
	*dst = diversify.Factor{}
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := refUnhex(s[i])
		lo, ok2 := refUnhex(s[i+1])
		if !ok1 || !ok2 {
			return errFactorHex
		}
		dst[i/2] = hi<<4 | lo
	}
	return nil
}

// refSetScalar sets field f (not factors) of r from its text.
func refSetScalar(r *Record, f int, s []byte) error {
	var err error
	var v uint64
	switch f {
	case fType:
		switch string(s) {
		case "purchase":
			r.Kind = mac.KindPurchase
		case "withdrawal":
			r.Kind = mac.KindWithdrawal
		case "composite":
			r.Kind = mac.KindComposite
		case "load":
			r.Kind = mac.KindLoad
		case "unload":
			r.Kind = mac.KindUnload
		case "overdraw":
			r.Kind = mac.KindOverdraw
		default:
			return fieldErrs[f][rValue]
		}
	case fAlg:
		switch string(s) {
		case "sm4", "SM4":
			r.Alg = diversify.SM4
		case "3des", "3DES":
			r.Alg = diversify.TDES
		default:
			return fieldErrs[f][rValue]
		}
	case fKeyVersion:
		v, err = refParseUint(s, 255, f)
		r.KeyVersion = uint8(v)
	case fTransType:
		var b [1]byte
		err = refDecodeHex(b[:], s, f)
		r.Type = b[0]
		if err == nil && r.Type == 0 {
			err = fieldErrs[f][rValue]
		}
	case fAmount:
		v, err = refParseUint(s, 1<<32-1, f)
		r.Amount = uint32(v)
	case fBalance:
		v, err = refParseUint(s, 1<<32-1, f)
		r.Balance = uint32(v)
	case fOldLimit:
		v, err = refParseUint(s, 1<<32-1, f)
		r.OldLimit = uint32(v)
	case fNewLimit:
		v, err = refParseUint(s, 1<<32-1, f)
		r.NewLimit = uint32(v)
	case fOfflineSeq:
		v, err = refParseUint(s, 1<<16-1, f)
		r.OfflineSeq = uint16(v)
	case fOnlineSeq:
		v, err = refParseUint(s, 1<<16-1, f)
		r.OnlineSeq = uint16(v)
	case fTerminalID:
		err = refDecodeHex(r.Terminal[:], s, f)
	case fTerminalSeq:
		err = refDecodeHex(r.TermSeq[:], s, f)
	case fCardRandom:
		err = refDecodeHex(r.Random[:], s, f)
	case fDate:
		if !refDecodeDigits(r.Date[:], s) {
			return errDate
		}
	case fTime:
		if !refDecodeDigits(r.Time[:], s) {
			return errTime
		}
	case fMAC1:
		err = refDecodeHex(r.MAC1[:], s, f)
		r.Present |= FieldMAC1
	case fMAC2:
		err = refDecodeHex(r.MAC2[:], s, f)
		r.Present |= FieldMAC2
	case fTAC:
		err = refDecodeHex(r.TAC[:], s, f)
		r.Present |= FieldTAC
	case fMAC3:
		err = refDecodeHex(r.MAC3[:], s, f)
		r.Present |= FieldMAC3
	}
	return err
}

// refParser scans one JSON line.
type refParser struct {
	b []byte
	i int
}

func (p *refParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// str scans a string at p.i (which is '"') and returns its raw content.
// esc reports a backslash inside.
func (p *refParser) str() (s []byte, esc bool, err error) {
	p.i++
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s = p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return nil, false, errUTF8
			}
			return s, esc, nil
		case c == '\\':
			esc = true
			if p.i+1 >= len(p.b) {
				return nil, false, errEOF
			}
			if e := p.b[p.i+1]; e == 'u' {
				if p.i+6 > len(p.b) {
					return nil, false, errEscape
				}
				for _, h := range p.b[p.i+2 : p.i+6] {
					if _, ok := refUnhex(h); !ok {
						return nil, false, errEscape
					}
				}
				p.i += 6
			} else if bytes.IndexByte([]byte(`"\\/bfnrt`), e) >= 0 {
				p.i += 2
			} else {
				return nil, false, errEscape
			}
			continue
		case c < 0x20:
			return nil, false, errCtrl
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return nil, false, errEOF
}

// number scans a JSON number token and returns it.
func (p *refParser) number() []byte {
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			p.i++
			continue
		}
		break
	}
	return p.b[start:p.i]
}

// refNumberRE is JSON's number grammar.
var refNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func refValidNumber(s []byte) bool { return refNumberRE.Match(s) }

// literal consumes word at p.i.
func (p *refParser) literal(word string) bool {
	if len(p.b)-p.i >= len(word) && string(p.b[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return true
	}
	return false
}

// skip consumes any JSON value.
func (p *refParser) skip(depth int) error {
	if depth > maxDepth {
		return errDepth
	}
	p.ws()
	if p.i >= len(p.b) {
		return errEOF
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, _, err := p.str()
		return err
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		p.i++
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == end {
			p.i++
			return nil
		}
		for {
			if c == '{' {
				p.ws()
				if p.i >= len(p.b) || p.b[p.i] != '"' {
					return errSyntax
				}
				if _, _, err := p.str(); err != nil {
					return err
				}
				p.ws()
				if p.i >= len(p.b) || p.b[p.i] != ':' {
					return errSyntax
				}
				p.i++
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			if p.i >= len(p.b) {
				return errEOF
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.b[p.i] == end {
				p.i++
				return nil
			}
			return errSyntax
		}
	case c == '-' || (c >= '0' && c <= '9'):
		if !refValidNumber(p.number()) {
			return errSyntax
		}
		return nil
	case p.literal("true"), p.literal("false"), p.literal("null"):
		return nil
	}
	return errSyntax
}

// factors parses a JSON array of factor strings into r.
func (p *refParser) factors(r *Record) error {
	p.i++ // '['
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return nil
	}
	for {
		p.ws()
		if p.i >= len(p.b) {
			return errEOF
		}
		if p.b[p.i] != '"' {
			return fieldErrs[fFactors][rJSONType]
		}
		s, esc, err := p.str()
		if err != nil {
			return err
		}
		if esc {
			return fieldErrs[fFactors][rEscape]
		}
		if err := refAddFactor(r, s); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) {
			return errEOF
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// refParseRecord is ParseRecord as first written (a byte loop per token,
// no fast paths): the reference of the differential tests.
func refParseRecord(line []byte, rec *Record) error {
	*rec = Record{}
	p := refParser{b: line}
	p.ws()
	if p.i >= len(p.b) {
		return errEmpty
	}
	if p.b[p.i] != '{' {
		return errNotObject
	}
	p.i++
	var seen, named uint32
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
	} else {
		for {
			p.ws()
			if p.i >= len(p.b) {
				return errEOF
			}
			if p.b[p.i] != '"' {
				return errSyntax
			}
			key, kesc, err := p.str()
			if err != nil {
				return err
			}
			if kesc {
				var name string
				if err := json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &name); err != nil {
					panic(err) // str checked the escapes
				}
				if fieldID([]byte(name)) >= 0 {
					return errKeyEscape
				}
				key = []byte(name)
			}
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return errSyntax
			}
			p.i++
			p.ws()
			if p.i >= len(p.b) {
				return errEOF
			}
			f := fieldID(key)
			switch {
			case f < 0:
				if err := p.skip(1); err != nil {
					return err
				}
			case named&(1<<f) != 0:
				return fieldErrs[f][rDuplicate]
			case p.literal("null"):
				named |= 1 << f
			default:
				named |= 1 << f
				seen |= 1 << f
				c := p.b[p.i]
				switch {
				case f == fFactors:
					if c != '[' {
						return fieldErrs[f][rJSONType]
					}
					if err := p.factors(rec); err != nil {
						return err
					}
				case isNumberField(f):
					if c != '-' && (c < '0' || c > '9') {
						return fieldErrs[f][rJSONType]
					}
					tok := p.number()
					if !refValidNumber(tok) {
						return fieldErrs[f][rNumber]
					}
					if err := refSetScalar(rec, f, tok); err != nil {
						return err
					}
				default:
					if c != '"' {
						return fieldErrs[f][rJSONType]
					}
					s, esc, err := p.str()
					if err != nil {
						return err
					}
					if esc {
						return fieldErrs[f][rEscape]
					}
					if err := refSetScalar(rec, f, s); err != nil {
						return err
					}
				}
			}
			p.ws()
			if p.i >= len(p.b) {
				return errEOF
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.b[p.i] == '}' {
				p.i++
				break
			}
			return errSyntax
		}
	}
	p.ws()
	if p.i != len(p.b) {
		return errTrailing
	}
	if err := checkRequired(rec, seen); err != nil {
		return err
	}
	return rec.refValidate()
}

// refValidate is Record.validate as first written.
func (r *Record) refValidate() error {
	if r.Kind < mac.KindPurchase || r.Kind > mac.KindOverdraw {
		return errKind
	}
	if r.Alg != diversify.SM4 && r.Alg != diversify.TDES {
		return errAlg
	}
	if r.NFactors > MaxFactors {
		return errNFactors
	}
	if r.Present&kindFields(r.Kind) == 0 {
		return errNoMAC
	}
	if r.Type != 0 {
		ok := false
		switch r.Kind {
		case mac.KindPurchase:
			ok = r.Type == 0x05 || r.Type == 0x06
		case mac.KindWithdrawal:
			ok = r.Type == 0x04
		case mac.KindComposite:
			ok = r.Type == 0x09
		case mac.KindLoad:
			ok = r.Type == 0x01 || r.Type == 0x02
		case mac.KindUnload:
			ok = r.Type == 0x03
		case mac.KindOverdraw:
			ok = r.Type == 0x07
		}
		if !ok {
			return errTypeByte
		}
	}
	if !refValidDate(&r.Date) {
		return errDate
	}
	if !refValidTime(&r.Time) {
		return errTime
	}
	switch r.Kind {
	case mac.KindLoad:
		if uint64(r.Balance)+uint64(r.Amount) > 1<<32-1 {
			return errLoadBal
		}
	case mac.KindUnload:
		if r.Amount > r.Balance {
			return errUnloadBal
		}
	case mac.KindOverdraw:
		if r.OldLimit > mac.MaxLimit {
			return errOldLimit
		}
		if r.NewLimit > mac.MaxLimit {
			return errLimit
		}
		nb := int64(r.Balance) - int64(r.OldLimit) + int64(r.NewLimit)
		if nb < 0 || nb > 1<<32-1 {
			return errOverBal
		}
	}
	return nil
}

func refBCD2(b byte) (int, bool) {
	hi, lo := b>>4, b&0x0f
	if hi > 9 || lo > 9 {
		return 0, false
	}
	return int(hi)*10 + int(lo), true
}

func refValidDate(d *[4]byte) bool {
	c, ok1 := refBCD2(d[0])
	y, ok2 := refBCD2(d[1])
	m, ok3 := refBCD2(d[2])
	day, ok4 := refBCD2(d[3])
	if !(ok1 && ok2 && ok3 && ok4) || m < 1 || m > 12 || day < 1 {
		return false
	}
	year := c*100 + y
	max := 31
	switch m {
	case 2:
		max = 28
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			max = 29
		}
	case 4, 6, 9, 11:
		max = 30
	}
	return day <= max
}

func refValidTime(t *[3]byte) bool {
	h, ok1 := refBCD2(t[0])
	mi, ok2 := refBCD2(t[1])
	s, ok3 := refBCD2(t[2])
	return ok1 && ok2 && ok3 && h <= 23 && mi <= 59 && s <= 59
}
