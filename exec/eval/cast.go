package eval

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kindling-data/kindling/internal/kernel"
)

// cast converts an array to another type with Spark's non-ANSI rules: a string that
// does not parse becomes NULL, integer casts wrap, float-to-integer casts truncate
// toward zero and saturate (NaN gives 0). Dates print as yyyy-MM-dd and timestamps as
// yyyy-MM-dd HH:mm:ss[.ffffff] (microseconds, trailing zeros dropped, in the type's zone:
// UTC when it has none); numbers and timestamps convert through seconds since the Unix
// epoch (floored to integers, fractional for floats; NaN and ±Inf give NULL); a number
// is true unless it is zero.
//
// Strings are parsed by our own loops (arrow's cast fails the whole batch on one bad
// string); numeric-to-numeric and the other plain conversions use arrow's cast kernel.
// A dictionary column is cast once per dictionary entry and gathered.
func (ev *Evaluator) cast(v evValue, to arrow.DataType, _ int) (evValue, error) {
	out, err := ev.CastArray(v.arr, to)
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// CastArray converts arr to type to with the rules of cast, allocating from ev.Mem. The
// caller owns the result (arr itself, retained, when it already has that type).
func (ev *Evaluator) CastArray(arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	from := arr.DataType()
	if arrow.TypeEqual(from, to) {
		arr.Retain()
		return arr, nil
	}
	if from.ID() == arrow.NULL {
		return array.MakeArrayOfNull(ev.Mem, to, arr.Len()), nil
	}
	if d, ok := arr.(*array.Dictionary); ok {
		return ev.castDictionary(d, to)
	}
	if dt, ok := to.(*arrow.DictionaryType); ok {
		plain, err := ev.CastArray(arr, dt.ValueType)
		if err != nil {
			return nil, err
		}
		defer plain.Release()
		return evDictEncode(ev.Mem, plain, dt)
	}
	if from.ID() == arrow.DECIMAL128 || to.ID() == arrow.DECIMAL128 {
		return ev.castDecimal(arr, to)
	}
	if from.ID() == arrow.INTERVAL_MONTH_DAY_NANO && to.ID() == arrow.STRING {
		return evIntervalsToString(ev.Mem, arr) // func_interval.go
	}
	if from.ID() == arrow.TIMESTAMP && to.ID() != arrow.STRING && to.ID() != arrow.DATE32 && to.ID() != arrow.TIMESTAMP {
		return ev.castTimestampToNumber(arr, to)
	}
	if from.ID() == arrow.BOOL && to.ID() != arrow.STRING {
		// arrow's bool casts misread sliced inputs (arrow-go v18.8.0): go through 0/1.
		ints := evBoolToInt(ev.Mem, arr)
		defer ints.Release()
		return ev.CastArray(ints, to)
	}
	return ev.castPlain(arr, to)
}

// castDictionary casts a dictionary-encoded array: decoding when the target is its value
// type, re-encoding for another dictionary type, and otherwise casting each dictionary
// value once.
func (ev *Evaluator) castDictionary(d *array.Dictionary, to arrow.DataType) (arrow.Array, error) {
	if arrow.TypeEqual(d.Dictionary().DataType(), to) {
		return evDecodeDict(ev.Mem, d)
	}
	if to.ID() == arrow.DICTIONARY {
		plain, err := evDecodeDict(ev.Mem, d)
		if err != nil {
			return nil, err
		}
		defer plain.Release()
		return ev.CastArray(plain, to)
	}
	return evMapDict(ev.Mem, d, func(dict arrow.Array) (arrow.Array, error) {
		return ev.CastArray(dict, to)
	})
}

// castToInteger casts strings and floats to an integer type with Spark's rules (out of
// range or unparsable is NULL), through int64; other sources go to arrow's cast.
func (ev *Evaluator) castToInteger(arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	lo, hi := evIntRange(to)
	var wide arrow.Array
	switch arr.DataType().ID() {
	case arrow.STRING:
		wide = evParseRows(ev.Mem, arrow.PrimitiveTypes.Int64, 8, arr, func(s string) (int64, bool) {
			v, ok := evParseInt(s)
			return v, ok && v >= lo && v <= hi
		})
	case arrow.FLOAT64:
		wide = evFloatToInt[float64](ev.Mem, arr, lo, hi)
	case arrow.FLOAT32:
		wide = evFloatToInt[float32](ev.Mem, arr, lo, hi)
	default:
		return ev.kernelCast(arr, to)
	}
	defer wide.Release()
	return ev.kernelCast(wide, to)
}

// castPlain casts a non-dictionary array whose source is neither NULL, a timestamp to a
// number nor a boolean to a non-string: by target type.
func (ev *Evaluator) castPlain(arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	from := arr.DataType()
	fromStr := from.ID() == arrow.STRING
	switch to.ID() {
	case arrow.STRING:
		return ev.castToString(arr)
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return ev.castToInteger(arr, to)
	case arrow.FLOAT64, arrow.FLOAT32:
		if fromStr {
			wide := evParseRows(ev.Mem, arrow.PrimitiveTypes.Float64, 8, arr, evParseFloat)
			defer wide.Release()
			return ev.kernelCast(wide, to)
		}
	case arrow.BOOL:
		if fromStr {
			return evParseBools(ev.Mem, arr), nil
		}
		if isNumericID(from.ID()) {
			return ev.castNumberToBool(arr)
		}
	case arrow.DATE32:
		switch from.ID() {
		case arrow.STRING:
			return evParseRows(ev.Mem, arrow.FixedWidthTypes.Date32, 4, arr, evParseDate), nil
		case arrow.TIMESTAMP:
			return evTimestampToDate(ev.Mem, arr)
		}
	case arrow.TIMESTAMP:
		tt := to.(*arrow.TimestampType)
		switch from.ID() {
		case arrow.STRING:
			return evParseTimestamps(ev.Mem, arr, tt)
		case arrow.DATE32:
			return evDateToTimestamp(ev.Mem, arr, tt)
		case arrow.TIMESTAMP:
			if from.(*arrow.TimestampType).Unit == tt.Unit {
				return evRetype(arr, tt), nil
			}
		}
		if isNumericID(from.ID()) {
			return ev.castNumberToTimestamp(arr, tt)
		}
	}
	return ev.kernelCast(arr, to)
}

func (ev *Evaluator) kernelCast(arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	if arrow.TypeEqual(arr.DataType(), to) {
		arr.Retain()
		return arr, nil
	}
	out, err := compute.CastArray(ev.Ctx, arr, compute.UnsafeCastOptions(to))
	if err != nil {
		return nil, fmt.Errorf("cast %v to %v: %w", arr.DataType(), to, err)
	}
	return out, nil
}

// evIntRange is the range of an integer type, clipped to int64.
func evIntRange(dt arrow.DataType) (int64, int64) {
	bits := dt.(arrow.FixedWidthDataType).BitWidth()
	switch dt.ID() {
	case arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return 0, int64(1)<<bits - 1
	case arrow.UINT64:
		return 0, math.MaxInt64
	}
	if bits == 64 {
		return math.MinInt64, math.MaxInt64
	}
	return -(int64(1) << (bits - 1)), int64(1)<<(bits-1) - 1
}

// evParseRows parses every valid row of a utf8 array; a row that does not parse is NULL.
func evParseRows[T arrow.FixedWidthType](mem memory.Allocator, dt arrow.DataType, width int, arr arrow.Array, parse func(string) (T, bool)) arrow.Array {
	strs := arr.(*array.String)
	n := arr.Len()
	validity := evCopyValidity(mem, arr)
	if validity == nil {
		validity = evNewBitmap(mem, n, true)
	}
	bits := validity.Bytes()
	buf, out := evNewValues[T](mem, n, width)
	var zero T
	for i := 0; i < n; i++ {
		out[i] = zero
		if !bitutil.BitIsSet(bits, i) {
			continue
		}
		v, ok := parse(strs.Value(i))
		if !ok {
			bitutil.ClearBit(bits, i)
			continue
		}
		out[i] = v
	}
	return evFinishArray(dt, n, validity, buf)
}

// evTrim drops the leading and trailing whitespace and control bytes Spark ignores.
func evTrim(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	return s[i:j]
}

// evParseInt follows Spark's UTF8String.toLong: optional sign, digits, and an optional
// fractional part that is dropped ("1.9" is 1); overflow fails.
func evParseInt(s string) (int64, bool) {
	s = evTrim(s)
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	var v uint64
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if v > (limit-d)/10 {
			return 0, false
		}
		v = v*10 + d
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if i != len(s) || digits == 0 {
		return 0, false
	}
	if neg {
		return int64(-v), true // -(MaxInt64+1) wraps to MinInt64 as intended
	}
	return int64(v), true
}

// evParseFloat accepts what Java's Double.parseDouble accepts, near enough: decimal and
// exponent forms, NaN, Infinity, and a trailing d or f suffix.
func evParseFloat(s string) (float64, bool) {
	s = evTrim(s)
	if len(s) > 1 {
		switch s[len(s)-1] {
		case 'd', 'D', 'f', 'F':
			if c := s[len(s)-2]; c >= '0' && c <= '9' || c == '.' {
				s = s[:len(s)-1]
			}
		}
	}
	if strings.ContainsRune(s, '_') {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return v, true // ±Inf or 0, as Java gives
		}
		return 0, false
	}
	return v, true
}

