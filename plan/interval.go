package plan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Intervals. Spark's CalendarInterval (months, days, microseconds) is arrow's
// MONTH_DAY_NANO interval (months, days, nanoseconds). The operators on intervals are
// rewritten at analysis into calls of the catalog, as Spark's analyzer rewrites them
// into TimeAdd, DateAddInterval and friends:
//
//	timestamp ± interval   → timestamp_add_interval(ts, iv)            (zone-aware)
//	date ± interval        → date_add_interval(d, iv), a date, when iv is a literal
//	                         without a time part; else the date at midnight in the
//	                         session zone plus the interval, a timestamp
//	timestamp - timestamp  → timestamp_diff(a, b), an interval of nanoseconds only
//	                         (Spark 3's day-time interval, as months 0 and days 0)
//	interval ± interval    → interval_add(a, b)
//	interval * number      → interval_multiply(iv, x); interval / number → interval_divide
//	-interval              → interval_negate(iv)
//
// A subtraction adds the negated interval.

var typInterval arrow.DataType = arrow.FixedWidthTypes.MonthDayNanoInterval

func isInterval(t arrow.DataType) bool { return t.ID() == arrow.INTERVAL_MONTH_DAY_NANO }

func init() {
	register(map[string]funcSpec{
		"timestamp_add_interval": {resolve: resolveIntervalFn("(timestamp, interval)", dateTypTimestamp, dateTypTimestamp, typInterval)},
		"date_add_interval":      {resolve: resolveIntervalFn("(date, interval)", dateTypDate, dateTypDate, typInterval)},
		"timestamp_diff":         {resolve: resolveIntervalFn("(timestamp, timestamp)", typInterval, dateTypTimestamp, dateTypTimestamp)},
		"interval_add":           {resolve: resolveIntervalFn("(interval, interval)", typInterval, typInterval, typInterval)},
		"interval_negate":        {resolve: resolveIntervalFn("(interval)", typInterval, typInterval)},
		"interval_multiply":      {resolve: resolveIntervalFn("(interval, number)", typInterval, typInterval, typFloat64)},
		"interval_divide":        {resolve: resolveIntervalFn("(interval, number)", typInterval, typInterval, typFloat64)},
		"make_interval": {resolve: resolveIntervalFn("(years, months, weeks, days, hours, mins integers, secs number)",
			typInterval, typInt64, typInt64, typInt64, typInt64, typInt64, typInt64, typFloat64)},
	})
}

// resolveIntervalFn types a function of the interval family: each argument converted
// to want[i] (a NULL to a NULL of it, a number to a wider number, a date or a string to
// a timestamp, a timestamp of another unit or zone to a zone-less microsecond one).
func resolveIntervalFn(takes string, result arrow.DataType, want ...arrow.DataType) func(c *callSite) (Expr, arrow.DataType, error) {
	return func(c *callSite) (Expr, arrow.DataType, error) {
		if len(c.args) != len(want) {
			return nil, nil, c.bad(takes)
		}
		for i, w := range want {
			t := c.types[i]
			ok := false
			switch {
			case isNullType(t):
				c.args[i], c.types[i], ok = &Literal{Type: w}, w, true
			case w.ID() == arrow.TIMESTAMP:
				ok = c.timestampArg(i, true)
			case w.ID() == arrow.DATE32:
				ok = t.ID() == arrow.DATE32
			case isInterval(w):
				ok = isInterval(t)
			case IsInteger(w):
				ok = IsInteger(t)
			case isFloat(w):
				ok = IsNumeric(t)
			}
			if !ok {
				return nil, nil, c.bad(takes)
			}
			if !arrow.TypeEqual(c.types[i], w) {
				e, err := coerce(c.args[i], c.types[i], w)
				if err != nil {
					return nil, nil, c.bad(takes)
				}
				c.args[i], c.types[i] = e, w
			}
		}
		return c.done(result)
	}
}

// intervalOperands reports whether a binary operator is interval arithmetic: an
// interval operand, or a timestamp minus a timestamp.
func intervalOperands(op BinaryOp, lt, rt arrow.DataType) bool {
	if !op.IsArithmetic() {
		return false
	}
	return isInterval(lt) || isInterval(rt) || (op == OpSub && lt.ID() == arrow.TIMESTAMP && rt.ID() == arrow.TIMESTAMP)
}

// resolveIntervalArithmetic rewrites an interval operator into its call (see above) and
// types it.
func resolveIntervalArithmetic(e *Binary, l Expr, lt arrow.DataType, r Expr, rt arrow.DataType, schema *arrow.Schema) (Expr, arrow.DataType, error) {
	out := timeIntervalCall(e.Op, l, lt, r, rt)
	if out == nil {
		out = dateIntervalCall(e.Op, l, lt, r, rt)
	}
	if out == nil {
		out = intervalOnlyCall(e.Op, l, lt, r, rt)
	}
	if out == nil {
		want := "timestamp ± interval, date ± interval, interval ± interval, interval * number, interval / number or timestamp - timestamp"
		return nil, nil, errAt(ErrType, fmt.Sprintf("%s: cannot apply %s to %s and %s (interval arithmetic takes %s)",
			e, e.Op, typeName(lt), typeName(rt), want))
	}
	res, t, err := resolveExpr(out, schema)
	if err != nil {
		return nil, nil, atExpr(err, e)
	}
	return res, t, nil
}

// intervalCall is the call of the interval family f over args.
func intervalCall(f string, args ...Expr) Expr { return &Call{Func: f, Args: args} }

// signedInterval is the interval x an operator adds: negated for a subtraction.
func signedInterval(op BinaryOp, x Expr) Expr {
	if op == OpSub {
		return intervalCall("interval_negate", x)
	}
	return x
}

