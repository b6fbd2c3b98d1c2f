package plan

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// This file holds Spark's decimal typing rules (DecimalPrecision, with
// spark.sql.decimalOperations.allowPrecisionLoss=true) for arrow's decimal128: the result
// types of arithmetic, the common type of comparisons and coalesce, literal decimals, and
// the casts plan folds. The evaluator computes with the same rules (DecimalBinaryType).

// DecimalMaxPrecision is the largest precision of a decimal128, and of a Spark decimal.
const DecimalMaxPrecision = 38

// decimalMinAdjustedScale is the scale Spark keeps at least when a result type's
// precision has to be cut to 38 (DecimalType.MINIMUM_ADJUSTED_SCALE).
const decimalMinAdjustedScale = 6

func isDecimal(t arrow.DataType) bool { return t.ID() == arrow.DECIMAL128 }

// decimalType returns decimal(p, s).
func decimalType(p, s int32) *arrow.Decimal128Type {
	return &arrow.Decimal128Type{Precision: p, Scale: s}
}

// decimalOfInteger is the decimal an integer type widens to, as Spark's
// DecimalType.forType: byte decimal(3,0), short (5,0), int (10,0), long (20,0).
func decimalOfInteger(t arrow.DataType) (*arrow.Decimal128Type, bool) {
	switch t.ID() {
	case arrow.INT8, arrow.UINT8:
		return decimalType(3, 0), true
	case arrow.INT16, arrow.UINT16:
		return decimalType(5, 0), true
	case arrow.INT32, arrow.UINT32:
		return decimalType(10, 0), true
	case arrow.INT64, arrow.UINT64:
		return decimalType(20, 0), true
	case arrow.DECIMAL128:
		return t.(*arrow.Decimal128Type), true
	}
	return nil, false
}

// decimalOfOperand is the decimal type an operand takes next to a decimal: an integer
// literal takes the fewest digits that hold it (Spark's DecimalType.fromLiteral, with
// spark.sql.legacy.literal.pickMinimumPrecision=true), other integers their type's.
func decimalOfOperand(e Expr, t arrow.DataType) (*arrow.Decimal128Type, bool) {
	if l, ok := e.(*Literal); ok && IsInteger(t) && l.Value != nil {
		if v, ok := l.Value.(int64); ok {
			digits := int32(len(fmt.Sprint(v)))
			if v < 0 {
				digits--
			}
			return decimalType(digits, 0), true
		}
	}
	return decimalOfInteger(t)
}

// adjustDecimal is Spark's DecimalType.adjustPrecisionScale: a precision above 38 is cut
// to 38 by giving up scale, keeping min(scale, 6) digits of it at least.
func adjustDecimal(p, s int32) *arrow.Decimal128Type {
	if p <= DecimalMaxPrecision {
		return decimalType(p, s)
	}
	intDigits := p - s
	minScale := min(s, decimalMinAdjustedScale)
	return decimalType(DecimalMaxPrecision, max(DecimalMaxPrecision-intDigits, minScale))
}

// boundedDecimal is Spark's DecimalType.bounded: precision and scale capped at 38.
func boundedDecimal(p, s int32) *arrow.Decimal128Type {
	return decimalType(min(p, DecimalMaxPrecision), min(s, DecimalMaxPrecision))
}

// DecimalBinaryType is the type of l op r for decimal operands, as Spark's
// DecimalPrecision with precision loss allowed: for ± decimal(max(s1,s2)+max(p1-s1,p2-s2)+1,
// max(s1,s2)); for * decimal(p1+p2+1, s1+s2); for / decimal(p1-s1+s2+max(6,s1+p2+1),
// max(6,s1+p2+1)); for % decimal(min(p1-s1,p2-s2)+max(s1,s2), max(s1,s2)); each adjusted
// to precision 38 at most (see adjustDecimal). ok is false for other operators.
func DecimalBinaryType(op BinaryOp, l, r *arrow.Decimal128Type) (t *arrow.Decimal128Type, ok bool) {
	p1, s1, p2, s2 := l.Precision, l.Scale, r.Precision, r.Scale
	switch op {
	case OpAdd, OpSub:
		s := max(s1, s2)
		return adjustDecimal(max(p1-s1, p2-s2)+s+1, s), true
	case OpMul:
		return adjustDecimal(p1+p2+1, s1+s2), true
	case OpDiv:
		s := max(decimalMinAdjustedScale, s1+p2+1)
		return adjustDecimal(p1-s1+s2+s, s), true
	case OpMod:
		s := max(s1, s2)
		return adjustDecimal(min(p1-s1, p2-s2)+s, s), true
	}
	return nil, false
}

