package plan

import "github.com/apache/arrow-go/v18/arrow"

// The math family over decimals, as Spark: abs keeps the type, floor and ceil give
// decimal(p-s+1, 0), round and bround give DecimalRoundType, and the functions computed
// in float64 (signum, sqrt, exp, ln, log10, pow) read the decimal as a double. div of
// decimals is not supported (it is not an integer division of the truncated operands).

// decimalNumericArg is numericArg for a decimal argument i: kept as it is when t is nil,
// converted to t when t is a float, refused otherwise.
func (c *callSite) decimalNumericArg(i int, t arrow.DataType) (arrow.DataType, bool) {
	if t == nil {
		return c.types[i], true
	}
	if !isFloat(t) && !isDecimal(t) {
		return nil, false
	}
	e, err := coerce(c.args[i], c.types[i], t)
	if err != nil {
		return nil, false
	}
	c.args[i], c.types[i] = e, t
	return t, true
}

// DecimalFloorCeilType is the type of floor and ceil of a decimal t: t itself when its
// scale is 0, else decimal(p-s+1, 0) (bounded to 38), as Spark's.
func DecimalFloorCeilType(t *arrow.Decimal128Type) *arrow.Decimal128Type {
	if t.Scale == 0 {
		return t
	}
	return boundedDecimal(t.Precision-t.Scale+1, 0)
}

// DecimalRoundType is the type of round and bround of a decimal t to scale digits, as
// Spark 3.4's: decimal(min(p-s+1+min(s,scale), 38), min(s,scale)) for scale ≥ 0, and
// decimal(min(max(p-s+1, -scale+1), 38), 0) for a negative scale.
func DecimalRoundType(t *arrow.Decimal128Type, scale int64) *arrow.Decimal128Type {
	intDigits := int64(t.Precision - t.Scale + 1)
	if scale < 0 {
		return decimalType(int32(min(max(intDigits, -scale+1), DecimalMaxPrecision)), 0)
	}
	s := min(int64(t.Scale), scale)
	return decimalType(int32(min(intDigits+s, DecimalMaxPrecision)), int32(s))
}
