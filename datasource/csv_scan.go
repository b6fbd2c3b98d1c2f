package datasource

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"
)

// csvReadBufferBytes is the block the scanner reads the file in. Tests make it tiny so that
// lines and quoted fields straddle block boundaries.
var csvReadBufferBytes = 1 << 20

// csvScanner splits CSV text into records the way encoding/csv's Reader does (RFC 4180
// with its extensions: LazyQuotes, CRLF read as LF, blank lines skipped, a trailing CR
// before the end dropped, the same *csv.ParseError with the same lines and columns), but
// without allocating per record: the fields it returns are views that the next call
// reuses. The bytes come in large blocks through a bufio.Reader. A line without quotes
// (the common case) is cut in place; a record with quotes is copied once into a record
// buffer, doubled quotes removed, and its fields cut from that.
type csvScanner struct {
	br         *bufio.Reader
	comma      rune
	commaLen   int
	commaByte  byte // comma when it is one byte, else 0
	lazyQuotes bool

	numLine int   // lines read
	offset  int64 // bytes read

	rawBuffer []byte // a line longer than the read buffer
	record    []byte // the current record's unquoted field bytes, end to end
	ends      []int  // the end of each field in record
	positions []csvPos
	fields    [][]byte
}

// csvPos is a field's 1-based line and byte column, as csv.Reader.FieldPos reports them.
type csvPos struct{ line, col int }

func newCSVScanner(opts CSVOptions, in io.Reader, bufBytes int) *csvScanner {
	s := &csvScanner{comma: opts.delimiter(), lazyQuotes: opts.LazyQuotes}
	s.commaLen = utf8.RuneLen(s.comma)
	if s.comma < utf8.RuneSelf {
		s.commaByte = byte(s.comma)
	}
	s.br = bufio.NewReaderSize(in, bufBytes)
	return s
}

// reset makes the scanner read in from its start, keeping its buffers.
func (s *csvScanner) reset(in io.Reader) {
	s.br.Reset(in)
	s.numLine, s.offset = 0, 0
}

// InputOffset is the number of input bytes consumed: where the next record (or the blank
// lines before it) starts.
func (s *csvScanner) InputOffset() int64 { return s.offset }

// FieldPos returns the line and column where field i of the last record starts.
func (s *csvScanner) FieldPos(i int) (line, col int) {
	p := s.positions[i]
	return p.line, p.col
}

