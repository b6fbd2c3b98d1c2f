package eval

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// Intervals: arrow's MONTH_DAY_NANO interval, Spark's CalendarInterval. The analyzer
// rewrites the interval operators into the calls here (see plan/interval.go). A result
// out of range (an int32 month or day count, int64 nanoseconds, the microsecond
// timestamp range) is NULL, as in Spark without ANSI mode; so is a NULL argument.

type mdn = arrow.MonthDayNanoInterval

var (
	evIntervalType  = arrow.FixedWidthTypes.MonthDayNanoInterval
	evTimestampType = &arrow.TimestampType{Unit: arrow.Microsecond}
)

func init() {
	register(map[string]function{
		"timestamp_add_interval": {apply: evTimestampAddInterval},
		"date_add_interval": {apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
			return ev.intervalRows(args, n, []arrow.Type{arrow.DATE32, arrow.INTERVAL_MONTH_DAY_NANO}, arrow.FixedWidthTypes.Date32, func(a []arrow.Array) (arrow.Array, error) {
				days, ivs := kernel.FixedValues[int32](a[0]), evIntervals(a[1])
				return evRows(ev.Mem, arrow.FixedWidthTypes.Date32, 4, n, a, func(i int) (int32, bool) {
					return evDateAddInterval(days[i], ivs[i])
				})
			})
		}},
		"timestamp_diff": {apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
			return ev.intervalRows(args, n, []arrow.Type{arrow.TIMESTAMP, arrow.TIMESTAMP}, evIntervalType, func(a []arrow.Array) (arrow.Array, error) {
				l, r := kernel.FixedValues[int64](a[0]), kernel.FixedValues[int64](a[1])
				return evRows(ev.Mem, evIntervalType, 16, n, a, func(i int) (mdn, bool) {
					d, ok := evSubOK(l[i], r[i])
					if !ok || d > math.MaxInt64/1000 || d < math.MinInt64/1000 {
						return mdn{}, false
					}
					return mdn{Nanoseconds: d * 1000}, true
				})
			})
		}},
		"interval_add": {apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
			return ev.intervalRows(args, n, []arrow.Type{arrow.INTERVAL_MONTH_DAY_NANO, arrow.INTERVAL_MONTH_DAY_NANO}, evIntervalType, func(a []arrow.Array) (arrow.Array, error) {
				l, r := evIntervals(a[0]), evIntervals(a[1])
				return evRows(ev.Mem, evIntervalType, 16, n, a, func(i int) (mdn, bool) { return evIntervalAdd(l[i], r[i]) })
			})
		}},
		"interval_negate": {apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
			return ev.intervalRows(args, n, []arrow.Type{arrow.INTERVAL_MONTH_DAY_NANO}, evIntervalType, func(a []arrow.Array) (arrow.Array, error) {
				v := evIntervals(a[0])
				return evRows(ev.Mem, evIntervalType, 16, n, a, func(i int) (mdn, bool) { return evIntervalNegate(v[i]) })
			})
		}},
		"interval_multiply": evIntervalScaleFunction(false),
		"interval_divide":   evIntervalScaleFunction(true),
		"make_interval": {apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
			return ev.intervalRows(args, n, []arrow.Type{arrow.INT64, arrow.INT64, arrow.INT64, arrow.INT64, arrow.INT64, arrow.INT64, arrow.FLOAT64}, evIntervalType, func(a []arrow.Array) (arrow.Array, error) {
				var ints [6][]int64
				for k := range ints {
					ints[k] = kernel.FixedValues[int64](a[k])
				}
				secs := kernel.FixedValues[float64](a[6])
				return evRows(ev.Mem, evIntervalType, 16, n, a, func(i int) (mdn, bool) {
					return evMakeInterval(ints[0][i], ints[1][i], ints[2][i], ints[3][i], ints[4][i], ints[5][i], secs[i])
				})
			})
		}},
	})
}

// evIntervals views the values of a month_day_nano interval array.
func evIntervals(a arrow.Array) []mdn {
	return a.(*array.MonthDayNanoInterval).MonthDayNanoIntervalValues()
}

