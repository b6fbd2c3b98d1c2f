package datasource

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// csvRecords reads the records of a CSV file from a line start up to the end of the line
// that holds offset stopAt. It keeps encoding/csv's parsing but bounds what one quoting
// error can take with it, so that no line is lost without being counted:
//
//   - Outside MultiLine mode a record is one line, as Spark reads such files line by line.
//     encoding/csv would read a quoted field on through newlines to its closing quote, so
//     one stray quote could swallow the rest of the split as a single bad record. A record
//     that spans lines is therefore malformed: its first line is parsed alone (giving the
//     fields before the bad one) and reading restarts at the next line.
//   - In MultiLine mode a quoted field may hold newlines, but a quote still open at the end
//     of the input makes its record malformed, and reading restarts at the line after the
//     record's first line instead of ending there.
//
// A restart costs a re-read of one line and a fresh csv.Reader; it happens only on bad
// input. Line numbers in errors are the file's: the newlines before the reader's start are
// counted only when an error is reported.
type csvRecords struct {
	f        io.ReaderAt
	path     string
	opts     CSVOptions
	size     int64 // file size, for telling a quote left open at the end of the input
	stopAt   int64
	start    int64 // file offset of the first byte the csv reader sees
	bom      int64 // bytes of byte order mark skipped at start
	bomOf    *bomReader
	cr       *csvScanner
	lineBase int64 // newlines before start; -1 until needed
	// A point where the newlines before are known, so that counting them again after a
	// restart goes on from there rather than from the start of the file.
	knownOff, knownLines int64

	// The record just returned when it came from parsing a line alone (a restart); its
	// fields' line is then aloneLine.
	alone     bool
	aloneLine int64
}

// newCSVRecords starts reading at file offset start (a line start).
func newCSVRecords(f io.ReaderAt, path string, size int64, opts CSVOptions, start, stopAt int64) *csvRecords {
	r := &csvRecords{f: f, path: path, size: size, opts: opts, stopAt: stopAt}
	r.restart(start)
	return r
}

// restart makes the reader go on from file offset start, a line start.
func (r *csvRecords) restart(start int64) {
	if r.lineBase >= 0 && r.start >= r.knownOff {
		r.knownOff, r.knownLines = r.start, r.lineBase
	}
	r.start, r.bom, r.lineBase = start, 0, -1
	src := io.NewSectionReader(r.f, start, 1<<62)
	sr := &splitReader{r: src, pos: start, stopAt: r.stopAt, done: start > r.stopAt}
	var in io.Reader = sr
	var bom *bomReader
	if start == 0 {
		bom = &bomReader{r: sr}
		in = bom
	}
	if r.cr == nil {
		// A block of csvReadBufferBytes, less for a small file or split.
		want := max(4<<10, min(r.size, r.stopAt+1)-start+1)
		r.cr = newCSVScanner(r.opts, in, int(min(want, int64(csvReadBufferBytes))))
	} else {
		r.cr.reset(in)
	}
	r.bomOf = bom
}

// offset is the file offset where the next record starts (or blank lines before it).
func (r *csvRecords) offset() int64 {
	if r.bomOf != nil {
		r.bom = r.bomOf.skipped
	}
	return r.start + r.bom + r.cr.InputOffset()
}

// next returns the next record. A record that cannot be parsed comes back with malformed
// set: the fields read before the bad one, and an error naming file, line and column. err
// is io.EOF at the end or an I/O error; the fields are valid until the next call.
func (r *csvRecords) next() (rec [][]byte, malformed, err error) {
	r.alone = false
	before := r.offset()
	rec, err = r.cr.Read()
	if err == nil {
		if r.opts.MultiLine || !r.spansLines(rec) {
			return rec, nil, nil
		}
		return r.reparseLine(before, nil)
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		if errors.Is(err, io.EOF) {
			return nil, nil, io.EOF
		}
		return nil, nil, fmt.Errorf("datasource: %s: %w", r.path, err)
	}
	if pe.Line == pe.StartLine {
		return rec, r.syntaxError(pe, ""), nil
	}
	if !r.opts.MultiLine {
		return r.reparseLine(before, pe)
	}
	if errors.Is(pe.Err, csv.ErrQuote) && r.offset() >= min(r.size, r.stopAt+1) {
		// A quote open to the end of the input: report it, then go on after its
		// record's first line.
		malformed = r.syntaxError(pe, "")
		startLine := r.lines() + int64(pe.StartLine)
		_, end, err := r.firstLine(before)
		if err != nil {
			return nil, nil, err
		}
		r.restart(end)
		r.lineBase = startLine
		return rec, malformed, nil
	}
	return rec, r.syntaxError(pe, ""), nil
}

