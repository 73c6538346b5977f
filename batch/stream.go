package batch

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"slices"
)

// Stream batches: by default at least minBatchLines lines and linesPerWorker
// per worker, and at most minBatchBytes bytes of lines or bytesPerWorker
// per worker, whichever is more. Three batches are in memory at a time.
const (
	minBatchLines  = 8192
	linesPerWorker = 2 * chunkRecords
	minBatchBytes  = 4 << 20
	bytesPerWorker = 1 << 20
)

// Reads from the input: at most readChunk bytes a call, into at least
// minRead free bytes (the buffer grows otherwise).
const (
	readChunk = 64 << 10
	minRead   = 4 << 10
)

// maxLineLimit bounds StreamOptions.MaxLineBytes and maxBatchBytes the
// batch size: line offsets in a batch are int32.
const (
	maxLineLimit  = 1 << 30
	maxBatchBytes = 256 << 20
)

// pieceBytes is the size of the pieces whose line ends the reader counts:
// a worker finds the first line of its chunk by skipping at most a piece
// of lines.
const pieceBytes = 8 << 10

// span is a line of a batch, data[start:end] (line end excluded); end < 0
// marks a line longer than the limit.
type span struct{ start, end int32 }

// lineBatch is a batch of stream lines: data[:cut] holds n whole lines,
// the last of which may lack its line end at the end of the input (open).
// The reader splits lines 0..pre-1 itself (the rest of a line too long
// to keep, lines up to the one that decides the format); the workers split
// the others, chunk by chunk (split): they end in data[from:cut], and
// bases[k] is the index among them of the first whose line end lies in
// piece k, data[from+k*piece:][:piece].
type lineBatch struct {
	data  []byte
	lines []span
	bases []int32
	first int64 // number of line 0
	n     int
	pre   int
	from  int
	cut   int
	piece int
	// While the reader counts: the lines counted, the next piece.
	counted int
	next    int
	max     int
	header  int // index of the CSV header line (no result), or -1
	csv     *CSVColumns
}

// reset empties lb for a batch whose first line is number first.
func (lb *lineBatch) reset(first int64) {
	lb.first, lb.n, lb.pre, lb.from, lb.cut = first, 0, 0, 0, 0
	lb.bases = lb.bases[:0]
	lb.header = -1
}

// addPre adds a line split by the reader.
func (lb *lineBatch) addPre(start, end int, tooLong bool) {
	s := span{int32(start), int32(end)}
	if tooLong {
		s = span{0, -1}
	}
	lb.lines = append(lb.lines[:lb.pre], s)
	lb.pre++
}

// split splits lines lo..hi-1 into lb.lines (those the reader split are
// there already). Workers run it on their chunks.
func (lb *lineBatch) split(lo, hi int) {
	i := max(lo, lb.pre)
	if i >= hi {
		return
	}
	data := lb.data[:lb.cut]
	// The line end of line i lies in piece k: start from the first line
	// ending there.
	j := int32(i - lb.pre)
	k, _ := slices.BinarySearch(lb.bases, j+1)
	k-- // the last piece with bases[k] <= j
	p := lb.from + k*lb.piece
	start := lb.from
	if b := bytes.LastIndexByte(data[lb.from:p], '\n'); b >= 0 {
		start = lb.from + b + 1
	}
	for skip := j - lb.bases[k]; skip > 0; skip-- {
		start += bytes.IndexByte(data[start:], '\n') + 1
	}
	for ; i < hi; i++ {
		e := bytes.IndexByte(data[start:], '\n')
		next := start + e + 1
		end := start + e
		switch {
		case e < 0: // the open last line
			end, next = len(data), len(data)
		case e > 0 && data[end-1] == '\r':
			end--
		}
		s := span{int32(start), int32(end)}
		if end-start > lb.max {
			s.end = -1
		}
		lb.lines[i] = s
		start = next
	}
}

// parse parses line i into r.
func (lb *lineBatch) parse(i int, r *Record) error {
	s := lb.lines[i]
	if s.end < 0 || i == lb.header {
		*r = Record{}
		return errTooLong // the header line gets no result
	}
	line := lb.data[s.start:s.end]
	if lb.csv != nil {
		return lb.csv.ParseRecord(line, r)
	}
	return ParseRecord(line, r)
}

// lineReader reads the input into batches of whole lines. Its buffer is
// the batch's data, so a line is copied once, from the reader into buf
// (and once more if it straddles two batches). buf[pos:n] is read but
// not yet in a batch.
type lineReader struct {
	r        io.Reader
	max      int
	batch    int // bytes of lines after which a batch ends
	piece    int
	buf      []byte
	pos      int
	n        int
	skipping bool // dropping the rest of a line longer than max
	eof      bool
	started  bool // a leading byte order mark has been looked for
}

