package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Conditionals and predicates: CASE WHEN, nullif, nanvl, isnan, greatest, least and IN.

func init() {
	register(map[string]funcSpec{
		"case_when": {resolve: resolveCaseWhen},
		"nullif":    {resolve: resolveNullIf},
		"nanvl":     {resolve: resolveNaNvl},
		"isnan":     {resolve: resolveIsNaN},
		"greatest":  {resolve: resolveExtreme},
		"least":     {resolve: resolveExtreme},
		"in":        {resolve: resolveIn},
	})
}

// boolArg checks that argument i is a boolean (or NULL, typed as a boolean).
func (c *callSite) boolArg(i int) bool {
	if isNullType(c.types[i]) {
		c.args[i] = &Literal{Type: typBool}
		c.types[i] = typBool
		return true
	}
	return isBool(c.types[i])
}

// coerceAll converts the arguments at positions idx to one common type and returns it;
// ok is false when they have none.
func (c *callSite) coerceAll(idx []int) (arrow.DataType, bool, error) {
	ts := make([]arrow.DataType, len(idx))
	for k, i := range idx {
		ts[k] = c.types[i]
	}
	target, err := commonType(ts)
	if err != nil {
		return nil, false, nil
	}
	for _, i := range idx {
		if c.args[i], err = coerce(c.args[i], c.types[i], target); err != nil {
			return nil, false, atExpr(err, c.call)
		}
		c.types[i] = target
	}
	return target, true, nil
}

// resolveCaseWhen: case_when(c1, v1, ..., cN, vN, else): boolean conditions, values and
// the else value converted to one common type, the result's.
func resolveCaseWhen(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(boolean condition, value, ..., else value) with values of one type"
	if len(c.args) < 3 || len(c.args)%2 == 0 {
		return nil, nil, c.bad(want)
	}
	var vals []int
	for i := 0; i+1 < len(c.args); i += 2 {
		if !c.boolArg(i) {
			return nil, nil, c.bad(want)
		}
		vals = append(vals, i+1)
	}
	vals = append(vals, len(c.args)-1)
	ts := make([]arrow.DataType, len(vals))
	for k, i := range vals {
		ts[k] = c.types[i]
	}
	target, err := commonType(ts)
	if err != nil {
		return nil, nil, c.bad(want)
	}
	if isStringLike(target) {
		target = typString // one plain output array, whatever the branches' encodings
	}
	if !pickable(target) {
		return nil, nil, c.bad(want)
	}
	for _, i := range vals {
		if c.args[i], err = coerce(c.args[i], c.types[i], target); err != nil {
			return nil, nil, atExpr(err, c.call)
		}
	}
	return c.done(target)
}

// pickable reports whether the evaluator copies values of t row by row: booleans,
// strings, binary, decimal128 and fixed-width values of up to 64 bits.
func pickable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL, arrow.STRING, arrow.BINARY, arrow.DECIMAL128:
		return true
	}
	fw, ok := t.(arrow.FixedWidthDataType)
	return ok && t.ID() != arrow.DICTIONARY && fw.BitWidth() >= 8 && fw.BitWidth() <= 64
}

// resolveNullIf: nullif(a, b), both converted to one comparable type, the result's.
func resolveNullIf(c *callSite) (Expr, arrow.DataType, error) {
	const want = "two values of one type"
	if len(c.args) != 2 {
		return nil, nil, c.bad(want)
	}
	target, ok, err := c.coerceAll([]int{0, 1})
	if err != nil {
		return nil, nil, err
	}
	if !ok || !isComparable(target) {
		return nil, nil, c.bad(want)
	}
	return c.done(target)
}

// floatArgs converts every argument to float64; false when one is not a number.
func (c *callSite) floatArgs() (bool, error) {
	for i := range c.args {
		if !IsNumeric(c.types[i]) && !isNullType(c.types[i]) {
			return false, nil
		}
		var err error
		if c.args[i], err = coerce(c.args[i], c.types[i], typFloat64); err != nil {
			return false, atExpr(err, c.call)
		}
		c.types[i] = typFloat64
	}
	return true, nil
}

