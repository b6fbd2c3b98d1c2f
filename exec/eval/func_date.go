package eval

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
)

// The date and timestamp family. Calendar fields are computed from days since the epoch
// with a civil-from-days algorithm (proleptic Gregorian, as Spark's java.time), with no
// time.Time per row unless a timestamp's zone is not UTC.

// evDatePartKind names one field a date part function extracts.
type evDatePartKind int

const (
	evYear evDatePartKind = iota
	evQuarter
	evMonth
	evDayOfMonth
	evDayOfWeek
	evDayOfYear
	evWeekOfYear
	evHour
	evMinute
	evSecond
)

func init() {
	register(map[string]function{
		"year":       datePartFunction(evYear),
		"quarter":    datePartFunction(evQuarter),
		"month":      datePartFunction(evMonth),
		"dayofmonth": datePartFunction(evDayOfMonth),
		"dayofweek":  datePartFunction(evDayOfWeek),
		"dayofyear":  datePartFunction(evDayOfYear),
		"weekofyear": datePartFunction(evWeekOfYear),
		"hour":       datePartFunction(evHour),
		"minute":     datePartFunction(evMinute),
		"second":     datePartFunction(evSecond),
		"date_add":   dateIntFunction(evDateAdd),
		"date_sub":   dateIntFunction(evDateSub),
		"add_months": dateIntFunction(evAddMonths),
		"datediff": {apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
			if len(args) != 2 {
				return evValue{}, fmt.Errorf("datediff takes 2 arguments, got %d", len(args))
			}
			out, err := evBinaryFixed(ev.Mem, arrow.PrimitiveTypes.Int32, 4, n, args[0], args[1], evDateDiff)
			if err != nil {
				return evValue{}, err
			}
			return evArray(out), nil
		}},
		"months_between": {apply: (*Evaluator).monthsBetween},
		"last_day": {apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
			if len(args) != 1 || args[0].dataType().ID() != arrow.DATE32 {
				return evValue{}, fmt.Errorf("last_day takes one date")
			}
			return evArray(evLastDays(ev.Mem, args[0].arr)), nil
		}},
	})
}

// datePartFunction computes one date part of a date32 or timestamp column; a timestamp
// is read in its type's zone (UTC when it has none).
func datePartFunction(part evDatePartKind) function {
	return function{apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		args, zone, err := evZoneArg(args, 1) // the session zone, if not UTC
		if err != nil {
			return evValue{}, err
		}
		if len(args) != 1 || args[0].isScalar() {
			return evValue{}, fmt.Errorf("date part takes one date or timestamp")
		}
		arr := args[0].arr
		loc, err := evDateZone(arr.DataType())
		if err != nil {
			return evValue{}, err
		}
		if zone != nil {
			loc = zone
		}
		out, err := evDateParts(ev.Mem, arr, part, loc)
		if err != nil {
			return evValue{}, err
		}
		return evArray(out), nil
	}}
}

// dateIntFunction is a (date, integer) → date function computed row by row by f, which
// reports false for a result out of the date range (NULL).
func dateIntFunction(f func(d int32, k int64) (int32, bool)) function {
	return function{apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		if len(args) != 2 {
			return evValue{}, fmt.Errorf("takes 2 arguments, got %d", len(args))
		}
		if args[0].dataType().ID() != arrow.DATE32 || args[1].dataType().ID() != arrow.INT64 {
			return evValue{}, fmt.Errorf("takes (date32, int64), got (%v, %v)", args[0].dataType(), args[1].dataType())
		}
		out, err := evBinaryFixed(ev.Mem, arrow.FixedWidthTypes.Date32, 4, n, args[0], args[1], f)
		if err != nil {
			return evValue{}, err
		}
		return evArray(out), nil
	}}
}

// evCivilFromDays returns the proleptic Gregorian year, month (1-12) and day of the
// month of z days since 1970-01-01 (H. Hinnant's civil_from_days).
func evCivilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := evFloorDiv(z, 146097)
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365], from March 1
	mp := (5*doy + 2) / 153                                // [0, 11], March = 0
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	y = yoe + era*400
	if m <= 2 {
		y++
	}
	return y, m, d
}

// evFloorMod is a mod b in [0, b) for b > 0.
func evFloorMod(a, b int64) int64 { return a - evFloorDiv(a, b)*b }