// intervalRows checks the arguments' count and types (want), turns scalar arguments into arrays of n
// rows and runs f over them; a wrong argument type is an error, not a panic.
func (ev *Evaluator) intervalRows(args []evValue, n int, want []arrow.Type, dt arrow.DataType, f func(a []arrow.Array) (arrow.Array, error)) (evValue, error) {
	if len(args) != len(want) {
		return evValue{}, fmt.Errorf("takes %d arguments, got %d", len(want), len(args))
	}
	arrs := make([]arrow.Array, len(args))
	for i, v := range args {
		a, err := v.toArray(n, ev.Mem)
		if err != nil {
			return evValue{}, err
		}
		defer a.Release()
		if a.DataType().ID() == arrow.NULL {
			return evArray(array.MakeArrayOfNull(ev.Mem, dt, n)), nil
		}
		if a.DataType().ID() != want[i] {
			return evValue{}, fmt.Errorf("argument %d is %v, want %v", i+1, a.DataType(), want[i])
		}
		arrs[i] = a
	}
	out, err := f(arrs)
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// evRows builds an array of dt from f over the rows where every array of arrs is
// valid; f reports false for a NULL.
func evRows[O arrow.FixedWidthType](mem memory.Allocator, dt arrow.DataType, width, n int, arrs []arrow.Array, f func(i int) (O, bool)) (arrow.Array, error) {
	validity := evCombinedValidity(mem, n, arrs...)
	if validity == nil {
		validity = evNewBitmap(mem, n, true)
	}
	bits := validity.Bytes()
	buf, out := evNewValues[O](mem, n, width)
	var zero O
	for i := range n {
		out[i] = zero
		if !bitutil.BitIsSet(bits, i) {
			continue
		}
		o, ok := f(i)
		if !ok {
			bitutil.ClearBit(bits, i)
			continue
		}
		out[i] = o
	}
	return evFinishArray(dt, n, validity, buf), nil
}

func evAddOK(a, b int64) (int64, bool) {
	s := a + b
	return s, (s > a) == (b > 0)
}

func evSubOK(a, b int64) (int64, bool) {
	d := a - b
	return d, (d < a) == (b > 0)
}

// evInt32OK narrows v to int32, false when it does not fit.
func evInt32OK(v int64) (int32, bool) { return int32(v), v >= math.MinInt32 && v <= math.MaxInt32 }

// evMaxTimestampDays bounds the days of a microsecond timestamp.
const evMaxTimestampDays = math.MaxInt64/usPerDay - 1

// evWallAddMonths adds k months to a wall-clock time (microseconds as if in UTC) as
// java.time's plusMonths: the same day of the month, clamped to the last day of a
// shorter month; false when out of range.
func evWallAddMonths(wall int64, k int32) (int64, bool) {
	days := evFloorDiv(wall, usPerDay)
	tod := wall - days*usPerDay
	y, m, d := evCivilFromDays(days)
	total := y*12 + (m - 1) + int64(k)
	ny := evFloorDiv(total, 12)
	nm := total - ny*12 + 1
	days = evDaysFromCivil(ny, nm, min(d, evDaysIn(ny, nm)))
	if days > evMaxTimestampDays || days < -evMaxTimestampDays {
		return 0, false
	}
	return days*usPerDay + tod, true
}

// evWallAddDays adds k days to a wall-clock time; false when out of range.
func evWallAddDays(wall int64, k int32) (int64, bool) {
	days := evFloorDiv(wall, usPerDay) + int64(k)
	if days > evMaxTimestampDays || days < -evMaxTimestampDays {
		return 0, false
	}
	return wall + int64(k)*usPerDay, true
}

// evAddInterval is Spark's timestampAddInterval: the months added to the wall clock in
// loc (nil: UTC) with end-of-month clamping, then the days to the wall clock (a day
// across a DST change is 23 or 25 hours), each time keeping the previous offset when the
// new wall clock allows it (java.time's ZonedDateTime.plusMonths, plusDays), then the
// nanoseconds as exact time (truncated to microseconds).
func evAddInterval(us int64, iv mdn, loc *time.Location) (int64, bool) {
	utc := loc == nil || loc == time.UTC
	var ok bool
	if iv.Months != 0 || iv.Days != 0 {
		off := int64(0)
		if !utc {
			off = evOffsetMicros(us, loc)
		}
		wall := us + off
		if iv.Months != 0 {
			if wall, ok = evWallAddMonths(wall, iv.Months); !ok {
				return 0, false
			}
			if !utc {
				us = evWallToInstantPref(wall, loc, off)
				off = evOffsetMicros(us, loc)
				wall = us + off
			}
		}
		if iv.Days != 0 {
			if wall, ok = evWallAddDays(wall, iv.Days); !ok {
				return 0, false
			}
		}
		us = wall - off
		if !utc {
			us = evWallToInstantPref(wall, loc, off)
		}
	}
	return evAddOK(us, iv.Nanoseconds/1000)
}

// evTimestampAddInterval is timestamp_add_interval(ts, iv [, zone]).
func evTimestampAddInterval(ev *Evaluator, args []evValue, n int) (evValue, error) {
	args, loc, err := evZoneArg(args, 2)
	if err != nil {
		return evValue{}, err
	}
	return ev.intervalRows(args, n, []arrow.Type{arrow.TIMESTAMP, arrow.INTERVAL_MONTH_DAY_NANO}, evTimestampType, func(a []arrow.Array) (arrow.Array, error) {
		tt, ok := a[0].DataType().(*arrow.TimestampType)
		if !ok || tt.Unit != arrow.Microsecond {
			return nil, fmt.Errorf("takes (timestamp[us], interval), got (%v, %v)", a[0].DataType(), a[1].DataType())
		}
		ts, ivs := kernel.FixedValues[int64](a[0]), evIntervals(a[1])
		return evRows(ev.Mem, a[0].DataType(), 8, n, a, func(i int) (int64, bool) { return evAddInterval(ts[i], ivs[i], loc) })
	})
}

// evDateAddInterval is Spark's dateAddInterval: months (clamped to the month's end)
// then days; a time part (not expected: the analyzer sends those to
// timestamp_add_interval) counts its whole days.
func evDateAddInterval(d int32, iv mdn) (int32, bool) {
	r, ok := evAddMonths(d, int64(iv.Months))
	if !ok {
		return 0, false
	}
	return evDateAdd(r, int64(iv.Days)+evFloorDiv(iv.Nanoseconds, 86400*int64(time.Second)))
}

func evIntervalAdd(a, b mdn) (mdn, bool) {
	m, ok1 := evInt32OK(int64(a.Months) + int64(b.Months))
	d, ok2 := evInt32OK(int64(a.Days) + int64(b.Days))
	ns, ok3 := evAddOK(a.Nanoseconds, b.Nanoseconds)
	return mdn{Months: m, Days: d, Nanoseconds: ns}, ok1 && ok2 && ok3
}

func evIntervalNegate(a mdn) (mdn, bool) {
	if a.Months == math.MinInt32 || a.Days == math.MinInt32 || a.Nanoseconds == math.MinInt64 {
		return mdn{}, false
	}
	return mdn{Months: -a.Months, Days: -a.Days, Nanoseconds: -a.Nanoseconds}, true
}

// evIntervalScale is Spark's multiply and divide of an interval (IntervalUtils
// fromDoubles): each field times x, the months' fraction dropped, the days' fraction
// carried into the time part, the time rounded to the nanosecond. NaN, infinities,
// division by zero and overflow give NULL.
func evIntervalScale(a mdn, x float64, divide bool) (mdn, bool) {
	if math.IsNaN(x) || math.IsInf(x, 0) || (divide && x == 0) {
		return mdn{}, false
	}
	scale := func(v float64) float64 {
		if divide {
			return v / x
		}
		return v * x
	}
	months, days := scale(float64(a.Months)), scale(float64(a.Days))
	tm, td := math.Trunc(months), math.Trunc(days)
	if tm < math.MinInt32 || tm > math.MaxInt32 || td < math.MinInt32 || td > math.MaxInt32 {
		return mdn{}, false
	}
	ns := math.Round(scale(float64(a.Nanoseconds)) + (days-td)*86400e9)
	if math.IsNaN(ns) || ns < math.MinInt64 || ns >= math.MaxInt64 {
		return mdn{}, false
	}
	return mdn{Months: int32(tm), Days: int32(td), Nanoseconds: int64(ns)}, true
}

func evIntervalScaleFunction(divide bool) function {
	return function{apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		return ev.intervalRows(args, n, []arrow.Type{arrow.INTERVAL_MONTH_DAY_NANO, arrow.FLOAT64}, evIntervalType, func(a []arrow.Array) (arrow.Array, error) {
			ivs, xs := evIntervals(a[0]), kernel.FixedValues[float64](a[1])
			return evRows(ev.Mem, evIntervalType, 16, n, a, func(i int) (mdn, bool) { return evIntervalScale(ivs[i], xs[i], divide) })
		})
	}}
}