// resolveNaNvl: nanvl(a, b) over numbers, as float64.
func resolveNaNvl(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 {
		return nil, nil, c.bad("two numbers")
	}
	if ok, err := c.floatArgs(); err != nil || !ok {
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, c.bad("two numbers")
	}
	return c.done(typFloat64)
}

// resolveIsNaN: isnan(x) over a number, boolean.
func resolveIsNaN(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 1 {
		return nil, nil, c.bad("one number")
	}
	if ok, err := c.floatArgs(); err != nil || !ok {
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, c.bad("one number")
	}
	return c.done(typBool)
}

// resolveExtreme: greatest and least take two or more numbers (as int64 or float64),
// strings, dates or timestamps of one type.
func resolveExtreme(c *callSite) (Expr, arrow.DataType, error) {
	const want = "two or more numbers, strings, dates or timestamps of one type"
	if len(c.args) < 2 {
		return nil, nil, c.bad(want)
	}
	target, err := commonType(c.types)
	if err != nil {
		return nil, nil, c.bad(want)
	}
	if IsNumeric(target) {
		target = widen(target)
	}
	if isStringLike(target) {
		target = typString
	}
	switch target.ID() {
	case arrow.INT64, arrow.FLOAT64, arrow.STRING, arrow.DATE32, arrow.TIMESTAMP:
	default:
		return nil, nil, c.bad(want)
	}
	for i := range c.args {
		if c.args[i], err = coerce(c.args[i], c.types[i], target); err != nil {
			return nil, nil, atExpr(err, c.call)
		}
	}
	return c.done(target)
}

// resolveIn: in(x, v1, ..., vN) with literal values. A string x (dictionary-encoded or
// not) is kept as it is and the values become strings; numbers are compared as int64, or
// float64 when either side is a float; dates, timestamps and booleans as x's type.
func resolveIn(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(value, literal, ...) of one type"
	if len(c.args) < 1 {
		return nil, nil, c.bad(want)
	}
	for _, a := range c.args[1:] {
		if _, ok := a.(*Literal); !ok {
			return nil, nil, c.bad(want)
		}
	}
	xt := c.types[0]
	var target arrow.DataType
	switch {
	case isStringLike(xt):
		target = typString
	case IsNumeric(xt):
		target = typInt64
	case isNullType(xt):
		t, err := commonType(c.types[1:])
		if err != nil {
			return nil, nil, c.bad(want)
		}
		target = t
		if IsNumeric(t) {
			target = widen(t)
		}
		if isStringLike(t) {
			target = typString
		}
	case isBool(xt), xt.ID() == arrow.DATE32, xt.ID() == arrow.TIMESTAMP:
		target = xt
	default:
		return nil, nil, c.bad(want)
	}
	for i := 1; i < len(c.args); i++ {
		t := c.types[i]
		switch {
		case isNullType(t):
		case IsNumeric(target) && IsNumeric(t):
			if isFloat(t) {
				target = typFloat64
			}
		case isStringLike(target) && isStringLike(t):
		case arrow.TypeEqual(target, t):
		case (target.ID() == arrow.DATE32 || target.ID() == arrow.TIMESTAMP) && isStringLike(t):
		default:
			return nil, nil, c.bad(want)
		}
	}
	if IsNumeric(xt) && isFloat(xt) {
		target = typFloat64
	}
	// A utf8 column, or a dictionary of utf8, is tested as it is; a large string is
	// converted.
	keep := xt.ID() == arrow.STRING ||
		(xt.ID() == arrow.DICTIONARY && xt.(*arrow.DictionaryType).ValueType.ID() == arrow.STRING)
	var err error
	if !keep {
		if c.args[0], err = coerce(c.args[0], xt, target); err != nil {
			return nil, nil, atExpr(err, c.call)
		}
	}
	for i := 1; i < len(c.args); i++ {
		if c.args[i], err = coerce(c.args[i], c.types[i], target); err != nil {
			return nil, nil, atExpr(err, c.call)
		}
	}
	return c.done(typBool)
}
