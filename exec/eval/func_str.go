package eval

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/internal/kernel"
)

// The strings family: like, ilike, rlike, concat, concat_ws, trim, ltrim, rtrim,
// replace, regexp_replace, regexp_extract, lpad, rpad, reverse, initcap, instr, locate.
// When patterns and the other arguments are literals, they are compiled once per batch
// and a dictionary-encoded string is computed once per dictionary value, the results
// gathered by index (string results come out as plain utf8). When one of them is a
// column, the function is computed row by row (func_str3.go), each distinct pattern
// compiled once per batch.

func init() {
	register(map[string]function{
		"like":           {apply: evLikeFunc(false)},
		"ilike":          {apply: evLikeFunc(true)},
		"rlike":          {apply: evRLike},
		"concat":         {apply: evConcat},
		"concat_ws":      {apply: evConcatWS},
		"trim":           evStrRowFunc(func(w *evStrWriter, b []byte) { w.add(bytes.Trim(b, " ")) }),
		"ltrim":          evStrRowFunc(func(w *evStrWriter, b []byte) { w.add(bytes.TrimLeft(b, " ")) }),
		"rtrim":          evStrRowFunc(func(w *evStrWriter, b []byte) { w.add(bytes.TrimRight(b, " ")) }),
		"reverse":        evStrRowFunc(evReverseRow),
		"initcap":        {apply: evInitCap},
		"replace":        {apply: evReplace},
		"regexp_replace": {apply: evRegexpReplace},
		"regexp_extract": {apply: evRegexpExtract},
		"lpad":           {apply: evPadFunc(true)},
		"rpad":           {apply: evPadFunc(false)},
		"instr":          {apply: evInstrFunc(false)},
		"locate":         {apply: evInstrFunc(true)},
	})
}

// ---- shared drivers -----------------------------------------------------------------

// strOver applies fn to the string column s: once over the dictionary of a
// dictionary-encoded column, else directly to a utf8 column. A scalar s is broadcast.
func (ev *Evaluator) strOver(name string, s evValue, n int, fn func(arrow.Array) (arrow.Array, error)) (evValue, error) {
	if s.isScalar() {
		arr, err := s.toArray(n, ev.Mem)
		if err != nil {
			return evValue{}, err
		}
		defer arr.Release()
		s = evArray(arr)
	}
	if d, ok := s.arr.(*array.Dictionary); ok {
		out, err := evMapDict(ev.Mem, d, fn)
		if err != nil {
			return evValue{}, err
		}
		return evArray(out), nil
	}
	if s.arr.DataType().ID() != arrow.STRING {
		return evValue{}, fmt.Errorf("%s of %v, want utf8", name, s.arr.DataType())
	}
	out, err := fn(s.arr)
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evNullOf is an all-NULL result of n rows of type dt.
func evNullOf(mem memory.Allocator, dt arrow.DataType, n int) (evValue, error) {
	return evArray(array.MakeArrayOfNull(mem, dt, n)), nil
}

// evBoolRows computes a predicate of every non-NULL row; NULL rows stay NULL.
func evBoolRows(mem memory.Allocator, s arrow.Array, pred func([]byte) bool) arrow.Array {
	n := s.Len()
	offs, data := kernel.OffsetsAndData[int32](s)
	vb, voff := kernel.Validity(s)
	out := evNewBitmap(mem, n, false)
	bits := out.Bytes()
	for i := 0; i < n; i++ {
		if kernel.IsSet(vb, voff, i) && pred(data[offs[i]:offs[i+1]]) {
			bitutil.SetBit(bits, i)
		}
	}
	return evFinishArray(arrow.FixedWidthTypes.Boolean, n, evCopyValidity(mem, s), out)
}

// evStrRows writes f's output for every non-NULL row; NULL rows stay NULL.
func evStrRows(mem memory.Allocator, s arrow.Array, f func(w *evStrWriter, b []byte)) (arrow.Array, error) {
	n := s.Len()
	offs, data := kernel.OffsetsAndData[int32](s)
	vb, voff := kernel.Validity(s)
	w := evNewStrWriter(mem, n, int(offs[n]-offs[0]))
	for i := 0; i < n; i++ {
		if !kernel.IsSet(vb, voff, i) {
			w.nullRow()
			continue
		}
		f(w, data[offs[i]:offs[i+1]])
		w.endRow()
	}
	return w.finish(arrow.BinaryTypes.String)
}

// evIntRows computes an int64 of every non-NULL row; NULL rows stay NULL.
func evIntRows(mem memory.Allocator, s arrow.Array, f func([]byte) int64) arrow.Array {
	n := s.Len()
	offs, data := kernel.OffsetsAndData[int32](s)
	vb, voff := kernel.Validity(s)
	buf, out := evNewValues[int64](mem, n, 8)
	for i := 0; i < n; i++ {
		if kernel.IsSet(vb, voff, i) {
			out[i] = f(data[offs[i]:offs[i+1]])
		} else {
			out[i] = 0
		}
	}
	return evFinishArray(arrow.PrimitiveTypes.Int64, n, evCopyValidity(mem, s), buf)
}

// evStrRowFunc is a one-string function computed row by row.
func evStrRowFunc(f func(w *evStrWriter, b []byte)) function {
	return function{apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		if len(args) != 1 {
			return evValue{}, fmt.Errorf("takes one argument, got %d", len(args))
		}
		return ev.strOver("string function", args[0], n, func(a arrow.Array) (arrow.Array, error) {
			return evStrRows(ev.Mem, a, f)
		})
	}}
}

