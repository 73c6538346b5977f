package batch

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"

	"github.com/sscard/sscard/diversify"
	"github.com/sscard/sscard/mac"
)

// Record fields, as named in record files.
const (
	fType = iota
	fAlg
	fKeyVersion
	fFactors
	fTransType
	fAmount
	fBalance
	fTerminalID
	fTerminalSeq
	fDate
	fTime
	fCardRandom
	fOfflineSeq
	fOnlineSeq
	fOldLimit
	fNewLimit
	fMAC1
	fMAC2
	fTAC
	fMAC3
	nFields
)

var recordFieldNames = [nFields]string{
	"type", "alg", "key_version", "factors", "trans_type", "amount", "balance",
	"terminal_id", "terminal_seq", "date", "time", "card_random", "offline_seq",
	"online_seq", "old_limit", "new_limit", "mac1", "mac2", "tac", "mac3",
}

// CSVHeader is the header line AppendCSV writes: every record field, in the
// order of AppendJSON.
const CSVHeader = "type,alg,key_version,factors,trans_type,amount,balance,terminal_id,terminal_seq,date,time,card_random,offline_seq,online_seq,old_limit,new_limit,mac1,mac2,tac,mac3"

// fieldID returns the id of a field name, or -1.
func fieldID(name []byte) int {
	switch string(name) {
	case "type":
		return fType
	case "alg":
		return fAlg
	case "key_version":
		return fKeyVersion
	case "factors":
		return fFactors
	case "trans_type":
		return fTransType
	case "amount":
		return fAmount
	case "balance":
		return fBalance
	case "terminal_id":
		return fTerminalID
	case "terminal_seq":
		return fTerminalSeq
	case "date":
		return fDate
	case "time":
		return fTime
	case "card_random":
		return fCardRandom
	case "offline_seq":
		return fOfflineSeq
	case "online_seq":
		return fOnlineSeq
	case "old_limit":
		return fOldLimit
	case "new_limit":
		return fNewLimit
	case "mac1":
		return fMAC1
	case "mac2":
		return fMAC2
	case "tac":
		return fTAC
	case "mac3":
		return fMAC3
	}
	return -1
}

// Problems with one field's value.
const (
	rMissing = iota
	rDuplicate
	rJSONType
	rHex
	rLength
	rRange
	rNumber
	rValue
	rEscape
	nReasons
)

var reasonText = [nReasons]string{
	"missing", "given twice", "wrong JSON type", "not hex", "wrong length",
	"out of range", "not a decimal number", "unknown value", "escape sequences are not allowed",
}

// fieldErrs[f][r] is the prebuilt error for problem r with field f.
var fieldErrs [nFields][nReasons]*RecordError

func init() {
	for f := range fieldErrs {
		for r := range fieldErrs[f] {
			fieldErrs[f][r] = newRecordError(recordFieldNames[f], reasonText[r])
		}
	}
}

// Errors about a line as a whole.
var (
	errEmpty     = newRecordError("", "empty line")
	errNotObject = newRecordError("", "not a JSON object")
	errSyntax    = newRecordError("", "JSON syntax error")
	errEOF       = newRecordError("", "unexpected end of line")
	errTrailing  = newRecordError("", "data after the JSON object")
	errUTF8      = newRecordError("", "invalid UTF-8")
	errDepth     = newRecordError("", "JSON nested too deeply")
	errCtrl      = newRecordError("", "control character in a JSON string")
	errTooLong   = newRecordError("", "line too long")
	errColumns   = newRecordError("", "wrong number of CSV columns")
	errCSVQuote  = newRecordError("", "unterminated quoted CSV cell")
	errKeyEscape = newRecordError("", "escape sequence in a field name")
	errEscape    = newRecordError("", "invalid escape sequence in a JSON string")
	errFactorNum = newRecordError("factors", "too many factors")
	errFactorHex = newRecordError("factors", "factor is not 2 to 16 or 32 hex digits in pairs")
)

// required[kind] are the fields every record of the kind must give;
// requiredSession[kind] those needed as well when a session MAC (MAC1, MAC2,
// MAC3) is present.
var required, requiredSession [mac.KindOverdraw + 1]uint32

