package dataset

import "github.com/kindling-data/kindling/plan"

// Collection, boolean and distinct-sum aggregates, as Spark's collect_list, collect_set,
// last, any_value, bool_and (every), bool_or (some) and sum(DISTINCT x). Each has an
// expression form with the suffix Expr.

// CollectList gathers the non-NULL values of col into a list per group (Spark's
// collect_list): list<col's type>, an empty list (not NULL) for a group with no
// non-NULL value. Within one input partition the values keep their order; across
// partitions the order is that in which the shuffle delivers them, which is not
// deterministic, as in Spark. A dictionary column gives a list of strings. Every value
// crosses the shuffle and is held in memory (accounted, spilled under pressure), so it
// costs memory in proportion to the rows, not the groups.
func CollectList(col string) Agg { return newAgg(plan.AggCollectList, col) }

// CollectListExpr is CollectList over the values of the expression x.
func CollectListExpr(x Expr) Agg { return newExprAgg(plan.AggCollectList, x) }

// CollectSet gathers the distinct non-NULL values of col into a list per group (Spark's
// collect_set): an empty list for a group with no non-NULL value. NaNs are one value and
// -0.0 equals 0.0, as for grouping. The list is not sorted: it holds the values in the
// order first met, which across partitions depends on the shuffle (Spark does not
// promise an order either); sort it or compare it as a set.
func CollectSet(col string) Agg { return newAgg(plan.AggCollectSet, col) }

// CollectSetExpr is CollectSet over the values of the expression x.
func CollectSetExpr(x Expr) Agg { return newExprAgg(plan.AggCollectSet, x) }

// Last is the value of col in the last row of the group (Spark's last(col,
// ignoreNulls)): with ignoreNulls the last non-NULL value, otherwise the last row's value
// even when it is NULL; NULL for a group with no such row. "Last" follows the input's
// order within a partition; after a shuffle it depends on the order in which the
// reducer reads the map outputs, so, as in Spark, it is deterministic only over one
// ordered partition.
func Last(col string, ignoreNulls bool) Agg {
	return lastAgg(newAgg(plan.AggLast, col), ignoreNulls)
}

// LastExpr is Last over the values of the expression x.
func LastExpr(x Expr, ignoreNulls bool) Agg {
	return lastAgg(newExprAgg(plan.AggLast, x), ignoreNulls)
}

// lastAgg sets a's IgnoreNulls and names it after its call: last(x) or last(x, true).
func lastAgg(a Agg, ignoreNulls bool) Agg {
	if a.err == nil {
		a.a.IgnoreNulls = ignoreNulls
		a.a.Name = plan.AggExpr{Func: a.a.Func, Arg: a.a.Arg, IgnoreNulls: ignoreNulls}.String()
	}
	return a
}

// AnyValue is some non-NULL value of col (Spark's any_value(col, true)): the cheapest to
// keep, which is the first met in a partition; NULL when the group has none. Which value
// is unspecified.
func AnyValue(col string) Agg { return newAgg(plan.AggAnyValue, col) }

// AnyValueExpr is AnyValue over the values of the expression x.
func AnyValueExpr(x Expr) Agg { return newExprAgg(plan.AggAnyValue, x) }

// BoolAnd is true when every non-NULL value of the boolean column col is true (Spark's
// bool_and and every): NULLs are skipped, and a group with no non-NULL value gives NULL.
func BoolAnd(col string) Agg { return newAgg(plan.AggBoolAnd, col) }

// BoolAndExpr is BoolAnd over the boolean expression x, e.g.
// BoolAndExpr(Col("qty").Gt(Lit(0))): whether every known quantity is positive.
func BoolAndExpr(x Expr) Agg { return newExprAgg(plan.AggBoolAnd, x) }

// BoolOr is true when some non-NULL value of the boolean column col is true (Spark's
// bool_or, some and any): NULLs are skipped, and a group with no non-NULL value gives
// NULL.
func BoolOr(col string) Agg { return newAgg(plan.AggBoolOr, col) }

// BoolOrExpr is BoolOr over the boolean expression x.
func BoolOrExpr(x Expr) Agg { return newExprAgg(plan.AggBoolOr, x) }

// SumDistinct adds the distinct non-NULL values of col (Spark's sum(DISTINCT col)), in
// the type Sum gives: an exact int64 for integer columns, float64 for floating-point
// ones (NaNs count once, -0.0 equals 0.0), decimal(min(38,p+10),s) for decimal(p,s)
// (NULL when the sum does not fit); NULL for a group with no non-NULL value. When the distinct aggregates of an aggregation all share one argument,
// the optimizer plans them as two aggregations (the first deduplicates (keys, col), the
// second sums by the keys), as Spark and DataFusion do.
func SumDistinct(col string) Agg { return newAgg(plan.AggSumDistinct, col) }

// SumDistinctExpr is SumDistinct over the values of the numeric expression x.
func SumDistinctExpr(x Expr) Agg { return newExprAgg(plan.AggSumDistinct, x) }
