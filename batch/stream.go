package batch

import (
	"bufio"
	"bytes"
	"context"
	"io"
)

// Stream batches: by default at least minBatchLines lines and linesPerWorker
// per worker, and at most minBatchBytes bytes of lines or bytesPerWorker
// per worker, whichever is more. Two batches are in memory at a time.
const (
	minBatchLines  = 8192
	linesPerWorker = 2 * chunkRecords
	minBatchBytes  = 4 << 20
	bytesPerWorker = 1 << 20
)

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
	batch    int // bytes of lines after which a batch ends
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
		// A batch ends once lr.batch bytes are taken, so n stays below
		// lr.batch + max+2 (the line in progress) + readChunk.
		limit := lr.batch + lr.max + 2 + readChunk + minRead
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

// rebase makes buf the reader's buffer, moving to its front the bytes
// not yet returned; the old buffer is left to the lines already returned,
// which the workers may still be reading.
func (lr *lineReader) rebase(buf []byte) {
	m := lr.n - lr.pos
	if len(buf) < m {
		buf = make([]byte, max(len(lr.buf), m+minRead))
	}
	copy(buf, lr.buf[lr.pos:lr.n])
	lr.buf = buf
	lr.n = m
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
// then being malformed). Memory stays bounded whatever the input size:
// three batches of lines (see StreamOptions.BatchLines), their records and
// results. The workers parse and verify one batch and format the results
// of the one before, while the calling goroutine writes the results of the
// one before that and reads the next; it then joins the workers. VerifyStream returns the counts per status and the first read,
// write or context error (with an explicit FormatCSV, a bad header is an
// error wrapping ErrCSVHeader); after an error the output is incomplete.
func (v *Verifier) VerifyStream(ctx context.Context, r io.Reader, w io.Writer, opts *StreamOptions) (Summary, error) {
	var o StreamOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = 64 << 10
	}
	if o.BatchLines <= 0 {
		o.BatchLines = max(minBatchLines, linesPerWorker*len(v.workers))
	}
	var sum Summary
	st := v.takeStream(r, w, o.MaxLineBytes, max(minBatchBytes, bytesPerWorker*len(v.workers)))
	defer v.putStream(st)
	st.format = o.Format
	// Three slots take turns: in round i the workers verify the batch in
	// slot i%3 and format the results of the one in slot (i+2)%3 (verified
	// in round i-1), while this goroutine writes the formatted results in
	// slot (i+1)%3 (round i-2's batch) and reads the next batch into it.
	slot := func(i int) *streamSlot { return &st.slots[i%3] }
	eof, readErr := st.split(slot(0), o.BatchLines)
	var err error
	verified, formatted := false, false // slot(i+2), slot(i+1) hold such results
	i := 0
	for readErr == nil && len(slot(i).lb.num) > 0 {
		if err = ctx.Err(); err != nil {
			break
		}
		cur := slot(i)
		n := len(cur.lb.num)
		records, results := cur.grow(n, o.BatchLines)
		var fmtSlot *streamSlot
		if verified {
			fmtSlot = slot(i + 2)
		}
		v.mu.Lock()
		if v.closed {
			v.mu.Unlock()
			err = ErrClosed
			break
		}
		v.start(ctx, records, results, &cur.lb, fmtSlot)
		if formatted {
			err = st.write(slot(i+1), &sum)
		}
		if err == nil {
			if eof {
				slot(i + 1).lb.reset()
			} else {
				eof, readErr = st.split(slot(i+1), o.BatchLines)
			}
		}
		if jerr := v.join(); err == nil {
			err = jerr
		}
		v.mu.Unlock()
		if err != nil {
			break
		}
		formatted, verified = verified, true
		i++
	}
	// Left: the formatted results in slot(i+1) and the verified ones in
	// slot(i+2) (also after a read error; not after another error).
	if err == nil && formatted {
		err = st.write(slot(i+1), &sum)
	}
	if err == nil && verified {
		s := slot(i + 2)
		for c := range s.chunks() {
			s.formatChunk(c)
		}
		err = st.write(s, &sum)
	}
	if err == nil {
		err = readErr
	}
	if st.writeErr != nil {
		return sum, st.writeErr // nothing more is written
	}
	if ferr := st.bw.Flush(); err == nil {
		err = ferr
	}
	return sum, err
}