func init() {
	const base = 1<<fType | 1<<fAlg | 1<<fKeyVersion | 1<<fFactors | 1<<fTerminalID | 1<<fDate | 1<<fTime
	for _, k := range []mac.Kind{mac.KindPurchase, mac.KindWithdrawal, mac.KindComposite} {
		required[k] = base | 1<<fAmount | 1<<fTerminalSeq
		requiredSession[k] = 1<<fCardRandom | 1<<fOfflineSeq
	}
	required[mac.KindLoad] = base | 1<<fAmount | 1<<fBalance | 1<<fOnlineSeq
	required[mac.KindUnload] = required[mac.KindLoad]
	required[mac.KindOverdraw] = base | 1<<fBalance | 1<<fOldLimit | 1<<fNewLimit | 1<<fOnlineSeq
	for k := mac.KindLoad; k <= mac.KindOverdraw; k++ {
		requiredSession[k] = 1 << fCardRandom
	}
}

// checkRequired reports the first required field missing from seen.
func checkRequired(r *Record, seen uint32) error {
	if seen&(1<<fType) == 0 {
		return fieldErrs[fType][rMissing]
	}
	need := required[r.Kind]
	if r.Present&kindFields(r.Kind)&sessionFields != 0 {
		need |= requiredSession[r.Kind]
	}
	if miss := need &^ seen; miss != 0 {
		for f := 0; f < nFields; f++ {
			if miss&(1<<f) != 0 {
				return fieldErrs[f][rMissing]
			}
		}
	}
	return nil
}

// hexVal[c] is the value of hex digit c, or 0xff for any other byte. Record
// data is public (the MACs are what the card sent), so a table is fine.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return
}()

