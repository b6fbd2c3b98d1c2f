package dataset

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// Expr is a column expression, built with Col, Lit and the functions of this package and
// evaluated lazily, a whole record batch at a time. Expressions follow Spark SQL's
// default (non-ANSI) semantics: NULL propagates, x/0 is NULL, a malformed string cast to
// a number is NULL.
type Expr struct {
	e   plan.Expr
	err error
}

// Col refers to the column called name.
func Col(name string) Expr { return Expr{e: &plan.ColumnRef{Name: name}} }

// Lit is a literal: nil, bool, int, int32, int64, float32, float64, string,
// arrow.Date32, arrow.Timestamp (microseconds) or time.Time (a microsecond timestamp).
// Other types make the action that uses the expression fail.
//
// A time.Time is an instant (UTC). Compared with a zone-less timestamp column, such as
// one a CSV reader infers from "2024-03-01 10:00:00", the column's wall-clock times are
// read in the session time zone, UTC, as Spark does by default: Col("ts").Gt(Lit(t))
// keeps the rows after t whatever zone t was written in.
func Lit(v any) Expr {
	switch v := v.(type) {
	case nil:
		return Expr{e: &plan.Literal{Value: nil, Type: arrow.Null}}
	case bool:
		return Expr{e: &plan.Literal{Value: v, Type: arrow.FixedWidthTypes.Boolean}}
	case int:
		return Expr{e: &plan.Literal{Value: int64(v), Type: arrow.PrimitiveTypes.Int64}}
	case int32:
		return Expr{e: &plan.Literal{Value: int64(v), Type: arrow.PrimitiveTypes.Int64}}
	case int64:
		return Expr{e: &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Int64}}
	case float32:
		return Expr{e: &plan.Literal{Value: float64(v), Type: arrow.PrimitiveTypes.Float64}}
	case float64:
		return Expr{e: &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Float64}}
	case string:
		return Expr{e: &plan.Literal{Value: v, Type: arrow.BinaryTypes.String}}
	case arrow.Date32:
		return Expr{e: &plan.Literal{Value: v, Type: arrow.FixedWidthTypes.Date32}}
	case arrow.Timestamp:
		return Expr{e: &plan.Literal{Value: v, Type: arrow.FixedWidthTypes.Timestamp_us}}
	case time.Time:
		return Expr{e: &plan.Literal{Value: arrow.Timestamp(v.UnixMicro()), Type: arrow.FixedWidthTypes.Timestamp_us}}
	}
	return Expr{err: fmt.Errorf("dataset: Lit: unsupported literal type %T", v)}
}

// String renders the expression.
func (x Expr) String() string {
	if x.err != nil {
		return "<invalid: " + x.err.Error() + ">"
	}
	return x.e.String()
}

func (x Expr) binary(op plan.BinaryOp, y Expr) Expr {
	if err := firstErr(x, y); err != nil {
		return Expr{err: err}
	}
	return Expr{e: &plan.Binary{Op: op, Left: x.e, Right: y.e}}
}

func (x Expr) unary(op plan.UnaryOp) Expr {
	if x.err != nil {
		return x
	}
	return Expr{e: &plan.Unary{Op: op, Child: x.e}}
}

func firstErr(xs ...Expr) error {
	for _, x := range xs {
		if x.err != nil {
			return x.err
		}
	}
	return nil
}

// Add is x + y; a date plus an integer (either side) adds days.
func (x Expr) Add(y Expr) Expr { return x.binary(plan.OpAdd, y) }

// Sub is x - y; a date minus an integer subtracts days, and a date minus a date is the
// days between them as int32 (Spark 3 returns an interval there).
func (x Expr) Sub(y Expr) Expr { return x.binary(plan.OpSub, y) }

// Mul is x * y.
func (x Expr) Mul(y Expr) Expr { return x.binary(plan.OpMul, y) }

// Div is x / y as float64; division by zero gives NULL.
func (x Expr) Div(y Expr) Expr { return x.binary(plan.OpDiv, y) }

// Mod is the remainder of x / y; modulo zero gives NULL.
func (x Expr) Mod(y Expr) Expr { return x.binary(plan.OpMod, y) }

// Eq is x = y.
func (x Expr) Eq(y Expr) Expr { return x.binary(plan.OpEq, y) }

// NotEq is x != y.
func (x Expr) NotEq(y Expr) Expr { return x.binary(plan.OpNotEq, y) }

