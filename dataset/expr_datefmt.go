package dataset

// Date formatting and parsing functions. A pattern is a string literal in Spark's
// datetime pattern language, a subset of it:
//
//	y     year: yyyy four digits, yy two (parsed as 2000-2099), y the year unpadded
//	M     month: M, MM (1-12), MMM (Jan), MMMM (January)
//	d     day of the month: d, dd
//	H     hour of the day 0-23: H, HH
//	h     hour of the half day 1-12: h, hh (with a)
//	m, s  minute and second: m, mm, s, ss
//	S     fraction of the second, S to SSSSSS (parsing reads 1 to that many digits)
//	E     day name: E, EE, EEE (Mon), EEEE (Monday)
//	a     AM or PM
//	'…'   literal text ('' is a quote); other characters (- / : . , space) are literal
//
// Any other letter is an analysis error naming it. Times are in UTC. Parsing reads the
// whole text (no leading or trailing spaces); a field the pattern lacks is that of
// 1970-01-01 00:00:00; text that does not match, names no valid date (2023-02-29) or
// names a day that is not the date's gives NULL, as Spark's non-ANSI mode does. A NULL
// argument gives NULL.

// ToDate parses string x with pattern (a literal) into a date (Spark's to_date(x,
// pattern)); time fields are read and dropped. Unparsable text gives NULL.
func ToDate(x Expr, pattern string) Expr { return call("to_date", x, Lit(pattern)) }

// ToTimestamp parses string x with pattern (a literal) into a timestamp, in UTC, to the
// microsecond (Spark's to_timestamp(x, pattern)). Unparsable text gives NULL.
func ToTimestamp(x Expr, pattern string) Expr { return call("to_timestamp", x, Lit(pattern)) }

// UnixTimestamp is the seconds since 1970-01-01 00:00:00 UTC, as int64, of string x
// parsed with pattern (Spark's unix_timestamp(x, pattern)); fractions of a second are
// dropped (floored). A date or timestamp x is converted directly, the pattern unused.
// Unparsable text gives NULL.
func UnixTimestamp(x Expr, pattern string) Expr { return call("unix_timestamp", x, Lit(pattern)) }

// DateFormat is date or timestamp x as text of pattern (Spark's date_format(x, pattern));
// a date is at midnight, and a string x is first read as a timestamp.
func DateFormat(x Expr, pattern string) Expr { return call("date_format", x, Lit(pattern)) }

// FromUnixTime is the integer seconds since 1970-01-01 00:00:00 UTC secs as text of
// pattern (Spark's from_unixtime(secs, pattern)). Seconds too large for a timestamp give
// NULL.
func FromUnixTime(secs Expr, pattern string) Expr {
	return call("from_unixtime", secs, Lit(pattern))
}

// DateTrunc is timestamp ts truncated to the start of its unit, as a timestamp (Spark's
// date_trunc(unit, ts)): "year" ("yyyy", "yy"), "quarter", "month" ("mon", "mm"), "week"
// (starting on Monday), "day" ("dd"), "hour", "minute" or "second", in any case. A date
// or a string ts is read as a timestamp. Another unit is an analysis error.
func DateTrunc(unit string, ts Expr) Expr { return call("date_trunc", Lit(unit), ts) }

// Trunc is date d truncated to the first day of its unit, as a date (Spark's trunc(d,
// unit)): "year" ("yyyy", "yy"), "quarter", "month" ("mon", "mm") or "week" (the Monday),
// in any case. A timestamp or a string d is read as a date. Another unit is an analysis
// error.
func Trunc(d Expr, unit string) Expr { return call("trunc", d, Lit(unit)) }
