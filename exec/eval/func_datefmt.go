package eval

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
)

// The date formatting and parsing family. A datetime pattern (a literal) is compiled
// once per batch into a list of steps; rows are formatted and parsed with integer
// arithmetic on days and microseconds since the epoch, in UTC, with no time.Time per row.

func init() {
	register(map[string]function{
		"to_date":        {apply: evParseFunction(arrow.FixedWidthTypes.Date32)},
		"to_timestamp":   {apply: evParseFunction(&arrow.TimestampType{Unit: arrow.Microsecond})},
		"unix_timestamp": {apply: evParseFunction(arrow.PrimitiveTypes.Int64)},
		"date_format":    {apply: evFormatFunction},
		"from_unixtime":  {apply: evFormatFunction},
		"date_trunc":     {apply: evDateTruncFunction},
		"trunc":          {apply: evTruncFunction},
	})
}

const (
	usPerSec = int64(1_000_000)
	usPerDay = 86400 * usPerSec
)

// dfKind is what one step of a compiled pattern reads or writes.
type dfKind byte

const (
	dfLiteral dfKind = iota
	dfYear
	dfMonth
	dfDay
	dfHour   // H, 0-23
	dfHour12 // h, 1-12
	dfMinute
	dfSecond
	dfFraction // S…S, n digits
	dfDayName  // E
	dfAmPm     // a
)

// dfStep is one step of a compiled pattern: a field with its letter count, or literal
// text.
type dfStep struct {
	kind dfKind
	n    int
	lit  []byte
}

// dfPattern is a compiled datetime pattern.
type dfPattern []dfStep

var (
	dfMonthNames = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	dfDayNames  = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	dfAmPmNames = []string{"AM", "PM"}
)

// dfCompile compiles a Spark datetime pattern: y M d H h m s S E a, text in '...' (” is
// a quote), other characters literal.
func dfCompile(p string) (dfPattern, error) {
	var out dfPattern
	lit := func(b []byte) {
		if k := len(out); k > 0 && out[k-1].kind == dfLiteral {
			out[k-1].lit = append(out[k-1].lit, b...)
			return
		}
		out = append(out, dfStep{kind: dfLiteral, lit: append([]byte(nil), b...)})
	}
	kinds := map[byte]dfKind{'y': dfYear, 'M': dfMonth, 'd': dfDay, 'H': dfHour, 'h': dfHour12,
		'm': dfMinute, 's': dfSecond, 'S': dfFraction, 'E': dfDayName, 'a': dfAmPm}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			if i+1 < len(p) && p[i+1] == '\'' {
				lit([]byte{'\''})
				i += 2
				continue
			}
			// Quoted text up to the closing quote; '' inside it is a quote.
			var text []byte
			j := i + 1
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("unterminated quote in pattern %q", p)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						text = append(text, '\'')
						j += 2
						continue
					}
					break
				}
				text = append(text, p[j])
				j++
			}
			lit(text)
			i = j + 1
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			k, ok := kinds[c]
			if !ok {
				return nil, fmt.Errorf("unsupported pattern letter %q in %q", c, p)
			}
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			if k == dfFraction && j-i > 6 {
				return nil, fmt.Errorf("more than 6 fraction digits in %q", p)
			}
			out = append(out, dfStep{kind: k, n: j - i})
			i = j
		default:
			lit([]byte{c})
			i++
		}
	}
	return out, nil
}