// evLiterals reads the string literals args[from:]; ok is false when one is NULL.
func evLiterals(args []evValue, from int) (lits [][]byte, ok bool, err error) {
	for _, a := range args[from:] {
		if !a.isScalar() {
			return nil, false, errors.New("pattern arguments must be literals")
		}
		b, valid := evStringLiteral(a.sc)
		if !valid {
			return nil, false, nil
		}
		lits = append(lits, b)
	}
	return lits, true, nil
}

// ---- like, ilike, rlike -------------------------------------------------------------

// evLikeMatcher compiles a LIKE pattern (Spark's: '%' any sequence, '_' one
// character, '\' escapes '%', '_' and '\'). Patterns without '_' are matched with
// byte searches (exact, prefix, suffix, contains and any chain of them); others are
// translated to an anchored regular expression with every literal part quoted.
func evLikeMatcher(pattern string) (func([]byte) bool, error) {
	var parts []string // literal runs between '%'
	var cur strings.Builder
	var re strings.Builder
	re.WriteString(`(?s)\A`)
	hasOne := false
	flushRe := func() {
		re.WriteString(regexp.QuoteMeta(cur.String()))
	}
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch c {
		case '\\':
			if i+1 == len(pattern) {
				return nil, errors.New("LIKE pattern ends with the escape character")
			}
			i++
			switch pattern[i] {
			case '_', '%', '\\':
				cur.WriteByte(pattern[i])
			default:
				return nil, fmt.Errorf("LIKE pattern escapes %q", pattern[i])
			}
		case '%':
			flushRe()
			re.WriteString(`.*`)
			parts = append(parts, cur.String())
			cur.Reset()
		case '_':
			flushRe()
			re.WriteString(`.`)
			hasOne = true
			// '_' splits literal runs for the regexp only; byte paths are not used.
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	flushRe()
	re.WriteString(`\z`)
	parts = append(parts, cur.String())
	if hasOne {
		r, err := regexp.Compile(re.String())
		if err != nil {
			return nil, err
		}
		return r.Match, nil
	}
	return evPercentMatcher(parts), nil
}

// evPercentMatcher matches literal parts separated by '%': the first is a prefix, the
// last a suffix, the middle ones found in order, leftmost first (which is exact when
// '%' is the only wildcard).
func evPercentMatcher(parts []string) func([]byte) bool {
	if len(parts) == 1 {
		exact := []byte(parts[0])
		return func(b []byte) bool { return bytes.Equal(b, exact) }
	}
	first, last := []byte(parts[0]), []byte(parts[len(parts)-1])
	middle := make([][]byte, 0, len(parts)-2)
	for _, p := range parts[1 : len(parts)-1] {
		if p != "" {
			middle = append(middle, []byte(p))
		}
	}
	switch {
	case len(middle) == 0 && len(last) == 0:
		return func(b []byte) bool { return bytes.HasPrefix(b, first) }
	case len(middle) == 0 && len(first) == 0:
		return func(b []byte) bool { return bytes.HasSuffix(b, last) }
	case len(middle) == 1 && len(first) == 0 && len(last) == 0:
		m := middle[0]
		return func(b []byte) bool { return bytes.Contains(b, m) }
	}
	return func(b []byte) bool {
		if len(b) < len(first)+len(last) || !bytes.HasPrefix(b, first) || !bytes.HasSuffix(b, last) {
			return false
		}
		rest := b[len(first) : len(b)-len(last)]
		for _, m := range middle {
			k := bytes.Index(rest, m)
			if k < 0 {
				return false
			}
			rest = rest[k+len(m):]
		}
		return true
	}
}

// evLikeFunc computes like (or ilike, which lower-cases the value and the pattern
// first, as Spark does).
func evLikeFunc(fold bool) func(ev *Evaluator, args []evValue, n int) (evValue, error) {
	return func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		if len(args) != 2 {
			return evValue{}, fmt.Errorf("takes 2 arguments, got %d", len(args))
		}
		if evAnyColumn(args, 1) {
			name := "like"
			if fold {
				name = "ilike"
			}
			return evLikeColumn(ev, name, fold, args, n)
		}
		lits, ok, err := evLiterals(args, 1)
		if err != nil {
			return evValue{}, err
		}
		if !ok {
			return evNullOf(ev.Mem, arrow.FixedWidthTypes.Boolean, n)
		}
		pattern := string(lits[0])
		if fold {
			pattern = strings.ToLower(pattern)
		}
		match, err := evLikeMatcher(pattern)
		if err != nil {
			return evValue{}, err
		}
		if fold {
			match = evFolded(match)
		}
		return ev.strOver("like", args[0], n, func(a arrow.Array) (arrow.Array, error) {
			return evBoolRows(ev.Mem, a, match), nil
		})
	}
}

