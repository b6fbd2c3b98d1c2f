package sql

import (
	"fmt"
	"strings"
)

// tokKind classifies a token.
type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokQuoted // a backquoted identifier
	tokNumber
	tokString
	tokOp
)

// token is one lexical unit with its 1-based line and column.
type token struct {
	kind      tokKind
	text      string // identifiers as written; string literals unescaped
	line, col int
}

// pos is where a token or an expression starts.
type pos struct{ line, col int }

func (p pos) String() string { return fmt.Sprintf("line %d:%d", p.line, p.col) }

// Error is a syntax or binding error of a query: where it is and what is wrong.
type Error struct {
	Line, Col int
	Msg       string
}

// Error renders the error as sql: line L:C: message.
func (e *Error) Error() string { return fmt.Sprintf("sql: line %d:%d: %s", e.Line, e.Col, e.Msg) }

func errAt(p pos, format string, args ...any) error {
	return &Error{Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)}
}

// lex splits a query into tokens; -- and /* */ comments are skipped.
func lex(src string) ([]token, error) {
	var toks []token
	line, col := 1, 1
	i := 0
	adv := func(n int) {
		for k := 0; k < n && i < len(src); k++ {
			if src[i] == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
			i++
		}
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			adv(1)
		case strings.HasPrefix(src[i:], "--"):
			for i < len(src) && src[i] != '\n' {
				adv(1)
			}
		case strings.HasPrefix(src[i:], "/*"):
			p := pos{line, col}
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, errAt(p, "unterminated comment")
			}
			adv(end + 4)
		case isIdentStart(c):
			j := i
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks = append(toks, token{kind: tokIdent, text: src[i:j], line: line, col: col})
			adv(j - i)
		case isDigit(c) || c == '.' && i+1 < len(src) && isDigit(src[i+1]):
			j := numberEnd(src, i)
			toks = append(toks, token{kind: tokNumber, text: src[i:j], line: line, col: col})
			adv(j - i)
		case c == '\'' || c == '"' || c == '`':
			t, n, err := lexQuoted(src[i:], pos{line, col})
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: t.kind, text: t.text, line: line, col: col})
			adv(n)
		default:
			op, ok := operatorAt(src[i:])
			if !ok {
				return nil, errAt(pos{line, col}, "unexpected character %q", c)
			}
			toks = append(toks, token{kind: tokOp, text: op, line: line, col: col})
			adv(len(op))
		}
	}
	return append(toks, token{kind: tokEOF, line: line, col: col}), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// numberEnd returns the end of the number starting at src[i]: digits and points, then
// an optional exponent (e, an optional sign, digits), left out when no digit follows.
func numberEnd(src string, i int) int {
	j := i
	for j < len(src) && (isDigit(src[j]) || src[j] == '.') {
		j++
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && isDigit(src[k]) {
			for j = k; j < len(src) && isDigit(src[j]); j++ {
			}
		}
	}
	return j
}

// operatorAt returns the operator s starts with, two-character ones first.
func operatorAt(s string) (string, bool) {
	for _, two := range []string{"<=", ">=", "<>", "!=", "||", "=="} {
		if strings.HasPrefix(s, two) {
			return two, true
		}
	}
	if strings.ContainsRune("+-*/%=<>(),.;|!", rune(s[0])) {
		return s[:1], true
	}
	return "", false
}

// lexQuoted reads a 'string', a "string" (Spark reads double quotes as a string) or a
// `quoted identifier`; a doubled quote stands for itself. It returns the bytes used.
func lexQuoted(s string, p pos) (token, int, error) {
	q := s[0]
	var b strings.Builder
	for j := 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				b.WriteByte(q)
				j++
				continue
			}
			kind := tokString
			if q == '`' {
				kind = tokQuoted
			}
			return token{kind: kind, text: b.String()}, j + 1, nil
		}
		if s[j] == '\\' && q != '`' && j+1 < len(s) {
			j++
			switch s[j] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[j])
			}
			continue
		}
		b.WriteByte(s[j])
	}
	if q == '`' {
		return token{}, 0, errAt(p, "unterminated quoted identifier")
	}
	return token{}, 0, errAt(p, "unterminated string literal")
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
