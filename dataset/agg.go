package dataset

import "github.com/kindling-data/kindling/plan"

// Agg is an aggregate function of a column, used with GroupBy(...).Agg. Aggregates skip
// NULLs; over no non-NULL value sum, mean, min, max and first are NULL and counts are 0.
type Agg struct{ a plan.AggExpr }

func newAgg(f plan.AggFunc, col string) Agg {
	a := plan.AggExpr{Func: f, Arg: &plan.ColumnRef{Name: col}}
	a.Name = f.String() + "(" + col + ")"
	return Agg{a: a}
}

// Sum adds the values of col: an exact int64 for integer columns, float64 otherwise.
func Sum(col string) Agg { return newAgg(plan.AggSum, col) }

// Count counts rows (count(*)), named "count" unless renamed with As.
func Count() Agg { return Agg{a: plan.AggExpr{Func: plan.AggCountAll, Name: "count"}} }

// CountOf counts the non-NULL values of col.
func CountOf(col string) Agg { return newAgg(plan.AggCount, col) }

// CountDistinct counts the distinct non-NULL values of col.
func CountDistinct(col string) Agg { return newAgg(plan.AggCountDistinct, col) }

// Mean is the float64 average of col.
func Mean(col string) Agg { return newAgg(plan.AggMean, col) }

// Min is the smallest value of col (NaN is larger than every number).
func Min(col string) Agg { return newAgg(plan.AggMin, col) }

// Max is the largest value of col (NaN is larger than every number).
func Max(col string) Agg { return newAgg(plan.AggMax, col) }

// First is a non-NULL value of col: the first met in its partition; which partition's
// value wins is unspecified, as in Spark.
func First(col string) Agg { return newAgg(plan.AggFirst, col) }

// As names the aggregate's output column.
func (a Agg) As(name string) Agg {
	a.a.Name = name
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

// Agg computes the aggregates per group: the result has the key columns followed by one
// column per aggregate. With no keys it is a global aggregate that yields one row.
func (g *Grouped) Agg(aggs ...Agg) *Dataset {
	as := make([]plan.AggExpr, len(aggs))
	for i, a := range aggs {
		as[i] = a.a
	}
	return g.d.derive(&plan.Aggregate{Meta: plan.Meta{CallSite: g.site}, Input: g.d.node, Keys: g.keys, Aggs: as})
}

// Count is Agg(Count()): the rows per group, in a column named "count".
func (g *Grouped) Count() *Dataset { return g.Agg(Count()) }
