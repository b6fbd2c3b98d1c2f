package dataset

import (
	"errors"

	"github.com/kindling-data/kindling/plan"
)

// Aggregates over expressions. Each aggregate taking a column name has an expression form
// named with the suffix Expr: Sum("amount") is SumExpr(Col("amount")), and
// SumExpr(Col("price").Mul(Lit(1).Sub(Col("discount")))) adds a computed value. The
// column-name forms stay as they are. The expressions are computed into hidden columns
// below the aggregate, so the aggregation itself runs as for plain columns. An
// expression aggregate is named after its call, e.g. "sum((price * qty))", unless
// renamed with As.

func exprArg(x Expr) (plan.Expr, error) {
	if x.err != nil {
		return nil, x.err
	}
	if x.e == nil {
		return nil, errors.New("dataset: a zero Expr (use Col or Lit)")
	}
	if al, ok := x.e.(*plan.Alias); ok { // the aggregate names the output
		return al.Child, nil
	}
	return x.e, nil
}

func newExprAgg(f plan.AggFunc, x Expr) Agg {
	arg, err := exprArg(x)
	if err != nil {
		return Agg{err: err}
	}
	a := plan.AggExpr{Func: f, Arg: arg}
	a.Name = a.String()
	return Agg{a: a}
}

// SumExpr adds the values of x, as Spark's sum: an exact int64 for integer expressions,
// float64 otherwise; NULLs are skipped and a group with no non-NULL value gives NULL.
// x must be numeric.
func SumExpr(x Expr) Agg { return newExprAgg(plan.AggSum, x) }

// CountExpr counts the rows where x is not NULL, as Spark's count(x).
func CountExpr(x Expr) Agg { return newExprAgg(plan.AggCount, x) }

// CountDistinctExpr counts the distinct non-NULL values of x, as Spark's
// count(DISTINCT x).
func CountDistinctExpr(x Expr) Agg { return newExprAgg(plan.AggCountDistinct, x) }

// MeanExpr is the float64 average of the non-NULL values of the numeric expression x,
// as Spark's avg; NULL for a group with no non-NULL value.
func MeanExpr(x Expr) Agg { return newExprAgg(plan.AggMean, x) }

// MinExpr is the smallest non-NULL value of x, of x's type (NaN is larger than every
// number, as in Spark).
func MinExpr(x Expr) Agg { return newExprAgg(plan.AggMin, x) }

// MaxExpr is the largest non-NULL value of x, of x's type (NaN is larger than every
// number, as in Spark).
func MaxExpr(x Expr) Agg { return newExprAgg(plan.AggMax, x) }

// FirstExpr is a non-NULL value of x (Spark's first(x, ignoreNulls = true)): the first
// met in its partition; which partition's value wins is unspecified, as in Spark.
func FirstExpr(x Expr) Agg { return newExprAgg(plan.AggFirst, x) }

// MedianExpr is the exact median of the integer or floating-point expression x as
// float64, as Median.
func MedianExpr(x Expr) Agg { return newExprAgg(plan.AggMedian, x) }

// StddevExpr is the sample standard deviation (n-1 denominator) of the integer or
// floating-point expression x, float64, as Stddev; NULL for fewer than two non-NULL
// values.
func StddevExpr(x Expr) Agg { return newExprAgg(plan.AggStddev, x) }

// VarianceExpr is the sample variance (n-1 denominator) of the integer or
// floating-point expression x, float64, as Variance; NULL for fewer than two non-NULL
// values.
func VarianceExpr(x Expr) Agg { return newExprAgg(plan.AggVariance, x) }

// CorrExpr is Pearson's correlation coefficient of the integer or floating-point
// expressions x and y, float64, over the rows where both are non-NULL, as Corr.
func CorrExpr(x, y Expr) Agg {
	ax, err := exprArg(x)
	if err != nil {
		return Agg{err: err}
	}
	ay, err := exprArg(y)
	if err != nil {
		return Agg{err: err}
	}
	a := plan.AggExpr{Func: plan.AggCorr, Arg: ax, Arg2: ay}
	a.Name = a.String()
	return Agg{a: a}
}

// CountIf counts the rows where the boolean cond is true, as Spark's count_if: rows where
// it is false or NULL are not counted, and a group with no such row gives 0.
func CountIf(cond Expr) Agg {
	c, err := exprArg(cond)
	if err != nil {
		return Agg{err: err}
	}
	a := plan.AggExpr{Func: plan.AggCount, Arg: onlyWhere(c, oneLit()), Name: "count_if(" + c.String() + ")"}
	return Agg{a: a}
}

// Filter restricts the aggregate to the rows where the boolean cond is true, as Spark's
// agg(...) FILTER (WHERE cond): rows where cond is false or NULL are left out, so a
// group with no such row gives what the aggregate gives over no value (NULL for sum,
// mean, min, max, first and the like, 0 for counts). Filters chain: a.Filter(c1).Filter(c2)
// keeps the rows where both hold. Unless renamed with As, the aggregate is named with a
// FILTER (WHERE cond) suffix.
func (a Agg) Filter(cond Expr) Agg {
	if a.err != nil {
		return a
	}
	c, err := exprArg(cond)
	if err != nil {
		return Agg{err: err}
	}
	if a.a.Func == plan.AggLast && !a.a.IgnoreNulls {
		return Agg{err: errors.New("dataset: last without ignoreNulls takes no filter (the filtered-out rows would be its NULLs)")}
	}
	m := a
	switch a.a.Func {
	case plan.AggCountAll:
		// count(*) FILTER (WHERE c) counts a non-NULL value on the rows where c holds.
		m.a.Func = plan.AggCount
		m.a.Arg = onlyWhere(c, oneLit())
	case plan.AggTopK:
		return Agg{err: errors.New("dataset: top_k takes no filter")}
	default:
		if a.a.Arg == nil {
			return Agg{err: errors.New("dataset: " + a.a.Func.String() + " without an argument")}
		}
		m.a.Arg = onlyWhere(c, a.a.Arg)
		if a.a.Arg2 != nil {
			m.a.Arg2 = onlyWhere(c, a.a.Arg2)
		}
	}
	if !a.named {
		m.a.Name = a.a.Name + " FILTER (WHERE " + c.String() + ")"
	}
	return m
}

// onlyWhere is case_when(cond, v, NULL): v where cond is true, NULL elsewhere, which the
// aggregates skip.
func onlyWhere(cond, v plan.Expr) plan.Expr {
	return &plan.Call{Func: "case_when", Args: []plan.Expr{cond, v, Lit(nil).e}}
}

// oneLit is the int64 literal 1, a value count can count.
func oneLit() plan.Expr { return Lit(int64(1)).e }
