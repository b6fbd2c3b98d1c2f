package datasource

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonMaxDepth bounds the nesting of arrays and objects in a line: the scanner recurses,
// and a line of a million '[' must be an error, not a stack the size of the line.
const jsonMaxDepth = 1000

// jsonPlain marks the bytes a string holds as they are: anything but the quote, the
// backslash, control characters (which JSON forbids unescaped) and non-ASCII bytes (whose
// UTF-8 is checked).
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// jsonScan is a cursor over one line of JSON text. Its methods check RFC 8259's syntax as
// they go and return false at the first error, recording where it is and what was wrong;
// nothing is allocated unless a string has escapes (decoded into arena, reused line after
// line) or an error is described.
type jsonScan struct {
	b     []byte
	pos   int
	arena []byte
	// errPos and errMsg describe the first error of the line; errMsg is "" while there
	// is none.
	errPos int
	errMsg string
	// The last string str returned: bytes [strOff, strEnd) of the line, or of the arena.
	strOff, strEnd int
	strArena       bool
}

// lastStr locates the last string str returned, for a value kept until the line is
// flushed. Offsets rather than a slice keep jsonPend free of pointers (appending it then
// costs no write barrier) and stay right when the arena grows.
func (s *jsonScan) lastStr() jsonPend {
	return jsonPend{arena: s.strArena, off: s.strOff, end: s.strEnd}
}

// bytesOf returns the text p locates.
func (s *jsonScan) bytesOf(p jsonPend) []byte {
	if p.arena {
		return s.arena[p.off:p.end]
	}
	return s.b[p.off:p.end]
}

func (s *jsonScan) reset(line []byte) {
	s.b, s.pos, s.arena, s.errPos, s.errMsg = line, 0, s.arena[:0], 0, ""
}

func (s *jsonScan) fail(pos int, msg string) bool {
	if s.errMsg == "" {
		s.errPos, s.errMsg = pos, msg
	}
	return false
}

// peek skips blanks and returns the next byte, or 0 at the end of the line.
func (s *jsonScan) peek() byte {
	for s.pos < len(s.b) {
		switch c := s.b[s.pos]; c {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return c
		}
	}
	return 0
}

// atEnd reports whether only blanks are left.
func (s *jsonScan) atEnd() bool {
	s.peek()
	return s.pos >= len(s.b)
}

// unexpected fails at the current byte, saying what the scanner was doing.
func (s *jsonScan) unexpected(doing string) bool {
	if s.pos >= len(s.b) {
		return s.fail(s.pos, "unexpected end of line "+doing)
	}
	c := s.b[s.pos]
	if c < 0x20 || c >= 0x7f {
		return s.fail(s.pos, fmt.Sprintf("invalid byte 0x%02x %s", c, doing))
	}
	return s.fail(s.pos, fmt.Sprintf("invalid character %q %s", rune(c), doing))
}

// lit consumes the literal word (true, false, null).
func (s *jsonScan) lit(word string) bool {
	if bytes.HasPrefix(s.b[s.pos:], []byte(word)) {
		s.pos += len(word)
		return true
	}
	return s.unexpected("looking for value")
}

// str scans the string at s.pos (its opening quote) and returns its decoded bytes: a view
// of the line, or of the arena when it has escapes. The text must be valid UTF-8 (RFC 8259
// §8.1): the reader's string columns hold nothing else.
func (s *jsonScan) str() ([]byte, bool) {
	start := s.pos + 1
	ascii := true
	for i := start; ; {
		for i < len(s.b) && jsonPlain[s.b[i]] {
			i++
		}
		if i >= len(s.b) {
			return nil, s.fail(start-1, "unterminated string")
		}
		switch c := s.b[i]; {
		case c == '"':
			v := s.b[start:i]
			if !ascii && !utf8.Valid(v) {
				return nil, s.badUTF8(start)
			}
			s.pos = i + 1
			s.strOff, s.strEnd, s.strArena = start, i, false
			return v, true
		case c == '\\':
			if !ascii && !utf8.Valid(s.b[start:i]) {
				return nil, s.badUTF8(start)
			}
			return s.unescape(start, i)
		case c < 0x20:
			return nil, s.fail(i, "control character in string")
		default:
			ascii = false
			i++
		}
	}
}

// unescape decodes the rest of a string that has an escape at i, its text starting at
// start, into the arena. Views of earlier strings stay valid when the arena grows: the old
// array is left as it was.
func (s *jsonScan) unescape(start, i int) ([]byte, bool) {
	a0 := len(s.arena)
	s.arena = append(s.arena, s.b[start:i]...)
	run := i // start of the bytes not yet copied
	for i < len(s.b) {
		c := s.b[i]
		switch {
		case c == '"' || c == '\\':
			seg := s.b[run:i]
			if !utf8.Valid(seg) {
				return nil, s.badUTF8(run)
			}
			s.arena = append(s.arena, seg...)
			if c == '"' {
				s.pos = i + 1
				s.strOff, s.strEnd, s.strArena = a0, len(s.arena), true
				return s.arena[a0:], true
			}
			n, ok := s.escape(i)
			if !ok {
				return nil, false
			}
			i += n
			run = i
		case c < 0x20:
			return nil, s.fail(i, "control character in string")
		default:
			i++
		}
	}
	return nil, s.fail(start-1, "unterminated string")
}

