package javafmt

// Parsing a format string into pieces, with the checks Java's Formatter makes before
// it sees the arguments.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse parses format, checking what Java checks before seeing the arguments: known
// conversions, flags that fit the conversion, a width where '-' or '0' asks for one,
// no precision for %d %x %o %c %%.
func Parse(format string) (*Format, error) {
	f := &Format{}
	args := argBinder{ordinary: 0, last: -1}
	for i := 0; i < len(format); {
		k := strings.IndexByte(format[i:], '%')
		if k < 0 {
			f.pieces = append(f.pieces, piece{lit: format[i:]})
			break
		}
		if k > 0 {
			f.pieces = append(f.pieces, piece{lit: format[i : i+k]})
		}
		p, spec, next, err := parseSpec(format, i+k)
		if err != nil {
			return nil, err
		}
		i = next
		if err := args.bind(&p, spec); err != nil {
			return nil, err
		}
		if p.arg >= 0 {
			f.nargs = max(f.nargs, p.arg+1)
		}
		f.pieces = append(f.pieces, p)
	}
	return f, nil
}

// parseSpec parses the format specifier starting at format[start] ('%'): argument
// index, flags, width, precision and conversion, in Java's order. It returns the piece
// (its arg still -2 for none given, -3 for '<'), the specifier's text and the index
// just past it.
func parseSpec(format string, start int) (p piece, spec string, next int, err error) {
	p = piece{width: -1, prec: -1, arg: -2}
	j, err := p.parseIndex(format, start, start+1)
	if err != nil {
		return p, "", 0, err
	}
	if j, err = p.parseFlags(format, start, j); err != nil {
		return p, "", 0, err
	}
	if j, err = p.parseWidth(format, start, j); err != nil {
		return p, "", 0, err
	}
	if j, err = p.parsePrecision(format, start, j); err != nil {
		return p, "", 0, err
	}
	if j >= len(format) {
		return p, "", 0, fmt.Errorf("format ends inside the specifier %q", format[start:])
	}
	c, size := utf8.DecodeRuneInString(format[j:])
	spec = format[start : j+size]
	switch c {
	case 's', 'd', 'x', 'o', 'f', 'e', 'c', 'b', '%', 'n':
		p.conv = byte(c)
	case 'S', 'X', 'E', 'C', 'B':
		p.conv = byte(c) + ('a' - 'A')
		p.upper = true
	default:
		return p, "", 0, fmt.Errorf("unsupported conversion %q (supported: %%s %%S %%d %%x %%X %%o %%f %%e %%E %%c %%C %%b %%B %%%% %%n)", spec)
	}
	if err := p.check(); err != nil {
		return p, "", 0, fmt.Errorf("%q: %w", spec, err)
	}
	return p, spec, j + size, nil
}

// digitsEnd is the index of the first non-digit of format at or after j.
func digitsEnd(format string, j int) int {
	for j < len(format) && format[j] >= '0' && format[j] <= '9' {
		j++
	}
	return j
}

// parseIndex parses an explicit argument index at format[j] (digits followed by '$')
// into p.arg and returns the index past it (j when there is none).
func (p *piece) parseIndex(format string, start, j int) (int, error) {
	d := digitsEnd(format, j)
	if d > j && d < len(format) && format[d] == '$' {
		n, err := strconv.Atoi(format[j:d])
		if err != nil || n < 1 {
			return 0, fmt.Errorf("invalid argument index in %q", format[start:d+1])
		}
		p.arg = n - 1
		return d + 1, nil
	}
	return j, nil
}

// parseFlags parses the flags at format[j] into p.flags ('<' into p.arg), rejecting a
// repeated one, and returns the index past them.
func (p *piece) parseFlags(format string, start, j int) (int, error) {
	for ; j < len(format); j++ {
		var fl int
		switch format[j] {
		case '-':
			fl = fMinus
		case '+':
			fl = fPlus
		case ' ':
			fl = fSpace
		case '0':
			fl = fZero
		case ',':
			fl = fComma
		case '(':
			fl = fParen
		case '#':
			fl = fSharp
		case '<':
			if p.arg != -2 {
				return 0, fmt.Errorf("duplicate argument index in %q", format[start:j+1])
			}
			p.arg = -3
			continue
		}
		if fl == 0 {
			break
		}
		if p.flags&fl != 0 {
			return 0, fmt.Errorf("duplicate flag %q in %q", format[j], format[start:j+1])
		}
		p.flags |= fl
	}
	return j, nil
}

