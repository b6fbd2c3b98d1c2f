package dataset

import "github.com/kindling-data/kindling/plan"

// Agg is an aggregate function of a column or an expression, used with GroupBy(...).Agg.
// Aggregates skip NULLs; over no non-NULL value sum, mean, min, max and first are NULL
// and counts are 0. The functions taking a column name (Sum, Mean, ...) have expression
// forms with the suffix Expr (SumExpr, MeanExpr, ...), and Filter restricts any aggregate
// to the rows where a condition holds.
type Agg struct {
	a     plan.AggExpr
	err   error // from an argument expression; the aggregation fails with it
	named bool  // As gave the name
}

func newAgg(f plan.AggFunc, col string) Agg {
	a := plan.AggExpr{Func: f, Arg: &plan.ColumnRef{Name: col}}
	a.Name = f.String() + "(" + col + ")"
	return Agg{a: a}
}

// Sum adds the values of col: an exact int64 for integer columns, float64 for
// floating-point ones, and for a decimal(p,s) column an exact decimal(min(38,p+10),s),
// as Spark's sum: a sum that does not fit that type is NULL (Spark without ANSI mode).
func Sum(col string) Agg { return newAgg(plan.AggSum, col) }

// Count counts rows (count(*)), named "count" unless renamed with As.
func Count() Agg { return Agg{a: plan.AggExpr{Func: plan.AggCountAll, Name: "count"}} }

// CountOf counts the non-NULL values of col.
func CountOf(col string) Agg { return newAgg(plan.AggCount, col) }

// CountDistinct counts the distinct non-NULL values of col.
func CountDistinct(col string) Agg { return newAgg(plan.AggCountDistinct, col) }

// Mean is the average of col: float64, or for a decimal(p,s) column Spark's
// decimal(min(38,p+4),min(38,s+4)), the exact quotient rounded half up (NULL when the
// sum overflows, as Sum).
func Mean(col string) Agg { return newAgg(plan.AggMean, col) }

// Min is the smallest value of col (NaN is larger than every number).
func Min(col string) Agg { return newAgg(plan.AggMin, col) }

// Max is the largest value of col (NaN is larger than every number).
func Max(col string) Agg { return newAgg(plan.AggMax, col) }

// First is a non-NULL value of col: the first met in its partition; which partition's
// value wins is unspecified, as in Spark.
func First(col string) Agg { return newAgg(plan.AggFirst, col) }

// Median is the exact median of col as float64 (the mean of the two middle values of an
// even count; NaN counts as larger than every number). Integer and floating-point columns
// only. Every non-NULL value of a group crosses the shuffle, so it costs memory in
// proportion to the rows, not the groups.
func Median(col string) Agg { return newAgg(plan.AggMedian, col) }

// Stddev is the sample standard deviation of col (n-1 denominator, as DuckDB's stddev
// and stddev_samp), float64; NULL for groups of fewer than two non-NULL values. It is
// computed with Welford's method and merged pairwise, so it stays accurate when the mean
// is large next to the spread.
func Stddev(col string) Agg { return newAgg(plan.AggStddev, col) }

// Variance is the sample variance of col (n-1 denominator), float64; NULL for groups of
// fewer than two non-NULL values.
func Variance(col string) Agg { return newAgg(plan.AggVariance, col) }

// Corr is Pearson's correlation coefficient of columns x and y, float64, over the rows
// where both are non-NULL; NULL when fewer than two such rows, or when x or y is constant
// over them. Square it for r².
func Corr(x, y string) Agg {
	a := plan.AggExpr{Func: plan.AggCorr, Arg: &plan.ColumnRef{Name: x}, Arg2: &plan.ColumnRef{Name: y}}
	a.Name = "corr(" + x + ", " + y + ")"
	return Agg{a: a}
}

// As names the aggregate's output column.
func (a Agg) As(name string) Agg {
	a.a.Name = name
	a.named = true
	return a
}

// String renders the aggregate.
func (a Agg) String() string { return a.a.String() }

// Grouped is a dataset grouped by key columns, waiting for its aggregates.
type Grouped struct {
	d    *Dataset
	keys []string
	site string
}

// GroupBy groups the rows by the key columns. NULL keys form one group, as do NaNs.
// The aggregation runs in two phases: a partial aggregate in each input partition, a
// hash shuffle on the keys, and a final merge, so only one row per group and partition
// crosses the shuffle.
func (d *Dataset) GroupBy(keys ...string) *Grouped {
	return &Grouped{d: d, keys: append([]string(nil), keys...), site: callSite("groupBy")}
}

// Agg computes the aggregates per group: the result has the key columns, with their
// input types (a dictionary-encoded key stays dictionary-encoded, each result partition's
// batches sharing one dictionary), followed by one column per aggregate. With no keys it
// is a global aggregate that yields one row. When partial aggregation finds nearly every
// row a group of its own, it passes rows on as partial state instead of hashing them.
func (g *Grouped) Agg(aggs ...Agg) *Dataset {
	as := make([]plan.AggExpr, len(aggs))
	for i, a := range aggs {
		if a.err != nil {
			return g.d.deriveErr(a.err)
		}
		as[i] = a.a
	}
	return g.d.derive(&plan.Aggregate{Meta: plan.Meta{CallSite: g.site}, Input: g.d.node, Keys: g.keys, Aggs: as})
}

// Count is Agg(Count()): the rows per group, in a column named "count".
func (g *Grouped) Count() *Dataset { return g.Agg(Count()) }

// TopK keeps the k largest non-NULL values of col in each group: the result has the key
// columns then col (of col's type), one row per kept value, largest first within a group,
// at most k rows per group (fewer when the group has fewer values; equal values count
// separately; NaN is larger than every number; a group with no value has no row). col
// must be an integer or floating-point column and k at least 1.
//
// It runs as an aggregate whose state is a group's at most k largest values (a bounded
// heap per group, so only k values per group and partition cross the shuffle) followed
// by an explode of each group's list into rows.
func (g *Grouped) TopK(col string, k int) *Dataset {
	a := plan.AggExpr{Func: plan.AggTopK, Arg: &plan.ColumnRef{Name: col}, Name: col, K: k}
	agg := &plan.Aggregate{Meta: plan.Meta{CallSite: g.site}, Input: g.d.node, Keys: g.keys, Aggs: []plan.AggExpr{a}}
	return g.d.derive(&plan.Explode{Meta: plan.Meta{CallSite: g.site}, Input: agg, Column: col})
}
