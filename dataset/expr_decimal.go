package dataset

import "github.com/kindling-data/kindling/plan"

// LitDecimal is a decimal literal written as text, typed as Spark types a BigDecimal
// literal (12.50BD): decimal(p, s) with s the digits after the point and p all the
// digits, so LitDecimal("12.50") is decimal(4,2) and LitDecimal("-0.001") decimal(3,3).
// An exponent is accepted ("1.5e3" is decimal(4,0)). Text that is not a number, or needs
// more than 38 digits, makes the action that uses the expression fail with an analysis
// error naming it.
//
// Decimals compute as Spark's with spark.sql.decimalOperations.allowPrecisionLoss=true
// and ANSI mode off: d1 + d2 is decimal(max(s1,s2)+max(p1-s1,p2-s2)+1, max(s1,s2)),
// d1 * d2 is decimal(p1+p2+1, s1+s2), d1 / d2 is decimal(p1-s1+s2+max(6,s1+p2+1),
// max(6,s1+p2+1)), a precision above 38 gives up scale (keeping at least 6 digits of
// it), results round HALF_UP to their scale, a result too large for its precision is
// NULL, and so is a division or remainder by zero. An integer next to a decimal is a
// decimal (a long is decimal(20,0), an integer literal has just its digits); a float
// next to a decimal makes the operation float64. Comparisons are exact. Cast converts
// between decimals and numbers, strings and booleans, rounding HALF_UP, with NULL for a
// value that does not fit. Over a decimal(p, s), Abs keeps the type, Floor and Ceil give
// decimal(p-s+1, 0), Round and BRound to d digits give decimal(p-s+1+min(s,d), min(s,d))
// (decimal(max(p-s+1, 1-d), 0) for a negative d), and Signum, Sqrt, Exp, Log, Log10 and
// Pow read the decimal as a float64, as Spark's do.
func LitDecimal(s string) Expr {
	l, err := plan.ParseDecimalLiteral(s)
	if err != nil {
		return Expr{err: err}
	}
	return Expr{e: l}
}
