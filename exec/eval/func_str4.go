package eval

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// evInitCap computes Spark's initcap, UTF8String.toLowerCase().toTitleCase(): the
// string is lower-cased with Java's full case mapping (as lower: "İ" gives "i" and
// U+0307, a final capital sigma "ς"), then the first character and every character
// after a space ' ' go through Java's Character.toTitleCase, a one-character mapping
// ("ǆ" gives "ǅ", "ß" and "ﬁ" stay as they are) that leaves characters outside the
// Basic Multilingual Plane as they are (Java sees them as two surrogate chars). ASCII
// rows are mapped byte by byte; the others are lower-cased into a scratch buffer
// reused across the rows of the call.
func evInitCap(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if len(args) != 1 {
		return evValue{}, fmt.Errorf("takes one argument, got %d", len(args))
	}
	return ev.strOver("initcap", args[0], n, func(a arrow.Array) (arrow.Array, error) {
		caser := cases.Lower(language.Und)
		var scratch []byte
		return evStrRows(ev.Mem, a, func(w *evStrWriter, b []byte) {
			if evIsASCII(b) {
				evInitCapASCII(w, b)
				return
			}
			scratch = evCaseRow(&caser, scratch, b)
			evTitleWords(w, scratch)
		})
	})
}

// evInitCapASCII: an ASCII row, lower-cased, with the first letter of each word upper.
func evInitCapASCII(w *evStrWriter, b []byte) {
	w.grow(len(b))
	start := true
	for j, c := range b {
		if start {
			w.data[w.used+j] = evUpperASCII(c)
		} else {
			w.data[w.used+j] = evLowerASCII(c)
		}
		start = c == ' '
	}
	w.used += len(b)
}

// evTitleWords writes the lower-cased b with the first character and each one after a
// space title-cased (Java's Character.toTitleCase on a char: BMP characters only).
func evTitleWords(w *evStrWriter, b []byte) {
	start := true
	for j := 0; j < len(b); {
		r, size := utf8.DecodeRune(b[j:])
		if start && !(r == utf8.RuneError && size == 1) && r <= 0xFFFF {
			w.addRune(unicode.ToTitle(r))
		} else {
			w.add(b[j : j+size])
		}
		start = r == ' '
		j += size
	}
}