// parseWidth parses a width at format[j] into p.width and returns the index past it.
func (p *piece) parseWidth(format string, start, j int) (int, error) {
	d := digitsEnd(format, j)
	if d == j {
		return j, nil
	}
	n, err := strconv.Atoi(format[j:d])
	if err != nil || n > 1<<20 {
		return 0, fmt.Errorf("width too large in %q", format[start:d])
	}
	p.width = n
	return d, nil
}

// parsePrecision parses a precision ('.' and digits) at format[j] into p.prec and
// returns the index past it.
func (p *piece) parsePrecision(format string, start, j int) (int, error) {
	if j >= len(format) || format[j] != '.' {
		return j, nil
	}
	d := digitsEnd(format, j+1)
	if d == j+1 {
		return 0, fmt.Errorf("missing precision in %q", format[start:d])
	}
	n, err := strconv.Atoi(format[j+1 : d])
	if err != nil || n > 1<<20 {
		return 0, fmt.Errorf("precision too large in %q", format[start:d])
	}
	p.prec = n
	return d, nil
}

// argBinder numbers the arguments of a format's conversions as Java does: ordinary is
// the next argument of a conversion without an index, last the previous conversion's
// (-1 before any).
type argBinder struct {
	ordinary, last int
}

// bind sets p.arg to its 0-based argument (-1 for %% and %n, which take none).
func (a *argBinder) bind(p *piece, spec string) error {
	switch {
	case p.conv == '%' || p.conv == 'n':
		p.arg = -1
	case p.arg == -3:
		if a.last < 0 {
			return fmt.Errorf("%q: '<' with no previous argument", spec)
		}
		p.arg = a.last
	case p.arg == -2:
		p.arg = a.ordinary
		a.ordinary++
	}
	if p.arg >= 0 {
		a.last = p.arg
	}
	return nil
}

// check applies Java's checks of flags, width and precision for the conversion.
func (p *piece) check() error {
	bad := func(mask int) error {
		if p.flags&mask != 0 {
			return errors.New("a flag that does not fit the conversion")
		}
		return nil
	}
	needWidth := func() error {
		if p.flags&(fMinus|fZero) != 0 && p.width < 0 {
			return errors.New("'-' or '0' without a width")
		}
		return nil
	}
	switch p.conv {
	case 'n':
		if p.flags != 0 || p.width >= 0 || p.prec >= 0 {
			return errors.New("%n takes no flags, width or precision")
		}
		return nil
	case '%':
		if p.prec >= 0 {
			return errors.New("%% takes no precision")
		}
		if err := bad(^fMinus); err != nil {
			return err
		}
		return needWidth()
	case 's', 'b':
		if err := bad(fPlus | fSpace | fZero | fComma | fParen | fSharp); err != nil {
			return err
		}
		return needWidth()
	case 'c':
		if p.prec >= 0 {
			return errors.New("%c takes no precision")
		}
		if err := bad(fPlus | fSpace | fZero | fComma | fParen | fSharp); err != nil {
			return err
		}
		return needWidth()
	}
	// numeric: d x o f e
	if p.flags&fMinus != 0 && p.flags&fZero != 0 {
		return errors.New("both '-' and '0'")
	}
	if p.flags&fPlus != 0 && p.flags&fSpace != 0 {
		return errors.New("both '+' and ' '")
	}
	if err := needWidth(); err != nil {
		return err
	}
	switch p.conv {
	case 'd':
		if p.prec >= 0 {
			return errors.New("%d takes no precision")
		}
		return bad(fSharp)
	case 'x', 'o':
		if p.prec >= 0 {
			return errors.New("no precision for an integer")
		}
		// Java allows '+', ' ' and '(' for BigInteger only; bigint is a Long.
		return bad(fComma | fPlus | fSpace | fParen)
	case 'e':
		return bad(fComma)
	}
	return nil
}