// split reads the next batch of at most maxLines lines into s. It reports
// eof once the input is exhausted.
func (st *streamState) split(s *streamSlot, maxLines int) (eof bool, err error) {
	lr, lb := &st.lr, &s.lb
	lr.rebase(lb.data)
	lb.reset()
	for len(lb.num) < maxLines && lr.pos < lr.batch {
		start, end, tooLong, err := lr.next()
		line := lr.buf[start:end]
		if err == io.EOF {
			eof = true
			break
		}
		if err != nil {
			return false, err
		}
		st.lineNo++
		if !tooLong && st.format != FormatJSON && st.csv == nil && !isBlank(line) {
			// The first non-blank line decides the format.
			if st.format == FormatAuto && firstByte(line) == '{' {
				st.format = FormatJSON
			} else {
				h, herr := ParseCSVHeader(line)
				switch {
				case herr == nil:
					st.csv = h
					st.format = FormatCSV
					continue
				case st.format == FormatCSV:
					return false, herr
				default:
					st.format = FormatJSON
				}
			}
		}
		lb.add(start, end, st.lineNo, tooLong)
	}
	lb.data = lr.buf
	lb.csv = st.csv
	return eof, nil
}

// chunks returns the number of format chunks of s's batch.
func (s *streamSlot) chunks() int {
	return (len(s.lb.num) + chunkRecords - 1) / chunkRecords
}

// formatChunk formats the results of lines c*chunkRecords.. of s's batch
// (at most chunkRecords) as JSON Lines into s.out[c] and counts them in
// s.counts[c]. Workers run it on the batch verified the round before.
func (s *streamSlot) formatChunk(c int) {
	lo := c * chunkRecords
	hi := min(lo+chunkRecords, len(s.lb.num))
	out := s.out[c][:0]
	var n Summary
	for i := lo; i < hi; i++ {
		res := &s.results[i]
		out = AppendResultJSON(out, s.lb.num[i], res)
		out = append(out, '\n')
		switch res.Status {
		case StatusOK:
			n.OK++
		case StatusMismatch:
			n.Mismatch++
		case StatusUnknownKey:
			n.UnknownKey++
		default:
			n.Malformed++
		}
	}
	n.Lines = int64(hi - lo)
	s.out[c], s.counts[c] = out, n
}

// write writes the formatted results of s and counts them in sum. A write
// error is kept in st.writeErr: nothing more is written after it.
func (st *streamState) write(s *streamSlot, sum *Summary) error {
	for c := range s.chunks() {
		if _, err := st.bw.Write(s.out[c]); err != nil {
			st.writeErr = err
			return err
		}
		n := &s.counts[c]
		sum.Lines += n.Lines
		sum.OK += n.OK
		sum.Mismatch += n.Mismatch
		sum.UnknownKey += n.UnknownKey
		sum.Malformed += n.Malformed
	}
	return nil
}

// streamState is the scratch of one VerifyStream call: the line reader,
// the three batch slots (lines, records, results, formatted results), the
// writer buffer.
// Everything grows to what the input needs (a short input allocates
// little), and a Verifier keeps the state of its last call for the next
// (concurrent calls each get their own). Records hold no key material;
// they are cleared all the same when a call ends.
type streamState struct {
	lr        lineReader
	slots     [3]streamSlot
	bw, ownBW *bufio.Writer // bw: this call's; ownBW: ours, kept
	writeErr  error
	format    Format
	csv       *CSVColumns
	lineNo    int64
}

// streamSlot holds one batch: its lines (lb.data is the reader buffer they
// were read into), records, results, and the results formatted, per chunk
// of chunkRecords lines, with their counts.
type streamSlot struct {
	lb      lineBatch
	records []Record
	results []Result
	out     [][]byte
	counts  []Summary
}

// takeStream returns stream scratch reading lines of at most max bytes
// from r, batches ending after batch bytes, and writing to w: the
// Verifier's kept one if any. As bufio.NewWriterSize does, a bufio.Writer
// w that is large enough is used as is.
func (v *Verifier) takeStream(r io.Reader, w io.Writer, max, batch int) *streamState {
	st := v.stream.Swap(nil)
	if st == nil {
		st = new(streamState)
	}
	st.lr = lineReader{r: r, max: max, batch: batch}
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
	st.csv, st.lineNo, st.writeErr = nil, 0, nil
	return st
}

// putStream clears st and keeps it for the next call.
func (v *Verifier) putStream(st *streamState) {
	st.lr = lineReader{}
	if st.ownBW != nil {
		st.ownBW.Reset(nil)
	}
	st.bw, st.csv, st.writeErr = nil, nil, nil
	for i := range st.slots {
		s := &st.slots[i]
		s.lb.reset()
		s.lb.csv = nil
		clear(s.records)
		clear(s.results)
	}
	v.stream.Store(st)
}

// grow returns records and results of length n, growing the kept slices
// (geometrically, up to limit) when they are shorter, and makes room for
// the formatted results.
func (s *streamSlot) grow(n, limit int) ([]Record, []Result) {
	if len(s.records) < n {
		c := min(max(n, 2*len(s.records), 64), max(limit, n))
		s.records = make([]Record, c)
		s.results = make([]Result, c)
	}
	if c := s.chunks(); len(s.out) < c {
		s.out = append(s.out, make([][]byte, c-len(s.out))...)
		s.counts = make([]Summary, c)
	}
	return s.records[:n], s.results[:n]
}
