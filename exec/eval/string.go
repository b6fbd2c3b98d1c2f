package eval

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/transform"

	"github.com/kindling-data/kindling/internal/kernel"
)

// stringCall evaluates the string function name; at least one argument is an array. The
// string argument comes first; the others are literals (the fast paths) or columns
// (substring's start and length row by row, contains/starts_with/ends_with's needle
// through matchColumns).
func (ev *Evaluator) stringCall(name string, args []evValue, n int) (evValue, error) {
	want := map[string][2]int{
		"length": {1, 1}, "lower": {1, 1}, "upper": {1, 1}, "substring": {2, 3},
		"contains": {2, 2}, "starts_with": {2, 2}, "ends_with": {2, 2},
	}
	w, ok := want[name]
	if !ok {
		return evValue{}, fmt.Errorf("unknown function %q", name)
	}
	if len(args) < w[0] || len(args) > w[1] {
		return evValue{}, fmt.Errorf("%s takes %d to %d arguments, got %d", name, w[0], w[1], len(args))
	}
	if name == "substring" && evAnyColumn(args, 1) {
		return evSubstringColumn(ev, args, n)
	}
	if args[0].isScalar() {
		// Only when a later argument is a column: broadcast the string.
		arr, err := args[0].toArray(n, ev.Mem)
		if err != nil {
			return evValue{}, err
		}
		defer arr.Release()
		args = append([]evValue{evArray(arr)}, args[1:]...)
	}
	s := args[0].arr
	var fn func(arrow.Array) (arrow.Array, error)
	switch name {
	case "length":
		fn = func(a arrow.Array) (arrow.Array, error) { return evLength(ev.Mem, a) }
	case "lower":
		fn = func(a arrow.Array) (arrow.Array, error) { return evMapCase(ev.Mem, a, false) }
	case "upper":
		fn = func(a arrow.Array) (arrow.Array, error) { return evMapCase(ev.Mem, a, true) }
	case "substring":
		start, err := evIntLiteral(args[1])
		if err != nil {
			return evValue{}, fmt.Errorf("substring start: %w", err)
		}
		length := evNullableInt{v: math.MaxInt32, valid: true}
		if len(args) == 3 {
			if length, err = evIntLiteral(args[2]); err != nil {
				return evValue{}, fmt.Errorf("substring length: %w", err)
			}
		}
		if !start.valid || !length.valid {
			return evArray(array.MakeArrayOfNull(ev.Mem, arrow.BinaryTypes.String, n)), nil
		}
		fn = func(a arrow.Array) (arrow.Array, error) { return evSubstring(ev.Mem, a, start.v, length.v) }
	default: // contains, starts_with, ends_with
		match := map[string]func(s, sub []byte) bool{
			"contains": bytes.Contains, "starts_with": bytes.HasPrefix, "ends_with": bytes.HasSuffix,
		}[name]
		if !args[1].isScalar() {
			return ev.matchColumns(name, s, args[1].arr, match)
		}
		needle, ok := evStringLiteral(args[1].sc)
		if !ok {
			return evArray(array.MakeArrayOfNull(ev.Mem, arrow.FixedWidthTypes.Boolean, n)), nil
		}
		fn = func(a arrow.Array) (arrow.Array, error) { return evMatch(ev.Mem, a, needle, match) }
	}
	if d, ok := s.(*array.Dictionary); ok {
		out, err := evMapDict(ev.Mem, d, fn)
		if err != nil {
			return evValue{}, err
		}
		return evArray(out), nil
	}
	if s.DataType().ID() != arrow.STRING {
		return evValue{}, fmt.Errorf("%s of %v, want utf8", name, s.DataType())
	}
	out, err := fn(s)
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evNullableInt is an integer argument that may be NULL.
type evNullableInt struct {
	v     int64
	valid bool
}

// evIntLiteral reads a constant integer argument.
func evIntLiteral(v evValue) (evNullableInt, error) {
	if !v.isScalar() {
		return evNullableInt{}, errors.New("must be a literal")
	}
	if !v.sc.IsValid() {
		return evNullableInt{}, nil
	}
	switch s := v.sc.(type) {
	case *scalar.Int64:
		return evNullableInt{v: s.Value, valid: true}, nil
	case *scalar.Int32:
		return evNullableInt{v: int64(s.Value), valid: true}, nil
	case *scalar.Int16:
		return evNullableInt{v: int64(s.Value), valid: true}, nil
	case *scalar.Int8:
		return evNullableInt{v: int64(s.Value), valid: true}, nil
	}
	return evNullableInt{}, fmt.Errorf("must be an integer, got %v", v.sc.DataType())
}

// evStringLiteral returns the bytes of a string scalar; false for NULL.
func evStringLiteral(sc scalar.Scalar) ([]byte, bool) {
	if !sc.IsValid() {
		return nil, false
	}
	if bs, ok := sc.(scalar.BinaryScalar); ok {
		return bs.Data(), true
	}
	return []byte(sc.String()), true
}

// evPlainStrings returns a utf8 view of arr, decoding a dictionary; the caller releases.
func evPlainStrings(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	if d, ok := arr.(*array.Dictionary); ok {
		return evDecodeDict(mem, d)
	}
	if arr.DataType().ID() != arrow.STRING {
		return nil, fmt.Errorf("want utf8, got %v", arr.DataType())
	}
	arr.Retain()
	return arr, nil
}

// evIsASCII reports whether b holds only 7-bit bytes; ASCII data lets byte positions
// stand for character positions.
func evIsASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// evCopyValidity returns a copy of arr's validity bitmap, rebased to offset 0, or nil.
func evCopyValidity(mem memory.Allocator, arr arrow.Array) *memory.Buffer {
	vb, off := kernel.Validity(arr)
	if vb == nil {
		return nil
	}
	out := kernel.NewRawBuffer(mem, int(bitutil.BytesForBits(int64(arr.Len()))))
	bitutil.CopyBitmap(vb, off, arr.Len(), out.Bytes(), 0)
	return out
}

// evLength counts characters (Spark's length), as int64.
func evLength(mem memory.Allocator, s arrow.Array) (arrow.Array, error) {
	n := s.Len()
	offs, data := kernel.OffsetsAndData[int32](s)
	buf, out := evNewValues[int64](mem, n, 8)
	ascii := evIsASCII(data[offs[0]:offs[n]])
	for i := 0; i < n; i++ {
		b := data[offs[i]:offs[i+1]]
		if ascii {
			out[i] = int64(len(b))
		} else {
			out[i] = int64(utf8.RuneCount(b))
		}
	}
	return evFinishArray(arrow.PrimitiveTypes.Int64, n, evCopyValidity(mem, s), buf), nil
}

func evLowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func evUpperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// evMapCase upper- or lower-cases every string with Java's full (locale-neutral) case
// mapping, as Spark's upper and lower: a character may map to several ("ß" upper-cases
// to "SS", "ﬁ" to "FI", "İ" lower-cases to "i̇"), and a capital sigma lower-cases to the
// final form "ς" at the end of a word ("ΟΔΟΣ" gives "οδος"), where Go's per-rune
// unicode.ToUpper/ToLower would keep "ß" and give "σ". All-ASCII data (the common case)
// is mapped byte by byte into a buffer of the same size, keeping the offsets; an ASCII
// row of mixed data is mapped byte by byte too, and the other rows go through
// golang.org/x/text/cases into one reused scratch buffer (invalid UTF-8 bytes are kept
// as they are).
func evMapCase(mem memory.Allocator, s arrow.Array, upper bool) (arrow.Array, error) {
	mapByte := evLowerASCII
	if upper {
		mapByte = evUpperASCII
	}
	n := s.Len()
	offs, data := kernel.OffsetsAndData[int32](s)
	src := data[offs[0]:offs[n]]
	if evIsASCII(src) {
		offBuf, outOffs := evNewValues[int32](mem, n+1, 4)
		for i, o := range offs {
			outOffs[i] = o - offs[0]
		}
		dataBuf := kernel.NewRawBuffer(mem, len(src))
		dst := dataBuf.Bytes()
		for i, c := range src {
			dst[i] = mapByte(c)
		}
		return evFinishArray(arrow.BinaryTypes.String, n, evCopyValidity(mem, s), offBuf, dataBuf), nil
	}
	var caser cases.Caser
	if upper {
		caser = cases.Upper(language.Und)
	} else {
		caser = cases.Lower(language.Und)
	}
	var scratch []byte
	w := evNewStrWriter(mem, n, len(src))
	vb, voff := kernel.Validity(s)
	for i := 0; i < n; i++ {
		if !kernel.IsSet(vb, voff, i) {
			w.nullRow()
			continue
		}
		b := data[offs[i]:offs[i+1]]
		if evIsASCII(b) {
			w.grow(len(b))
			for j, c := range b {
				w.data[w.used+j] = mapByte(c)
			}
			w.used += len(b)
			w.endRow()
			continue
		}
		scratch = evCaseRow(&caser, scratch, b)
		w.add(scratch)
		w.endRow()
	}
	return w.finish(arrow.BinaryTypes.String)
}

// evCaseRow maps b with caser into scratch (grown as needed, never per row once large
// enough) and returns the mapped bytes.
func evCaseRow(caser *cases.Caser, scratch, b []byte) []byte {
	if cap(scratch) < 2*len(b)+8 {
		scratch = make([]byte, 2*len(b)+8)
	}
	scratch = scratch[:cap(scratch)]
	for {
		caser.Reset()
		nDst, _, err := caser.Transform(scratch, b, true)
		if err != transform.ErrShortDst {
			return scratch[:nDst]
		}
		scratch = make([]byte, 2*len(scratch))
	}
}

// evSubstringBounds applies Spark's substring rules (UTF8String.substringSQL) to a
// string of nchars characters: a positive start is 1-based, 0 acts as 1, a negative
// start counts from the end; a negative length gives the empty string. It returns the
// character range [from, to).
func evSubstringBounds(nchars, start, length int64) (int64, int64) {
	if length <= 0 {
		return 0, 0
	}
	var from int64
	switch {
	case start > 0:
		from = start - 1
	case start < 0:
		from = nchars + start
	}
	to := from + length
	if to < from { // overflow
		to = math.MaxInt64
	}
	from = max(from, 0)
	to = min(to, nchars)
	if from >= to {
		return 0, 0
	}
	return from, to
}

func evSubstring(mem memory.Allocator, s arrow.Array, start, length int64) (arrow.Array, error) {
	n := s.Len()
	offs, data := kernel.OffsetsAndData[int32](s)
	ascii := evIsASCII(data[offs[0]:offs[n]])
	w := evNewStrWriter(mem, n, 0)
	vb, voff := kernel.Validity(s)
	for i := 0; i < n; i++ {
		if !kernel.IsSet(vb, voff, i) {
			w.nullRow()
			continue
		}
		b := data[offs[i]:offs[i+1]]
		if ascii {
			from, to := evSubstringBounds(int64(len(b)), start, length)
			w.add(b[from:to])
		} else {
			from, to := evSubstringBounds(int64(utf8.RuneCount(b)), start, length)
			w.add(evRuneSlice(b, from, to))
		}
		w.endRow()
	}
	return w.finish(arrow.BinaryTypes.String)
}

// evRuneSlice returns the bytes of characters [from, to) of b.
func evRuneSlice(b []byte, from, to int64) []byte {
	if from >= to {
		return nil
	}
	var ch int64
	lo, hi := len(b), len(b)
	for j := 0; j < len(b); {
		if ch == from {
			lo = j
		}
		if ch == to {
			hi = j
			break
		}
		_, size := utf8.DecodeRune(b[j:])
		j += size
		ch++
	}
	return b[lo:hi]
}

// evMatch tests every row against a constant needle.
func evMatch(mem memory.Allocator, s arrow.Array, needle []byte, match func(s, sub []byte) bool) (arrow.Array, error) {
	n := s.Len()
	offs, data := kernel.OffsetsAndData[int32](s)
	out := evNewBitmap(mem, n, false)
	bits := out.Bytes()
	for i := 0; i < n; i++ {
		if match(data[offs[i]:offs[i+1]], needle) {
			bitutil.SetBit(bits, i)
		}
	}
	return evFinishArray(arrow.FixedWidthTypes.Boolean, n, evCopyValidity(mem, s), out), nil
}

// matchColumns handles contains/starts_with/ends_with whose needle is a column.
func (ev *Evaluator) matchColumns(name string, s, sub arrow.Array, match func(s, sub []byte) bool) (evValue, error) {
	hs, err := evPlainStrings(ev.Mem, s)
	if err != nil {
		return evValue{}, fmt.Errorf("%s: %w", name, err)
	}
	defer hs.Release()
	nd, err := evPlainStrings(ev.Mem, sub)
	if err != nil {
		return evValue{}, fmt.Errorf("%s: %w", name, err)
	}
	defer nd.Release()
	n := hs.Len()
	ho, hd := kernel.OffsetsAndData[int32](hs)
	no, nData := kernel.OffsetsAndData[int32](nd)
	out := evNewBitmap(ev.Mem, n, false)
	bits := out.Bytes()
	for i := 0; i < n; i++ {
		if match(hd[ho[i]:ho[i+1]], nData[no[i]:no[i+1]]) {
			bitutil.SetBit(bits, i)
		}
	}
	validity := evCombinedValidity(ev.Mem, n, hs, nd)
	return evArray(evFinishArray(arrow.FixedWidthTypes.Boolean, n, validity, out)), nil
}

// evStrWriter builds a utf8 array row by row into allocator-backed buffers.
type evStrWriter struct {
	offBuf, dataBuf, validBuf *memory.Buffer
	offs                      []int32
	data                      []byte // the data buffer's full capacity
	used                      int
	row                       int
	tmp                       []byte // scratch for strconv-style appends
	err                       error
}

func evNewStrWriter(mem memory.Allocator, n, dataHint int) *evStrWriter {
	w := &evStrWriter{}
	w.offBuf, w.offs = evNewValues[int32](mem, n+1, 4)
	w.offs[0] = 0
	w.validBuf = evNewBitmap(mem, n, true)
	w.dataBuf = memory.NewResizableBuffer(mem)
	w.dataBuf.Reserve(max(dataHint, 64))
	w.data = w.dataBuf.Buf()
	return w
}

func (w *evStrWriter) grow(k int) {
	if w.used+k <= len(w.data) {
		return
	}
	w.dataBuf.Reserve(max(2*len(w.data), w.used+k))
	w.data = w.dataBuf.Buf()
}

func (w *evStrWriter) add(b []byte) {
	w.grow(len(b))
	w.used += copy(w.data[w.used:], b)
}

func (w *evStrWriter) addByte(c byte) {
	w.grow(1)
	w.data[w.used] = c
	w.used++
}

func (w *evStrWriter) addRune(r rune) {
	w.grow(utf8.UTFMax)
	w.used += utf8.EncodeRune(w.data[w.used:], r)
}

func (w *evStrWriter) endRow() {
	if w.used > math.MaxInt32 && w.err == nil {
		w.err = errors.New("string data exceeds 2 GiB in one batch")
	}
	w.row++
	w.offs[w.row] = int32(w.used)
}

func (w *evStrWriter) nullRow() {
	bitutil.ClearBit(w.validBuf.Bytes(), w.row)
	w.endRow()
}

// finish returns the built array (of type dt: utf8 or binary) and releases the
// writer's references.
func (w *evStrWriter) finish(dt arrow.DataType) (arrow.Array, error) {
	w.dataBuf.ResizeNoShrink(w.used)
	if w.err != nil {
		w.offBuf.Release()
		w.dataBuf.Release()
		w.validBuf.Release()
		return nil, w.err
	}
	return evFinishArray(dt, w.row, w.validBuf, w.offBuf, w.dataBuf), nil
}