// Lt is x < y.
func (x Expr) Lt(y Expr) Expr { return x.binary(plan.OpLt, y) }

// Le is x <= y.
func (x Expr) Le(y Expr) Expr { return x.binary(plan.OpLtEq, y) }

// Gt is x > y.
func (x Expr) Gt(y Expr) Expr { return x.binary(plan.OpGt, y) }

// Ge is x >= y.
func (x Expr) Ge(y Expr) Expr { return x.binary(plan.OpGtEq, y) }

// And is x AND y, with three-valued logic (false AND NULL is false).
func (x Expr) And(y Expr) Expr { return x.binary(plan.OpAnd, y) }

// Or is x OR y, with three-valued logic (true OR NULL is true).
func (x Expr) Or(y Expr) Expr { return x.binary(plan.OpOr, y) }

// Not is NOT x.
func (x Expr) Not() Expr { return x.unary(plan.OpNot) }

// Neg is -x.
func (x Expr) Neg() Expr { return x.unary(plan.OpNeg) }

// IsNull is true where x is NULL.
func (x Expr) IsNull() Expr { return x.unary(plan.OpIsNull) }

// IsNotNull is true where x is not NULL.
func (x Expr) IsNotNull() Expr { return x.unary(plan.OpIsNotNull) }

// Cast converts x to type t; values that cannot be converted become NULL (Spark's
// non-ANSI cast). Dates print as yyyy-MM-dd and timestamps as yyyy-MM-dd HH:mm:ss[.ffffff];
// numbers and timestamps convert through Unix seconds; strings convert to booleans by
// Spark's words (t, true, y, yes, 1 and f, false, n, no, 0, any case, trimmed).
func (x Expr) Cast(t arrow.DataType) Expr {
	if x.err != nil {
		return x
	}
	return Expr{e: &plan.Cast{Child: x.e, To: t}}
}

// As names the expression's output column.
func (x Expr) As(name string) Expr {
	if x.err != nil {
		return x
	}
	if a, ok := x.e.(*plan.Alias); ok {
		return Expr{e: &plan.Alias{Child: a.Child, Name: name}}
	}
	return Expr{e: &plan.Alias{Child: x.e, Name: name}}
}

func call(name string, args ...Expr) Expr {
	if err := firstErr(args...); err != nil {
		return Expr{err: err}
	}
	es := make([]plan.Expr, len(args))
	for i, a := range args {
		es[i] = a.e
	}
	return Expr{e: &plan.Call{Func: name, Args: es}}
}

// Coalesce is the first non-NULL of its arguments, row by row.
func Coalesce(xs ...Expr) Expr { return call("coalesce", xs...) }

// Length is the number of characters of a string.
func Length(x Expr) Expr { return call("length", x) }

// Lower lower-cases a string with Java's full, locale-neutral case mapping, as Spark's
// lower: "İ" gives "i" followed by U+0307, and a capital sigma at the end of a word
// gives the final form "ς" ("ΟΔΟΣ" gives "οδος").
func Lower(x Expr) Expr { return call("lower", x) }

// Upper upper-cases a string with Java's full, locale-neutral case mapping, as Spark's
// upper: a character may become several ("ß" gives "SS", so "straße" gives "STRASSE",
// and "ﬁ" gives "FI").
func Upper(x Expr) Expr { return call("upper", x) }

// Substring is length characters of x from 1-based position start (a negative start
// counts from the end, 0 acts as 1, a length below 1 gives ""), as in Spark's
// substring. start and length are each an int or an Expr (of an integer type); a NULL
// one gives NULL.
func Substring(x Expr, start, length any) Expr {
	return call("substring", x, argExpr(start), argExpr(length))
}

// Contains is true where string x contains sub (Spark's contains; an empty sub is
// contained in every string). sub is a string or an Expr; NULL x or sub gives NULL.
func Contains(x Expr, sub any) Expr { return call("contains", x, argExpr(sub)) }

// StartsWith is true where string x starts with prefix (Spark's startswith). prefix
// is a string or an Expr; NULL x or prefix gives NULL.
func StartsWith(x Expr, prefix any) Expr { return call("starts_with", x, argExpr(prefix)) }

// EndsWith is true where string x ends with suffix (Spark's endswith). suffix is a
// string or an Expr; NULL x or suffix gives NULL.
func EndsWith(x Expr, suffix any) Expr { return call("ends_with", x, argExpr(suffix)) }
