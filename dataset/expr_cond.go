package dataset

// CaseExpr is a CASE WHEN expression being built: When starts it, (CaseExpr).When adds
// branches, and Otherwise or End finishes it into an Expr.
type CaseExpr struct {
	args []Expr // condition, value, condition, value, ...
}

// When starts CASE WHEN cond THEN value. Branches are tried in order and a row takes
// the value of the first whose condition is true; a NULL condition counts as false, as
// in Spark. Values are converted to one common type (numbers to int64 or float64, plain
// or dictionary-encoded strings to string).
func When(cond, value Expr) CaseExpr { return CaseExpr{args: []Expr{cond, value}} }

// When adds the branch WHEN cond THEN value after the existing ones.
func (c CaseExpr) When(cond, value Expr) CaseExpr {
	args := make([]Expr, 0, len(c.args)+2)
	args = append(append(args, c.args...), cond, value)
	return CaseExpr{args: args}
}

// Otherwise finishes the expression with ELSE value: the value of rows no branch
// takes.
func (c CaseExpr) Otherwise(value Expr) Expr {
	args := make([]Expr, 0, len(c.args)+1)
	args = append(append(args, c.args...), value)
	return call("case_when", args...)
}

// End finishes the expression without an ELSE: rows no branch takes are NULL, as in
// Spark.
func (c CaseExpr) End() Expr { return c.Otherwise(Lit(nil)) }

// If is cond ? a : b, Spark's if(cond, a, b): a where cond is true, b where it is false
// or NULL; a and b are converted to one common type.
func If(cond, a, b Expr) Expr { return call("case_when", cond, a, b) }

// NullIf is NULL where a equals b and a elsewhere, as Spark's nullif (a NULL a or b
// gives a); a and b are converted to one common type, and a NaN equals a NaN.
func NullIf(a, b Expr) Expr { return call("nullif", a, b) }

// IfNull is b where a is NULL and a elsewhere (Spark's ifnull, the same as Nvl and as
// Coalesce of two arguments).
func IfNull(a, b Expr) Expr { return Coalesce(a, b) }

// Nvl is b where a is NULL and a elsewhere (Spark's nvl, the same as IfNull).
func Nvl(a, b Expr) Expr { return Coalesce(a, b) }

// NaNvl is b where a is NaN and a elsewhere, as Spark's nanvl: both are numbers and the
// result is a float64; a NULL a gives NULL.
func NaNvl(a, b Expr) Expr { return call("nanvl", a, b) }

// IsNaN is true where the number x is NaN. As in Spark it is never NULL: a NULL x gives
// false.
func IsNaN(x Expr) Expr { return call("isnan", x) }

// Greatest is, row by row, the largest of its arguments (two or more numbers, strings,
// dates or timestamps, converted to one type), skipping NULLs as Spark does: NULL only
// when every argument is NULL. NaN is larger than any number.
func Greatest(xs ...Expr) Expr { return call("greatest", xs...) }

// Least is, row by row, the smallest of its arguments (two or more numbers, strings,
// dates or timestamps, converted to one type), skipping NULLs as Spark does: NULL only
// when every argument is NULL. NaN is larger than any number.
func Least(xs ...Expr) Expr { return call("least", xs...) }

// Between is x >= lo AND x <= hi, Spark's BETWEEN (bounds included), with AND's
// three-valued logic: NULL when x is NULL, false when one bound already rules x out
// even if the other is NULL.
func (x Expr) Between(lo, hi Expr) Expr { return x.Ge(lo).And(x.Le(hi)) }

// IsIn is x IN (values...), each value a literal as Lit takes it. As in Spark it is
// true where x equals a value; NULL where x is NULL, or where x equals none of them and
// one of them is NULL (nil); false otherwise. An empty list is false for every row.
// Numbers compare as numbers (1 IN (1.0) is true) and a NaN equals a NaN.
func (x Expr) IsIn(values ...any) Expr {
	args := make([]Expr, 0, len(values)+1)
	args = append(args, x)
	for _, v := range values {
		args = append(args, Lit(v))
	}
	return call("in", args...)
}
