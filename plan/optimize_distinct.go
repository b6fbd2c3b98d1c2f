package plan

import (
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// Distinct aggregates as two aggregations (Spark's RewriteDistinctAggregates for a single
// distinct argument, DataFusion's single_distinct_to_groupby). An aggregation whose
// distinct aggregates are all count(DISTINCT x) or sum(DISTINCT x) over the same x,
//
//	Aggregate keys=[k] aggs=[count(DISTINCT x) AS n, sum(DISTINCT x) AS s]
//
// becomes an aggregation by (k, x) with no aggregates, which deduplicates the pairs with
// the ordinary hash aggregate (partial deduplication in each map task, one shuffle on
// (k, x)), under the plain aggregates of x by k:
//
//	Aggregate keys=[k] aggs=[count(x) AS n, sum(x) AS s]
//	+- Aggregate keys=[k, x] aggs=[]
//
// NULLs of x form one (k, NULL) group, which count and sum skip, so the results are the
// distinct aggregates' exactly, also over no rows (count 0, sum NULL). This replaces a
// set of values per group (a hash map entry per (group, value) pair, and every distinct
// value of a group shipped in one list across the shuffle) with the hash aggregate's own
// typed tables. An x that is an expression is computed into a column first; an x that is
// a dictionary column cast to strings is grouped as the dictionary itself.
//
// Other aggregates ride along as Spark's planAggregateWithOneDistinct does: each is
// computed per (k, x) below and merged per k above (sum, min, max, first, any_value,
// bool_and and bool_or as themselves, counts by sum_counts, which is 0 over none), so
// count(*), count(DISTINCT x) and sum(y) together still split. Aggregations with several
// distinct arguments, or with an aggregate that does not merge in its own type (mean,
// decimal sums, the statistical and collection aggregates), keep the set-based
// accumulators (Spark would expand the rows once per distinct argument).

// distinctArgColumn is the name of the column a computed distinct argument is put in.
const distinctArgColumn = "$distinct"

// OptimizeKeepingDistinct is Optimize without the rewrite of distinct aggregates into
// two aggregations: the set-based plan, kept so that tests and benchmarks can compare
// the two.
func OptimizeKeepingDistinct(root Node) Node {
	return optimizeWith(root, &optimizer{keepDistinct: true})
}

// splitDistinct applies the rewrite to every aggregation of the tree, bottom up.
func (o *optimizer) splitDistinct(n Node) Node {
	n = o.mapChildren(n, o.splitDistinct)
	agg, ok := n.(*Aggregate)
	if !ok || o.keepDistinct {
		return n
	}
	arg, ok := singleDistinctArg(agg)
	if !ok {
		return n
	}
	in, col := o.distinctInput(agg, arg)
	lowerKeys := append(append([]string(nil), agg.Keys...), col)
	var partials []AggExpr
	aggs := make([]AggExpr, len(agg.Aggs))
	for i, a := range agg.Aggs {
		switch a.Func {
		case AggCountDistinct:
			aggs[i] = AggExpr{Func: AggCount, Arg: &ColumnRef{Name: col}, Name: a.Name}
		case AggSumDistinct:
			aggs[i] = AggExpr{Func: AggSum, Arg: &ColumnRef{Name: col}, Name: a.Name}
		default:
			// Computed per (keys, x) below, merged per keys above.
			p := a
			p.Name = freshName(in.Schema(), lowerKeys, "$partial"+strconv.Itoa(i))
			partials = append(partials, p)
			aggs[i] = AggExpr{Func: mergeFunc(a.Func), Arg: &ColumnRef{Name: p.Name}, Name: a.Name}
		}
	}
	lower := o.rebuild(&Aggregate{Meta: agg.Meta, Input: in, Keys: lowerKeys, Aggs: partials})
	return o.rebuild(&Aggregate{Meta: agg.Meta, Input: lower, Keys: agg.Keys, Aggs: aggs})
}

// singleDistinctArg returns the argument shared by all of agg's distinct aggregates,
// count(DISTINCT x) or sum(DISTINCT x), when there is at least one and every other
// aggregate can be computed per (keys, x) and merged per keys (mergeFunc) in its own
// type.
func singleDistinctArg(agg *Aggregate) (Expr, bool) {
	var arg Expr
	in := agg.Input.Schema()
	for _, a := range agg.Aggs {
		switch a.Func {
		case AggCountDistinct, AggSumDistinct:
			if a.Arg == nil || (arg != nil && a.Arg.String() != arg.String()) {
				return nil, false
			}
			arg = a.Arg
		case AggSum:
			// A decimal sum of sums would widen the type again.
			if t, err := TypeOf(a.Arg, in); err != nil || isAggDecimal(t) {
				return nil, false
			}
		case AggCount, AggCountAll, AggMin, AggMax, AggFirst, AggAnyValue, AggBoolAnd, AggBoolOr:
		default:
			return nil, false
		}
	}
	return arg, arg != nil
}

// mergeFunc is the aggregate that merges per-(keys, x) values of f into per-keys ones.
func mergeFunc(f AggFunc) AggFunc {
	switch f {
	case AggCount, AggCountAll:
		return AggSumCounts
	}
	return f // sum, min, max, first, any_value, bool_and, bool_or merge as themselves
}

// freshName is base, or base with a numeric suffix, that names no column of s nor any
// of taken.
func freshName(s *arrow.Schema, taken []string, base string) string {
	name := base
	for i := 1; len(s.FieldIndices(name)) > 0 || slices.Contains(taken, name); i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	return name
}

// distinctInput returns the input of the deduplicating aggregation and the column of
// the distinct argument in it: a column argument (or a dictionary column cast to
// strings) as it is, unless it is a grouping key; otherwise a projection of the keys and
// the argument computed into a fresh column.
func (o *optimizer) distinctInput(agg *Aggregate, arg Expr) (Node, string) {
	in := agg.Input
	schema := in.Schema()
	isKey := func(name string) bool {
		for _, k := range agg.Keys {
			if k == name {
				return true
			}
		}
		return false
	}
	ref, ok := arg.(*ColumnRef)
	if c, isCast := arg.(*Cast); isCast {
		if r, isRef := c.Child.(*ColumnRef); isRef && c.To.ID() == arrow.STRING {
			if idx := schema.FieldIndices(r.Name); len(idx) == 1 && schema.Field(idx[0]).Type.ID() == arrow.DICTIONARY {
				ref, ok = r, true
			}
		}
	}
	if ok && !isKey(ref.Name) {
		return in, ref.Name
	}
	name := freshName(schema, nil, distinctArgColumn)
	// Every input column, for the other aggregates' arguments (pruning drops the unused).
	exprs := make([]Expr, 0, schema.NumFields()+1)
	for _, f := range schema.Fields() {
		exprs = append(exprs, &ColumnRef{Name: f.Name})
	}
	exprs = append(exprs, &Alias{Child: arg, Name: name})
	return o.rebuild(&Project{Meta: agg.Meta, Input: in, Exprs: exprs}), name
}