// escape decodes the escape sequence at i (a backslash) onto the arena and returns its
// length. A lone UTF-16 surrogate becomes U+FFFD, as encoding/json decodes it.
func (s *jsonScan) escape(i int) (int, bool) {
	if i+1 >= len(s.b) {
		return 0, s.fail(i, "unterminated string")
	}
	switch c := s.b[i+1]; c {
	case '"', '\\', '/':
		s.arena = append(s.arena, c)
	case 'b':
		s.arena = append(s.arena, '\b')
	case 'f':
		s.arena = append(s.arena, '\f')
	case 'n':
		s.arena = append(s.arena, '\n')
	case 'r':
		s.arena = append(s.arena, '\r')
	case 't':
		s.arena = append(s.arena, '\t')
	case 'u':
		r, ok := hex4(s.b[i+2:])
		if !ok {
			return 0, s.fail(i, "invalid \\u escape in string")
		}
		if utf16.IsSurrogate(r) {
			if len(s.b) >= i+12 && s.b[i+6] == '\\' && s.b[i+7] == 'u' {
				if r2, ok := hex4(s.b[i+8:]); ok {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						s.arena = utf8.AppendRune(s.arena, d)
						return 12, true
					}
				}
			}
			r = utf8.RuneError
		}
		s.arena = utf8.AppendRune(s.arena, r)
		return 6, true
	default:
		return 0, s.fail(i, fmt.Sprintf("invalid escape \\%c in string", rune(c)))
	}
	return 2, true
}

// badUTF8 fails at the first byte from i that is not valid UTF-8.
func (s *jsonScan) badUTF8(i int) bool {
	for i < len(s.b) {
		r, n := utf8.DecodeRune(s.b[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	return s.fail(i, "invalid UTF-8 in string")
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// num scans the number at s.pos; integral says it has neither fraction nor exponent.
func (s *jsonScan) num() (v []byte, integral, ok bool) {
	b, i := s.b, s.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() bool {
		j := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		return i > j
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return nil, false, s.fail(s.pos, "invalid number")
	}
	integral = true
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, false, s.fail(s.pos, "invalid number")
		}
		integral = false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false, s.fail(s.pos, "invalid number")
		}
		integral = false
	}
	v, s.pos = b[s.pos:i], i
	return v, integral, true
}

// member reads the next member's key and colon of an object whose '{' was consumed; first
// says no member was read yet. end says the object closed instead.
func (s *jsonScan) member(first bool) (key []byte, end, ok bool) {
	c := s.peek()
	switch {
	case c == '}' && first:
		s.pos++
		return nil, true, true
	case first:
	case c == ',':
		s.pos++
		c = s.peek()
	case c == '}':
		s.pos++
		return nil, true, true
	default:
		return nil, false, s.unexpected("after object key:value pair")
	}
	if c != '"' {
		return nil, false, s.unexpected("looking for beginning of object key string")
	}
	if key, ok = s.str(); !ok {
		return nil, false, false
	}
	if s.peek() != ':' {
		return nil, false, s.unexpected("after object key")
	}
	s.pos++
	return key, false, true
}

// element moves to the next element of an array whose '[' was consumed; end says the
// array closed instead.
func (s *jsonScan) element(first bool) (end, ok bool) {
	c := s.peek()
	switch {
	case c == ']' && first:
	case first:
		return false, true
	case c == ',':
		s.pos++
		return false, true
	case c != ']':
		return false, s.unexpected("after array element")
	}
	s.pos++
	return true, true
}

// skip checks and passes over the value at s.pos.
func (s *jsonScan) skip(depth int) bool {
	switch c := s.peek(); {
	case c == '{':
		if depth >= jsonMaxDepth {
			return s.fail(s.pos, "nested too deeply")
		}
		s.pos++
		for first := true; ; first = false {
			_, end, ok := s.member(first)
			if !ok {
				return false
			}
			if end {
				return true
			}
			if !s.skip(depth + 1) {
				return false
			}
		}
	case c == '[':
		if depth >= jsonMaxDepth {
			return s.fail(s.pos, "nested too deeply")
		}
		s.pos++
		for first := true; ; first = false {
			end, ok := s.element(first)
			if !ok {
				return false
			}
			if end {
				return true
			}
			if !s.skip(depth + 1) {
				return false
			}
		}
	case c == '"':
		_, ok := s.str()
		return ok
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || isDigit(c):
		_, _, ok := s.num()
		return ok
	}
	return s.unexpected("looking for value")
}