// evParseBools follows Spark: t, true, y, yes, 1 and f, false, n, no, 0, in any case.
func evParseBools(mem memory.Allocator, arr arrow.Array) arrow.Array {
	strs := arr.(*array.String)
	n := arr.Len()
	validity := evCopyValidity(mem, arr)
	if validity == nil {
		validity = evNewBitmap(mem, n, true)
	}
	vbits := validity.Bytes()
	out := evNewBitmap(mem, n, false)
	bits := out.Bytes()
	for i := 0; i < n; i++ {
		if !bitutil.BitIsSet(vbits, i) {
			continue
		}
		switch strings.ToLower(evTrim(strs.Value(i))) {
		case "t", "true", "y", "yes", "1":
			bitutil.SetBit(bits, i)
		case "f", "false", "n", "no", "0":
		default:
			bitutil.ClearBit(vbits, i)
		}
	}
	return evFinishArray(arrow.FixedWidthTypes.Boolean, n, validity, out)
}

// evBoolToInt maps false/true to 0/1.
func evBoolToInt(mem memory.Allocator, arr arrow.Array) arrow.Array {
	n := arr.Len()
	b := arr.(*array.Boolean)
	buf, out := evNewValues[int64](mem, n, 8)
	for i := 0; i < n; i++ {
		out[i] = 0
		if b.Value(i) {
			out[i] = 1
		}
	}
	return evFinishArray(arrow.PrimitiveTypes.Int64, n, evCopyValidity(mem, arr), buf)
}

