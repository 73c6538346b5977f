package batch

import (
	"bufio"
	"bytes"
	"context"
	"io"
)

// batchBytes bounds the bytes of the lines of one stream batch.
const batchBytes = 4 << 20

// Reads from the input: at most readChunk bytes a call (what is left
// over when a batch ends is moved to the front of the buffer), into at
// least minRead free bytes (the buffer grows otherwise).
const (
	readChunk = 64 << 10
	minRead   = 4 << 10
)

// lineBatch is a batch of stream lines, parsed by the workers: line i is
// data[start[i]:end[i]].
type lineBatch struct {
	data    []byte
	start   []int32
	end     []int32
	num     []int64
	tooLong []bool
	csv     *CSVColumns
}

func (lb *lineBatch) reset() {
	lb.start = lb.start[:0]
	lb.end = lb.end[:0]
	lb.num = lb.num[:0]
	lb.tooLong = lb.tooLong[:0]
}

func (lb *lineBatch) add(start, end int, num int64, tooLong bool) {
	lb.start = append(lb.start, int32(start))
	lb.end = append(lb.end, int32(end))
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

// lineReader splits the input into lines in place: its buffer is the line
// batch's data, so a line is copied once, from the reader into buf. Bytes
// buf[:pos] belong to lines already returned (of this batch), buf[pos:n]
// are read but not yet returned, and buf[pos:scan] hold no line end.
type lineReader struct {
	r        io.Reader
	max      int
	buf      []byte
	pos      int
	scan     int
	n        int
	skipping bool // dropping the rest of a line longer than max
	eof      bool
}

// next returns the next line as buf[start:end], without its line end (LF
// or CRLF). A line longer than max is dropped to its end and reported
// with tooLong (and start == end). At the end of the input it returns the
// last line if it had no line end, then io.EOF.
func (lr *lineReader) next() (start, end int, tooLong bool, err error) {
	for {
		if i := bytes.IndexByte(lr.buf[lr.scan:lr.n], '\n'); i >= 0 {
			k := lr.scan + i
			start = lr.pos
			lr.pos, lr.scan = k+1, k+1
			if lr.skipping {
				lr.skipping = false
				return start, start, true, nil
			}
			end = k
			if end > start && lr.buf[end-1] == '\r' {
				end--
			}
			if end-start > lr.max {
				return start, start, true, nil
			}
			return start, end, false, nil
		}
		lr.scan = lr.n
		if lr.n-lr.pos > lr.max+1 {
			// Too long whatever its line end: drop what is read of it.
			lr.skipping = true
			lr.n, lr.scan = lr.pos, lr.pos
		}
		if lr.eof {
			start = lr.pos
			switch {
			case lr.skipping:
				lr.skipping = false
				lr.pos = lr.n
				return start, start, true, nil
			case start < lr.n:
				lr.pos = lr.n
				if lr.n-start > lr.max {
					return start, start, true, nil
				}
				return start, lr.n, false, nil
			}
			return start, start, false, io.EOF
		}
		if err := lr.fill(); err != nil {
			return 0, 0, false, err
		}
	}
}

// fill reads once more from the input, growing buf when it has less than
// minRead bytes free.
func (lr *lineReader) fill() error {
	if len(lr.buf)-lr.n < minRead {
		// A batch ends once batchBytes are taken, so n stays below
		// batchBytes + max+2 (the line in progress) + readChunk.
		limit := batchBytes + lr.max + 2 + readChunk + minRead
		nb := make([]byte, max(min(2*len(lr.buf), limit), lr.n+minRead, 16<<10))
		copy(nb, lr.buf[:lr.n])
		lr.buf = nb
	}
	for empty := 0; empty < 100; empty++ {
		m, err := lr.r.Read(lr.buf[lr.n:min(len(lr.buf), lr.n+readChunk)])
		lr.n += m
		if err == io.EOF {
			lr.eof = true
			return nil
		}
		if err != nil || m > 0 {
			return err
		}
	}
	return io.ErrNoProgress
}

// shift moves the bytes not yet returned to the front of buf, once the
// lines returned so far are no longer needed.
func (lr *lineReader) shift() {
	copy(lr.buf, lr.buf[lr.pos:lr.n])
	lr.n -= lr.pos
	lr.scan -= lr.pos
	lr.pos = 0
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
	st := v.takeStream(r, w, o.MaxLineBytes)
	defer v.putStream(st)
	lr, bw, lb := &st.lr, st.bw, &st.lb
	out := st.out[:0]
	format := o.Format
	var lineNo int64
	for eof := false; !eof; {
		if err := ctx.Err(); err != nil {
			bw.Flush()
			return sum, err
		}
		lr.shift()
		lb.reset()
		for len(lb.num) < o.BatchLines && lr.pos < batchBytes {
			start, end, tooLong, err := lr.next()
			line := lr.buf[start:end]
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
			lb.add(start, end, lineNo, tooLong)
		}
		lb.data = lr.buf
		n := len(lb.num)
		if n == 0 {
			continue
		}
		records, results := st.grow(n, o.BatchLines)
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
	st.out = out
	if err := bw.Flush(); err != nil {
		return sum, err
	}
	return sum, nil
}

// streamState is the scratch of one VerifyStream call: the line reader
// (whose buffer holds the batch's lines), the writer buffer, records and
// results. Everything grows to what the input needs (a short input
// allocates little), and a Verifier keeps the state of its last call for
// the next (concurrent calls each get their own). Records hold no key
// material; they are cleared all the same when a call ends.
type streamState struct {
	lr        lineReader
	lb        lineBatch
	bw, ownBW *bufio.Writer // bw: this call's; ownBW: ours, kept
	records   []Record
	results   []Result
	out       []byte
}

// takeStream returns stream scratch reading lines of at most max bytes
// from r and writing to w: the Verifier's kept one if any. As
// bufio.NewWriterSize does, a bufio.Writer w that is large enough is used
// as is.
func (v *Verifier) takeStream(r io.Reader, w io.Writer, max int) *streamState {
	st := v.stream.Swap(nil)
	if st == nil {
		st = &streamState{out: make([]byte, 0, 512)}
	}
	st.lr = lineReader{r: r, max: max, buf: st.lr.buf}
	const wsize = 64 << 10
	if b, ok := w.(*bufio.Writer); ok && b.Size() >= wsize {
		st.bw = b
	} else {
		if st.ownBW == nil {
			st.ownBW = bufio.NewWriterSize(nil, wsize)
		}
		st.ownBW.Reset(w)
		st.bw = st.ownBW
	}
	st.lb.reset()
	st.lb.csv = nil
	return st
}

// putStream clears st and keeps it for the next call.
func (v *Verifier) putStream(st *streamState) {
	st.lr.r = nil
	if st.ownBW != nil {
		st.ownBW.Reset(nil)
	}
	st.bw = nil
	st.lb.reset()
	st.lb.data, st.lb.csv = nil, nil
	clear(st.records)
	clear(st.results)
	v.stream.Store(st)
}

// grow returns records and results of length n, growing the kept slices
// (geometrically, up to limit) when they are shorter.
func (st *streamState) grow(n, limit int) ([]Record, []Result) {
	if len(st.records) < n {
		c := min(max(n, 2*len(st.records), 64), max(limit, n))
		st.records = make([]Record, c)
		st.results = make([]Result, c)
	}
	return st.records[:n], st.results[:n]
}