// evDayPart computes a calendar field of a day (days since the epoch).
func evDayPart(part evDatePartKind, days int64) int32 {
	switch part {
	case evDayOfWeek: // Spark: 1 = Sunday … 7 = Saturday; 1970-01-01 was a Thursday
		return int32(evFloorMod(days+4, 7) + 1)
	case evWeekOfYear: // ISO 8601: the week of the year that holds the week's Thursday
		thursday := days - evFloorMod(days+3, 7) + 3
		y, _, _ := evCivilFromDays(thursday)
		return int32((thursday-evDaysFromCivil(y, 1, 1))/7 + 1)
	}
	y, m, d := evCivilFromDays(days)
	switch part {
	case evYear:
		return int32(y)
	case evQuarter:
		return int32((m-1)/3 + 1)
	case evMonth:
		return int32(m)
	case evDayOfMonth:
		return int32(d)
	case evDayOfYear:
		return int32(days - evDaysFromCivil(y, 1, 1) + 1)
	}
	return 0
}

// evDateParts extracts part from every row of a date32 or timestamp array as int32. A
// timestamp's wall clock is read in loc (nil: UTC); a date is at midnight, so its hour,
// minute and second are 0, as Spark's cast to timestamp makes them.
func evDateParts(mem memory.Allocator, arr arrow.Array, part evDatePartKind, loc *time.Location) (arrow.Array, error) {
	n := arr.Len()
	buf, out := evNewValues[int32](mem, n, 4)
	switch dt := arr.DataType().(type) {
	case *arrow.Date32Type:
		if part >= evHour { // midnight
			clear(out)
			break
		}
		for i, d := range kernel.FixedValues[int32](arr) {
			out[i] = evDayPart(part, int64(d))
		}
	case *arrow.TimestampType:
		src := kernel.FixedValues[int64](arr)
		perSec := int64(time.Second / dt.Unit.Multiplier())
		perDay := 86400 * perSec
		utc := loc == nil || loc == time.UTC
		for i, v := range src {
			if !utc {
				_, off := time.Unix(evFloorDiv(v, perSec), 0).In(loc).Zone()
				v += int64(off) * perSec
			}
			days := evFloorDiv(v, perDay)
			sec := (v - days*perDay) / perSec // seconds of the day
			switch part {
			case evHour:
				out[i] = int32(sec / 3600)
			case evMinute:
				out[i] = int32(sec / 60 % 60)
			case evSecond:
				out[i] = int32(sec % 60)
			default:
				out[i] = evDayPart(part, days)
			}
		}
	default:
		buf.Release()
		return nil, fmt.Errorf("date part of %v, want date32 or timestamp", arr.DataType())
	}
	return evFinishArray(arrow.PrimitiveTypes.Int32, n, evCopyValidity(mem, arr), buf), nil
}

// evDateFromDays narrows days since the epoch to a date32, false when out of range.
func evDateFromDays(days int64) (int32, bool) {
	if days < math.MinInt32 || days > math.MaxInt32 {
		return 0, false
	}
	return int32(days), true
}

// evDaysLimit bounds a day or month count so that the int64 arithmetic below cannot
// overflow; anything beyond it is out of the date range anyway.
const evDaysLimit = 1 << 40

// evDateAdd is Spark's date_add: d plus k days; NULL when out of the date range.
func evDateAdd(d int32, k int64) (int32, bool) {
	if k < -evDaysLimit || k > evDaysLimit {
		return 0, false
	}
	return evDateFromDays(int64(d) + k)
}

// evDateSub is Spark's date_sub: d minus k days.
func evDateSub(d int32, k int64) (int32, bool) {
	if k < -evDaysLimit || k > evDaysLimit {
		return 0, false
	}
	return evDateFromDays(int64(d) - k)
}

// evDateDiff is Spark's datediff(end, start): the days from start to end.
func evDateDiff(end, start int32) (int32, bool) {
	return evDateFromDays(int64(end) - int64(start))
}

// evAddMonths is Spark's add_months (java.time's plusMonths): the same day k months
// later, clamped to the last day of a shorter month (2024-01-31 + 1 = 2024-02-29). Since
// Spark 3.0 the last day of a month is not moved to the last day of the result's month.
func evAddMonths(d int32, k int64) (int32, bool) {
	if k < -evDaysLimit || k > evDaysLimit {
		return 0, false
	}
	y, m, day := evCivilFromDays(int64(d))
	total := y*12 + (m - 1) + k
	ny := evFloorDiv(total, 12)
	nm := total - ny*12 + 1
	day = min(day, evDaysIn(ny, nm))
	return evDateFromDays(evDaysFromCivil(ny, nm, day))
}

// evLastDays is Spark's last_day: the last day of each date's month. The few dates of
// the last month of the date32 range (July 5881580) have no last day in range: NULL.
func evLastDays(mem memory.Allocator, arr arrow.Array) arrow.Array {
	n := arr.Len()
	buf, out := evNewValues[int32](mem, n, 4)
	validity := evCopyValidity(mem, arr)
	for i, d := range kernel.FixedValues[int32](arr) {
		y, m, _ := evCivilFromDays(int64(d))
		v, ok := evDateFromDays(evDaysFromCivil(y, m, evDaysIn(y, m)))
		out[i] = v
		if !ok {
			if validity == nil {
				validity = evNewBitmap(mem, n, true)
			}
			bitutil.ClearBit(validity.Bytes(), i)
		}
	}
	return evFinishArray(arrow.FixedWidthTypes.Date32, n, validity, buf)
}

