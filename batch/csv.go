package batch

import (
	"errors"
	"fmt"
)

// ErrCSVHeader reports a CSV header line that names no record field, or
// one twice.
var ErrCSVHeader = errors.New("batch: bad CSV header")

// CSVColumns maps the columns of a CSV clearing file to record fields. Build
// it with ParseCSVHeader.
type CSVColumns struct {
	cols []int8 // field id per column, -1 for an ignored column
}

// csvCell trims blanks and one pair of surrounding double quotes.
func csvCell(s []byte) []byte {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\r' || s[len(s)-1] == '\n') {
		s = s[:len(s)-1]
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return s
}

// nextCell splits line at the first comma outside double quotes: a cell
// whose first non-blank byte is '"' runs to the matching closing quote (""
// inside it is a quote), then to the next comma; it is returned quotes
// included (csvCell removes them). ok is false for an unterminated quote.
// A quoted cell cannot span lines.
func nextCell(line []byte) (cell, rest []byte, more, ok bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i < len(line) && line[i] == '"' {
		for i++; ; i++ {
			if i >= len(line) {
				return line, nil, false, false
			}
			if line[i] == '"' {
				if i+1 < len(line) && line[i+1] == '"' {
					i++
					continue
				}
				break
			}
		}
	}
	for ; i < len(line); i++ {
		if line[i] == ',' {
			return line[:i], line[i+1:], true, true
		}
	}
	return line, nil, false, true
}

// ParseCSVHeader parses the header line of a CSV clearing file: the JSON
// field names of ParseRecord (CSVHeader lists them all), in any order;
// unknown columns are ignored. A leading UTF-8 byte order mark is skipped.
func ParseCSVHeader(line []byte) (*CSVColumns, error) {
	if len(line) >= 3 && line[0] == 0xef && line[1] == 0xbb && line[2] == 0xbf {
		line = line[3:]
	}
	h := &CSVColumns{}
	var seen uint32
	more := true
	for more {
		var cell []byte
		var ok bool
		cell, line, more, ok = nextCell(line)
		if !ok {
			return nil, fmt.Errorf("%w: unterminated quote", ErrCSVHeader)
		}
		f := fieldID(csvCell(cell))
		if f >= 0 {
			if seen&(1<<f) != 0 {
				return nil, fmt.Errorf("%w: column %q given twice", ErrCSVHeader, recordFieldNames[f])
			}
			seen |= 1 << f
		}
		h.cols = append(h.cols, int8(f))
		if len(h.cols) > 1024 {
			return nil, fmt.Errorf("%w: too many columns", ErrCSVHeader)
		}
	}
	if seen == 0 {
		return nil, fmt.Errorf("%w: no known column", ErrCSVHeader)
	}
	return h, nil
}

// ParseRecord parses one CSV data line into rec (which it overwrites). It
// must have exactly the header's number of columns (a short row is a cut-off
// line, not one with empty cells). Cells hold the same text as the JSON
// values, without quotes; a cell may be quoted as RFC 4180 has it (commas
// inside, "" for a quote; not across lines), and numbers may have leading
// zeros. The factors cell lists the factors root first, separated by
// spaces, '|' or ';' (an empty factors cell is an empty list). Any other
// empty cell is an absent field. Requirements and errors are those of the
// package-level ParseRecord; it allocates nothing.
func (h *CSVColumns) ParseRecord(line []byte, rec *Record) error {
	*rec = Record{}
	trimmed := csvCell(line)
	if len(trimmed) == 0 {
		return errEmpty
	}
	var seen uint32
	more := true
	col := 0
	for ; more; col++ {
		var cell []byte
		var ok bool
		cell, line, more, ok = nextCell(line)
		if !ok {
			return errCSVQuote
		}
		if col >= len(h.cols) {
			return errColumns
		}
		f := int(h.cols[col])
		if f < 0 {
			continue
		}
		s := csvCell(cell)
		for _, c := range s {
			if c < 0x20 || c >= 0x80 {
				return fieldErrs[f][rValue]
			}
		}
		if f == fFactors {
			seen |= 1 << f // an empty cell is an empty list
			if err := csvFactors(rec, s); err != nil {
				return err
			}
			continue
		}
		if len(s) == 0 {
			continue
		}
		seen |= 1 << f
		if err := setScalar(rec, f, s); err != nil {
			return err
		}
	}
	if col != len(h.cols) {
		return errColumns // a short row: cut off, not fields left empty
	}
	if err := checkRequired(rec, seen); err != nil {
		return err
	}
	return rec.validate()
}

func csvFactors(rec *Record, s []byte) error {
	start := -1
	for i := 0; i <= len(s); i++ {
		sep := i == len(s) || s[i] == ' ' || s[i] == '|' || s[i] == ';'
		if !sep {
			if start < 0 {
				start = i
			}
			continue
		}
		if start < 0 {
			continue
		}
		if err := addFactor(rec, s[start:i]); err != nil {
			return err
		}
		start = -1
	}
	return nil
}

// AppendCSV appends rec as one CSV line (no newline) with the columns of
// CSVHeader; unused fields are empty cells.
func AppendCSV(dst []byte, rec *Record) []byte {
	w := rec.written()
	for f := 0; f < nFields; f++ {
		if f > 0 {
			dst = append(dst, ',')
		}
		if w&(1<<f) != 0 {
			dst = appendField(dst, rec, f, false)
		}
	}
	return dst
}