// evFolded applies match to the lower-cased value: ASCII rows are lowered into a
// reused scratch buffer, others through bytes.ToLower.
func evFolded(match func([]byte) bool) func([]byte) bool {
	var scratch []byte
	return func(b []byte) bool {
		if !evIsASCII(b) {
			return match(bytes.ToLower(b))
		}
		scratch = scratch[:0]
		for _, c := range b {
			scratch = append(scratch, evLowerASCII(c))
		}
		return match(scratch)
	}
}

// evRegexArg compiles the regular-expression literal args[i]; nil for NULL.
func evRegexArg(args []evValue, i int) (*regexp.Regexp, error) {
	lits, ok, err := evLiterals(args[i:i+1], 0)
	if err != nil || !ok {
		return nil, err
	}
	return regexp.Compile(string(lits[0]))
}

func evRLike(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if len(args) != 2 {
		return evValue{}, fmt.Errorf("takes 2 arguments, got %d", len(args))
	}
	if evAnyColumn(args, 1) {
		return evRLikeColumn(ev, args, n)
	}
	re, err := evRegexArg(args, 1)
	if err != nil {
		return evValue{}, err
	}
	if re == nil {
		return evNullOf(ev.Mem, arrow.FixedWidthTypes.Boolean, n)
	}
	return ev.strOver("rlike", args[0], n, func(a arrow.Array) (arrow.Array, error) {
		return evBoolRows(ev.Mem, a, re.Match), nil
	})
}

// ---- concat, concat_ws --------------------------------------------------------------

// evStrSource is one argument of concat/concat_ws: a utf8 column or a literal.
type evStrSource struct {
	offs  []int32
	data  []byte
	vb    []byte
	voff  int
	isLit bool
	lit   []byte
	null  bool // a NULL literal
}

func (s *evStrSource) valid(i int) bool {
	if s.isLit {
		return !s.null
	}
	return kernel.IsSet(s.vb, s.voff, i)
}

func (s *evStrSource) value(i int) []byte {
	if s.isLit {
		return s.lit
	}
	return s.data[s.offs[i]:s.offs[i+1]]
}

