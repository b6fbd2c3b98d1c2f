package eval

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
)

// Column arguments of the string functions. When a pattern, search string, length,
// position or other non-subject argument is a column (any non-literal expression),
// the function is computed row by row over plain views of every argument (a
// dictionary is decoded): a row with a NULL argument is NULL. Patterns and regular
// expressions are compiled once per distinct value of the batch (evPatternCache); an
// invalid one is an error naming the function and the pattern, as in Spark. When
// those arguments are literals, the functions keep their literal fast paths (compiled
// once, a dictionary-encoded subject computed once per dictionary value).

// evAnyColumn reports whether one of args[from:] is a column.
func evAnyColumn(args []evValue, from int) bool {
	for _, a := range args[from:] {
		if !a.isScalar() {
			return true
		}
	}
	return false
}

// evIntSource is an int64 argument: a column or a literal.
type evIntSource struct {
	vals  []int64
	vb    []byte
	voff  int
	isLit bool
	lit   int64
	null  bool // a NULL literal
}

func (s *evIntSource) valid(i int) bool {
	if s.isLit {
		return !s.null
	}
	return kernel.IsSet(s.vb, s.voff, i)
}

func (s *evIntSource) value(i int) int64 {
	if s.isLit {
		return s.lit
	}
	return s.vals[i]
}

// evIntSourceOf views an int64 argument (the analyzer widens integers to int64).
func evIntSourceOf(v evValue) (evIntSource, error) {
	if v.isScalar() {
		if v.sc.DataType().ID() == arrow.NULL {
			return evIntSource{isLit: true, null: true}, nil
		}
		x, err := evIntLiteral(v)
		if err != nil {
			return evIntSource{}, err
		}
		return evIntSource{isLit: true, lit: x.v, null: !x.valid}, nil
	}
	switch v.arr.DataType().ID() {
	case arrow.NULL:
		return evIntSource{isLit: true, null: true}, nil
	case arrow.INT64:
		vb, voff := kernel.Validity(v.arr)
		return evIntSource{vals: kernel.FixedValues[int64](v.arr), vb: vb, voff: voff}, nil
	}
	return evIntSource{}, fmt.Errorf("want an int64 argument, got %v", v.arr.DataType())
}

// evRowArgs views every argument of a call row by row: strings (s) and integers (k)
// at the positions the function gives. load fills s and k for one row.
type evRowArgs struct {
	strs  []evStrSource
	ints  []evIntSource
	isInt []bool
	s     [][]byte
	k     []int64
	owned []func()
}

// evRowArgsOf views args; the arguments at the positions intArgs are int64, the
// others strings. The caller calls release.
func evRowArgsOf(mem memory.Allocator, args []evValue, intArgs ...int) (*evRowArgs, error) {
	r := &evRowArgs{
		strs: make([]evStrSource, len(args)), ints: make([]evIntSource, len(args)),
		isInt: make([]bool, len(args)), s: make([][]byte, len(args)), k: make([]int64, len(args)),
	}
	for _, i := range intArgs {
		r.isInt[i] = true
	}
	for i, a := range args {
		if r.isInt[i] {
			src, err := evIntSourceOf(a)
			if err != nil {
				r.release()
				return nil, err
			}
			r.ints[i] = src
			continue
		}
		srcs, rel, err := evStrSources(mem, args[i:i+1])
		if err != nil {
			r.release()
			return nil, err
		}
		r.owned = append(r.owned, rel)
		r.strs[i] = srcs[0]
	}
	return r, nil
}

func (r *evRowArgs) release() {
	for _, f := range r.owned {
		f()
	}
	r.owned = nil
}

// load reads row i into s and k; false when an argument is NULL.
func (r *evRowArgs) load(i int) bool {
	for a := range r.isInt {
		if r.isInt[a] {
			if !r.ints[a].valid(i) {
				return false
			}
			r.k[a] = r.ints[a].value(i)
			continue
		}
		if !r.strs[a].valid(i) {
			return false
		}
		r.s[a] = r.strs[a].value(i)
	}
	return true
}

