package dataset

// The session time zone, the current time and intervals. See Config.TimeZone: a
// timestamp is an instant, and functions that need a wall clock read it in the session
// time zone, as Spark does with spark.sql.session.timeZone.

// CurrentDate is Spark's current_date(): the date, in the session time zone, at the
// start of the job. Every row, task and reference of one job (one action) sees the same
// value, as Spark's ComputeCurrentTime rule makes it.
func CurrentDate() Expr { return call("current_date") }

// CurrentTimestamp is Spark's current_timestamp(): the instant the job started, as a
// microsecond timestamp. Every row, task and reference of one job sees the same value.
func CurrentTimestamp() Expr { return call("current_timestamp") }

// Now is Spark's now(), the same as CurrentTimestamp.
func Now() Expr { return CurrentTimestamp() }