// evDateZone is the zone whose wall clock the date functions read a timestamp of type
// dt in: the type's zone, UTC for a zone-less timestamp (a wall-clock time in the session
// time zone, UTC); nil for a date. The one place to change when sessions get a zone.
func evDateZone(dt arrow.DataType) (*time.Location, error) {
	tt, ok := dt.(*arrow.TimestampType)
	if !ok {
		return nil, nil
	}
	return evZone(tt)
}

// evDayAndSecond splits a date32 or timestamp value into days since the epoch and
// seconds of the day, the wall clock read in loc (nil: UTC) for a timestamp.
type evDayAndSecond func(v int64) (days, sec int64)

// evSplitter returns the evDayAndSecond of values of dt (date32 or timestamp), reading
// timestamps in loc (nil: UTC).
func evSplitter(dt arrow.DataType, loc *time.Location) (evDayAndSecond, error) {
	switch dt := dt.(type) {
	case *arrow.Date32Type:
		return func(v int64) (int64, int64) { return v, 0 }, nil
	case *arrow.TimestampType:
		perSec := int64(time.Second / dt.Unit.Multiplier())
		perDay := 86400 * perSec
		utc := loc == nil || loc == time.UTC
		return func(v int64) (int64, int64) {
			if !utc {
				_, off := time.Unix(evFloorDiv(v, perSec), 0).In(loc).Zone()
				v += int64(off) * perSec
			}
			days := evFloorDiv(v, perDay)
			return days, (v - days*perDay) / perSec
		}, nil
	}
	return nil, fmt.Errorf("want a date or a timestamp, got %v", dt)
}

// evMonthsBetweenDays is Spark's months_between (DateTimeUtils.monthsBetween, rounded to
// 8 digits): whole months when both days are the same day of the month or both the last
// day of their month, otherwise the month difference plus the difference of the days and
// times within the month over 31 days.
func evMonthsBetweenDays(days1, sec1, days2, sec2 int64) float64 {
	y1, m1, d1 := evCivilFromDays(days1)
	y2, m2, d2 := evCivilFromDays(days2)
	months := float64((y1*12 + m1) - (y2*12 + m2))
	if d1 == d2 || (d1 == evDaysIn(y1, m1) && d2 == evDaysIn(y2, m2)) {
		return months
	}
	secs := (d1-d2)*86400 + sec1 - sec2
	diff := months + float64(secs)/(31*86400)
	return math.Floor(diff*1e8+0.5) / 1e8 // Java's Math.round
}

// monthsBetween computes months_between(end, start) for any mix of date32 and timestamp
// arguments.
func (ev *Evaluator) monthsBetween(args []evValue, n int) (evValue, error) {
	args, zone, err := evZoneArg(args, 2) // the session zone, if not UTC
	if err != nil {
		return evValue{}, err
	}
	if len(args) != 2 {
		return evValue{}, fmt.Errorf("months_between takes 2 arguments, got %d", len(args))
	}
	var split [2]evDayAndSecond
	for i, a := range args {
		loc, err := evDateZone(a.dataType())
		if err != nil {
			return evValue{}, err
		}
		if zone != nil {
			loc = zone
		}
		if split[i], err = evSplitter(a.dataType(), loc); err != nil {
			return evValue{}, err
		}
	}
	s1, s2 := split[0], split[1]
	f64 := arrow.PrimitiveTypes.Float64
	var out arrow.Array
	date1, date2 := args[0].dataType().ID() == arrow.DATE32, args[1].dataType().ID() == arrow.DATE32
	switch {
	case date1 && date2:
		out, err = evBinaryFixed(ev.Mem, f64, 8, n, args[0], args[1], evMonthsBetweenOf[int32, int32](s1, s2))
	case date1:
		out, err = evBinaryFixed(ev.Mem, f64, 8, n, args[0], args[1], evMonthsBetweenOf[int32, int64](s1, s2))
	case date2:
		out, err = evBinaryFixed(ev.Mem, f64, 8, n, args[0], args[1], evMonthsBetweenOf[int64, int32](s1, s2))
	default:
		out, err = evBinaryFixed(ev.Mem, f64, 8, n, args[0], args[1], evMonthsBetweenOf[int64, int64](s1, s2))
	}
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

func evMonthsBetweenOf[L, R int32 | int64](s1, s2 evDayAndSecond) func(L, R) (float64, bool) {
	return func(a L, b R) (float64, bool) {
		d1, t1 := s1(int64(a))
		d2, t2 := s2(int64(b))
		return evMonthsBetweenDays(d1, t1, d2, t2), true
	}
}