// evFloatToInt truncates toward zero and saturates at [lo, hi]; NaN gives 0 (Java's
// (long) conversion).
func evFloatToInt[F float32 | float64](mem memory.Allocator, arr arrow.Array, lo, hi int64) arrow.Array {
	n := arr.Len()
	src := kernel.FixedValues[F](arr)
	buf, out := evNewValues[int64](mem, n, 8)
	for i, f := range src {
		x := float64(f)
		switch {
		case x != x:
			out[i] = 0
		case x >= float64(hi):
			out[i] = hi
		case x <= float64(lo):
			out[i] = lo
		default:
			out[i] = int64(x)
		}
	}
	return evFinishArray(arrow.PrimitiveTypes.Int64, n, evCopyValidity(mem, arr), buf)
}

// evDaysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian date.
func evDaysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func evDaysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// evParseDate accepts yyyy-[m]m-[d]d, optionally followed by a space or 'T' and a time
// that is ignored (Spark's stringToDate).
func evParseDate(s string) (arrow.Date32, bool) {
	s = evTrim(s)
	num := func(i, minDigits, maxDigits int) (int64, int, bool) {
		var v int64
		j := i
		for j < len(s) && j-i < maxDigits && s[j] >= '0' && s[j] <= '9' {
			v = v*10 + int64(s[j]-'0')
			j++
		}
		return v, j, j-i >= minDigits
	}
	y, i, ok := num(0, 4, 4)
	if !ok || i >= len(s) || s[i] != '-' {
		return 0, false
	}
	m, i, ok := num(i+1, 1, 2)
	if !ok || i >= len(s) || s[i] != '-' {
		return 0, false
	}
	d, i, ok := num(i+1, 1, 2)
	if !ok || (i < len(s) && s[i] != ' ' && s[i] != 'T') {
		return 0, false
	}
	if m < 1 || m > 12 || d < 1 || d > evDaysIn(y, m) {
		return 0, false
	}
	return arrow.Date32(evDaysFromCivil(y, m, d)), true
}