// widerDecimal is the decimal both of l and r convert to without losing integer digits
// (Spark's DecimalPrecision.widerDecimalType), bounded to 38.
func widerDecimal(l, r *arrow.Decimal128Type) *arrow.Decimal128Type {
	s := max(l.Scale, r.Scale)
	return boundedDecimal(max(l.Precision-l.Scale, r.Precision-r.Scale)+s, s)
}

// resolveDecimalBinary types arithmetic and comparisons with a decimal operand; handled
// is false when neither side is a decimal. A float with a decimal runs in float64;
// an integer widens to a decimal (decimalOfOperand). Arithmetic keeps each decimal
// operand's own type (the evaluator computes exactly and rounds to the result type);
// comparisons convert both sides to their wider decimal.
func resolveDecimalBinary(e *Binary, l Expr, lt arrow.DataType, r Expr, rt arrow.DataType) (out Expr, t arrow.DataType, handled bool, err error) {
	if !isDecimal(lt) && !isDecimal(rt) {
		return nil, nil, false, nil
	}
	if !(e.Op.IsArithmetic() || e.Op.IsComparison()) {
		return nil, nil, false, nil
	}
	operand := func(x Expr, xt arrow.DataType) bool {
		return isDecimal(xt) || IsNumeric(xt) || isNullType(xt)
	}
	if !operand(l, lt) || !operand(r, rt) {
		what := "cannot apply " + e.Op.String() + " to"
		if e.Op.IsComparison() {
			return nil, nil, true, errAt(ErrType, fmt.Sprintf("%s: cannot compare %s with %s", e, typeName(lt), typeName(rt)))
		}
		return nil, nil, true, errAt(ErrType, fmt.Sprintf("%s: %s %s and %s", e, what, typeName(lt), typeName(rt)))
	}
	var result arrow.DataType = typBool
	var ltarget, rtarget arrow.DataType
	switch {
	case isFloat(lt) || isFloat(rt):
		ltarget, rtarget = typFloat64, typFloat64
		if e.Op.IsArithmetic() {
			result = typFloat64
		}
	default:
		ld, lok := decimalOfOperand(l, lt)
		rd, rok := decimalOfOperand(r, rt)
		if !lok { // NULL
			ld = rd
		}
		if !rok {
			rd = ld
		}
		if e.Op.IsComparison() {
			w := widerDecimal(ld, rd)
			ltarget, rtarget = w, w
		} else {
			ltarget, rtarget = ld, rd
			result, _ = DecimalBinaryType(e.Op, ld, rd)
		}
	}
	if l, err = coerce(l, lt, ltarget); err != nil {
		return nil, nil, true, atExpr(err, e)
	}
	if r, err = coerce(r, rt, rtarget); err != nil {
		return nil, nil, true, atExpr(err, e)
	}
	return &Binary{Op: e.Op, Left: l, Right: r}, result, true, nil
}

// commonDecimalType is the common type of types when one is a decimal (handled): float64
// when one is a float, else the wider decimal of all (integers by their type's decimal).
func commonDecimalType(types []arrow.DataType) (t arrow.DataType, handled bool, err error) {
	anyDecimal, float := false, false
	for _, x := range types {
		switch {
		case isDecimal(x):
			anyDecimal = true
		case isFloat(x):
			float = true
		case IsInteger(x), isNullType(x):
		default:
			return nil, false, nil
		}
	}
	if !anyDecimal {
		return nil, false, nil
	}
	if float {
		return typFloat64, true, nil
	}
	var w *arrow.Decimal128Type
	for _, x := range types {
		if d, ok := decimalOfInteger(x); ok {
			if w == nil {
				w = d
			} else {
				w = widerDecimal(w, d)
			}
		}
	}
	return w, true, nil
}

// canCastDecimal is CanCast for a decimal on either side (handled): decimal from and to
// every number, string and boolean, as Spark's cast matrix.
func canCastDecimal(from, to arrow.DataType) (ok, handled bool) {
	if !isDecimal(from) && !isDecimal(to) {
		return false, false
	}
	other := to
	if isDecimal(to) {
		other = from
	}
	return isDecimal(other) || IsNumeric(other) || isStringLike(other) || isBool(other) || isNullType(other), true
}

