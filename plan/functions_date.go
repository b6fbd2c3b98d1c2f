package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// The date and timestamp family: date parts (year … second) and date arithmetic
// (date_add, date_sub, datediff, add_months, last_day), typed as Spark types them.

var (
	dateTypInt32     arrow.DataType = arrow.PrimitiveTypes.Int32
	dateTypDate      arrow.DataType = arrow.FixedWidthTypes.Date32
	dateTypTimestamp arrow.DataType = &arrow.TimestampType{Unit: arrow.Microsecond}
)

func init() {
	part := resolveDatePart(false)
	timePart := resolveDatePart(true)
	register(map[string]funcSpec{
		"year":           {resolve: part},
		"quarter":        {resolve: part},
		"month":          {resolve: part},
		"dayofmonth":     {resolve: part},
		"dayofweek":      {resolve: part},
		"dayofyear":      {resolve: part},
		"weekofyear":     {resolve: part},
		"hour":           {resolve: timePart},
		"minute":         {resolve: timePart},
		"second":         {resolve: timePart},
		"date_add":       {resolve: resolveDateInt},
		"date_sub":       {resolve: resolveDateInt},
		"add_months":     {resolve: resolveDateInt},
		"datediff":       {resolve: resolveDateDiff},
		"last_day":       {resolve: resolveLastDay},
		"months_between": {resolve: resolveMonthsBetween},
	})
}

// dateArg checks that argument i is a date, a timestamp, a string or NULL, and converts
// it: a string (or NULL) becomes to (date32 or a microsecond timestamp), as Spark's
// implicit cast does; a timestamp becomes a date when to is date32 and keepTimestamp is
// false. A string literal that is not a date becomes NULL, as Spark's cast makes it.
func (c *callSite) dateArg(i int, to arrow.DataType, keepTimestamp bool) bool {
	t := c.types[i]
	switch {
	case t.ID() == arrow.DATE32:
		return true
	case t.ID() == arrow.TIMESTAMP:
		if keepTimestamp || to.ID() == arrow.TIMESTAMP {
			return true
		}
	case isNullType(t):
		c.args[i] = &Literal{Type: to}
		c.types[i] = to
		return true
	case isStringLike(t):
	default:
		return false
	}
	e, err := coerce(c.args[i], t, to)
	if err != nil {
		if _, lit := c.args[i].(*Literal); !lit {
			return false
		}
		e = &Literal{Type: to}
	}
	c.args[i] = e
	c.types[i] = to
	return true
}

// intArg checks that argument i is an integer (or NULL) and widens it to int64.
func (c *callSite) intArg(i int) bool {
	t := c.types[i]
	switch {
	case isNullType(t):
		c.args[i] = &Literal{Type: typInt64}
	case IsInteger(t):
		e, err := coerce(c.args[i], t, typInt64)
		if err != nil {
			return false
		}
		c.args[i] = e
	default:
		return false
	}
	c.types[i] = typInt64
	return true
}

// resolveDatePart types year, quarter, month, dayofmonth, dayofweek, dayofyear and
// weekofyear (timeOfDay false: a date or a timestamp, a string read as a date) and hour,
// minute and second (timeOfDay true: a string is read as a timestamp, a date is at
// midnight). The result is int32, as in Spark.
func resolveDatePart(timeOfDay bool) func(c *callSite) (Expr, arrow.DataType, error) {
	to := dateTypDate
	if timeOfDay {
		to = dateTypTimestamp
	}
	return func(c *callSite) (Expr, arrow.DataType, error) {
		if len(c.args) != 1 || !c.dateArg(0, to, true) {
			return nil, nil, c.bad("one date or timestamp")
		}
		return c.done(dateTypInt32)
	}
}

// resolveDateInt types date_add, date_sub and add_months: (date, integer) → date. A
// timestamp or a string first argument is converted to a date.
func resolveDateInt(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 || !c.dateArg(0, dateTypDate, false) || !c.intArg(1) {
		return nil, nil, c.bad("(date, integer)")
	}
	return c.done(dateTypDate)
}

// resolveDateDiff types datediff(end, start): two dates → int32 days.
func resolveDateDiff(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 || !c.dateArg(0, dateTypDate, false) || !c.dateArg(1, dateTypDate, false) {
		return nil, nil, c.bad("(date, date)")
	}
	return c.done(dateTypInt32)
}

// resolveLastDay types last_day(date) → date.
func resolveLastDay(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 1 || !c.dateArg(0, dateTypDate, false) {
		return nil, nil, c.bad("one date")
	}
	return c.done(dateTypDate)
}

// resolveMonthsBetween types months_between(end, start): dates or timestamps (a string
// is read as a timestamp) → float64.
func resolveMonthsBetween(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 || !c.dateArg(0, dateTypTimestamp, true) || !c.dateArg(1, dateTypTimestamp, true) {
		return nil, nil, c.bad("(timestamp or date, timestamp or date)")
	}
	return c.done(typFloat64)
}