// evZone returns the location of a timestamp type; no zone means UTC.
func evZone(tt *arrow.TimestampType) (*time.Location, error) {
	if tt.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := tt.GetZone()
	if err != nil {
		return nil, err
	}
	if loc == nil {
		return time.UTC, nil
	}
	return loc, nil
}

var evTimestampLayouts = []string{
	"2006-01-02 15:04:05", // fractional seconds are accepted after any seconds field
	"2006-01-02T15:04:05",
	time.RFC3339,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02",
}

// evParseTimestamps parses RFC 3339 and "2006-01-02[ T]15:04:05[.f]" (and a bare date);
// times without an offset are in the target type's zone (UTC when it has none).
func evParseTimestamps(mem memory.Allocator, arr arrow.Array, tt *arrow.TimestampType) (arrow.Array, error) {
	loc, err := evZone(tt)
	if err != nil {
		return nil, err
	}
	return evParseRows(mem, tt, 8, arr, func(s string) (arrow.Timestamp, bool) {
		s = evTrim(s)
		for _, layout := range evTimestampLayouts {
			t, err := time.ParseInLocation(layout, s, loc)
			if err == nil {
				return evFromTime(t, tt.Unit), true
			}
		}
		return 0, false
	}), nil
}

func evFromTime(t time.Time, unit arrow.TimeUnit) arrow.Timestamp {
	switch unit {
	case arrow.Second:
		return arrow.Timestamp(t.Unix())
	case arrow.Millisecond:
		return arrow.Timestamp(t.UnixMilli())
	case arrow.Microsecond:
		return arrow.Timestamp(t.UnixMicro())
	}
	return arrow.Timestamp(t.UnixNano())
}

func evFloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// evTimestampToDate takes the calendar date of each instant in the type's zone.
func evTimestampToDate(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	tt := arr.DataType().(*arrow.TimestampType)
	loc, err := evZone(tt)
	if err != nil {
		return nil, err
	}
	perDay := int64(86400) * int64(time.Second/tt.Unit.Multiplier())
	n := arr.Len()
	src := kernel.FixedValues[int64](arr)
	buf, out := evNewValues[arrow.Date32](mem, n, 4)
	for i, v := range src {
		if loc == time.UTC {
			out[i] = arrow.Date32(evFloorDiv(v, perDay))
			continue
		}
		y, m, d := arrow.Timestamp(v).ToTime(tt.Unit).In(loc).Date()
		out[i] = arrow.Date32(evDaysFromCivil(int64(y), int64(m), int64(d)))
	}
	return evFinishArray(arrow.FixedWidthTypes.Date32, n, evCopyValidity(mem, arr), buf), nil
}

