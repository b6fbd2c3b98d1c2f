// Package javafmt formats values as java.util.Formatter does (Locale.US), the subset
// Spark's format_string (printf) needs: the conversions %s %S %d %x %X %o %f %e %E %c
// %C %b %B %% %n, the flags '-' '+' ' ' '0' ',' '(' '#', width and precision, and the
// argument indexes n$ and '<'. Arguments are int64, float64, strings, booleans or NULL
// (Spark's bigint, double, string, boolean). Floating-point conversions round the
// shortest decimal that reads back as the value half up, as Java's Formatter does (so
// %.2f of 2.675 is 2.68, and %.20f of 0.1 ends in zeros).
package javafmt

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// Kind is the type of an argument.
type Kind uint8

// The argument kinds.
const (
	Null Kind = iota
	Int
	Float
	String
	Bool
)

// String names the kind as Spark names the type.
func (k Kind) String() string {
	return [...]string{"NULL", "bigint", "double", "string", "boolean"}[k]
}

// Value is one argument: Kind says which field holds it.
type Value struct {
	Kind Kind
	I    int64
	F    float64
	S    []byte
	B    bool
}

const (
	fMinus = 1 << iota
	fPlus
	fSpace
	fZero
	fComma
	fParen
	fSharp
)

// piece is literal text (conv 0) or one conversion.
type piece struct {
	lit   string
	conv  byte // s d x o f e c b % n, lower case
	upper bool
	arg   int // 0-based argument index
	flags int
	width int // -1 when absent
	prec  int // -1 when absent
}

// Format is a parsed format string.
type Format struct {
	pieces []piece
	nargs  int // the arguments the format reads: the highest index + 1
}

// NumArgs is the number of arguments the format reads.
func (f *Format) NumArgs() int { return f.nargs }

// Check reports an error when the format does not fit arguments of the kinds given
// (as Java's Formatter would throw): a missing argument, or a conversion that does not
// take the argument's type. NULL fits every conversion.
func (f *Format) Check(kinds []Kind) error {
	for _, p := range f.pieces {
		if p.conv == 0 || p.arg < 0 {
			continue
		}
		if p.arg >= len(kinds) {
			return fmt.Errorf("%s: no argument %d", p.spec(), p.arg+1)
		}
		if !p.fits(kinds[p.arg]) {
			return fmt.Errorf("%s cannot format a %s (argument %d)", p.spec(), kinds[p.arg], p.arg+1)
		}
	}
	return nil
}

func (p *piece) fits(k Kind) bool {
	switch p.conv {
	case 'd', 'x', 'o', 'c':
		return k == Int || k == Null
	case 'f', 'e':
		return k == Float || k == Null
	}
	return true
}

// spec is a short description of the conversion, for errors.
func (p *piece) spec() string {
	c := p.conv
	if p.upper {
		c -= 'a' - 'A'
	}
	return "%" + string(c)
}

// upper upper-cases b in place when it is ASCII, else with Java's full case mapping
// into a new slice.
func upper(b []byte) []byte {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return cases.Upper(language.Und).Bytes(b)
		}
	}
	for k, c := range b {
		if c >= 'a' && c <= 'z' {
			b[k] = c - ('a' - 'A')
		}
	}
	return b
}

// Append appends the formatted args to dst. scratch is a buffer Append may reuse
// between calls (pass the one it returns); neither is kept.
func (f *Format) Append(dst, scratch []byte, args []Value) ([]byte, []byte, error) {
	for i := range f.pieces {
		p := &f.pieces[i]
		switch {
		case p.conv == 0:
			dst = append(dst, p.lit...)
			continue
		case p.conv == 'n':
			dst = append(dst, '\n')
			continue
		case p.conv == '%':
			dst = justify(dst, []byte{'%'}, p)
			continue
		}
		if p.arg >= len(args) {
			return dst, scratch, fmt.Errorf("%s: no argument %d", p.spec(), p.arg+1)
		}
		v := args[p.arg]
		if !p.fits(v.Kind) {
			return dst, scratch, fmt.Errorf("%s cannot format a %s (argument %d)", p.spec(), v.Kind, p.arg+1)
		}
		body := scratch[:0]
		switch {
		case v.Kind == Null && p.conv == 'b':
			body = append(body, "false"...)
			body = precision(body, p.prec)
		case v.Kind == Null:
			body = append(body, "null"...)
			body = precision(body, p.prec)
		case p.conv == 's':
			body = appendString(body, v)
			body = precision(body, p.prec)
		case p.conv == 'b':
			if v.Kind == Bool {
				body = strconv.AppendBool(body, v.B)
			} else {
				body = append(body, "true"...)
			}
			body = precision(body, p.prec)
		case p.conv == 'c':
			if v.I < 0 || v.I > utf8.MaxRune || (v.I >= 0xD800 && v.I <= 0xDFFF) {
				return dst, scratch, fmt.Errorf("%s: invalid code point %d", p.spec(), v.I)
			}
			body = utf8.AppendRune(body, rune(v.I))
		case p.conv == 'd':
			body = appendDecimal(body, v.I, p)
		case p.conv == 'x' || p.conv == 'o':
			body = appendRadix(body, v.I, p)
		default: // f, e
			body = appendFloat(body, v.F, p)
		}
		if p.upper {
			body = upper(body)
		}
		dst = justify(dst, body, p)
		scratch = body
	}
	return dst, scratch, nil
}