// evColumnStr computes a string result row by row; f writes the row's value.
func evColumnStr(mem memory.Allocator, args []evValue, n int, intArgs []int, f func(w *evStrWriter, s [][]byte, k []int64) error) (evValue, error) {
	r, err := evRowArgsOf(mem, args, intArgs...)
	if err != nil {
		return evValue{}, err
	}
	defer r.release()
	w := evNewStrWriter(mem, n, 0)
	for i := 0; i < n; i++ {
		if !r.load(i) {
			w.nullRow()
			continue
		}
		if err := f(w, r.s, r.k); err != nil {
			w.err = err
			break
		}
		w.endRow()
	}
	if w.err != nil {
		return evValue{}, w.abort(w.err)
	}
	out, err := w.finish(arrow.BinaryTypes.String)
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evColumnBool computes a boolean result row by row.
func evColumnBool(mem memory.Allocator, args []evValue, n int, f func(s [][]byte) (bool, error)) (evValue, error) {
	r, err := evRowArgsOf(mem, args)
	if err != nil {
		return evValue{}, err
	}
	defer r.release()
	valid := evNewBitmap(mem, n, true)
	out := evNewBitmap(mem, n, false)
	vbits, bits := valid.Bytes(), out.Bytes()
	for i := 0; i < n; i++ {
		if !r.load(i) {
			bitutil.ClearBit(vbits, i)
			continue
		}
		ok, err := f(r.s)
		if err != nil {
			valid.Release()
			out.Release()
			return evValue{}, err
		}
		if ok {
			bitutil.SetBit(bits, i)
		}
	}
	return evArray(evFinishArray(arrow.FixedWidthTypes.Boolean, n, valid, out)), nil
}

// evColumnInt computes an int64 result row by row; f reports whether the row is
// valid (it sees the row's NULLs itself through r).
func evColumnInt(mem memory.Allocator, args []evValue, n int, intArgs []int, f func(r *evRowArgs, i int) (int64, bool)) (evValue, error) {
	r, err := evRowArgsOf(mem, args, intArgs...)
	if err != nil {
		return evValue{}, err
	}
	defer r.release()
	valid := evNewBitmap(mem, n, true)
	buf, out := evNewValues[int64](mem, n, 8)
	vbits := valid.Bytes()
	for i := 0; i < n; i++ {
		v, ok := f(r, i)
		out[i] = v
		if !ok {
			out[i] = 0
			bitutil.ClearBit(vbits, i)
		}
	}
	return evArray(evFinishArray(arrow.PrimitiveTypes.Int64, n, valid, buf)), nil
}

// evPatternCacheMax bounds a batch's cache of compiled patterns; past it the cache
// starts over.
const evPatternCacheMax = 4096

// evPatternCache compiles the distinct patterns of a column once per batch.
type evPatternCache[T any] struct {
	name    string
	compile func(string) (T, error)
	m       map[string]T
}

func newEvPatternCache[T any](name string, compile func(string) (T, error)) *evPatternCache[T] {
	return &evPatternCache[T]{name: name, compile: compile, m: map[string]T{}}
}

// get returns the compiled pattern p; an invalid one is an error naming the function
// and the pattern.
func (c *evPatternCache[T]) get(p []byte) (T, error) {
	if v, ok := c.m[string(p)]; ok {
		return v, nil
	}
	v, err := c.compile(string(p))
	if err != nil {
		var zero T
		return zero, fmt.Errorf("%s: invalid pattern %q: %w", c.name, p, err)
	}
	if len(c.m) >= evPatternCacheMax {
		clear(c.m)
	}
	c.m[string(p)] = v
	return v, nil
}

// ---- like, ilike, rlike with a pattern column ----------------------------------------

func evLikeColumn(ev *Evaluator, name string, fold bool, args []evValue, n int) (evValue, error) {
	cache := newEvPatternCache(name, func(p string) (func([]byte) bool, error) {
		if fold {
			p = strings.ToLower(p)
		}
		m, err := evLikeMatcher(p)
		if err != nil {
			return nil, err
		}
		if fold {
			m = evFolded(m)
		}
		return m, nil
	})
	return evColumnBool(ev.Mem, args, n, func(s [][]byte) (bool, error) {
		m, err := cache.get(s[1])
		if err != nil {
			return false, err
		}
		return m(s[0]), nil
	})
}

func evRLikeColumn(ev *Evaluator, args []evValue, n int) (evValue, error) {
	cache := newEvPatternCache("rlike", regexp.Compile)
	return evColumnBool(ev.Mem, args, n, func(s [][]byte) (bool, error) {
		re, err := cache.get(s[1])
		if err != nil {
			return false, err
		}
		return re.Match(s[0]), nil
	})
}

// ---- replace, regexp_replace, regexp_extract ----------------------------------------

// evReplaceRow writes b with every occurrence of search replaced (Spark's replace: an
// empty search leaves b as it is).
func evReplaceRow(w *evStrWriter, b, search, repl []byte) {
	if len(search) == 0 {
		w.add(b)
		return
	}
	for {
		k := bytes.Index(b, search)
		if k < 0 {
			w.add(b)
			return
		}
		w.add(b[:k])
		w.add(repl)
		b = b[k+len(search):]
	}
}

func evReplaceColumn(ev *Evaluator, args []evValue, n int) (evValue, error) {
	return evColumnStr(ev.Mem, args, n, nil, func(w *evStrWriter, s [][]byte, _ []int64) error {
		evReplaceRow(w, s[0], s[1], s[2])
		return nil
	})
}

func evRegexpReplaceColumn(ev *Evaluator, args []evValue, n int) (evValue, error) {
	cache := newEvPatternCache("regexp_replace", regexp.Compile)
	var r evRegexReplacer
	return evColumnStr(ev.Mem, args, n, nil, func(w *evStrWriter, s [][]byte, _ []int64) error {
		re, err := cache.get(s[1])
		if err != nil {
			return err
		}
		r.reset(re, s[2])
		r.replace(w, s[0])
		return nil
	})
}

func evRegexpExtractColumn(ev *Evaluator, args []evValue, n int) (evValue, error) {
	cache := newEvPatternCache("regexp_extract", regexp.Compile)
	return evColumnStr(ev.Mem, args, n, []int{2}, func(w *evStrWriter, s [][]byte, k []int64) error {
		re, err := cache.get(s[1])
		if err != nil {
			return err
		}
		g := k[2]
		if g < 0 || g > int64(re.NumSubexp()) {
			return fmt.Errorf("regexp_extract: group %d of %q, which has %d groups", g, s[1], re.NumSubexp())
		}
		evExtractRow(w, re, s[0], int(g))
		return nil
	})
}

// evExtractRow writes group g of the first match of re in b, "" without one.
func evExtractRow(w *evStrWriter, re *regexp.Regexp, b []byte, g int) {
	if !re.Match(b) {
		return
	}
	loc := re.FindSubmatchIndex(b)
	if loc == nil || loc[2*g] < 0 {
		return
	}
	w.add(b[loc[2*g]:loc[2*g+1]])
}

// ---- lpad, rpad -----------------------------------------------------------------------

// evPadRow writes b padded (left or right) with pad to target characters, Spark's
// lpad/rpad rules: longer strings are truncated, an empty pad only truncates, a target
// of 0 or less gives "".
func evPadRow(w *evStrWriter, b []byte, target int64, pad []byte, left bool) {
	nchars := int64(utf8.RuneCount(b))
	spaces := target - nchars
	padChars := int64(utf8.RuneCount(pad))
	if spaces <= 0 || padChars == 0 {
		if target > 0 {
			w.add(evRuneSlice(b, 0, min(target, nchars)))
		}
		return
	}
	if !left {
		w.add(b)
	}
	for k := int64(0); k < spaces/padChars; k++ {
		w.add(pad)
	}
	w.add(evRuneSlice(pad, 0, spaces%padChars))
	if left {
		w.add(b)
	}
}

// evMaxPad bounds a pad length: a longer result could not be held in one batch.
const evMaxPad = 1<<31 - 1

func evPadColumn(ev *Evaluator, left bool, args []evValue, n int) (evValue, error) {
	return evColumnStr(ev.Mem, args, n, []int{1}, func(w *evStrWriter, s [][]byte, k []int64) error {
		if k[1] > evMaxPad {
			return fmt.Errorf("pad length %d exceeds %d", k[1], evMaxPad)
		}
		evPadRow(w, s[0], k[1], s[2], left)
		return nil
	})
}

// ---- instr, locate ----------------------------------------------------------------

// evIndexFrom is Spark's UTF8String.indexOf(sub, start) + 1: the 1-based character
// position of the first occurrence of sub in b at or after character start (0-based),
// 0 when there is none; an empty sub gives 1.
func evIndexFrom(b, sub []byte, start int64) int64 {
	if len(sub) == 0 {
		return 1
	}
	j := 0
	c := int64(0)
	for j < len(b) && c < start {
		_, size := utf8.DecodeRune(b[j:])
		j += size
		c++
	}
	k := bytes.Index(b[j:], sub)
	if k < 0 {
		return 0
	}
	return c + int64(utf8.RuneCount(b[j:j+k])) + 1
}

// evInstrColumn computes instr(s, sub) (locate false) or locate(sub, s[, pos]) row by
// row. As Spark's locate, a NULL position gives 0 (not NULL) and a position below 1
// gives 0.
func evInstrColumn(ev *Evaluator, locate bool, args []evValue, n int) (evValue, error) {
	si, subi := 0, 1
	if locate {
		si, subi = 1, 0
	}
	var intArgs []int
	if len(args) == 3 {
		intArgs = []int{2}
	}
	return evColumnInt(ev.Mem, args, n, intArgs, func(r *evRowArgs, i int) (int64, bool) {
		start := int64(0)
		if len(args) == 3 {
			if !r.ints[2].valid(i) {
				return 0, true
			}
			pos := r.ints[2].value(i)
			if !r.strs[si].valid(i) || !r.strs[subi].valid(i) {
				return 0, false
			}
			if pos < 1 {
				return 0, true
			}
			start = pos - 1
		} else if !r.strs[si].valid(i) || !r.strs[subi].valid(i) {
			return 0, false
		}
		return evIndexFrom(r.strs[si].value(i), r.strs[subi].value(i), start), true
	})
}

// ---- substring ------------------------------------------------------------------------

func evSubstringColumn(ev *Evaluator, args []evValue, n int) (evValue, error) {
	intArgs := []int{1}
	if len(args) == 3 {
		intArgs = append(intArgs, 2)
	}
	return evColumnStr(ev.Mem, args, n, intArgs, func(w *evStrWriter, s [][]byte, k []int64) error {
		length := int64(1<<31 - 1)
		if len(args) == 3 {
			length = k[2]
		}
		b := s[0]
		from, to := evSubstringBounds(int64(utf8.RuneCount(b)), k[1], length)
		w.add(evRuneSlice(b, from, to))
		return nil
	})
}

// ---- split ------------------------------------------------------------------------

// evSplitColumn splits every row by its own regular expression.
func evSplitColumn(ev *Evaluator, args []evValue, n int) (evValue, error) {
	r, err := evRowArgsOf(ev.Mem, args)
	if err != nil {
		return evValue{}, err
	}
	defer r.release()
	cache := newEvPatternCache("split", regexp.Compile)
	lb := array.NewListBuilder(ev.Mem, arrow.BinaryTypes.String)
	defer lb.Release()
	vb := lb.ValueBuilder().(*array.StringBuilder)
	lb.Reserve(n)
	for i := 0; i < n; i++ {
		if !r.load(i) {
			lb.AppendNull()
			continue
		}
		re, err := cache.get(r.s[1])
		if err != nil {
			return evValue{}, err
		}
		lb.Append(true)
		evSplitRow(vb, re, r.s[0])
	}
	return evArray(lb.NewArray()), nil
}

// evSplitRow appends the pieces of b cut at the matches of re, as Go's
// Regexp.Split(b, -1) (Spark's split with limit -1): "" gives [""], an empty match at
// the start cuts nothing. A row without a match is checked with re.Match, which does
// not allocate; a row with one allocates its match list inside Go's regexp.
func evSplitRow(vb *array.StringBuilder, re *regexp.Regexp, b []byte) {
	if len(b) == 0 || !re.Match(b) {
		vb.BinaryBuilder.Append(b)
		return
	}
	beg, end := 0, 0
	for _, m := range re.FindAllIndex(b, -1) {
		end = m[0]
		if m[1] != 0 {
			vb.BinaryBuilder.Append(b[beg:end])
		}
		beg = m[1]
	}
	if end != len(b) {
		vb.BinaryBuilder.Append(b[beg:])
	}
}

// ---- regexp_replace without per-row copies ----------------------------------------

// evReplSeg is one piece of a parsed replacement template: literal bytes, or a group
// (group >= 0; -1 for a reference to no group, which expands to nothing).
type evReplSeg struct {
	lit   []byte
	group int
	isRef bool
}

// evRegexReplacer replaces the matches of re in a row by a template parsed once with
// the rules of Go's Regexp.Expand ($1, ${1}, ${name}, $name, $$; a malformed
// reference is kept as text). A row without a match is copied after re.Match (which
// does not allocate); a row with matches allocates its match list inside Go's regexp
// (FindAllSubmatchIndex), and is expanded straight into the output.
type evRegexReplacer struct {
	re       *regexp.Regexp
	tmpl     []byte
	segs     []evReplSeg
	needSubs bool
}

// reset prepares r for re and template (kept when they are the ones already parsed).
func (r *evRegexReplacer) reset(re *regexp.Regexp, tmpl []byte) {
	if r.re == re && bytes.Equal(r.tmpl, tmpl) && r.segs != nil {
		return
	}
	r.re = re
	r.tmpl = append(r.tmpl[:0], tmpl...)
	r.segs = r.segs[:0]
	r.needSubs = false
	t := r.tmpl
	names := re.SubexpNames()
	for len(t) > 0 {
		k := bytes.IndexByte(t, '$')
		if k < 0 {
			break
		}
		r.segs = append(r.segs, evReplSeg{lit: t[:k]})
		t = t[k+1:]
		if len(t) > 0 && t[0] == '$' {
			r.segs = append(r.segs, evReplSeg{lit: []byte{'$'}})
			t = t[1:]
			continue
		}
		name, num, rest, ok := evExtractRef(t)
		if !ok {
			r.segs = append(r.segs, evReplSeg{lit: []byte{'$'}})
			continue
		}
		t = rest
		g := -1
		if num >= 0 {
			if num <= re.NumSubexp() {
				g = num
			}
		} else {
			for i, ni := range names {
				if i > 0 && ni == name {
					g = i
					break
				}
			}
		}
		if g > 0 {
			r.needSubs = true
		}
		r.segs = append(r.segs, evReplSeg{group: g, isRef: true})
	}
	r.segs = append(r.segs, evReplSeg{lit: t})
}

// evIsWordRune: a character of a group name in a replacement template.
func evIsWordRune(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' }

// evExtractRef parses a reference after '$' as Go's regexp does: a name of letters,
// digits and '_', optionally in braces; a number when all digits (no leading zero).
func evExtractRef(t []byte) (name string, num int, rest []byte, ok bool) {
	if len(t) == 0 {
		return "", 0, nil, false
	}
	brace := t[0] == '{'
	if brace {
		t = t[1:]
	}
	i := 0
	for i < len(t) {
		c, size := utf8.DecodeRune(t[i:])
		if !evIsWordRune(c) {
			break
		}
		i += size
	}
	if i == 0 {
		return "", 0, nil, false
	}
	nm := t[:i]
	if brace {
		if i >= len(t) || t[i] != '}' {
			return "", 0, nil, false
		}
		i++
	}
	num = 0
	for _, c := range nm {
		if c < '0' || c > '9' || num >= 1e8 {
			num = -1
			break
		}
		num = num*10 + int(c-'0')
	}
	if nm[0] == '0' && len(nm) > 1 {
		num = -1
	}
	return string(nm), num, t[i:], true
}

// replace writes b with every match replaced.
func (r *evRegexReplacer) replace(w *evStrWriter, b []byte) {
	if !r.re.Match(b) {
		w.add(b)
		return
	}
	var ms [][]int
	if r.needSubs {
		ms = r.re.FindAllSubmatchIndex(b, -1)
	} else {
		ms = r.re.FindAllIndex(b, -1)
	}
	last := 0
	for _, m := range ms {
		w.add(b[last:m[0]])
		for _, s := range r.segs {
			if !s.isRef {
				w.add(s.lit)
				continue
			}
			if s.group >= 0 && 2*s.group+1 < len(m) && m[2*s.group] >= 0 {
				w.add(b[m[2*s.group]:m[2*s.group+1]])
			}
		}
		last = m[1]
	}
	w.add(b[last:])
}

// abort releases what the writer built and returns err.
func (w *evStrWriter) abort(err error) error {
	w.err = err
	_, _ = w.finish(arrow.BinaryTypes.String)
	return err
}