// evStrSources views args as sources, decoding dictionaries; release frees what it
// decoded.
func evStrSources(mem memory.Allocator, args []evValue) (srcs []evStrSource, release func(), err error) {
	var owned []arrow.Array
	release = func() {
		for _, a := range owned {
			a.Release()
		}
	}
	srcs = make([]evStrSource, len(args))
	for k, a := range args {
		if a.isScalar() {
			if a.sc.DataType().ID() == arrow.NULL {
				srcs[k] = evStrSource{isLit: true, null: true}
				continue
			}
			b, ok := evStringLiteral(a.sc)
			srcs[k] = evStrSource{isLit: true, lit: b, null: !ok}
			continue
		}
		if a.arr.DataType().ID() == arrow.NULL {
			srcs[k] = evStrSource{isLit: true, null: true}
			continue
		}
		plain, err := evPlainStrings(mem, a.arr)
		if err != nil {
			release()
			return nil, nil, err
		}
		owned = append(owned, plain)
		offs, data := kernel.OffsetsAndData[int32](plain)
		vb, voff := kernel.Validity(plain)
		srcs[k] = evStrSource{offs: offs, data: data, vb: vb, voff: voff}
	}
	return srcs, release, nil
}

// evConcat joins its arguments; any NULL makes the row NULL (Spark's concat).
func evConcat(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if len(args) == 0 {
		return evScalar(scalar.NewStringScalar("")), nil
	}
	srcs, release, err := evStrSources(ev.Mem, args)
	if err != nil {
		return evValue{}, err
	}
	defer release()
	w := evNewStrWriter(ev.Mem, n, 0)
rows:
	for i := 0; i < n; i++ {
		for k := range srcs {
			if !srcs[k].valid(i) {
				w.nullRow()
				continue rows
			}
		}
		for k := range srcs {
			w.add(srcs[k].value(i))
		}
		w.endRow()
	}
	out, err := w.finish(arrow.BinaryTypes.String)
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evConcatWS joins the non-NULL values with the separator (the first argument); a NULL
// separator makes the row NULL (Spark's concat_ws).
func evConcatWS(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if len(args) == 0 {
		return evValue{}, errors.New("concat_ws needs a separator")
	}
	srcs, release, err := evStrSources(ev.Mem, args)
	if err != nil {
		return evValue{}, err
	}
	defer release()
	sep, vals := &srcs[0], srcs[1:]
	w := evNewStrWriter(ev.Mem, n, 0)
	for i := 0; i < n; i++ {
		if !sep.valid(i) {
			w.nullRow()
			continue
		}
		first := true
		for k := range vals {
			if !vals[k].valid(i) {
				continue
			}
			if !first {
				w.add(sep.value(i))
			}
			first = false
			w.add(vals[k].value(i))
		}
		w.endRow()
	}
	out, err := w.finish(arrow.BinaryTypes.String)
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// ---- row transforms -----------------------------------------------------------------

// evReverseRow reverses the characters of b (an invalid UTF-8 byte counts as one).
func evReverseRow(w *evStrWriter, b []byte) {
	for j := len(b); j > 0; {
		_, size := utf8.DecodeLastRune(b[:j])
		w.add(b[j-size : j])
		j -= size
	}
}

func evReplace(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if len(args) != 3 {
		return evValue{}, fmt.Errorf("takes 3 arguments, got %d", len(args))
	}
	if evAnyColumn(args, 1) {
		return evReplaceColumn(ev, args, n)
	}
	lits, ok, err := evLiterals(args, 1)
	if err != nil {
		return evValue{}, err
	}
	if !ok {
		return evNullOf(ev.Mem, arrow.BinaryTypes.String, n)
	}
	search, repl := lits[0], lits[1]
	return ev.strOver("replace", args[0], n, func(a arrow.Array) (arrow.Array, error) {
		return evStrRows(ev.Mem, a, func(w *evStrWriter, b []byte) { evReplaceRow(w, b, search, repl) })
	})
}

func evRegexpReplace(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if len(args) != 3 {
		return evValue{}, fmt.Errorf("takes 3 arguments, got %d", len(args))
	}
	if evAnyColumn(args, 1) {
		return evRegexpReplaceColumn(ev, args, n)
	}
	re, err := evRegexArg(args, 1)
	if err != nil {
		return evValue{}, err
	}
	lits, ok, err := evLiterals(args, 2)
	if err != nil {
		return evValue{}, err
	}
	if re == nil || !ok {
		return evNullOf(ev.Mem, arrow.BinaryTypes.String, n)
	}
	var r evRegexReplacer
	r.reset(re, lits[0])
	return ev.strOver("regexp_replace", args[0], n, func(a arrow.Array) (arrow.Array, error) {
		return evStrRows(ev.Mem, a, r.replace)
	})
}

func evRegexpExtract(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if len(args) != 3 {
		return evValue{}, fmt.Errorf("takes 3 arguments, got %d", len(args))
	}
	if evAnyColumn(args, 1) {
		return evRegexpExtractColumn(ev, args, n)
	}
	re, err := evRegexArg(args, 1)
	if err != nil {
		return evValue{}, err
	}
	idx, err := evIntLiteral(args[2])
	if err != nil {
		return evValue{}, fmt.Errorf("regexp_extract group: %w", err)
	}
	if re == nil || !idx.valid {
		return evNullOf(ev.Mem, arrow.BinaryTypes.String, n)
	}
	if idx.v < 0 || idx.v > int64(re.NumSubexp()) {
		return evValue{}, fmt.Errorf("regexp_extract group %d, the expression has %d", idx.v, re.NumSubexp())
	}
	g := int(idx.v)
	return ev.strOver("regexp_extract", args[0], n, func(a arrow.Array) (arrow.Array, error) {
		return evStrRows(ev.Mem, a, func(w *evStrWriter, b []byte) { evExtractRow(w, re, b, g) })
	})
}

// evPadFunc computes lpad (left) or rpad with Spark's rules: the result has exactly
// length characters, the string truncated when longer; an empty pad only truncates.
func evPadFunc(left bool) func(ev *Evaluator, args []evValue, n int) (evValue, error) {
	return func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		if len(args) != 3 {
			return evValue{}, fmt.Errorf("takes 3 arguments, got %d", len(args))
		}
		if evAnyColumn(args, 1) {
			return evPadColumn(ev, left, args, n)
		}
		length, err := evIntLiteral(args[1])
		if err != nil {
			return evValue{}, fmt.Errorf("pad length: %w", err)
		}
		lits, ok, err := evLiterals(args, 2)
		if err != nil {
			return evValue{}, err
		}
		if !ok || !length.valid {
			return evNullOf(ev.Mem, arrow.BinaryTypes.String, n)
		}
		if length.v > math.MaxInt32 {
			return evValue{}, fmt.Errorf("pad length %d exceeds %d", length.v, math.MaxInt32)
		}
		pad, target := lits[0], length.v
		return ev.strOver("pad", args[0], n, func(a arrow.Array) (arrow.Array, error) {
			return evStrRows(ev.Mem, a, func(w *evStrWriter, b []byte) { evPadRow(w, b, target, pad, left) })
		})
	}
}

// evInstrFunc computes instr(string, sub) or locate(sub, string): the 1-based
// character position of the first occurrence, 0 when absent.
func evInstrFunc(locate bool) func(ev *Evaluator, args []evValue, n int) (evValue, error) {
	return func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		if len(args) == 3 && locate || len(args) != 2 {
			if len(args) != 3 {
				return evValue{}, fmt.Errorf("takes 2 arguments, got %d", len(args))
			}
			return evInstrColumn(ev, locate, args, n)
		}
		if (locate && !args[0].isScalar() && !(args[1].isScalar() && args[0].arr.Len() == 1)) ||
			(!locate && evAnyColumn(args, 1)) {
			return evInstrColumn(ev, locate, args, n)
		}
		s, sub := args[0], args[1]
		if locate {
			s, sub = sub, s
			if !sub.isScalar() && s.isScalar() && sub.arr.Len() == 1 {
				// All arguments were literals: evalArgs made the first one a row.
				sc, err := scalar.GetScalar(sub.arr, 0)
				if err != nil {
					return evValue{}, err
				}
				defer evScalar(sc).release()
				sub = evScalar(sc)
			}
		}
		lits, ok, err := evLiterals([]evValue{sub}, 0)
		if err != nil {
			return evValue{}, err
		}
		if !ok {
			return evNullOf(ev.Mem, arrow.PrimitiveTypes.Int64, n)
		}
		needle := lits[0]
		return ev.strOver("instr", s, n, func(a arrow.Array) (arrow.Array, error) {
			return evIntRows(ev.Mem, a, func(b []byte) int64 {
				k := bytes.Index(b, needle)
				if k < 0 {
					return 0
				}
				return int64(utf8.RuneCount(b[:k])) + 1
			}), nil
		})
	}
}