// isTimeOperand reports whether t is a timestamp operand of interval arithmetic (a
// NULL counts as one).
func isTimeOperand(t arrow.DataType) bool { return t.ID() == arrow.TIMESTAMP || isNullType(t) }

// isNumOperand reports whether t is a number operand of interval arithmetic (a NULL
// counts as one).
func isNumOperand(t arrow.DataType) bool { return IsNumeric(t) || isNullType(t) }

// timeIntervalCall rewrites the operators with a timestamp operand: timestamp -
// timestamp, timestamp ± interval and interval + timestamp; nil for other operands.
func timeIntervalCall(op BinaryOp, l Expr, lt arrow.DataType, r Expr, rt arrow.DataType) Expr {
	switch {
	case op == OpSub && lt.ID() == arrow.TIMESTAMP && rt.ID() == arrow.TIMESTAMP:
		return intervalCall("timestamp_diff", l, r)
	case (op == OpAdd || op == OpSub) && isInterval(rt) && isTimeOperand(lt):
		return intervalCall("timestamp_add_interval", l, signedInterval(op, r))
	case op == OpAdd && isInterval(lt) && isTimeOperand(rt):
		return intervalCall("timestamp_add_interval", r, l)
	}
	return nil
}

// dateIntervalCall rewrites the operators with a date operand: date ± interval and
// interval + date; nil for other operands.
func dateIntervalCall(op BinaryOp, l Expr, lt arrow.DataType, r Expr, rt arrow.DataType) Expr {
	switch {
	case (op == OpAdd || op == OpSub) && isInterval(rt) && lt.ID() == arrow.DATE32:
		return dateAddInterval(l, r, signedInterval(op, r))
	case op == OpAdd && isInterval(lt) && rt.ID() == arrow.DATE32:
		return dateAddInterval(r, l, l)
	}
	return nil
}

// intervalOnlyCall rewrites the operators of intervals with intervals or numbers:
// interval ± interval, interval * number, number * interval and interval / number;
// nil for other operands.
func intervalOnlyCall(op BinaryOp, l Expr, lt arrow.DataType, r Expr, rt arrow.DataType) Expr {
	switch {
	case (op == OpAdd || op == OpSub) && isInterval(lt) && (isInterval(rt) || isNullType(rt)):
		return intervalCall("interval_add", l, signedInterval(op, r))
	case op == OpAdd && isNullType(lt) && isInterval(rt):
		return intervalCall("interval_add", l, r)
	case op == OpMul && isInterval(lt) && isNumOperand(rt):
		return intervalCall("interval_multiply", l, r)
	case op == OpMul && isNumOperand(lt) && isInterval(rt):
		return intervalCall("interval_multiply", r, l)
	case op == OpDiv && isInterval(lt) && isNumOperand(rt):
		return intervalCall("interval_divide", l, r)
	}
	return nil
}

// dateAddInterval is date + interval: a date (date_add_interval) when the interval is a
// literal without a time part, as Spark's DateAddInterval; else the date at midnight
// plus the interval, a timestamp, as Spark's TimeAdd of a date and a day-time interval.
func dateAddInterval(d, iv, signed Expr) Expr {
	if l, ok := iv.(*Literal); ok {
		if v, ok := l.Value.(arrow.MonthDayNanoInterval); ok && v.Nanoseconds == 0 {
			return &Call{Func: "date_add_interval", Args: []Expr{d, signed}}
		}
	}
	return &Call{Func: "timestamp_add_interval", Args: []Expr{&Cast{Child: d, To: dateTypTimestamp}, signed}}
}

// resolveIntervalNegate types -interval.
func resolveIntervalNegate(c Expr, schema *arrow.Schema) (Expr, arrow.DataType, error) {
	return resolveExpr(&Call{Func: "interval_negate", Args: []Expr{c}}, schema)
}

// FormatInterval renders an interval as Spark's CalendarInterval.toString does: "1
// years 2 months 3 days 4 hours 5 minutes 6.5 seconds", zero units left out, "0
// seconds" for the zero interval; the seconds show their fraction down to nanoseconds.
func FormatInterval(v arrow.MonthDayNanoInterval) string {
	return string(AppendInterval(nil, v))
}

// AppendInterval appends FormatInterval(v) to dst.
func AppendInterval(dst []byte, v arrow.MonthDayNanoInterval) []byte {
	if v.Months == 0 && v.Days == 0 && v.Nanoseconds == 0 {
		return append(dst, "0 seconds"...)
	}
	unit := func(n int64, name string) {
		if n != 0 {
			dst = strconv.AppendInt(dst, n, 10)
			dst = append(dst, ' ')
			dst = append(dst, name...)
			dst = append(dst, ' ')
		}
	}
	unit(int64(v.Months/12), "years")
	unit(int64(v.Months%12), "months")
	unit(int64(v.Days), "days")
	const nsHour, nsMinute = int64(3600e9), int64(60e9)
	rest := v.Nanoseconds
	unit(rest/nsHour, "hours")
	rest %= nsHour
	unit(rest/nsMinute, "minutes")
	rest %= nsMinute
	if rest != 0 {
		if rest < 0 {
			dst = append(dst, '-')
			rest = -rest
		}
		dst = strconv.AppendInt(dst, rest/1e9, 10)
		if frac := rest % 1e9; frac != 0 {
			s := strconv.FormatInt(frac+1e9, 10)[1:] // nine digits
			dst = append(dst, '.')
			dst = append(dst, strings.TrimRight(s, "0")...)
		}
		dst = append(dst, " seconds "...)
	}
	return dst[:len(dst)-1] // the last unit's trailing space
}