// ParseDecimalLiteral is the literal of a decimal written as text, typed as Spark types a
// BigDecimal literal: decimal(p, s) with s the digits after the point and p all the
// digits (at least s, and at least 1), such as "12.50" → decimal(4,2) and "-0.001" →
// decimal(3,3). An exponent ("1.5e3") is read as Java's BigDecimal reads it; a negative
// resulting scale is brought to 0. Text that is not a number, or that needs more than
// 38 digits, is an analysis error naming it.
func ParseDecimalLiteral(s string) (*Literal, error) {
	u, scale, ok := parseDecimalText(strings.TrimSpace(s))
	if ok && scale < 0 {
		u.Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-scale)), nil))
		scale = 0
	}
	if !ok || scale > DecimalMaxPrecision {
		return nil, errAt(ErrType, fmt.Sprintf("LitDecimal(%q): not a decimal number", s))
	}
	digits := int32(len(new(big.Int).Abs(u).String()))
	p := max(digits, int32(scale), 1)
	if p > DecimalMaxPrecision {
		return nil, errAt(ErrType, fmt.Sprintf("LitDecimal(%q): needs %d digits, more than decimal's 38", s, p))
	}
	return &Literal{Value: decimal128.FromBigInt(u), Type: decimalType(p, int32(scale))}, nil
}

// parseDecimalText reads [+-]digits[.digits][(e|E)[+-]digits] as an unscaled integer and
// its scale (negative for a positive exponent beyond the fraction digits).
func parseDecimalText(s string) (*big.Int, int, bool) {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n > 1000 || n < -1000 {
			return nil, 0, false
		}
		exp = n
	}
	neg := false
	if len(mant) > 0 && (mant[0] == '+' || mant[0] == '-') {
		neg = mant[0] == '-'
		mant = mant[1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" {
		return nil, 0, false
	}
	digits := intPart + frac
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return nil, 0, false
		}
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return nil, 0, false
	}
	if neg {
		u.Neg(u)
	}
	return u, len(frac) - exp, true
}

// formatDecimal renders an unscaled decimal value at scale, plainly (no exponent).
func formatDecimal(v decimal128.Num, t arrow.DataType) string {
	if d, ok := t.(*arrow.Decimal128Type); ok {
		return v.ToString(d.Scale)
	}
	return v.ToString(0)
}

var bigTen = big.NewInt(10)

// pow10Big returns 10^n as a new big.Int.
func pow10Big(n int32) *big.Int {
	return new(big.Int).Exp(bigTen, big.NewInt(int64(n)), nil)
}

// RoundDecimalHalfUp divides v by 10^k (k ≥ 0) rounding halves away from zero, as
// Java's RoundingMode.HALF_UP, in place.
func RoundDecimalHalfUp(v *big.Int, k int32) *big.Int {
	if k <= 0 {
		if k < 0 {
			v.Mul(v, pow10Big(-k))
		}
		return v
	}
	d := pow10Big(k)
	q, r := new(big.Int).QuoRem(v, d, new(big.Int))
	r.Abs(r).Lsh(r, 1)
	if r.Cmp(d) >= 0 {
		q.Add(q, big.NewInt(int64(v.Sign())))
	}
	return v.Set(q)
}

// castDecimalValue folds a cast with a decimal on either side, for the conversions plan
// evaluates in Go (integers, decimals and strings to decimals, decimals to float64 and
// to string); ok is false for the others, which the evaluator does.
func castDecimalValue(v any, from, to arrow.DataType) (any, bool, bool) {
	if !isDecimal(from) && !isDecimal(to) {
		return nil, false, false
	}
	if d, ok := to.(*arrow.Decimal128Type); ok {
		var u *big.Int
		var scale int32
		switch x := v.(type) {
		case int64:
			u = big.NewInt(x)
		case decimal128.Num:
			u, scale = x.BigInt(), from.(*arrow.Decimal128Type).Scale
		case string:
			w, sc, ok := parseDecimalText(strings.TrimSpace(x))
			if !ok || sc > 1000 {
				return nil, true, true
			}
			u, scale = w, int32(sc)
		default:
			return nil, false, true
		}
		RoundDecimalHalfUp(u, scale-d.Scale)
		if u.CmpAbs(pow10Big(d.Precision)) >= 0 {
			return nil, true, true // overflow: NULL
		}
		return decimal128.FromBigInt(u), true, true
	}
	x, ok := v.(decimal128.Num)
	if !ok {
		return nil, false, true
	}
	switch {
	case to.ID() == arrow.FLOAT64:
		f, _ := new(big.Rat).SetFrac(x.BigInt(), pow10Big(from.(*arrow.Decimal128Type).Scale)).Float64()
		return f, true, true
	case to.ID() == arrow.STRING:
		return formatDecimal(x, from), true, true
	}
	return nil, false, true
}