// evDateToTimestamp gives midnight of each date in the target type's zone.
func evDateToTimestamp(mem memory.Allocator, arr arrow.Array, tt *arrow.TimestampType) (arrow.Array, error) {
	loc, err := evZone(tt)
	if err != nil {
		return nil, err
	}
	perDay := int64(86400) * int64(time.Second/tt.Unit.Multiplier())
	n := arr.Len()
	src := kernel.FixedValues[arrow.Date32](arr)
	buf, out := evNewValues[arrow.Timestamp](mem, n, 8)
	for i, d := range src {
		if loc == time.UTC {
			out[i] = arrow.Timestamp(int64(d) * perDay)
			continue
		}
		y, m, day := time.Unix(int64(d)*86400, 0).UTC().Date()
		out[i] = evFromTime(time.Date(y, m, day, 0, 0, 0, 0, loc), tt.Unit)
	}
	return evFinishArray(tt, n, evCopyValidity(mem, arr), buf), nil
}

// castToString formats values as Spark prints them.
func (ev *Evaluator) castToString(arr arrow.Array) (arrow.Array, error) {
	mem := ev.Mem
	switch dt := arr.DataType().(type) {
	case *arrow.Int8Type:
		return evFormatRows(mem, arr, 4, evAppendInts(kernel.FixedValues[int8](arr)))
	case *arrow.Int16Type:
		return evFormatRows(mem, arr, 6, evAppendInts(kernel.FixedValues[int16](arr)))
	case *arrow.Int32Type:
		return evFormatRows(mem, arr, 8, evAppendInts(kernel.FixedValues[int32](arr)))
	case *arrow.Int64Type:
		return evFormatRows(mem, arr, 10, evAppendInts(kernel.FixedValues[int64](arr)))
	case *arrow.Uint8Type:
		return evFormatRows(mem, arr, 4, evAppendUints(kernel.FixedValues[uint8](arr)))
	case *arrow.Uint16Type:
		return evFormatRows(mem, arr, 6, evAppendUints(kernel.FixedValues[uint16](arr)))
	case *arrow.Uint32Type:
		return evFormatRows(mem, arr, 8, evAppendUints(kernel.FixedValues[uint32](arr)))
	case *arrow.Uint64Type:
		return evFormatRows(mem, arr, 10, evAppendUints(kernel.FixedValues[uint64](arr)))
	case *arrow.Float64Type:
		vals := kernel.FixedValues[float64](arr)
		return evFormatRows(mem, arr, 12, func(i int, dst []byte) []byte { return evAppendDouble(dst, vals[i], 64) })
	case *arrow.Float32Type:
		vals := kernel.FixedValues[float32](arr)
		return evFormatRows(mem, arr, 10, func(i int, dst []byte) []byte { return evAppendDouble(dst, float64(vals[i]), 32) })
	case *arrow.BooleanType:
		b := arr.(*array.Boolean)
		return evFormatRows(mem, arr, 5, func(i int, dst []byte) []byte { return strconv.AppendBool(dst, b.Value(i)) })
	case *arrow.Date32Type:
		vals := kernel.FixedValues[arrow.Date32](arr)
		return evFormatRows(mem, arr, 10, func(i int, dst []byte) []byte {
			return time.Unix(int64(vals[i])*86400, 0).UTC().AppendFormat(dst, "2006-01-02")
		})
	case *arrow.TimestampType:
		// Spark keeps microseconds: finer digits are truncated, trailing zeros dropped.
		loc, err := evZone(dt)
		if err != nil {
			return nil, err
		}
		vals := kernel.FixedValues[arrow.Timestamp](arr)
		return evFormatRows(mem, arr, 19, func(i int, dst []byte) []byte {
			return vals[i].ToTime(dt.Unit).In(loc).AppendFormat(dst, "2006-01-02 15:04:05.999999")
		})
	}
	return ev.kernelCast(arr, arrow.BinaryTypes.String)
}

func evAppendInts[T int8 | int16 | int32 | int64](vals []T) func(int, []byte) []byte {
	return func(i int, dst []byte) []byte { return strconv.AppendInt(dst, int64(vals[i]), 10) }
}

