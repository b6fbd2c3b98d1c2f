package plan

import (
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// foldIntervalCall evaluates date_add_interval and interval_negate over literals, so
// that a bound written DATE '1993-07-01' + INTERVAL '3' MONTH becomes a date literal:
// the filter then compares a column with a constant, which a Parquet scan prunes row
// groups with and the evaluator compares without a per-batch call. Only years 1..9999
// fold; dates beyond are left to the evaluator, which owns the overflow rules.
func foldIntervalCall(e *Call) Expr {
	switch {
	case strings.EqualFold(e.Func, "interval_negate") && len(e.Args) == 1:
		l, ok := e.Args[0].(*Literal)
		if !ok {
			return e
		}
		iv, ok := l.Value.(arrow.MonthDayNanoInterval)
		if !ok || iv.Months == math.MinInt32 || iv.Days == math.MinInt32 || iv.Nanoseconds == math.MinInt64 {
			return e
		}
		return &Literal{Value: arrow.MonthDayNanoInterval{Months: -iv.Months, Days: -iv.Days, Nanoseconds: -iv.Nanoseconds}, Type: l.Type}
	case strings.EqualFold(e.Func, "date_add_interval") && len(e.Args) == 2:
		dl, ok1 := e.Args[0].(*Literal)
		il, ok2 := e.Args[1].(*Literal)
		if !ok1 || !ok2 {
			return e
		}
		if dl.Value == nil || il.Value == nil {
			return &Literal{Type: dateTypDate}
		}
		d, ok1 := dl.Value.(arrow.Date32)
		iv, ok2 := il.Value.(arrow.MonthDayNanoInterval)
		if !ok1 || !ok2 {
			return e
		}
		if r, ok := dateAddIntervalValue(d, iv); ok {
			return &Literal{Value: r, Type: dateTypDate}
		}
	}
	return e
}

// dateAddIntervalValue is Spark's dateAddInterval for dates of years 1..9999: the months
// first, the day clamped to the new month's last, then the days and the whole days of
// the time part (floored). ok is false outside those years.
func dateAddIntervalValue(d arrow.Date32, iv arrow.MonthDayNanoInterval) (arrow.Date32, bool) {
	const maxMonths, maxDays = 12 * 10000, 366 * 10000
	if iv.Months < -maxMonths || iv.Months > maxMonths || iv.Days < -maxDays || iv.Days > maxDays {
		return 0, false
	}
	t := d.ToTime()
	if t.Year() < 1 || t.Year() > 9999 {
		return 0, false
	}
	y, m, day := t.Date()
	first := time.Date(y, m+time.Month(iv.Months), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	const nsDay = int64(24 * time.Hour)
	wholeDays := iv.Nanoseconds / nsDay
	if iv.Nanoseconds%nsDay < 0 {
		wholeDays--
	}
	r := first.AddDate(0, 0, min(day, last)-1+int(iv.Days)+int(wholeDays))
	if r.Year() < 1 || r.Year() > 9999 {
		return 0, false
	}
	return arrow.Date32FromTime(r), true
}