// unhexInto decodes len(dst) bytes from the 2*len(dst) hex digits of s
// and reports whether every digit was valid.
func unhexInto(dst []byte, s []byte) bool {
	s = s[:2*len(dst)]
	var bad byte
	for i := range dst {
		hi, lo := hexVal[s[2*i]], hexVal[s[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo
	}
	return bad&0xf0 == 0
}

// decodeHex decodes exactly len(dst) bytes from s.
func decodeHex(dst []byte, s []byte, f int) error {
	if len(s) != 2*len(dst) {
		for _, c := range s {
			if hexVal[c] == 0xff {
				return fieldErrs[f][rHex]
			}
		}
		return fieldErrs[f][rLength]
	}
	if !unhexInto(dst, s) {
		return fieldErrs[f][rHex]
	}
	return nil
}

// decodeDigits packs 2*len(dst) decimal digits as BCD.
func decodeDigits(dst []byte, s []byte) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, lo := s[2*i]-'0', s[2*i+1]-'0'
		if hi > 9 || lo > 9 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

// parseUint parses a decimal number of at most max.
func parseUint(s []byte, max uint64, f int) (uint64, error) {
	if len(s) == 0 {
		return 0, fieldErrs[f][rNumber]
	}
	var v uint64
	for _, c := range s {
		d := c - '0'
		if d > 9 {
			return 0, fieldErrs[f][rNumber]
		}
		v = v*10 + uint64(d)
		if v > max {
			return 0, fieldErrs[f][rRange]
		}
	}
	return v, nil
}

// addFactor parses one factor's text into the next entries of r: 2 to 16
// hex digits in pairs make one entry, right-padded with 00 (its length kept
// for the profile's short-factor rule); 32 make two entries, marked in
// r.Wide.
func addFactor(r *Record, s []byte) error {
	n := int(r.NFactors)
	if len(s) == 32 {
		if n+2 > MaxFactors {
			return errFactorNum
		}
		if !unhexInto(r.Factors[n][:], s[:16]) || !unhexInto(r.Factors[n+1][:], s[16:]) {
			r.Factors[n], r.Factors[n+1] = diversify.Factor{}, diversify.Factor{}
			return errFactorHex
		}
		r.Wide |= 1 << n
		r.NFactors += 2
		return nil
	}
	if n >= MaxFactors {
		return errFactorNum
	}
	if len(s) == 0 || len(s) > 16 || len(s)%2 != 0 {
		return errFactorHex
	}
	r.Factors[n] = diversify.Factor{}
	if !unhexInto(r.Factors[n][:len(s)/2], s) {
		r.Factors[n] = diversify.Factor{}
		return errFactorHex
	}
	if len(s) < 16 {
		r.short |= uint32(len(s)/2) << (4 * n)
	}
	r.NFactors++
	return nil
}

// setScalar sets field f (not factors) of r from its text.
func setScalar(r *Record, f int, s []byte) error {
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
		v, err = parseUint(s, 255, f)
		r.KeyVersion = uint8(v)
	case fTransType:
		var b [1]byte
		err = decodeHex(b[:], s, f)
		r.Type = b[0]
		if err == nil && r.Type == 0 {
			err = fieldErrs[f][rValue]
		}
	case fAmount:
		v, err = parseUint(s, 1<<32-1, f)
		r.Amount = uint32(v)
	case fBalance:
		v, err = parseUint(s, 1<<32-1, f)
		r.Balance = uint32(v)
	case fOldLimit:
		v, err = parseUint(s, 1<<32-1, f)
		r.OldLimit = uint32(v)
	case fNewLimit:
		v, err = parseUint(s, 1<<32-1, f)
		r.NewLimit = uint32(v)
	case fOfflineSeq:
		v, err = parseUint(s, 1<<16-1, f)
		r.OfflineSeq = uint16(v)
	case fOnlineSeq:
		v, err = parseUint(s, 1<<16-1, f)
		r.OnlineSeq = uint16(v)
	case fTerminalID:
		err = decodeHex(r.Terminal[:], s, f)
	case fTerminalSeq:
		err = decodeHex(r.TermSeq[:], s, f)
	case fCardRandom:
		err = decodeHex(r.Random[:], s, f)
	case fDate:
		if !decodeDigits(r.Date[:], s) {
			return errDate
		}
	case fTime:
		if !decodeDigits(r.Time[:], s) {
			return errTime
		}
	case fMAC1:
		err = decodeHex(r.MAC1[:], s, f)
		r.Present |= FieldMAC1
	case fMAC2:
		err = decodeHex(r.MAC2[:], s, f)
		r.Present |= FieldMAC2
	case fTAC:
		err = decodeHex(r.TAC[:], s, f)
		r.Present |= FieldTAC
	case fMAC3:
		err = decodeHex(r.MAC3[:], s, f)
		r.Present |= FieldMAC3
	}
	return err
}

// isNumberField reports whether field f is a JSON number.
func isNumberField(f int) bool {
	switch f {
	case fKeyVersion, fAmount, fBalance, fOldLimit, fNewLimit, fOfflineSeq, fOnlineSeq:
		return true
	}
	return false
}

// jparser scans one JSON line.
type jparser struct {
	b []byte
	i int
}

// SWAR constants: the low and the high bit of every byte.
const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

// isSpace[c] reports JSON white space.
var isSpace = [256]bool{' ': true, '\t': true, '\r': true, '\n': true}

// strStop[c] marks the bytes that end the fast scan of a JSON string: the
// closing quote, a backslash, control characters and non-ASCII bytes.
var strStop = func() (t [256]bool) {
	for c := range t {
		t[c] = c < 0x20 || c >= 0x80 || c == '"' || c == '\\'
	}
	return
}()

// ws skips white space. The index lives in a local variable: a loop on p.i
// would carry its dependency through memory.
func (p *jparser) ws() {
	b, i := p.b, p.i
	for i < len(b) && isSpace[b[i]] {
		i++
	}
	p.i = i
}

// str scans a string at p.i (which is '"') and returns its raw content.
// esc reports a backslash inside.
func (p *jparser) str() (s []byte, esc bool, err error) {
	b := p.b
	start := p.i + 1
	i := start
	// Eight bytes at a time: m flags the bytes that are '"', '\\', below
	// 0x20 or above 0x7f; borrows can only flag bytes after the first true
	// one, so its lowest flag is exact.
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		q, bs := x^0x2222222222222222, x^0x5c5c5c5c5c5c5c5c
		m := ((q-lsb8)&^q | (bs-lsb8)&^bs | (x-0x2020202020202020)&^x | x) & msb8
		if m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			break
		}
		i += 8
	}
	for i < len(b) && !strStop[b[i]] {
		i++
	}
	if i < len(b) && b[i] == '"' {
		p.i = i + 1
		return b[start:i], false, nil
	}
	ascii := true
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			s = b[start:i]
			p.i = i + 1
			if !ascii && !utf8.Valid(s) {
				return nil, false, errUTF8
			}
			return s, esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				p.i = len(b)
				return nil, false, errEOF
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || hexVal[b[i+2]]|hexVal[b[i+3]]|hexVal[b[i+4]]|hexVal[b[i+5]] > 0xf {
					p.i = i
					return nil, false, errEscape
				}
				i += 6
			default:
				p.i = i
				return nil, false, errEscape
			}
			continue
		case c < 0x20:
			p.i = i
			return nil, false, errCtrl
		case c >= 0x80:
			ascii = false
		}
		i++
	}
	p.i = i
	return nil, false, errEOF
}

