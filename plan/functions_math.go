package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// The arithmetic and math family: Spark's div, abs, signum, sqrt, exp, ln, log10, pow,
// floor, ceil, round and bround. Arguments are coerced to what the evaluator computes in:
// int64 for integers, float64 for floats.

func init() {
	register(map[string]funcSpec{
		"div":    {resolve: resolveIntDiv},
		"abs":    {resolve: resolveMathWiden},
		"signum": {resolve: resolveMathTo(typFloat64)},
		"sqrt":   {resolve: resolveMathTo(typFloat64)},
		"exp":    {resolve: resolveMathTo(typFloat64)},
		"ln":     {resolve: resolveMathTo(typFloat64)},
		"log10":  {resolve: resolveMathTo(typFloat64)},
		"pow":    {resolve: resolvePow},
		"floor":  {resolve: resolveFloorCeil},
		"ceil":   {resolve: resolveFloorCeil},
		"round":  {resolve: resolveRound},
		"bround": {resolve: resolveRound},
	})
}

// numericArg checks that argument i is a number (or NULL) and coerces it to t, or to its
// widened type when t is nil; it returns the type the argument now has.
func (c *callSite) numericArg(i int, t arrow.DataType) (arrow.DataType, bool) {
	from := c.types[i]
	if isDecimal(from) {
		return c.decimalNumericArg(i, t)
	}
	if !IsNumeric(from) && !isNullType(from) {
		return nil, false
	}
	if t == nil {
		t = widen(from)
	}
	e, err := coerce(c.args[i], from, t)
	if err != nil {
		return nil, false
	}
	c.args[i], c.types[i] = e, t
	return t, true
}

// resolveIntDiv: div(integral, integral) → int64; float operands are cast to int64 first
// (truncated, saturated), as Spark's implicit cast to long does.
func resolveIntDiv(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 {
		return nil, nil, c.bad("two numbers")
	}
	for i := range c.args {
		if _, ok := c.numericArg(i, typInt64); !ok {
			return nil, nil, c.bad("two numbers")
		}
	}
	return c.done(typInt64)
}

// resolveMathWiden types a function of one number whose result has the argument's
// widened type (abs).
func resolveMathWiden(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 1 {
		return nil, nil, c.bad("one number")
	}
	t, ok := c.numericArg(0, nil)
	if !ok {
		return nil, nil, c.bad("one number")
	}
	return c.done(t)
}

// resolveMathTo types a function of one number computed in t (sqrt, exp, ln, ...).
func resolveMathTo(t arrow.DataType) func(c *callSite) (Expr, arrow.DataType, error) {
	return func(c *callSite) (Expr, arrow.DataType, error) {
		if len(c.args) != 1 {
			return nil, nil, c.bad("one number")
		}
		if _, ok := c.numericArg(0, t); !ok {
			return nil, nil, c.bad("one number")
		}
		return c.done(t)
	}
}

// resolvePow: pow(number, number) → float64.
func resolvePow(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 {
		return nil, nil, c.bad("two numbers")
	}
	for i := range c.args {
		if _, ok := c.numericArg(i, typFloat64); !ok {
			return nil, nil, c.bad("two numbers")
		}
	}
	return c.done(typFloat64)
}

// resolveFloorCeil: floor and ceil of a number are int64, as Spark's are long.
func resolveFloorCeil(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 1 {
		return nil, nil, c.bad("one number")
	}
	t, ok := c.numericArg(0, nil)
	if !ok {
		return nil, nil, c.bad("one number")
	}
	if isDecimal(t) {
		return c.done(DecimalFloorCeilType(t.(*arrow.Decimal128Type)))
	}
	return c.done(typInt64)
}

// resolveRound: round/bround(number, scale int literal) keep the number's widened type.
func resolveRound(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(number, scale int literal)"
	if len(c.args) != 2 || !isIntLiteral(c.args[1], c.types[1]) {
		return nil, nil, c.bad(want)
	}
	t, ok := c.numericArg(0, nil)
	if !ok {
		return nil, nil, c.bad(want)
	}
	c.args[1] = &Literal{Value: c.args[1].(*Literal).Value, Type: typInt64}
	if d, ok := t.(*arrow.Decimal128Type); ok {
		return c.done(DecimalRoundType(d, c.args[1].(*Literal).Value.(int64)))
	}
	return c.done(t)
}
