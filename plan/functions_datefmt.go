package plan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// The date formatting and parsing family: to_date, to_timestamp, date_format,
// unix_timestamp, from_unixtime (with a datetime pattern literal) and date_trunc, trunc
// (with a unit literal). The pattern is checked here, so that an unsupported letter is an
// analysis error naming it; the evaluator compiles it once per batch.

func init() {
	register(map[string]funcSpec{
		"to_date":        {resolve: resolveParseDate(dateTypDate)},
		"to_timestamp":   {resolve: resolveParseDate(dateTypTimestamp)},
		"unix_timestamp": {resolve: resolveParseDate(typInt64)},
		"date_format":    {resolve: resolveDateFormat},
		"from_unixtime":  {resolve: resolveFromUnixTime},
		"date_trunc":     {resolve: resolveDateTrunc},
		"trunc":          {resolve: resolveTrunc},
	})
}

// dateTimePatternLetters are the pattern letters the date formatting functions support.
const dateTimePatternLetters = "yMdHhmsSEa"

// checkDateTimePattern reports the first unsupported letter of a Spark datetime pattern
// (letters outside '...' quotes), or an unterminated quote.
func checkDateTimePattern(p string) error {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return fmt.Errorf("unterminated quote in pattern %q", p)
			}
			i += j + 1
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			if strings.IndexByte(dateTimePatternLetters, c) < 0 {
				return fmt.Errorf("unsupported pattern letter %q in %q (supported: %s)", c, p, dateTimePatternLetters)
			}
		}
	}
	return nil
}

// patternArg checks that argument i is a non-NULL string literal holding a supported
// datetime pattern; the error says why not.
func (c *callSite) patternArg(i int) error {
	if !isStringLiteral(c.args[i], c.types[i]) {
		return c.bad("a datetime pattern string literal")
	}
	p, ok := c.args[i].(*Literal).Value.(string)
	if !ok {
		return c.bad("a datetime pattern string literal")
	}
	if err := checkDateTimePattern(p); err != nil {
		return errAt(ErrType, fmt.Sprintf("%s: %v", c.call, err))
	}
	c.args[i] = &Literal{Value: p, Type: typString}
	c.types[i] = typString
	return nil
}

// timestampArg checks that argument i is a date, a timestamp, a string (read as a
// timestamp) or NULL, and converts a timestamp of another unit or zone to a zone-less
// microsecond timestamp; a date stays a date unless toTimestamp.
func (c *callSite) timestampArg(i int, toTimestamp bool) bool {
	if !c.dateArg(i, dateTypTimestamp, true) {
		return false
	}
	t := c.types[i]
	if (t.ID() == arrow.TIMESTAMP || toTimestamp) && !arrow.TypeEqual(t, dateTypTimestamp) {
		e, err := coerce(c.args[i], t, dateTypTimestamp)
		if err != nil {
			return false
		}
		c.args[i], c.types[i] = e, dateTypTimestamp
	}
	return true
}

// resolveParseDate types to_date, to_timestamp and unix_timestamp: (string, pattern) →
// date, timestamp or int64 seconds. unix_timestamp also takes a date or a timestamp,
// whose pattern is then unused, as in Spark.
func resolveParseDate(to arrow.DataType) func(c *callSite) (Expr, arrow.DataType, error) {
	return func(c *callSite) (Expr, arrow.DataType, error) {
		if len(c.args) != 2 {
			return nil, nil, c.bad("(string, pattern string literal)")
		}
		ok := c.plainStringArg(0)
		if !ok && to.ID() == arrow.INT64 {
			ok = c.types[0].ID() != arrow.NULL && c.timestampArg(0, false)
		}
		if !ok {
			return nil, nil, c.bad("(string, pattern string literal)")
		}
		if err := c.patternArg(1); err != nil {
			return nil, nil, err
		}
		return c.done(to)
	}
}

// resolveDateFormat types date_format(date or timestamp, pattern) → string; a string is
// read as a timestamp.
func resolveDateFormat(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 || !c.timestampArg(0, false) {
		return nil, nil, c.bad("(date or timestamp, pattern string literal)")
	}
	if err := c.patternArg(1); err != nil {
		return nil, nil, err
	}
	return c.done(typString)
}

// resolveFromUnixTime types from_unixtime(integer seconds, pattern) → string.
func resolveFromUnixTime(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 || !c.intArg(0) {
		return nil, nil, c.bad("(integer seconds, pattern string literal)")
	}
	if err := c.patternArg(1); err != nil {
		return nil, nil, err
	}
	return c.done(typString)
}

// dateTruncUnits maps the units date_trunc and trunc accept (Spark's names and
// synonyms, case-insensitive) to their canonical names.
var dateTruncUnits = map[string]string{
	"year": "year", "yyyy": "year", "yy": "year",
	"quarter": "quarter",
	"month":   "month", "mon": "month", "mm": "month",
	"week": "week",
	"day":  "day", "dd": "day",
	"hour":   "hour",
	"minute": "minute",
	"second": "second",
}

// unitArg checks that argument i is a string literal naming a unit; dateOnly limits the
// units to those of trunc (year, quarter, month, week). The literal becomes the
// canonical name.
func (c *callSite) unitArg(i int, dateOnly bool) error {
	want := "a unit string literal (year, quarter, month, week, day, hour, minute, second)"
	if dateOnly {
		want = "a unit string literal (year, quarter, month, week)"
	}
	if !isStringLiteral(c.args[i], c.types[i]) {
		return c.bad(want)
	}
	s, _ := c.args[i].(*Literal).Value.(string)
	u, ok := dateTruncUnits[strings.ToLower(s)]
	if !ok || (dateOnly && (u == "day" || u == "hour" || u == "minute" || u == "second")) {
		return errAt(ErrType, fmt.Sprintf("%s: unsupported unit %q, want %s", c.call, s, want))
	}
	c.args[i] = &Literal{Value: u, Type: typString}
	c.types[i] = typString
	return nil
}

// resolveDateTrunc types date_trunc(unit, timestamp) → timestamp; a date or a string is
// read as a timestamp.
func resolveDateTrunc(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 || !c.timestampArg(1, true) {
		return nil, nil, c.bad("(unit string literal, timestamp)")
	}
	if err := c.unitArg(0, false); err != nil {
		return nil, nil, err
	}
	return c.done(dateTypTimestamp)
}

// resolveTrunc types trunc(date, unit) → date; a timestamp or a string is read as a
// date.
func resolveTrunc(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 || !c.dateArg(0, dateTypDate, false) {
		return nil, nil, c.bad("(date, unit string literal)")
	}
	if err := c.unitArg(1, true); err != nil {
		return nil, nil, err
	}
	return c.done(dateTypDate)
}
