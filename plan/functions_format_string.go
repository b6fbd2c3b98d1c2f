package plan

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/internal/javafmt"
)

// format_string (Spark's format_string and printf): a java.util.Formatter format and
// the values it formats.

func init() {
	register(map[string]funcSpec{
		"format_string": {resolve: resolveFormatString},
		"printf":        {resolve: resolveFormatString},
	})
}

// resolveFormatString: format_string(format string, values...) → string. The values are
// integers (widened to int64), floats (widened to float64), strings, booleans or NULL.
// A literal format is parsed here and checked against the values' types (a %d of a
// double is an error, as Java's Formatter throws); a column of formats is checked row
// by row by the evaluator.
func resolveFormatString(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(format string, values (integer, floating-point, string, boolean)...)"
	if len(c.args) == 0 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	kinds := make([]javafmt.Kind, len(c.args)-1)
	for i := 1; i < len(c.args); i++ {
		t := c.types[i]
		switch {
		case isNullType(t):
			kinds[i-1] = javafmt.Null
		case IsInteger(t):
			if !c.intArg(i) {
				return nil, nil, c.bad(want)
			}
			kinds[i-1] = javafmt.Int
		case isFloat(t):
			e, err := coerce(c.args[i], t, typFloat64)
			if err != nil {
				return nil, nil, c.bad(want)
			}
			c.args[i], c.types[i] = e, typFloat64
			kinds[i-1] = javafmt.Float
		case isStringLike(t):
			c.plainStringArg(i)
			kinds[i-1] = javafmt.String
		case isBool(t):
			kinds[i-1] = javafmt.Bool
		default:
			return nil, nil, c.bad(want)
		}
	}
	if p, ok := literalString(c.args[0]); ok {
		f, err := javafmt.Parse(p)
		if err == nil {
			err = f.Check(kinds)
		}
		if err != nil {
			return nil, nil, c.bad(want + " with a format that fits them: " + err.Error())
		}
	}
	return c.done(typString)
}
