package plan

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// Distinct aggregates as two aggregations (Spark's RewriteDistinctAggregates for a single
// distinct argument, DataFusion's single_distinct_to_groupby). An aggregation whose
// aggregates are all count(DISTINCT x) or sum(DISTINCT x) over the same x,
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
// a dictionary column cast to strings is grouped as the dictionary itself. Aggregations
// with other aggregates or several distinct arguments keep the set-based accumulators
// (Spark would expand the rows once per distinct argument).

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
	lower := o.rebuild(&Aggregate{Meta: agg.Meta, Input: in, Keys: append(append([]string(nil), agg.Keys...), col)})
	aggs := make([]AggExpr, len(agg.Aggs))
	for i, a := range agg.Aggs {
		f := AggCount
		if a.Func == AggSumDistinct {
			f = AggSum
		}
		aggs[i] = AggExpr{Func: f, Arg: &ColumnRef{Name: col}, Name: a.Name}
	}
	return o.rebuild(&Aggregate{Meta: agg.Meta, Input: lower, Keys: agg.Keys, Aggs: aggs})
}

// singleDistinctArg returns the argument shared by all of agg's aggregates when each is
// count(DISTINCT x) or sum(DISTINCT x) over it.
func singleDistinctArg(agg *Aggregate) (Expr, bool) {
	if len(agg.Aggs) == 0 {
		return nil, false
	}
	arg := agg.Aggs[0].Arg
	for _, a := range agg.Aggs {
		if (a.Func != AggCountDistinct && a.Func != AggSumDistinct) || a.Arg == nil || a.Arg.String() != arg.String() {
			return nil, false
		}
	}
	return arg, true
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
	name := distinctArgColumn
	for i := 1; len(schema.FieldIndices(name)) > 0; i++ {
		name = distinctArgColumn + strconv.Itoa(i)
	}
	exprs := make([]Expr, 0, len(agg.Keys)+1)
	for _, k := range agg.Keys {
		exprs = append(exprs, &ColumnRef{Name: k})
	}
	exprs = append(exprs, &Alias{Child: arg, Name: name})
	return o.rebuild(&Project{Meta: agg.Meta, Input: in, Exprs: exprs}), name
}