func evAppendUints[T uint8 | uint16 | uint32 | uint64](vals []T) func(int, []byte) []byte {
	return func(i int, dst []byte) []byte { return strconv.AppendUint(dst, uint64(vals[i]), 10) }
}

// evFormatRows formats every valid row of arr with appendRow into a utf8 array.
func evFormatRows(mem memory.Allocator, arr arrow.Array, widthHint int, appendRow func(i int, dst []byte) []byte) (arrow.Array, error) {
	n := arr.Len()
	w := evNewStrWriter(mem, n, n*widthHint)
	vb, off := kernel.Validity(arr)
	for i := 0; i < n; i++ {
		if !kernel.IsSet(vb, off, i) {
			w.nullRow()
			continue
		}
		w.tmp = appendRow(i, w.tmp[:0])
		w.add(w.tmp)
		w.endRow()
	}
	return w.finish(arrow.BinaryTypes.String)
}

// evAppendDouble formats like Java's Double.toString: plain decimal with at least one
// fractional digit for magnitudes in [1e-3, 1e7), else d.dddE[-]n.
func evAppendDouble(dst []byte, f float64, bitSize int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	start := len(dst)
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		dst = strconv.AppendFloat(dst, f, 'f', -1, bitSize)
		if !bytes.ContainsRune(dst[start:], '.') {
			dst = append(dst, ".0"...)
		}
		return dst
	}
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], f, 'e', -1, bitSize)
	e := bytes.IndexByte(s, 'e')
	mant, exp := s[:e], s[e+1:]
	dst = append(dst, mant...)
	if !bytes.ContainsRune(mant, '.') {
		dst = append(dst, ".0"...)
	}
	dst = append(dst, 'E')
	if exp[0] == '-' {
		dst = append(dst, '-')
	}
	exp = bytes.TrimLeft(exp[1:], "0")
	return append(dst, exp...)
}

// evDictEncode encodes a plain array as the given dictionary type (rare: only when a
// projection's declared type asks for it).
func evDictEncode(mem memory.Allocator, plain arrow.Array, dt *arrow.DictionaryType) (arrow.Array, error) {
	b := array.NewDictionaryBuilder(mem, dt)
	defer b.Release()
	if err := b.AppendArray(plain); err != nil {
		return nil, fmt.Errorf("dictionary-encode %v: %w", plain.DataType(), err)
	}
	return b.NewArray(), nil
}

func isNumericID(id arrow.Type) bool {
	switch id {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64:
		return true
	}
	return false
}

// castNumberToBool follows Spark: zero is false, anything else (NaN too) is true.
// Integers are read as int64 and floats as float64 first.
func (ev *Evaluator) castNumberToBool(arr arrow.Array) (arrow.Array, error) {
	wideType := arrow.DataType(arrow.PrimitiveTypes.Int64)
	if id := arr.DataType().ID(); id == arrow.FLOAT32 || id == arrow.FLOAT64 {
		wideType = arrow.PrimitiveTypes.Float64
	}
	wide, err := ev.kernelCast(arr, wideType)
	if err != nil {
		return nil, err
	}
	defer wide.Release()
	n := wide.Len()
	out := evNewBitmap(ev.Mem, n, false)
	bits := out.Bytes()
	if wideType.ID() == arrow.FLOAT64 {
		for i, f := range kernel.FixedValues[float64](wide) {
			if f != 0 {
				bitutil.SetBit(bits, i)
			}
		}
	} else {
		for i, v := range kernel.FixedValues[int64](wide) {
			if v != 0 {
				bitutil.SetBit(bits, i)
			}
		}
	}
	return evFinishArray(arrow.FixedWidthTypes.Boolean, n, evCopyValidity(ev.Mem, wide), out), nil
}

// evSaturatingMul returns v*f clamped to the int64 range (Java's TimeUnit.toMicros,
// which Spark's integral-to-timestamp cast uses, saturates the same way); f > 0.
func evSaturatingMul(v, f int64) int64 {
	switch {
	case v > math.MaxInt64/f:
		return math.MaxInt64
	case v < math.MinInt64/f:
		return math.MinInt64
	}
	return v * f
}