// escapedFieldID returns the id of the field that the raw JSON string key
// (its escapes checked by str) names once unescaped, or -1.
func escapedFieldID(key []byte) int {
	var buf [16]byte
	n := 0
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '\\' {
			i++
			switch key[i] {
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'u':
				v := int(hexVal[key[i+1]])<<12 | int(hexVal[key[i+2]])<<8 | int(hexVal[key[i+3]])<<4 | int(hexVal[key[i+4]])
				i += 4
				if v >= 0x80 {
					return -1 // no field name has one
				}
				c = byte(v)
			default: // '"', '\\', '/'
				c = key[i]
			}
		}
		if n == len(buf) {
			return -1 // longer than any field name
		}
		buf[n] = c
		n++
	}
	return fieldID(buf[:n])
}

// number scans the bytes of a JSON number token and returns them; ok
// reports whether they are one by JSON's grammar,
// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func (p *jparser) number() (tok []byte, ok bool) {
	b, i := p.b, p.i
	start := i
	for i < len(b) {
		c := b[i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			i++
			continue
		}
		break
	}
	p.i = i
	tok = b[start:i]
	return tok, validNumber(tok)
}

// validNumber reports whether s is a JSON number.
func validNumber(s []byte) bool {
	i := 0
	digits := func() bool { // one or more
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if !digits() {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// literal consumes word at p.i.
func (p *jparser) literal(word string) bool {
	if len(p.b)-p.i >= len(word) && string(p.b[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return true
	}
	return false
}

const maxDepth = 32

// skip consumes any JSON value.
func (p *jparser) skip(depth int) error {
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
		if _, ok := p.number(); !ok {
			return errSyntax
		}
		return nil
	case p.literal("true"), p.literal("false"), p.literal("null"):
		return nil
	}
	return errSyntax
}

// factors parses a JSON array of factor strings into r.
func (p *jparser) factors(r *Record) error {
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
		if err := addFactor(r, s); err != nil {
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

// Keys are recognised without a byte loop: the 16 bytes after the opening
// quote are loaded as two little-endian words, the closing quote located in
// them with a zero-byte test, the words masked to the key and its quote,
// and hashed (multiply-xor-shift, constants chosen so that the 20 names
// fall into distinct buckets of 32) to the one candidate to compare.
const (
	keyMul0 = 0xbed3a577ba62a63f
	keyMul1 = 0x964bc0c46f92a45b
)

// keySlot[h] holds the field name whose key hashes to h: `name"` (the name
// and the closing quote) as two little-endian words, zero-padded, and 1 +
// the field (0 for an empty slot). The words sit beside the field so that
// the compare needs no second lookup.
var keySlot [32]struct {
	w [2]uint64
	f int8
}

func keyHashOf(x0, x1 uint64) int {
	return int((x0*keyMul0 ^ x1*keyMul1) >> 59)
}

// keyOf[f] is field f's key as knownKey sees it: `name"` as two
// little-endian words w, the mask m of its bytes, and its length n (the
// closing quote included), for isKey.
var keyOf [nFields]struct {
	w, m [2]uint64
	n    int
}

func init() {
	for f, name := range recordFieldNames {
		var w, m [16]byte
		copy(w[:], name+`"`)
		for i := 0; i <= len(name); i++ {
			m[i] = 0xff
		}
		x0, x1 := binary.LittleEndian.Uint64(w[:]), binary.LittleEndian.Uint64(w[8:])
		s := &keySlot[keyHashOf(x0, x1)]
		if s.f != 0 {
			panic("batch: field name hash collision")
		}
		s.w, s.f = [2]uint64{x0, x1}, int8(f+1)
		k := &keyOf[f]
		k.w = [2]uint64{x0, x1}
		k.m = [2]uint64{binary.LittleEndian.Uint64(m[:]), binary.LittleEndian.Uint64(m[8:])}
		k.n = len(name) + 1
	}
}

// isKey reports whether the key that starts at b[i] (after its opening
// quote) is field f's, as knownKey would find it: the predicted key of
// ParseRecord, checked without a search for the closing quote or a hash
// lookup, so that parsing the value need not wait for them.
func isKey(b []byte, i, f int) bool {
	if i+16 > len(b) || uint(f) >= nFields {
		return false
	}
	k := &keyOf[f]
	return binary.LittleEndian.Uint64(b[i:])&k.m[0] == k.w[0] && binary.LittleEndian.Uint64(b[i+8:])&k.m[1] == k.w[1]
}

// expectedFields returns the fields a record of kind k is expected to have,
// in AppendJSON's order: ParseRecord predicts each key to be the next of
// them (a wrong guess costs one compare).
func expectedFields(k mac.Kind) uint32 {
	w := recordFields(k) | 1<<fType | 1<<fAlg | 1<<fKeyVersion | 1<<fFactors | 1<<fTransType
	for i, f := range [...]int{fMAC1, fMAC2, fTAC, fMAC3} {
		if kindFieldTab[k&7]&(1<<i) != 0 {
			w |= 1 << f
		}
	}
	return w
}

// knownKey matches the key that starts at b[i] (after its opening quote)
// against the field names. On a match it returns the field and the index
// after the closing quote; otherwise (an unknown key, escapes, the line's
// end near) -1, and the caller scans the key with str: a match is exactly
// what str and fieldID would find, since no name holds a byte str stops
// at.
func knownKey(b []byte, i int) (f, next int) {
	if i+16 > len(b) {
		return -1, i
	}
	x0 := binary.LittleEndian.Uint64(b[i:])
	x1 := binary.LittleEndian.Uint64(b[i+8:])
	// The first '"' is at byte n (16 if none). A borrow can only flag
	// bytes after the first zero byte, so the lowest flag is exact; the
	// flags are the top bits of the bytes, so t0 = 8n+7 (64 if none).
	q0, q1 := x0^0x2222222222222222, x1^0x2222222222222222
	t0 := uint(bits.TrailingZeros64((q0 - lsb8) &^ q0 & msb8))
	t1 := uint(bits.TrailingZeros64((q1 - lsb8) &^ q1 & msb8))
	n := int(t0 >> 3)
	if t0 == 64 {
		n = 8 + int(t1>>3)
	}
	// Keep bytes 0..n: 2<<t - 1 is all ones for t >= 63.
	x0 &= 2<<t0 - 1
	x1 &= (2<<t1 - 1) & -uint64(t0>>6)
	k := &keySlot[keyHashOf(x0, x1)&31]
	if k.f == 0 || x0 != k.w[0] || x1 != k.w[1] {
		return -1, i
	}
	return int(k.f) - 1, i + n + 1
}

// skipWS returns the index of the first byte at or after i that is not
// JSON white space.
func skipWS(b []byte, i int) int {
	for i < len(b) && isSpace[b[i]] {
		i++
	}
	return i
}

// hexLen[f] is the number of hex digits of fixed-length hex field f, 0 for
// the others.
var hexLen = [nFields]int{fTransType: 2, fTerminalID: 12, fTerminalSeq: 8, fCardRandom: 8,
	fMAC1: 8, fMAC2: 8, fTAC: 8, fMAC3: 8}

// fastValue parses the value of field f at p.i (not null) in its common
// form: a fixed-length hex or digit string without escapes, a plain decimal
// number, a factor list of such strings. It reports false, having
// consumed nothing, when the value is not in that form; the caller then
// parses it the general way, which reaches the same result or the error.
func (p *jparser) fastValue(r *Record, f int) bool {
	b, i := p.b, p.i
	if i >= len(b) {
		return false
	}
	switch f {
	case fKeyVersion, fAmount, fBalance, fOldLimit, fNewLimit, fOfflineSeq, fOnlineSeq:
		var v uint64
		j := i
		for ; j < len(b) && j-i < 10; j++ {
			d := b[j] - '0'
			if d > 9 {
				break
			}
			v = v*10 + uint64(d)
		}
		if j == i || j == len(b) || j-i >= 10 || b[i] == '0' && j-i > 1 {
			return false // the general parser reports leading zeros
		}
		switch b[j] {
		case '-', '+', '.', 'e', 'E':
			return false
		}
		switch f {
		case fKeyVersion:
			if v > 255 {
				return false
			}
			r.KeyVersion = uint8(v)
		case fOfflineSeq, fOnlineSeq:
			if v > 1<<16-1 {
				return false
			}
			if f == fOfflineSeq {
				r.OfflineSeq = uint16(v)
			} else {
				r.OnlineSeq = uint16(v)
			}
		default:
			if v > 1<<32-1 {
				return false
			}
			switch f {
			case fAmount:
				r.Amount = uint32(v)
			case fBalance:
				r.Balance = uint32(v)
			case fOldLimit:
				r.OldLimit = uint32(v)
			default:
				r.NewLimit = uint32(v)
			}
		}
		p.i = j
		return true
	case fDate, fTime:
		n := 8
		dst := r.Date[:]
		if f == fTime {
			n, dst = 6, r.Time[:]
		}
		e := i + 1 + n
		if e >= len(b) || b[i] != '"' || b[e] != '"' || !decodeDigits(dst, b[i+1:e]) {
			return false
		}
		p.i = e + 1
		return true
	case fFactors:
		return p.fastFactors(r)
	}
	n := hexLen[f]
	e := i + 1 + n
	if n == 0 || e >= len(b) || b[i] != '"' || b[e] != '"' {
		return false
	}
	var typ [1]byte
	var dst []byte
	switch f {
	case fTransType:
		dst = typ[:]
	case fTerminalID:
		dst = r.Terminal[:]
	case fTerminalSeq:
		dst = r.TermSeq[:]
	case fCardRandom:
		dst = r.Random[:]
	case fMAC1:
		dst, r.Present = r.MAC1[:], r.Present|FieldMAC1
	case fMAC2:
		dst, r.Present = r.MAC2[:], r.Present|FieldMAC2
	case fTAC:
		dst, r.Present = r.TAC[:], r.Present|FieldTAC
	default:
		dst, r.Present = r.MAC3[:], r.Present|FieldMAC3
	}
	if !unhexInto(dst, b[i+1:e]) {
		return false
	}
	if f == fTransType {
		if typ[0] == 0 {
			return false
		}
		r.Type = typ[0]
	}
	p.i = e + 1
	return true
}

// fastFactors parses a factor list of 16-digit hex strings separated by
// commas (white space allowed), or reports false having consumed nothing.
func (p *jparser) fastFactors(r *Record) bool {
	b, i := p.b, p.i
	if i >= len(b) || b[i] != '[' {
		return false
	}
	i++
	n := 0
	for {
		for i < len(b) && isSpace[b[i]] {
			i++
		}
		if n == 0 && i < len(b) && b[i] == ']' {
			break
		}
		e := i + 17
		if n == MaxFactors || e >= len(b) || b[i] != '"' || b[e] != '"' || !unhexInto(r.Factors[n][:], b[i+1:e]) {
			r.Factors = [MaxFactors]diversify.Factor{}
			return false
		}
		n++
		i = e + 1
		for i < len(b) && isSpace[b[i]] {
			i++
		}
		if i < len(b) && b[i] == ',' {
			i++
			continue
		}
		if i < len(b) && b[i] == ']' {
			break
		}
		r.Factors = [MaxFactors]diversify.Factor{}
		return false
	}
	r.NFactors = uint8(n)
	p.i = i + 1
	return true
}

// ParseRecord parses one JSON Lines record into rec (which it overwrites):
//
//	{"type": "purchase"|"withdrawal"|"composite"|"load"|"unload"|"overdraw",
//	 "alg": "sm4"|"3des", "key_version": 1, "factors": ["hex16", …],
//	 "trans_type": "06", "amount": 1000, "balance": 5000,
//	 "terminal_id": "hex12", "terminal_seq": "hex8", "date": "20261122",
//	 "time": "135100", "card_random": "hex8", "offline_seq": 7,
//	 "online_seq": 3, "old_limit": 0, "new_limit": 0,
//	 "mac1": "hex8", "mac2": "hex8", "tac": "hex8", "mac3": "hex8"}
//
// Hex is case-insensitive, numbers are unsigned decimal integers. Factors
// are root first (the last is the card's application serial), 1 to 8 bytes
// each, right-padded with 00. trans_type defaults from type. Fields a kind
// does not use, unknown fields and null values are ignored; a field given
// twice (null included) is an error, and so is a field name written with
// escapes that spell a record field's (other escaped names are unknown
// fields). The line must be valid JSON (escapes, numbers without leading
// zeros). The fields the kind uses are required (card_random and
// the offline counter only when a session MAC is present), and at least one
// of the kind's MAC fields. Leading and trailing white space (a CR
// included) is allowed. ParseRecord allocates nothing and never panics; its
// errors wrap ErrMalformed (see RecordError).
func ParseRecord(line []byte, rec *Record) error {
	*rec = Record{}
	p := jparser{b: line}
	p.ws()
	if p.i >= len(p.b) {
		return errEmpty
	}
	if p.b[p.i] != '{' {
		return errNotObject
	}
	p.i++
	var seen, named uint32 // fields with a value; fields named (null too)
	// rest: the expected fields after the last key, the lowest of them the
	// predicted next key (all fields until the kind is known).
	rest := uint32(1)<<nFields - 1
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
	} else {
		for {
			// The common layout, `"key": value, `, is handled with a local
			// index; the general scanners sync p.i.
			b := p.b
			i := skipWS(b, p.i)
			if i >= len(b) {
				return errEOF
			}
			if b[i] != '"' {
				return errSyntax
			}
			var f, next int
			if pf := bits.TrailingZeros32(rest); isKey(b, i+1, pf) {
				f, next = pf, i+1+keyOf[pf].n
			} else {
				f, next = knownKey(b, i+1)
			}
			if f < 0 {
				p.i = i
				key, esc, err := p.str()
				if err != nil {
					return err
				}
				f, next = fieldID(key), p.i
				if esc && escapedFieldID(key) >= 0 {
					// "t\u0061c" is "tac" to any JSON reader: skipping it as
					// unknown would leave a MAC unchecked. Other escaped
					// names (json.dumps writes non-ASCII ones as \uXXXX)
					// are unknown fields.
					return errKeyEscape
				}
			}
			i = skipWS(b, next)
			if i >= len(b) || b[i] != ':' {
				return errSyntax
			}
			i = skipWS(b, i+1)
			p.i = i
			if i >= len(b) {
				return errEOF
			}
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
				if p.fastValue(rec, f) {
					break
				}
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
					tok, ok := p.number()
					if !ok {
						return fieldErrs[f][rNumber] // leading zeros too
					}
					if err := setScalar(rec, f, tok); err != nil {
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
					if err := setScalar(rec, f, s); err != nil {
						return err
					}
				}
			}
			if f >= 0 {
				if f == fType {
					rest = expectedFields(rec.Kind)
				}
				rest &^= 2<<uint(f) - 1
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
	return rec.validate()
}

var kindNames = [...]string{"", "purchase", "withdrawal", "composite", "load", "unload", "overdraw"}

const hexDigits = "0123456789abcdef"

func appendHex(dst []byte, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return dst
}

func appendUint(dst []byte, v uint64) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}

// recordFields returns the data fields AppendJSON writes for a kind.
func recordFields(k mac.Kind) uint32 {
	if int(k) >= len(required) {
		return 0
	}
	return required[k] | requiredSession[k]
}

// appendField appends the value of field f of r in JSON form (strings
// quoted) or CSV form.
func appendField(dst []byte, r *Record, f int, quote bool) []byte {
	q := func(b []byte) []byte {
		if quote {
			return append(b, '"')
		}
		return b
	}
	switch f {
	case fType:
		name := "kind?"
		if int(r.Kind) < len(kindNames) && r.Kind != 0 {
			name = kindNames[r.Kind]
		}
		dst = append(q(dst), name...)
		return q(dst)
	case fAlg:
		return q(append(q(dst), r.Alg.String()...))
	case fKeyVersion:
		return appendUint(dst, uint64(r.KeyVersion))
	case fFactors:
		if quote {
			dst = append(dst, '[')
		}
		// A factor is written as it was read: a wide one as 32 digits, a
		// short one short.
		for i := 0; i < int(r.NFactors) && i < MaxFactors; i++ {
			if i > 0 {
				if quote {
					dst = append(dst, ',')
				} else {
					dst = append(dst, ' ')
				}
			}
			f := r.Factors[i][:]
			if n := r.short >> (4 * i) & 15; n != 0 && n < 8 {
				f = f[:n]
			}
			dst = appendHex(q(dst), f)
			if r.Wide>>i&1 != 0 && i+1 < int(r.NFactors) && i+1 < MaxFactors {
				i++
				dst = appendHex(dst, r.Factors[i][:])
			}
			dst = q(dst)
		}
		if quote {
			dst = append(dst, ']')
		}
		return dst
	case fTransType:
		return q(appendHex(q(dst), []byte{r.Type}))
	case fAmount:
		return appendUint(dst, uint64(r.Amount))
	case fBalance:
		return appendUint(dst, uint64(r.Balance))
	case fTerminalID:
		return q(appendHex(q(dst), r.Terminal[:]))
	case fTerminalSeq:
		return q(appendHex(q(dst), r.TermSeq[:]))
	case fDate:
		return q(appendHex(q(dst), r.Date[:]))
	case fTime:
		return q(appendHex(q(dst), r.Time[:]))
	case fCardRandom:
		return q(appendHex(q(dst), r.Random[:]))
	case fOfflineSeq:
		return appendUint(dst, uint64(r.OfflineSeq))
	case fOnlineSeq:
		return appendUint(dst, uint64(r.OnlineSeq))
	case fOldLimit:
		return appendUint(dst, uint64(r.OldLimit))
	case fNewLimit:
		return appendUint(dst, uint64(r.NewLimit))
	case fMAC1:
		return q(appendHex(q(dst), r.MAC1[:]))
	case fMAC2:
		return q(appendHex(q(dst), r.MAC2[:]))
	case fTAC:
		return q(appendHex(q(dst), r.TAC[:]))
	case fMAC3:
		return q(appendHex(q(dst), r.MAC3[:]))
	}
	return dst
}

// written returns the set of fields AppendJSON and AppendCSV write for r:
// the kind's data fields, trans_type when set, and the MAC fields present.
func (r *Record) written() uint32 {
	w := recordFields(r.Kind) | 1<<fType | 1<<fAlg | 1<<fKeyVersion | 1<<fFactors
	if r.Type != 0 {
		w |= 1 << fTransType
	}
	for i, f := range [...]int{fMAC1, fMAC2, fTAC, fMAC3} {
		if r.Present&(1<<i) != 0 {
			w |= 1 << f
		}
	}
	return w
}

// AppendJSON appends rec as one JSON object (no newline) in the format
// ParseRecord reads: the fields its kind uses, trans_type when set, and the
// MAC fields present. Hex is lowercase.
func AppendJSON(dst []byte, rec *Record) []byte {
	w := rec.written()
	dst = append(dst, '{')
	first := true
	for f := 0; f < nFields; f++ {
		if w&(1<<f) == 0 {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, recordFieldNames[f]...)
		dst = append(dst, '"', ':')
		dst = appendField(dst, rec, f, true)
	}
	return append(dst, '}')
}

// AppendResultJSON appends the result line of a stream (no newline):
// {"line": 1, "status": "ok"}, with "field" for a mismatch (several fields
// comma-separated, e.g. "mac1,tac") and "error" for a malformed record or
// an unknown key.
func AppendResultJSON(dst []byte, line int64, res *Result) []byte {
	dst = append(dst, `{"line": `...)
	dst = appendUint(dst, uint64(line))
	dst = append(dst, `, "status": "`...)
	dst = append(dst, res.Status.String()...)
	dst = append(dst, '"')
	switch res.Status {
	case StatusMismatch:
		dst = append(dst, `, "field": "`...)
		dst = appendFields(dst, res.Fields)
		dst = append(dst, '"')
	case StatusMalformed, StatusUnknownKey:
		if res.Err != nil {
			dst = append(dst, `, "error": `...)
			dst = appendJSONString(dst, res.Err.Error())
		}
	}
	return append(dst, '}')
}

// appendJSONString appends s as a JSON string, escaping what JSON needs.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c >= 0x80:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