// dfAppendInt appends v zero-padded to width digits (a '-' first when negative).
func dfAppendInt(dst []byte, v int64, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for k := len(s); k < width; k++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// format appends the text of us microseconds since the epoch (UTC).
func (p dfPattern) format(dst []byte, us int64) []byte {
	days := evFloorDiv(us, usPerDay)
	rem := us - days*usPerDay
	y, m, d := evCivilFromDays(days)
	sec := rem / usPerSec
	h := sec / 3600
	for _, st := range p {
		switch st.kind {
		case dfLiteral:
			dst = append(dst, st.lit...)
		case dfYear:
			if st.n == 2 {
				dst = dfAppendInt(dst, evFloorMod(y, 100), 2)
			} else {
				dst = dfAppendInt(dst, y, st.n)
			}
		case dfMonth:
			switch {
			case st.n == 3:
				dst = append(dst, dfMonthNames[m-1][:3]...)
			case st.n >= 4:
				dst = append(dst, dfMonthNames[m-1]...)
			default:
				dst = dfAppendInt(dst, m, st.n)
			}
		case dfDay:
			dst = dfAppendInt(dst, d, st.n)
		case dfHour:
			dst = dfAppendInt(dst, h, st.n)
		case dfHour12:
			h12 := h % 12
			if h12 == 0 {
				h12 = 12
			}
			dst = dfAppendInt(dst, h12, st.n)
		case dfMinute:
			dst = dfAppendInt(dst, sec/60%60, st.n)
		case dfSecond:
			dst = dfAppendInt(dst, sec%60, st.n)
		case dfFraction:
			f := rem % usPerSec
			for k := st.n; k < 6; k++ {
				f /= 10
			}
			dst = dfAppendInt(dst, f, st.n)
		case dfDayName:
			name := dfDayNames[evFloorMod(days+4, 7)]
			if st.n < 4 {
				name = name[:3]
			}
			dst = append(dst, name...)
		case dfAmPm:
			if h < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		}
	}
	return dst
}

// dfDigits reads between lo and hi ASCII digits of s at i.
func dfDigits(s []byte, i, lo, hi int) (v int64, next int, ok bool) {
	j := i
	for j < len(s) && j-i < hi && s[j] >= '0' && s[j] <= '9' {
		v = v*10 + int64(s[j]-'0')
		j++
	}
	return v, j, j-i >= lo
}

// dfName matches one of names (or their first three letters when short) at s[i:],
// ignoring ASCII case; it returns the index of the name.
func dfName(s []byte, i int, names []string, short bool) (int, int, bool) {
	for k, name := range names {
		if short {
			name = name[:3]
		}
		if len(s)-i >= len(name) && dfEqualFoldASCII(s[i:i+len(name)], name) {
			return k, i + len(name), true
		}
	}
	return 0, i, false
}

// dfEqualFoldASCII reports whether b is name (ASCII letters), ignoring case.
func dfEqualFoldASCII(b []byte, name string) bool {
	for j := range b {
		if b[j]|0x20 != name[j]|0x20 {
			return false
		}
	}
	return true
}

// dfFields are the date and time fields a parse has read so far; missing fields are
// those of 1970-01-01 00:00:00.
type dfFields struct {
	y, m, d, h, mi, sec, frac int64
	h12                       int64 // the 12-hour clock's hour, -1 when not read
	pm, hasAmPm               bool
	wday                      int // the day name's weekday (0 = Sunday), -1 when not read
}

// parse reads s whole as the pattern; false when it does not match or names no valid
// date and time. A day name must be the date's.
func (p dfPattern) parse(s []byte) (int64, bool) {
	f := dfFields{y: 1970, m: 1, d: 1, h12: -1, wday: -1}
	i := 0
	for _, st := range p {
		var ok bool
		if i, ok = f.read(st, s, i); !ok {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	return f.micros()
}

// read reads step st of a pattern from s at i into f, returning where the next step
// starts.
func (f *dfFields) read(st dfStep, s []byte, i int) (int, bool) {
	var ok bool
	switch st.kind {
	case dfLiteral:
		if len(s)-i < len(st.lit) || string(s[i:i+len(st.lit)]) != string(st.lit) {
			return i, false
		}
		return i + len(st.lit), true
	case dfYear:
		switch st.n {
		case 1:
			f.y, i, ok = dfDigits(s, i, 1, 4)
		case 2:
			f.y, i, ok = dfDigits(s, i, 2, 2)
			f.y += 2000
		default:
			f.y, i, ok = dfDigits(s, i, st.n, st.n)
		}
	case dfMonth:
		if st.n >= 3 {
			var k int
			k, i, ok = dfName(s, i, dfMonthNames, st.n == 3)
			f.m = int64(k) + 1
		} else {
			f.m, i, ok = dfDigits(s, i, st.n, 2)
		}
	case dfDay:
		f.d, i, ok = dfDigits(s, i, st.n, 2)
	case dfHour:
		f.h, i, ok = dfDigits(s, i, st.n, 2)
	case dfHour12:
		f.h12, i, ok = dfDigits(s, i, st.n, 2)
	case dfMinute:
		f.mi, i, ok = dfDigits(s, i, st.n, 2)
	case dfSecond:
		f.sec, i, ok = dfDigits(s, i, st.n, 2)
	case dfFraction:
		start := i
		f.frac, i, ok = dfDigits(s, i, 1, st.n)
		for k := i - start; k < 6; k++ {
			f.frac *= 10
		}
	case dfDayName:
		f.wday, i, ok = dfName(s, i, dfDayNames, st.n < 4)
	case dfAmPm:
		var k int
		k, i, ok = dfName(s, i, dfAmPmNames, false)
		f.pm, f.hasAmPm = k == 1, true
	}
	return i, ok
}

// micros checks the fields read and returns them as microseconds since the epoch.
func (f *dfFields) micros() (int64, bool) {
	h := f.h
	if f.h12 >= 0 {
		if f.h12 < 1 || f.h12 > 12 {
			return 0, false
		}
		h = f.h12 % 12
		if f.pm {
			h += 12
		}
	} else if f.hasAmPm && f.pm && h < 12 {
		h += 12
	}
	if f.m < 1 || f.m > 12 || f.d < 1 || f.d > evDaysIn(f.y, f.m) || h > 23 || f.mi > 59 || f.sec > 59 {
		return 0, false
	}
	days := evDaysFromCivil(f.y, f.m, f.d)
	if f.wday >= 0 && int64(f.wday) != evFloorMod(days+4, 7) {
		return 0, false
	}
	return days*usPerDay + (h*3600+f.mi*60+f.sec)*usPerSec + f.frac, true
}

// evPatternArg compiles the pattern literal of argument i.
func evPatternArg(args []evValue, i int) (dfPattern, error) {
	s, err := evLiteralText(args[i])
	if err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	return dfCompile(s)
}

// evLiteralText is the text of a non-NULL string literal argument: a scalar, or a
// one-row array when every argument was a scalar.
func evLiteralText(v evValue) (string, error) {
	if v.isScalar() {
		b, ok := evStringLiteral(v.sc)
		if !ok {
			return "", fmt.Errorf("must not be NULL")
		}
		return string(b), nil
	}
	s, ok := v.arr.(*array.String)
	if !ok || s.Len() == 0 || s.IsNull(0) {
		return "", fmt.Errorf("must be a string literal, got %v", v.arr.DataType())
	}
	return s.Value(0), nil
}

// evParseFunction parses strings with a pattern into dt: date32 (the date of the parsed
// time), a microsecond timestamp, or int64 seconds (unix_timestamp, which also takes a
// date or a timestamp). Unparsable text gives NULL.
func evParseFunction(dt arrow.DataType) func(ev *Evaluator, args []evValue, n int) (evValue, error) {
	return func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		args, loc, err := evZoneArg(args, 2) // the session zone, if not UTC
		if err != nil {
			return evValue{}, err
		}
		if len(args) != 2 || args[0].isScalar() {
			return evValue{}, fmt.Errorf("takes (string column, pattern)")
		}
		p, err := evPatternArg(args, 1)
		if err != nil {
			return evValue{}, err
		}
		arr := args[0].arr
		var out arrow.Array
		switch arr.DataType().ID() {
		case arrow.DATE32:
			vals := kernel.FixedValues[int32](arr)
			out = kernel.BuildFixed(ev.Mem, dt, arr.Len(), func(i int) int64 {
				return evFloorDiv(evWallToInstant(int64(vals[i])*usPerDay, loc), usPerSec) // midnight in the zone
			}, arr.IsValid)
		case arrow.TIMESTAMP:
			vals := kernel.FixedValues[int64](arr)
			out = kernel.BuildFixed(ev.Mem, dt, arr.Len(), func(i int) int64 {
				return evFloorDiv(vals[i], usPerSec)
			}, arr.IsValid)
		default:
			parse := func(a arrow.Array) (arrow.Array, error) { return evParseStrings(ev.Mem, a, p, dt, loc) }
			if d, ok := arr.(*array.Dictionary); ok {
				out, err = evMapDict(ev.Mem, d, parse)
			} else {
				out, err = parse(arr)
			}
		}
		if err != nil {
			return evValue{}, err
		}
		return evArray(out), nil
	}
}

// evParseStrings parses every row of a utf8 array into dt (date32, timestamp[us] or
// int64 seconds); a timestamp's text is a wall-clock time in loc (nil: UTC).
func evParseStrings(mem memory.Allocator, arr arrow.Array, p dfPattern, dt arrow.DataType, loc *time.Location) (arrow.Array, error) {
	if arr.DataType().ID() != arrow.STRING {
		return nil, fmt.Errorf("want utf8, got %v", arr.DataType())
	}
	n := arr.Len()
	offs, data := kernel.OffsetsAndData[int32](arr)
	validity := evCopyValidity(mem, arr)
	setNull := func(i int) {
		if validity == nil {
			validity = evNewBitmap(mem, n, true)
		}
		bitutil.ClearBit(validity.Bytes(), i)
	}
	if dt.ID() == arrow.DATE32 {
		buf, out := evNewValues[int32](mem, n, 4)
		for i := range n {
			out[i] = 0
			if arr.IsNull(i) {
				continue
			}
			us, ok := p.parse(data[offs[i]:offs[i+1]])
			if !ok {
				setNull(i)
				continue
			}
			out[i] = int32(evFloorDiv(us, usPerDay)) // years of at most 4 digits: in range
		}
		return evFinishArray(dt, n, validity, buf), nil
	}
	buf, out := evNewValues[int64](mem, n, 8)
	seconds := dt.ID() == arrow.INT64
	for i := range n {
		out[i] = 0
		if arr.IsNull(i) {
			continue
		}
		us, ok := p.parse(data[offs[i]:offs[i+1]])
		if !ok {
			setNull(i)
			continue
		}
		if loc != nil {
			us = evWallToInstant(us, loc)
		}
		if seconds {
			us = evFloorDiv(us, usPerSec)
		}
		out[i] = us
	}
	return evFinishArray(dt, n, validity, buf), nil
}

// evFormatLimit bounds the seconds from_unixtime formats (year ±292 thousand): beyond
// it the microseconds overflow, and the result is NULL.
const evFormatLimit = 9_000_000_000_000

// evFormatFunction is date_format (a date32 or timestamp[us]) and from_unixtime (int64
// seconds): each row as text of the pattern.
func evFormatFunction(ev *Evaluator, args []evValue, n int) (evValue, error) {
	args, loc, err := evZoneArg(args, 2) // the session zone, if not UTC
	if err != nil {
		return evValue{}, err
	}
	if len(args) != 2 || args[0].isScalar() {
		return evValue{}, fmt.Errorf("takes (column, pattern)")
	}
	p, err := evPatternArg(args, 1)
	if err != nil {
		return evValue{}, err
	}
	arr := args[0].arr
	var micros func(i int) (int64, bool)
	switch dt := arr.DataType().(type) {
	case *arrow.Date32Type:
		vals := kernel.FixedValues[int32](arr)
		micros = func(i int) (int64, bool) { return int64(vals[i]) * usPerDay, true }
	case *arrow.TimestampType:
		if dt.Unit != arrow.Microsecond {
			return evValue{}, fmt.Errorf("want timestamp[us], got %v", dt)
		}
		vals := kernel.FixedValues[int64](arr)
		micros = func(i int) (int64, bool) { return vals[i], true }
		if loc != nil {
			micros = func(i int) (int64, bool) { return evInstantToWall(vals[i], loc), true }
		}
	case *arrow.Int64Type:
		vals := kernel.FixedValues[int64](arr)
		micros = func(i int) (int64, bool) {
			v := vals[i]
			ok := v > -evFormatLimit && v < evFormatLimit
			if ok && loc != nil {
				return evInstantToWall(v*usPerSec, loc), true
			}
			return v * usPerSec, ok
		}
	default:
		return evValue{}, fmt.Errorf("want a date, timestamp or int64, got %v", dt)
	}
	w := evNewStrWriter(ev.Mem, arr.Len(), arr.Len()*len(p)*4)
	var row []byte
	for i := range arr.Len() {
		us, ok := micros(i)
		if arr.IsNull(i) || !ok {
			w.nullRow()
			continue
		}
		row = p.format(row[:0], us)
		w.add(row)
		w.endRow()
	}
	out, err := w.finish(arrow.BinaryTypes.String)
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evTruncDays truncates days since the epoch to the first day of its year, quarter,
// month or week (Monday); false for another unit.
func evTruncDays(unit string, days int64) (int64, bool) {
	switch unit {
	case "week":
		return days - evFloorMod(days+3, 7), true
	case "year", "quarter", "month":
		y, m, _ := evCivilFromDays(days)
		switch unit {
		case "year":
			m = 1
		case "quarter":
			m = (m-1)/3*3 + 1
		}
		return evDaysFromCivil(y, m, 1), true
	}
	return 0, false
}

// evDateTruncFunction is date_trunc(unit, timestamp[us]): the timestamp truncated to
// the unit.
func evDateTruncFunction(ev *Evaluator, args []evValue, n int) (evValue, error) {
	args, loc, err := evZoneArg(args, 2) // the session zone, if not UTC
	if err != nil {
		return evValue{}, err
	}
	if len(args) != 2 {
		return evValue{}, fmt.Errorf("date_trunc takes 2 arguments, got %d", len(args))
	}
	unit, err := evLiteralText(args[0])
	if err != nil {
		return evValue{}, fmt.Errorf("date_trunc unit: %w", err)
	}
	ts := args[1]
	if ts.isScalar() {
		arr, err := ts.toArray(n, ev.Mem)
		if err != nil {
			return evValue{}, err
		}
		defer arr.Release()
		ts = evArray(arr)
	}
	dt, ok := ts.arr.DataType().(*arrow.TimestampType)
	if !ok || dt.Unit != arrow.Microsecond {
		return evValue{}, fmt.Errorf("date_trunc takes timestamp[us], got %v", ts.arr.DataType())
	}
	var step int64
	switch unit {
	case "day":
		step = usPerDay
	case "hour":
		step = 3600 * usPerSec
	case "minute":
		step = 60 * usPerSec
	case "second":
		step = usPerSec
	case "year", "quarter", "month", "week":
	default:
		return evValue{}, fmt.Errorf("date_trunc: unknown unit %q", unit)
	}
	vals := kernel.FixedValues[int64](ts.arr)
	buf, out := evNewValues[int64](ev.Mem, len(vals), 8)
	for i, v := range vals {
		if loc != nil { // truncate the wall clock of the session zone
			w := evInstantToWall(v, loc)
			if step != 0 && step < usPerDay { // keeps its offset, as java.time's truncatedTo
				out[i] = v - (w - evFloorDiv(w, step)*step)
				continue
			}
			d, ok := evTruncDays(unit, evFloorDiv(w, usPerDay))
			if !ok {
				d = evFloorDiv(w, usPerDay)
			}
			out[i] = evWallToInstant(d*usPerDay, loc) // the day's start, as Spark's daysToMicros
			continue
		}
		if step != 0 {
			out[i] = evFloorDiv(v, step) * step
			continue
		}
		d, _ := evTruncDays(unit, evFloorDiv(v, usPerDay))
		out[i] = d * usPerDay
	}
	return evArray(evFinishArray(dt, len(vals), evCopyValidity(ev.Mem, ts.arr), buf)), nil
}

// evTruncFunction is trunc(date32, unit): the first day of the date's year, quarter,
// month or week. A first day before the date32 range is NULL.
func evTruncFunction(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if len(args) != 2 || args[0].isScalar() || args[0].dataType().ID() != arrow.DATE32 {
		return evValue{}, fmt.Errorf("trunc takes (date32 column, unit)")
	}
	unit, err := evLiteralText(args[1])
	if err != nil {
		return evValue{}, fmt.Errorf("trunc unit: %w", err)
	}
	if _, ok := evTruncDays(unit, 0); !ok {
		return evValue{}, fmt.Errorf("trunc: unknown unit %q", unit)
	}
	arr := args[0].arr
	vals := kernel.FixedValues[int32](arr)
	buf, out := evNewValues[int32](ev.Mem, len(vals), 4)
	validity := evCopyValidity(ev.Mem, arr)
	for i, v := range vals {
		d, _ := evTruncDays(unit, int64(v))
		r, ok := evDateFromDays(d)
		out[i] = r
		if !ok {
			if validity == nil {
				validity = evNewBitmap(ev.Mem, len(vals), true)
			}
			bitutil.ClearBit(validity.Bytes(), i)
		}
	}
	return evArray(evFinishArray(arrow.FixedWidthTypes.Date32, len(vals), validity, buf)), nil
}