// castNumberToTimestamp reads numbers as seconds since the Unix epoch (Spark): integers
// exactly (saturating at the int64 range of the target unit), floats with their fraction
// truncated to the target unit; NaN and ±Inf give NULL.
func (ev *Evaluator) castNumberToTimestamp(arr arrow.Array, tt *arrow.TimestampType) (arrow.Array, error) {
	perSec := int64(time.Second / tt.Unit.Multiplier())
	n := arr.Len()
	if id := arr.DataType().ID(); id == arrow.FLOAT32 || id == arrow.FLOAT64 {
		wide, err := ev.kernelCast(arr, arrow.PrimitiveTypes.Float64)
		if err != nil {
			return nil, err
		}
		defer wide.Release()
		validity := evCopyValidity(ev.Mem, wide)
		if validity == nil {
			validity = evNewBitmap(ev.Mem, n, true)
		}
		bits := validity.Bytes()
		buf, out := evNewValues[arrow.Timestamp](ev.Mem, n, 8)
		for i, f := range kernel.FixedValues[float64](wide) {
			out[i] = 0
			if math.IsNaN(f) || math.IsInf(f, 0) {
				bitutil.ClearBit(bits, i)
				continue
			}
			// Java's (long) conversion: truncate toward zero, saturate.
			switch x := f * float64(perSec); {
			case x >= math.MaxInt64:
				out[i] = math.MaxInt64
			case x <= math.MinInt64:
				out[i] = math.MinInt64
			default:
				out[i] = arrow.Timestamp(int64(x))
			}
		}
		return evFinishArray(tt, n, validity, buf), nil
	}
	wide, err := ev.kernelCast(arr, arrow.PrimitiveTypes.Int64)
	if err != nil {
		return nil, err
	}
	defer wide.Release()
	buf, out := evNewValues[arrow.Timestamp](ev.Mem, n, 8)
	for i, v := range kernel.FixedValues[int64](wide) {
		out[i] = arrow.Timestamp(evSaturatingMul(v, perSec))
	}
	return evFinishArray(tt, n, evCopyValidity(ev.Mem, wide), buf), nil
}

// castTimestampToNumber gives seconds since the Unix epoch (Spark): integers get the
// floor of the seconds (then wrap into narrower types, as Spark's int casts do), floats
// keep the fraction.
func (ev *Evaluator) castTimestampToNumber(arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	if !isNumericID(to.ID()) {
		return ev.kernelCast(arr, to)
	}
	tt := arr.DataType().(*arrow.TimestampType)
	perSec := int64(time.Second / tt.Unit.Multiplier())
	n := arr.Len()
	src := kernel.FixedValues[int64](arr)
	var wide arrow.Array
	if to.ID() == arrow.FLOAT32 || to.ID() == arrow.FLOAT64 {
		buf, out := evNewValues[float64](ev.Mem, n, 8)
		for i, v := range src {
			out[i] = float64(v) / float64(perSec)
		}
		wide = evFinishArray(arrow.PrimitiveTypes.Float64, n, evCopyValidity(ev.Mem, arr), buf)
	} else {
		buf, out := evNewValues[int64](ev.Mem, n, 8)
		for i, v := range src {
			out[i] = evFloorDiv(v, perSec)
		}
		wide = evFinishArray(arrow.PrimitiveTypes.Int64, n, evCopyValidity(ev.Mem, arr), buf)
	}
	defer wide.Release()
	return ev.kernelCast(wide, to)
}

// evRetype gives arr's values and validity under type to, which has the same layout (a
// timestamp with another zone): an instant does not change with the zone it is shown in.
// arrow-go's cast does the same without copying but drops a sliced input's offset
// (v18.8.0), reading the parent's first rows instead of the slice's.
func evRetype(arr arrow.Array, to arrow.DataType) arrow.Array {
	d := arr.Data()
	data := array.NewData(to, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
	defer data.Release()
	return array.MakeFromData(data)
}