// utf8BOM is the UTF-8 byte order mark some tools write at a file's start.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// fill reads once more from the input, growing buf when it has less than
// minRead bytes free.
func (lr *lineReader) fill() error {
	if len(lr.buf)-lr.n < minRead {
		// Reading stops once lr.batch bytes are in (or a line is),
		// so n stays below lr.batch + max+2 (the line in progress) +
		// readChunk.
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
// not yet in a batch; the old buffer is left to the batch cut from it,
// which the workers may still be reading.
func (lr *lineReader) rebase(buf []byte) {
	m := lr.n - lr.pos
	if len(buf) < m+minRead {
		buf = make([]byte, max(len(lr.buf), m+minRead))
	}
	copy(buf, lr.buf[lr.pos:lr.n])
	lr.buf = buf
	lr.n = m
	lr.pos = 0
}

// undecided reports whether the format is still to be decided by the
// first non-blank line (FormatAuto), or the CSV header still to come.
func (st *streamState) undecided() bool {
	return st.format != FormatJSON && st.csv == nil
}

// cut reads the next batch of at most maxLines lines into s. It reports
// eof once the input is exhausted.
func (st *streamState) cut(s *streamSlot, maxLines int) (eof bool, err error) {
	lr, lb := &st.lr, &s.lb
	lr.rebase(lb.data)
	if !lr.started {
		// A byte order mark at the start of the input is not part of
		// line 1 (in either format).
		lr.started = true
		for lr.n-lr.pos < len(utf8BOM) && !lr.eof {
			if err := lr.fill(); err != nil {
				return false, err
			}
		}
		if bytes.HasPrefix(lr.buf[lr.pos:lr.n], utf8BOM) {
			lr.pos += len(utf8BOM)
		}
	}
	lb.reset(st.lineNo + 1)
	lb.piece, lb.max = lr.piece, lr.max
	counting := false // lines from lb.from on are being counted
	for {
		if !counting {
			if lr.skipping || st.undecided() {
				more, err := st.prefix(lb, maxLines)
				if err != nil {
					return false, err
				}
				if more {
					if err := lr.fill(); err != nil {
						return false, err
					}
					continue
				}
				if lr.skipping || st.undecided() {
					break // the batch is full or the input exhausted
				}
			}
			if lb.pre >= maxLines || lr.pos >= lr.batch {
				break
			}
			lb.from, lb.next, lb.counted = lr.pos, lr.pos, 0
			lb.bases = lb.bases[:0]
			counting = true
		}
		last := lr.eof || lr.n >= lr.batch
		if st.count(lb, maxLines, last) {
			break
		}
		if last {
			// Not one whole line yet (or one too long): start again.
			counting = false
		}
		if err := lr.fill(); err != nil {
			return false, err
		}
	}
	if !counting { // the lines split here only
		lb.from, lb.cut = lr.pos, lr.pos
		lb.n = lb.pre
		lb.lines = lb.lines[:lb.n]
	}
	lb.data = lr.buf
	lb.csv = st.csv
	st.lineNo += int64(lb.n)
	return lr.eof && lr.pos == lr.n && !lr.skipping, nil
}

// prefix splits lines one by one while the rest of a line too long to
// keep is being dropped or the format is undecided, until the batch is
// full or the input is exhausted; it reports more when it needs more
// input first.
func (st *streamState) prefix(lb *lineBatch, maxLines int) (more bool, err error) {
	lr := &st.lr
	for (lr.skipping || st.undecided()) && lb.pre < maxLines && lr.pos < lr.batch {
		rest := lr.buf[lr.pos:lr.n]
		start := lr.pos
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			switch {
			case !lr.eof:
				if lr.skipping || len(rest) > lr.max+1 {
					// Too long whatever its line end: drop what is read of it.
					lr.skipping = true
					lr.n = lr.pos
				}
				return true, nil
			case lr.skipping:
				lr.skipping = false
				lr.pos = lr.n
				lb.addPre(0, 0, true)
				continue
			case len(rest) == 0:
				return false, nil
			}
			i = len(rest) // the open last line
			lr.pos = lr.n
		} else {
			lr.pos += i + 1
		}
		if lr.skipping {
			lr.skipping = false
			lb.addPre(0, 0, true)
			continue
		}
		end := start + i
		if end < lr.n && end > start && lr.buf[end-1] == '\r' {
			end--
		}
		tooLong := end-start > lr.max
		lb.addPre(start, end, tooLong)
		line := lr.buf[start:end]
		if tooLong || isBlank(line) {
			continue
		}
		// The first non-blank line decides the format.
		if st.format == FormatAuto && firstByte(line) == '{' {
			st.format = FormatJSON
			continue
		}
		h, herr := ParseCSVHeader(line)
		switch {
		case herr == nil:
			st.csv = h
			st.format = FormatCSV
			lb.header = lb.pre - 1
		case st.format == FormatCSV:
			return false, herr
		default:
			st.format = FormatJSON
		}
	}
	return false, nil
}

// count gives the workers the lines that end in buf[from:n] (and at the
// end of the input the open last line), at most maxLines in all: it counts
// their line ends per piece, the whole pieces read so far, and with last
// (no more input for this batch) the rest. It reports whether the batch is
// cut: the line count reached, or with last, at the last line end (or the
// end of the input); not when no line ends there yet (a line in progress
// that is too long whatever its end is then dropped).
func (st *streamState) count(lb *lineBatch, maxLines int, last bool) bool {
	lr := &st.lr
	buf := lr.buf[:lr.n]
	left := maxLines - lb.pre
	for lb.next < len(buf) {
		p, q := lb.next, lb.next+lb.piece
		if q > len(buf) {
			if !last {
				return false
			}
			q = len(buf)
		}
		lb.bases = append(lb.bases, int32(lb.counted))
		c := bytes.Count(buf[p:q], newline)
		if c >= left-lb.counted {
			// The batch ends within this piece.
			for k := left - lb.counted; k > 0; k-- {
				p += bytes.IndexByte(buf[p:q], '\n') + 1
			}
			lb.counted = left
			lb.take(lr, p)
			return true
		}
		lb.counted += c
		lb.next = q
	}
	if !last {
		return false
	}
	cut := lb.from + bytes.LastIndexByte(buf[lb.from:], '\n') + 1
	switch {
	case cut == len(buf):
	case lr.eof: // the open last line
		lb.counted++
		cut = len(buf)
	case len(buf)-cut > lr.max+1:
		lr.skipping = true
		lr.n = cut
	}
	if lb.counted == 0 && !lr.eof {
		return false
	}
	lb.take(lr, cut)
	return true
}

// take ends the batch at cut.
func (lb *lineBatch) take(lr *lineReader, cut int) {
	lb.cut, lr.pos = cut, cut
	lb.n = lb.pre + lb.counted
	lb.lines = slices.Grow(lb.lines[:lb.pre], lb.counted)[:lb.n]
}

var newline = []byte{'\n'}

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
// malformed; LF and CRLF line ends, a last line without one and a UTF-8
// byte order mark at the start are accepted. With FormatAuto the first non-blank line decides: '{' means JSON
// Lines, a valid CSV header means CSV, anything else JSON Lines (that line
// then being malformed). Memory stays bounded whatever the input size:
// three batches of lines (see StreamOptions.BatchLines), their records and
// results. The workers split, parse and verify one batch and format the
// results of the one before, while the calling goroutine writes the results
// of the one before that and reads the next (counting its line ends, so
// that each worker can find its own lines); it then joins the workers.
// VerifyStream returns the counts per status and the first read,
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
	o.MaxLineBytes = min(o.MaxLineBytes, maxLineLimit)
	if o.BatchLines <= 0 {
		o.BatchLines = max(minBatchLines, linesPerWorker*len(v.workers))
	}
	var sum Summary
	st := v.takeStream(r, w, o.MaxLineBytes, min(max(minBatchBytes, bytesPerWorker*len(v.workers)), maxBatchBytes))
	defer v.putStream(st)
	st.format = o.Format
	// Three slots take turns: in round i the workers verify the batch in
	// slot i%3 and format the results of the one in slot (i+2)%3 (verified
	// in round i-1), while this goroutine writes the formatted results in
	// slot (i+1)%3 (round i-2's batch) and reads the next batch into it.
	slot := func(i int) *streamSlot { return &st.slots[i%3] }
	eof, readErr := st.cut(slot(0), o.BatchLines)
	var err error
	verified, formatted := false, false // slot(i+2), slot(i+1) hold such results
	i := 0
	for readErr == nil && slot(i).lb.n > 0 {
		if err = ctx.Err(); err != nil {
			break
		}
		cur := slot(i)
		records, results := cur.grow(cur.lb.n, o.BatchLines)
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
				slot(i + 1).lb.reset(0)
			} else {
				eof, readErr = st.cut(slot(i+1), o.BatchLines)
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

// chunks returns the number of format chunks of s's batch.
func (s *streamSlot) chunks() int {
	return (s.lb.n + chunkRecords - 1) / chunkRecords
}

// formatChunk formats the results of lines c*chunkRecords.. of s's batch
// (at most chunkRecords) as JSON Lines into s.out[c] and counts them in
// s.counts[c]. Workers run it on the batch verified the round before.
func (s *streamSlot) formatChunk(c int) {
	lo := c * chunkRecords
	hi := min(lo+chunkRecords, s.lb.n)
	out := s.out[c][:0]
	var n Summary
	for i := lo; i < hi; i++ {
		if i == s.lb.header {
			continue
		}
		res := &s.results[i]
		out = AppendResultJSON(out, s.lb.first+int64(i), res)
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
	n.Lines = n.OK + n.Mismatch + n.UnknownKey + n.Malformed
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
	st.lr = lineReader{r: r, max: max, batch: batch, piece: pieceBytes}
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
		s.lb.reset(0)
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