// evMakeInterval is Spark's make_interval: years and months to months, weeks and days
// to days, hours, minutes and seconds (to the microsecond) to the time part.
func evMakeInterval(years, months, weeks, days, hours, mins int64, secs float64) (mdn, bool) {
	const lim = 1 << 40
	for _, v := range []int64{years, months, weeks, days} {
		if v < -lim || v > lim {
			return mdn{}, false
		}
	}
	m, ok1 := evInt32OK(years*12 + months)
	d, ok2 := evInt32OK(weeks*7 + days)
	if !ok1 || !ok2 || math.IsNaN(secs) || math.IsInf(secs, 0) {
		return mdn{}, false
	}
	const hourNs, minNs = int64(3600e9), int64(60e9)
	if hours > math.MaxInt64/hourNs || hours < math.MinInt64/hourNs || mins > math.MaxInt64/minNs || mins < math.MinInt64/minNs {
		return mdn{}, false
	}
	us := math.Round(secs * 1e6)
	if us >= math.MaxInt64/1000 || us <= math.MinInt64/1000 {
		return mdn{}, false
	}
	ns, ok3 := evAddOK(hours*hourNs, mins*minNs)
	ns, ok4 := evAddOK(ns, int64(us)*1000)
	return mdn{Months: m, Days: d, Nanoseconds: ns}, ok3 && ok4
}

// evIntervalsToString casts intervals to text as Spark's CalendarInterval.toString.
func evIntervalsToString(mem memory.Allocator, arr arrow.Array) (arrow.Array, error) {
	ivs := evIntervals(arr)
	w := evNewStrWriter(mem, arr.Len(), arr.Len()*16)
	var row []byte
	for i, v := range ivs {
		if arr.IsNull(i) {
			w.nullRow()
			continue
		}
		row = plan.AppendInterval(row[:0], v)
		w.add(row)
		w.endRow()
	}
	return w.finish(arrow.BinaryTypes.String)
}
