package sql

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// numberLit types a number as Spark's parser does: an integer is a bigint literal, a
// number with an exponent a double, and one with a decimal point (and no exponent) a
// DECIMAL(p, s) with p its digits and s those after the point, so that 0.06 - 0.01 is
// exact. A numeric suffix of Spark (1.5D, 10L, 2BD) is not taken.
func numberLit(s string, at pos) (plan.Expr, error) {
	if !strings.ContainsAny(s, ".eE") {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Int64}, nil
		}
		// an integer beyond bigint is a decimal, as in Spark
		if l, err := plan.ParseDecimalLiteral(s); err == nil {
			return l, nil
		}
		return nil, errAt(at, "number %s is out of range (more than 38 digits)", s)
	}
	if strings.Count(s, ".") > 1 {
		return nil, errAt(at, "malformed number %s", s)
	}
	if !strings.ContainsAny(s, "eE") {
		l, err := plan.ParseDecimalLiteral(s)
		if err != nil {
			return nil, errAt(at, "decimal literal %s needs more than 38 digits", s)
		}
		return l, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, errAt(at, "malformed number %s", s)
	}
	return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Float64}, nil
}

// inWithDecimals rewrites x IN (v1, v2, ...) whose values include a decimal literal
// (0.05) into x = v1 OR x = v2 ...: the plan's in() compares integers, floats, strings
// and dates only, while its comparisons take decimals (against integers, decimals and
// doubles alike). Under three-valued logic both forms give the same TRUE, FALSE or NULL,
// as Spark's In does.
func inWithDecimals(c *plan.Call) plan.Expr {
	if c.Func != "in" || len(c.Args) < 2 {
		return c
	}
	dec := false
	for _, a := range c.Args[1:] {
		if l, ok := a.(*plan.Literal); ok && l.Type != nil && l.Type.ID() == arrow.DECIMAL128 {
			dec = true
		}
	}
	if !dec {
		return c
	}
	var out plan.Expr
	for _, v := range c.Args[1:] {
		eq := &plan.Binary{Op: plan.OpEq, Left: c.Args[0], Right: v}
		if out == nil {
			out = eq
		} else {
			out = &plan.Binary{Op: plan.OpOr, Left: out, Right: eq}
		}
	}
	return out
}