// appendString is Java's toString of the argument.
func appendString(b []byte, v Value) []byte {
	switch v.Kind {
	case Int:
		return strconv.AppendInt(b, v.I, 10)
	case Float:
		return AppendJavaDouble(b, v.F)
	case Bool:
		return strconv.AppendBool(b, v.B)
	}
	return append(b, v.S...)
}

// precision truncates b to prec characters (code points); prec < 0 keeps it.
func precision(b []byte, prec int) []byte {
	if prec < 0 {
		return b
	}
	n := 0
	for k := range string(b) {
		if n == prec {
			return b[:k]
		}
		n++
	}
	return b
}

// justify appends body padded with spaces to the width (left-justified with '-').
func justify(dst, body []byte, p *piece) []byte {
	pad := p.width - utf8.RuneCount(body)
	if pad <= 0 {
		return append(dst, body...)
	}
	if p.flags&fMinus != 0 {
		dst = append(dst, body...)
		return appendRepeat(dst, ' ', pad)
	}
	dst = appendRepeat(dst, ' ', pad)
	return append(dst, body...)
}

func appendRepeat(b []byte, c byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, c)
	}
	return b
}

// leadingSign and trailingSign are Java's: '-' or '(' for a negative value, '+' or
// ' ' for a positive one when asked.
func leadingSign(b []byte, neg bool, flags int) []byte {
	switch {
	case neg && flags&fParen != 0:
		return append(b, '(')
	case neg:
		return append(b, '-')
	case flags&fPlus != 0:
		return append(b, '+')
	case flags&fSpace != 0:
		return append(b, ' ')
	}
	return b
}

func trailingSign(b []byte, neg bool, flags int) []byte {
	if neg && flags&fParen != 0 {
		return append(b, ')')
	}
	return b
}

// magnitude appends the digits (and an optional fraction after '.'), grouping the
// integer part by ',' when asked (Java's localizedMagnitude, Locale.US).
func magnitude(b []byte, digits []byte, flags int) []byte {
	dot := len(digits)
	for k, c := range digits {
		if c == '.' {
			dot = k
			break
		}
	}
	for k, c := range digits {
		b = append(b, c)
		if flags&fComma != 0 && k < dot-1 && (dot-k)%3 == 1 {
			b = append(b, ',')
		}
	}
	return b
}

func appendDecimal(b []byte, v int64, p *piece) []byte {
	neg := v < 0
	b = leadingSign(b, neg, p.flags)
	var tmp [24]byte
	digits := strconv.AppendUint(tmp[:0], absU(v), 10)
	w := p.width
	if w >= 0 && neg && p.flags&fParen != 0 {
		w--
	}
	b = magnitudeFrom(b, digits, p.flags, w)
	return trailingSign(b, neg, p.flags)
}

// magnitudeFrom writes digits after the sign already in b and, with the '0' flag,
// inserts zeros after the sign until b (sign included) is width long.
func magnitudeFrom(b []byte, digits []byte, flags, width int) []byte {
	signEnd := len(b)
	b = magnitude(b, digits, flags)
	if width >= 0 && flags&fZero != 0 && len(b) < width {
		n := width - len(b)
		b = appendRepeat(b, '0', n)
		copy(b[signEnd+n:], b[signEnd:len(b)-n])
		for k := signEnd; k < signEnd+n; k++ {
			b[k] = '0'
		}
	}
	return b
}

func absU(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1
	}
	return uint64(v)
}

func appendRadix(b []byte, v int64, p *piece) []byte {
	base := 16
	prefix := "0x"
	if p.conv == 'o' {
		base, prefix = 8, "0"
	}
	var tmp [24]byte
	s := strconv.AppendUint(tmp[:0], uint64(v), base)
	n := len(s)
	if p.flags&fSharp != 0 {
		b = append(b, prefix...)
		n += len(prefix)
	}
	if p.flags&fZero != 0 && p.width > n {
		b = appendRepeat(b, '0', p.width-n)
	}
	return append(b, s...)
}

