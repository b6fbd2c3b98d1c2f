package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// The number formatting family: format_number.

func init() {
	register(map[string]funcSpec{
		"format_number": {resolve: resolveFormatNumber},
	})
}

// resolveFormatNumber: format_number(number, decimals integer) → string. Integers are
// widened to int64 and floats to float64; decimals may be a column. Spark's second form,
// a DecimalFormat pattern string, is not supported and is rejected here.
func resolveFormatNumber(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(number, decimal places integer)"
	if len(c.args) != 2 {
		return nil, nil, c.bad(want)
	}
	if _, ok := c.numericArg(0, nil); !ok {
		return nil, nil, c.bad(want)
	}
	if !c.intArg(1) {
		if isStringLike(c.types[1]) {
			return nil, nil, c.bad(want + " (a DecimalFormat pattern string is not supported)")
		}
		return nil, nil, c.bad(want)
	}
	return c.done(typString)
}
