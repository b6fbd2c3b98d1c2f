package dataset

// Date and timestamp functions. They take a date or a timestamp column (a string is read
// as a date, or as a timestamp for Hour, Minute and Second, as Spark's implicit cast does;
// one that is not a date gives NULL). A timestamp's calendar fields are those of its wall
// clock in the session time zone, UTC. The calendar is the proleptic Gregorian one, as in
// Spark 3. A NULL argument gives NULL, and a result outside the date range is NULL.

// Year is the year of a date or timestamp, as int32.
func Year(x Expr) Expr { return call("year", x) }

// Quarter is the quarter of the year (1 to 4) of a date or timestamp, as int32.
func Quarter(x Expr) Expr { return call("quarter", x) }

// Month is the month (1 to 12) of a date or timestamp, as int32.
func Month(x Expr) Expr { return call("month", x) }

// DayOfMonth is the day of the month (1 to 31) of a date or timestamp, as int32.
func DayOfMonth(x Expr) Expr { return call("dayofmonth", x) }

// DayOfWeek is the day of the week of a date or timestamp as Spark numbers it, 1 for
// Sunday to 7 for Saturday, as int32.
func DayOfWeek(x Expr) Expr { return call("dayofweek", x) }

// DayOfYear is the day of the year (1 to 366) of a date or timestamp, as int32.
func DayOfYear(x Expr) Expr { return call("dayofyear", x) }

// WeekOfYear is the ISO 8601 week number (1 to 53) of a date or timestamp, as in Spark:
// weeks start on Monday and week 1 is the week holding the year's first Thursday, so
// 2021-01-01 is in week 53 (of 2020) and 2024-12-30 in week 1 (of 2025). As int32.
func WeekOfYear(x Expr) Expr { return call("weekofyear", x) }

// Hour is the hour (0 to 23) of a timestamp, as int32; a date is at midnight (0).
func Hour(x Expr) Expr { return call("hour", x) }

// Minute is the minute (0 to 59) of a timestamp, as int32; a date is at midnight (0).
func Minute(x Expr) Expr { return call("minute", x) }

// Second is the second (0 to 59) of a timestamp, fractions dropped, as int32; a date is at
// midnight (0).
func Second(x Expr) Expr { return call("second", x) }

// DateAdd is the date days days after date d (Spark's date_add); days is an integer
// literal or column and may be negative. A timestamp d is first truncated to its date.
func DateAdd(d, days Expr) Expr { return call("date_add", d, days) }

// DateSub is the date days days before date d (Spark's date_sub).
func DateSub(d, days Expr) Expr { return call("date_sub", d, days) }

// DateDiff is the number of days from start to end, end - start, as int32 (Spark's
// datediff): negative when end is before start. Timestamps count by their dates.
func DateDiff(end, start Expr) Expr { return call("datediff", end, start) }

// AddMonths is the date months months after date d (Spark's add_months): the same day
// of the month, clamped to the last day of a shorter month (2024-01-31 plus one month is
// 2024-02-29). As in Spark 3, the last day of a month is not moved to the last day of the
// result's month: 2019-02-28 plus one month is 2019-03-28. months may be negative.
func AddMonths(d, months Expr) Expr { return call("add_months", d, months) }

// LastDay is the last day of the month of date d (Spark's last_day).
func LastDay(d Expr) Expr { return call("last_day", d) }

// MonthsBetween is the number of months from start to end as float64 (Spark's
// months_between, rounded to 8 digits): a whole number when both are the same day of the
// month or both the last day of their month, otherwise the difference of the days and
// times within the month counts as a fraction of a 31-day month:
// MonthsBetween(1997-02-28 10:30:00, 1996-10-30) is 3.94959677. Dates are at midnight.
func MonthsBetween(end, start Expr) Expr { return call("months_between", end, start) }