// appendFloat is Java's %f and %e of a double.
func appendFloat(b []byte, v float64, p *piece) []byte {
	if math.IsNaN(v) {
		return append(b, "NaN"...)
	}
	neg := v < 0 || (v == 0 && math.Signbit(v))
	b = leadingSign(b, neg, p.flags)
	a := math.Abs(v)
	if math.IsInf(a, 1) {
		b = append(b, "Infinity"...)
		return trailingSign(b, neg, p.flags)
	}
	prec := p.prec
	if prec < 0 {
		prec = 6
	}
	var tmp [64]byte
	digits, exp := shortest(tmp[:0], a)
	w := p.width
	var mant []byte
	var mtmp [96]byte
	if p.conv == 'f' {
		mant = fixed(mtmp[:0], digits, exp, prec)
	} else {
		var e10 int
		mant, e10 = scientific(mtmp[:0], digits, exp, prec)
		if a == 0 {
			e10 = 0
		}
		if prec == 0 && p.flags&fSharp != 0 {
			mant = append(mant, '.')
		}
		var etmp [8]byte
		es := etmp[:0]
		if e10 < 0 {
			es = append(es, '-')
			e10 = -e10
		} else {
			es = append(es, '+')
		}
		if e10 < 10 {
			es = append(es, '0')
		}
		es = strconv.AppendInt(es, int64(e10), 10)
		if w >= 0 {
			w -= len(es) + 1
			if neg && p.flags&fParen != 0 {
				w--
			}
		}
		b = magnitudeFrom(b, mant, p.flags, w)
		b = append(b, 'e')
		b = append(b, es...)
		return trailingSign(b, neg, p.flags)
	}
	if prec == 0 && p.flags&fSharp != 0 {
		mant = append(mant, '.')
	}
	if w >= 0 && neg && p.flags&fParen != 0 {
		w--
	}
	b = magnitudeFrom(b, mant, p.flags, w)
	return trailingSign(b, neg, p.flags)
}

// shortest returns the shortest decimal digits of a (a >= 0, finite) that read back as
// a, and the exponent e such that a = 0.d1d2... × 10^e.
func shortest(b []byte, a float64) ([]byte, int) {
	if a == 0 {
		return append(b, '0'), 1
	}
	s := strconv.AppendFloat(b, a, 'e', -1, 64) // d.ddde±xx
	k := 0
	for k < len(s) && s[k] != 'e' {
		k++
	}
	e, _ := strconv.Atoi(string(s[k+1:]))
	digits := s[:0]
	for _, c := range s[:k] {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	return digits, e + 1
}

// roundHalfUp rounds the digit string (value 0.digits × 10^exp) to keep n digits,
// half up; it returns the digits (no longer than n, maybe with a carry making the
// exponent grow) and the exponent.
func roundHalfUp(digits []byte, exp, n int) ([]byte, int) {
	if n < 0 {
		return digits[:0], exp
	}
	if n >= len(digits) {
		return digits, exp
	}
	up := digits[n] >= '5'
	digits = digits[:n]
	if !up {
		return digits, exp
	}
	for k := n - 1; k >= 0; k-- {
		if digits[k] < '9' {
			digits[k]++
			return digits, exp
		}
		digits[k] = '0'
	}
	// all nines: 0.999 → 1.000
	digits = append(digits, 0)
	copy(digits[1:], digits)
	digits[0] = '1'
	return digits[:max(n, 1)], exp + 1
}

// fixed writes digits × 10^exp with prec fraction digits, rounded half up.
func fixed(b, digits []byte, exp, prec int) []byte {
	d, e := roundHalfUp(digits, exp, exp+prec)
	if exp+prec < 0 {
		d, e = d[:0], exp
	}
	// integer part: d[0:e] padded with zeros
	if e <= 0 {
		b = append(b, '0')
	} else {
		for k := 0; k < e; k++ {
			if k < len(d) {
				b = append(b, d[k])
			} else {
				b = append(b, '0')
			}
		}
	}
	if prec == 0 {
		return b
	}
	b = append(b, '.')
	for k := 0; k < prec; k++ {
		pos := e + k // index into d of this fraction digit
		if pos >= 0 && pos < len(d) {
			b = append(b, d[pos])
		} else {
			b = append(b, '0')
		}
	}
	return b
}

// scientific writes d.ddd (prec fraction digits, rounded half up) and returns the
// decimal exponent.
func scientific(b, digits []byte, exp, prec int) ([]byte, int) {
	d, e := roundHalfUp(digits, exp, prec+1)
	b = append(b, d[0])
	if prec > 0 {
		b = append(b, '.')
		for k := 1; k <= prec; k++ {
			if k < len(d) {
				b = append(b, d[k])
			} else {
				b = append(b, '0')
			}
		}
	}
	return b, e - 1
}

// AppendJavaDouble appends Java's Double.toString of v: plain decimal with at least
// one fraction digit for magnitudes in [1e-3, 1e7), else d.dddE[-]n.
func AppendJavaDouble(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "Infinity"...)
	case math.IsInf(v, -1):
		return append(b, "-Infinity"...)
	case v == 0:
		if math.Signbit(v) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var tmp [32]byte
	digits, exp := shortest(tmp[:0], v)
	if v >= 1e-3 && v < 1e7 {
		if exp <= 0 {
			b = append(b, '0', '.')
			b = appendRepeat(b, '0', -exp)
			return append(b, digits...)
		}
		for k := 0; k < exp; k++ {
			if k < len(digits) {
				b = append(b, digits[k])
			} else {
				b = append(b, '0')
			}
		}
		b = append(b, '.')
		if exp >= len(digits) {
			return append(b, '0')
		}
		return append(b, digits[exp:]...)
	}
	b = append(b, digits[0], '.')
	if len(digits) > 1 {
		b = append(b, digits[1:]...)
	} else {
		b = append(b, '0')
	}
	b = append(b, 'E')
	return strconv.AppendInt(b, int64(exp-1), 10)
}
