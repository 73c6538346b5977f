package batch

import (
	"bufio"
	"context"
	"io"
)

// batchBytes bounds the bytes of the lines of one stream batch.
const batchBytes = 4 << 20

// lineBatch is a batch of stream lines, parsed by the workers.
type lineBatch struct {
	data    []byte
	start   []int32
	end     []int32
	num     []int64
	tooLong []bool
	csv     *CSVColumns
}

func (lb *lineBatch) reset() {
	lb.data = lb.data[:0]
	lb.start = lb.start[:0]
	lb.end = lb.end[:0]
	lb.num = lb.num[:0]
	lb.tooLong = lb.tooLong[:0]
}

func (lb *lineBatch) add(line []byte, num int64, tooLong bool) {
	lb.start = append(lb.start, int32(len(lb.data)))
	lb.data = append(lb.data, line...)
	lb.end = append(lb.end, int32(len(lb.data)))
	lb.num = append(lb.num, num)
	lb.tooLong = append(lb.tooLong, tooLong)
}

// parse parses line i into r.
func (lb *lineBatch) parse(i int, r *Record) error {
	if lb.tooLong[i] {
		*r = Record{}
		return errTooLong
	}
	line := lb.data[lb.start[i]:lb.end[i]]
	if lb.csv != nil {
		return lb.csv.ParseRecord(line, r)
	}
	return ParseRecord(line, r)
}

// readLine reads one line without its line end (LF or CRLF). A line longer
// than max is skipped to its end and reported with tooLong. At the end of
// the input it returns io.EOF, with the last line if it had no line end.
func readLine(br *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	line, err = br.ReadSlice('\n')
	for err == bufio.ErrBufferFull {
		tooLong = true
		_, err = br.ReadSlice('\n')
	}
	if tooLong {
		if err == io.EOF {
			return nil, true, nil
		}
		return nil, true, err
	}
	if err != nil && err != io.EOF {
		return nil, false, err
	}
	if err == io.EOF && len(line) == 0 {
		return nil, false, io.EOF
	}
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			n--
		}
	}
	line = line[:n]
	if len(line) > max {
		return nil, true, nil
	}
	return line, false, nil
}

// firstByte returns the first byte of line that is not a blank, or 0.
func firstByte(line []byte) byte {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return c
		}
	}
	return 0
}

func isBlank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// VerifyStream verifies a clearing file: it reads records from r (JSON
// Lines, or CSV with a header line of the record field names; see
// StreamOptions.Format) and writes one JSON Lines result per input line to
// w, in input order, numbered from 1 by physical line:
//
//	{"line": 1, "status": "ok"}
//	{"line": 2, "status": "mismatch", "field": "tac"}
//	{"line": 3, "status": "unknown_key", "error": "…"}
//	{"line": 4, "status": "malformed", "error": "…"}
//
// The CSV header line gets no result (it keeps its number). Blank lines,
// garbage, invalid UTF-8 and lines longer than MaxLineBytes are reported
// malformed; LF and CRLF line ends and a last line without one are
// accepted. With FormatAuto the first non-blank line decides: '{' means JSON
// Lines, a valid CSV header means CSV, anything else JSON Lines (that line
// then being malformed). Memory stays bounded whatever the input size.
// VerifyStream returns the counts per status and the first read, write or
// context error (with an explicit FormatCSV, a bad header is an error
// wrapping ErrCSVHeader); after an error the output is incomplete.
func (v *Verifier) VerifyStream(ctx context.Context, r io.Reader, w io.Writer, opts *StreamOptions) (Summary, error) {
	var o StreamOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 64 << 10
	}
	if o.BatchLines <= 0 {
		o.BatchLines = 8192
	}
	var sum Summary
	br := bufio.NewReaderSize(r, max(o.MaxLineBytes+2, 4096))
	bw := bufio.NewWriterSize(w, 64<<10)
	lb := &lineBatch{
		data:    make([]byte, 0, min(batchBytes+o.MaxLineBytes, 1<<30)),
		start:   make([]int32, 0, o.BatchLines),
		end:     make([]int32, 0, o.BatchLines),
		num:     make([]int64, 0, o.BatchLines),
		tooLong: make([]bool, 0, o.BatchLines),
	}
	records := make([]Record, o.BatchLines)
	results := make([]Result, o.BatchLines)
	out := make([]byte, 0, 512)
	format := o.Format
	var lineNo int64
	for eof := false; !eof; {
		if err := ctx.Err(); err != nil {
			bw.Flush()
			return sum, err
		}
		lb.reset()
		for len(lb.num) < o.BatchLines && len(lb.data) < batchBytes {
			line, tooLong, err := readLine(br, o.MaxLineBytes)
			if err == io.EOF {
				eof = true
				break
			}
			if err != nil {
				bw.Flush()
				return sum, err
			}
			lineNo++
			if !tooLong && format != FormatJSON && lb.csv == nil && !isBlank(line) {
				// The first non-blank line decides the format.
				if format == FormatAuto && firstByte(line) == '{' {
					format = FormatJSON
				} else {
					h, herr := ParseCSVHeader(line)
					switch {
					case herr == nil:
						lb.csv = h
						format = FormatCSV
						continue
					case format == FormatCSV:
						bw.Flush()
						return sum, herr
					default:
						format = FormatJSON
					}
				}
			}
			lb.add(line, lineNo, tooLong)
		}
		n := len(lb.num)
		if n == 0 {
			continue
		}
		v.mu.Lock()
		var err error
		if v.closed {
			err = ErrClosed
		} else {
			err = v.run(ctx, records[:n], results[:n], lb)
		}
		v.mu.Unlock()
		if err != nil {
			bw.Flush()
			return sum, err
		}
		for i := 0; i < n; i++ {
			res := &results[i]
			out = AppendResultJSON(out[:0], lb.num[i], res)
			out = append(out, '\n')
			if _, err := bw.Write(out); err != nil {
				return sum, err
			}
			sum.Lines++
			switch res.Status {
			case StatusOK:
				sum.OK++
			case StatusMismatch:
				sum.Mismatch++
			case StatusUnknownKey:
				sum.UnknownKey++
			default:
				sum.Malformed++
			}
		}
	}
	clear(records)
	if err := bw.Flush(); err != nil {
		return sum, err
	}
	return sum, nil
}
