package dataset

// The session time zone, the current time and intervals. See Config.TimeZone: a
// timestamp is an instant, and functions that need a wall clock read it in the session
// time zone, as Spark does with spark.sql.session.timeZone.

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// CurrentDate is Spark's current_date(): the date, in the session time zone, at the
// start of the job. Every row, task and reference of one job (one action) sees the same
// value, as Spark's ComputeCurrentTime rule makes it.
func CurrentDate() Expr { return call("current_date") }

// CurrentTimestamp is Spark's current_timestamp(): the instant the job started, as a
// microsecond timestamp. Every row, task and reference of one job sees the same value.
func CurrentTimestamp() Expr { return call("current_timestamp") }

// Now is Spark's now(), the same as CurrentTimestamp.
func Now() Expr { return CurrentTimestamp() }

// LitInterval is an interval literal, Spark's CalendarInterval (arrow's MONTH_DAY_NANO
// interval): months, days and an exact duration. Months and days are calendar units:
// added to a timestamp they move its wall clock in the session time zone (a month from
// January 31 is the last day of February, a day across a DST change is 23 or 25 hours);
// d is exact time. Arithmetic: timestamp ± interval is a timestamp; date ± interval is a
// date when the literal has no time part (d = 0), else a timestamp (the date at
// midnight in the session zone plus the interval); interval ± interval, interval *
// number, interval / number (fractions of months dropped, of days carried into time,
// division by zero NULL) and Neg are intervals; timestamp − timestamp is an interval of
// nanoseconds only (Spark 3's day-time interval, with months and days 0). A result out
// of range is NULL. Cast to a string gives Spark's text, "1 months 2 days 3 hours".
func LitInterval(months, days int32, d time.Duration) Expr {
	v := arrow.MonthDayNanoInterval{Months: months, Days: days, Nanoseconds: int64(d)}
	return Expr{e: &plan.Literal{Value: v, Type: arrow.FixedWidthTypes.MonthDayNanoInterval}}
}

// MakeInterval is Spark's make_interval(years, months, weeks, days, hours, mins, secs):
// an interval of years×12+months months, weeks×7+days days and hours, minutes and
// seconds (secs is a number, kept to the microsecond) of exact time. The first six take
// integers. A NULL argument gives NULL, and so does a count out of range.
func MakeInterval(years, months, weeks, days, hours, mins, secs Expr) Expr {
	return call("make_interval", years, months, weeks, days, hours, mins, secs)
}