// spansLines reports whether a record read outside MultiLine mode went on past its first
// line: only a quoted field can, and then it holds a newline or a later field starts on a
// later line.
func (r *csvRecords) spansLines(rec [][]byte) bool {
	first, _ := r.cr.FieldPos(0)
	last, _ := r.cr.FieldPos(len(rec) - 1)
	return first != last || bytes.IndexByte(rec[len(rec)-1], '\n') >= 0
}

// reparseLine handles a record that began at offset before and ran on past its first
// line outside MultiLine mode: the first line is parsed alone and reading restarts after it.
func (r *csvRecords) reparseLine(before int64, pe *csv.ParseError) ([][]byte, error, error) {
	line, end, err := r.firstLine(before)
	if err != nil {
		return nil, nil, err
	}
	fileLine := int64(0)
	if pe != nil {
		fileLine = r.lines() + int64(pe.StartLine)
	} else {
		l, _ := r.cr.FieldPos(0)
		fileLine = r.lines() + int64(l)
	}
	r.restart(end)
	r.lineBase = fileLine
	rec, err := newCSVScanner(r.opts, bytes.NewReader(line), max(16, len(line)+1)).Read()
	r.alone, r.aloneLine = true, fileLine
	var lpe *csv.ParseError
	switch {
	case err == nil:
		return rec, nil, nil // LazyQuotes accepts the line alone
	case errors.As(err, &lpe):
		return rec, fmt.Errorf("datasource: %s:%d:%d: %w (a quoted field cannot span lines unless MultiLine is set)",
			r.path, fileLine, lpe.Column, lpe.Err), nil
	}
	return nil, nil, fmt.Errorf("datasource: %s: %w", r.path, err)
}

// firstLine returns the first non-blank line from file offset off (encoding/csv skips
// blank lines before a record), without its line ending, and the offset just past it.
// At the start of the file a byte order mark is not part of the line, as the record
// reader never sees it (bomReader): a file of a mark, a blank line and a record starts
// with that record, not with a line holding the mark.
func (r *csvRecords) firstLine(off int64) ([]byte, int64, error) {
	br := bufio.NewReader(io.NewSectionReader(r.f, off, 1<<62))
	atStart := off == 0
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("datasource: %s: %w", r.path, err)
		}
		off += int64(len(line))
		body := bytes.TrimSuffix(line, []byte{'\n'})
		body = bytes.TrimSuffix(body, []byte{'\r'})
		if atStart {
			body, atStart = bytes.TrimPrefix(body, []byte{0xEF, 0xBB, 0xBF}), false
		}
		if len(body) > 0 || err != nil {
			return body, off, nil
		}
		line = line[:0]
	}
}

// lines is the number of newlines in the file before the reader's start.
func (r *csvRecords) lines() int64 {
	if r.lineBase >= 0 {
		return r.lineBase
	}
	from, base := int64(0), int64(0)
	if r.start >= r.knownOff {
		from, base = r.knownOff, r.knownLines
	}
	r.lineBase = base + countNewlines(r.f, from, r.start)
	return r.lineBase
}

// countNewlines counts the newlines in bytes [from, to) of f.
func countNewlines(f io.ReaderAt, from, to int64) int64 {
	if to <= from {
		return 0
	}
	sr := io.NewSectionReader(f, from, to-from)
	buf := make([]byte, 64<<10)
	var c int64
	for {
		k, err := sr.Read(buf)
		c += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err != nil {
			return c
		}
	}
}

// line is the file line of the record just returned; fieldLine that of one of its fields.
func (r *csvRecords) fieldLine(field int) int64 {
	if r.alone {
		return r.aloneLine
	}
	l, _ := r.cr.FieldPos(field)
	return r.lines() + int64(l)
}

func (r *csvRecords) syntaxError(pe *csv.ParseError, hint string) error {
	base := r.lines()
	if pe.StartLine != pe.Line {
		return fmt.Errorf("datasource: %s:%d:%d: %w (in the record that starts on line %d)%s",
			r.path, base+int64(pe.Line), pe.Column, pe.Err, base+int64(pe.StartLine), hint)
	}
	return fmt.Errorf("datasource: %s:%d:%d: %w%s", r.path, base+int64(pe.Line), pe.Column, pe.Err, hint)
}
