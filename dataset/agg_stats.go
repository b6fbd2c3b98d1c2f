package dataset

import (
	"slices"

	"github.com/kindling-data/kindling/plan"
)

// Statistical aggregates: approximate distinct counts, exact and approximate
// percentiles, and the mode, each with a column form and an Expr form.

func newStatAgg(f plan.AggFunc, arg plan.Expr, p *plan.AggStatParams) Agg {
	a := plan.AggExpr{Func: f, Arg: arg, Stat: p}
	a.Name = a.String()
	return Agg{a: a}
}

func newStatExprAgg(f plan.AggFunc, x Expr, p *plan.AggStatParams) Agg {
	arg, err := exprArg(x)
	if err != nil {
		return Agg{err: err}
	}
	return newStatAgg(f, arg, p)
}

func statColRef(name string) plan.Expr { return &plan.ColumnRef{Name: name} }

// ApproxCountDistinct estimates the number of distinct non-NULL values of col, as
// Spark's approx_count_distinct(col, rsd): a HyperLogLog sketch per group whose
// relative standard deviation is rsd (0 means Spark's default, 0.05; at most 0.39 and
// at least 0.0022). The sketch has 2^p one-byte registers, p = ceil(2*log2(1.106/rsd))
// (512 for 0.05), and only the sketch crosses the shuffle, whatever the group's size.
// The result is an int64, 0 for a group with no value. Values are hashed with the
// engine's 64-bit hash rather than Spark's Murmur3, so estimates differ from Spark's,
// with the same accuracy. Any comparable column (numbers, strings, dictionary strings,
// dates, decimals...) is accepted.
func ApproxCountDistinct(col string, rsd float64) Agg {
	return newStatAgg(plan.AggApproxCountDistinct, statColRef(col), &plan.AggStatParams{RSD: rsd})
}

// ApproxCountDistinctExpr is ApproxCountDistinct over the values of x.
func ApproxCountDistinctExpr(x Expr, rsd float64) Agg {
	return newStatExprAgg(plan.AggApproxCountDistinct, x, &plan.AggStatParams{RSD: rsd})
}

// ApproxPercentile is an approximate percentile of the numeric, date, time or timestamp
// column col, as Spark's percentile_approx(col, fraction, accuracy): a value of col (of
// col's type) whose rank among the group's n non-NULL values is within n/accuracy of
// fraction*n, fraction in [0, 1]; NULL for a group with no value. accuracy 0 means
// Spark's default, 10000. Each group keeps a mergeable quantile sketch (compactors as in
// the KLL sketch) of at most about 10*accuracy values per level, so it is exact for
// groups of up to that many values; the bound holds with probability above 1-1e-6.
func ApproxPercentile(col string, fraction float64, accuracy int) Agg {
	return newStatAgg(plan.AggApproxPercentile, statColRef(col),
		&plan.AggStatParams{Fractions: []float64{fraction}, Accuracy: accuracy})
}

// ApproxPercentiles is ApproxPercentile at several fractions at once, from one sketch:
// the result is a list of col's type, one value per fraction in their order.
func ApproxPercentiles(col string, fractions []float64, accuracy int) Agg {
	return newStatAgg(plan.AggApproxPercentile, statColRef(col),
		&plan.AggStatParams{Fractions: slices.Clone(fractions), Many: true, Accuracy: accuracy})
}

// ApproxPercentileExpr is ApproxPercentile over the values of x.
func ApproxPercentileExpr(x Expr, fraction float64, accuracy int) Agg {
	return newStatExprAgg(plan.AggApproxPercentile, x,
		&plan.AggStatParams{Fractions: []float64{fraction}, Accuracy: accuracy})
}

// ApproxPercentilesExpr is ApproxPercentiles over the values of x.
func ApproxPercentilesExpr(x Expr, fractions []float64, accuracy int) Agg {
	return newStatExprAgg(plan.AggApproxPercentile, x,
		&plan.AggStatParams{Fractions: slices.Clone(fractions), Many: true, Accuracy: accuracy})
}

// Percentile is the exact percentile of the integer or floating-point column col at
// fraction (in [0, 1]) as float64, as Spark's percentile(col, fraction): the group's
// non-NULL values sorted, linearly interpolated between the two closest ranks (position
// fraction*(n-1)); NaN sorts above every number. NULL for a group with no value. Like
// Median, every non-NULL value of a group crosses the shuffle.
func Percentile(col string, fraction float64) Agg {
	return newStatAgg(plan.AggPercentile, statColRef(col), &plan.AggStatParams{Fractions: []float64{fraction}})
}

// Percentiles is Percentile at several fractions at once: a list of float64, one value
// per fraction in their order (Spark's percentile(col, array(...))).
func Percentiles(col string, fractions []float64) Agg {
	return newStatAgg(plan.AggPercentile, statColRef(col), &plan.AggStatParams{Fractions: slices.Clone(fractions), Many: true})
}

// PercentileExpr is Percentile over the values of x.
func PercentileExpr(x Expr, fraction float64) Agg {
	return newStatExprAgg(plan.AggPercentile, x, &plan.AggStatParams{Fractions: []float64{fraction}})
}

// PercentilesExpr is Percentiles over the values of x.
func PercentilesExpr(x Expr, fractions []float64) Agg {
	return newStatExprAgg(plan.AggPercentile, x, &plan.AggStatParams{Fractions: slices.Clone(fractions), Many: true})
}

// Mode is the most frequent non-NULL value of col, of col's type (Spark's mode): NULL
// for a group with no value. Where Spark returns any of the values tied for most
// frequent, Mode returns the smallest (NaN above every number; -0 and 0 count as one
// value), so the result does not depend on the partitioning. Integer, floating-point,
// date, time, timestamp and string columns (plain or dictionary-encoded; the result is a
// plain string); each group counts its distinct values, which cross the shuffle with
// their counts.
func Mode(col string) Agg { return newStatAgg(plan.AggStatMode, statColRef(col), nil) }

// ModeExpr is Mode over the values of x.
func ModeExpr(x Expr) Agg { return newStatExprAgg(plan.AggStatMode, x, nil) }