// readLine is csv.Reader's readLine: the next line with its LF (CRLF made LF; a CR before
// the end dropped), io.EOF only when no byte is left.
func (s *csvScanner) readLine() ([]byte, error) {
	line, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		s.rawBuffer = append(s.rawBuffer[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = s.br.ReadSlice('\n')
			s.rawBuffer = append(s.rawBuffer, line...)
		}
		line = s.rawBuffer
	}
	n := len(line)
	if n > 0 && errors.Is(err, io.EOF) {
		err = nil
		if line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	s.numLine++
	s.offset += int64(n)
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

var errInvalidDelim = errors.New("csv: invalid field or comment delimiter")

// validDelim is encoding/csv's rule for a delimiter.
func validDelim(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// isComma reports whether b starts with the delimiter.
func (s *csvScanner) isComma(b []byte) bool {
	if s.commaByte != 0 {
		return len(b) > 0 && b[0] == s.commaByte
	}
	r, _ := utf8.DecodeRune(b)
	return r == s.comma
}

func (s *csvScanner) indexComma(b []byte) int {
	if s.commaByte != 0 {
		return bytes.IndexByte(b, s.commaByte)
	}
	return bytes.IndexRune(b, s.comma)
}

// Read returns the next record's fields, valid until the next call. On a *csv.ParseError
// the fields read before the bad one come with it; at the end it returns io.EOF.
func (s *csvScanner) Read() ([][]byte, error) {
	if !validDelim(s.comma) {
		return nil, errInvalidDelim
	}
	var line []byte
	var errRead error
	for errRead == nil {
		line, errRead = s.readLine()
		if errRead == nil && len(line) == lengthNL(line) {
			line = nil
			continue // a blank line
		}
		break
	}
	if errors.Is(errRead, io.EOF) {
		return nil, errRead
	}
	s.record, s.ends, s.positions = s.record[:0], s.ends[:0], s.positions[:0]
	if bytes.IndexByte(line, '"') < 0 {
		// No quote: the fields are the line's bytes between delimiters, used in place.
		return s.splitPlain(line), errRead
	}
	err := s.parseRecord(line, errRead)
	s.fields = s.fields[:0]
	from := 0
	for _, end := range s.ends {
		s.fields = append(s.fields, s.record[from:end:end])
		from = end
	}
	return s.fields, err
}

// splitPlain cuts a line without quotes into fields that are views of it.
func (s *csvScanner) splitPlain(line []byte) [][]byte {
	line = line[:len(line)-lengthNL(line)]
	s.fields = s.fields[:0]
	col := 1
	for {
		i := s.indexComma(line)
		if i < 0 {
			s.fields = append(s.fields, line[:len(line):len(line)])
			s.positions = append(s.positions, csvPos{line: s.numLine, col: col})
			return s.fields
		}
		s.fields = append(s.fields, line[:i:i])
		s.positions = append(s.positions, csvPos{line: s.numLine, col: col})
		line = line[i+s.commaLen:]
		col += i + s.commaLen
	}
}

// parseRecord cuts the record that starts with line into fields (reading further lines
// for a quoted field that holds newlines), as csv.Reader's readRecord does.
func (s *csvScanner) parseRecord(line []byte, errRead error) error {
	recLine := s.numLine
	pos := csvPos{line: s.numLine, col: 1}
	for {
		if len(line) == 0 || line[0] != '"' {
			// An unquoted field.
			i := s.indexComma(line)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if !s.lazyQuotes {
				if j := bytes.IndexByte(field, '"'); j >= 0 {
					return &csv.ParseError{StartLine: recLine, Line: s.numLine, Column: pos.col + j, Err: csv.ErrBareQuote}
				}
			}
			s.record = append(s.record, field...)
			s.ends = append(s.ends, len(s.record))
			s.positions = append(s.positions, pos)
			if i < 0 {
				return errRead
			}
			line = line[i+s.commaLen:]
			pos.col += i + s.commaLen
			continue
		}
		var done bool
		var err error
		line, pos, errRead, done, err = s.quotedField(line, pos, recLine, errRead)
		if done || err != nil {
			if err == nil {
				err = errRead
			}
			return err
		}
	}
}

// quotedField reads a quoted field that starts at line[0]. It returns what follows the
// field and its delimiter, and done when the record ended with it.
func (s *csvScanner) quotedField(line []byte, pos csvPos, recLine int, errRead error) ([]byte, csvPos, error, bool, error) {
	fieldPos := pos
	line = line[1:]
	pos.col++
	for {
		i := bytes.IndexByte(line, '"')
		switch {
		case i >= 0:
			s.record = append(s.record, line[:i]...)
			line = line[i+1:]
			pos.col += i + 1
			switch {
			case len(line) > 0 && line[0] == '"':
				// A doubled quote.
				s.record = append(s.record, '"')
				line = line[1:]
				pos.col++
			case s.isComma(line):
				line = line[s.commaLen:]
				pos.col += s.commaLen
				s.ends = append(s.ends, len(s.record))
				s.positions = append(s.positions, fieldPos)
				return line, pos, errRead, false, nil
			case lengthNL(line) == len(line):
				s.ends = append(s.ends, len(s.record))
				s.positions = append(s.positions, fieldPos)
				return line, pos, errRead, true, nil
			case s.lazyQuotes:
				s.record = append(s.record, '"')
			default:
				return line, pos, errRead, true, &csv.ParseError{StartLine: recLine, Line: s.numLine, Column: pos.col - 1, Err: csv.ErrQuote}
			}
		case len(line) > 0:
			// The field goes on past the end of the line.
			s.record = append(s.record, line...)
			if errRead != nil {
				return line, pos, errRead, true, nil
			}
			pos.col += len(line)
			line, errRead = s.readLine()
			if len(line) > 0 {
				pos.line++
				pos.col = 1
			}
			if errors.Is(errRead, io.EOF) {
				errRead = nil
			}
		default:
			// The end of the input inside the field.
			if !s.lazyQuotes && errRead == nil {
				return line, pos, errRead, true, &csv.ParseError{StartLine: recLine, Line: pos.line, Column: pos.col, Err: csv.ErrQuote}
			}
			s.ends = append(s.ends, len(s.record))
			s.positions = append(s.positions, fieldPos)
			return line, pos, errRead, true, nil
		}
	}
}
