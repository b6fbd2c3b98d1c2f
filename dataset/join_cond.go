package dataset

import (
	"errors"

	"github.com/kindling-data/kindling/plan"
)

// LeftCol refers to the left side's column called name in a join condition (JoinWhere,
// JoinOn.And), where Col(name) would be ambiguous because both sides have such a column:
// Spark's df1("name").
func LeftCol(name string) Expr { return Expr{e: &plan.JoinSideRef{Name: name}} }

// RightCol refers to the right side's column called name in a join condition (JoinWhere,
// JoinOn.And): Spark's df2("name").
func RightCol(name string) Expr { return Expr{e: &plan.JoinSideRef{Right: true, Name: name}} }

// JoinWhere joins d (the left side) with other (the right side) where cond, a boolean
// expression over both sides' columns, is true: Spark's join(other, joinExprs, joinType).
// Columns are named as in JoinOn.And: Col for a name one side has, LeftCol and RightCol
// for a name both have. The result has every column of both sides (semi and anti joins:
// the left's); right columns whose names the left takes get the suffix "_right" (or
// WithSuffix's).
//
// Conjuncts of cond of the form LeftCol(a).Eq(RightCol(b)) become the keys of a hash
// join and the rest is checked on the pairs with equal keys, inside the join, so that
// outer, semi and anti joins treat a rejected pair as no match. A cond without such an
// equality (a range join, say ts between start and end) runs as a nested-loop join that
// evaluates cond over batches of row pairs: a broadcast nested-loop join when a side the
// kind allows is small or marked with Broadcast (inner: either side; left, semi, anti:
// the right; right: the left); otherwise an inner join is a cartesian product of
// partitions (one task per pair of a left and a right partition) and the other kinds
// gather both sides into a single task. Explain shows which. Nested loops do not spill:
// the side each task holds must fit in memory.
func (d *Dataset) JoinWhere(other *Dataset, cond Expr, kind JoinKind, opts ...JoinOption) *Dataset {
	site := callSite("join")
	if other.s != d.s {
		return d.deriveErr(errors.New("dataset: JoinWhere of datasets from different sessions"))
	}
	if cond.err != nil {
		return d.deriveErr(cond.err)
	}
	out := d.derive(&plan.Join{Meta: plan.Meta{CallSite: site}, Left: d.node, Right: other.node, Cond: cond.e, Kind: kind, Suffix: joinSuffix(opts)})
	if out.err == nil {
		out.err = other.err
	}
	return out
}

// CrossJoin returns every pair of a row of d and a row of other (Spark's crossJoin): d's
// columns then other's, those whose names d takes suffixed "_right" (or WithSuffix's).
// It runs as a broadcast nested-loop join when either side is small
// (Config.BroadcastThreshold) or marked with Broadcast, otherwise as a cartesian product
// of partitions: one task per pair of a partition of d and one of other. Explain shows
// which.
func (d *Dataset) CrossJoin(other *Dataset, opts ...JoinOption) *Dataset {
	site := callSite("crossJoin")
	if other.s != d.s {
		return d.deriveErr(errors.New("dataset: CrossJoin of datasets from different sessions"))
	}
	out := d.derive(&plan.Join{Meta: plan.Meta{CallSite: site}, Left: d.node, Right: other.node, Kind: plan.InnerJoin, Cross: true, Suffix: joinSuffix(opts)})
	if out.err == nil {
		out.err = other.err
	}
	return out
}

// JoinOption adjusts Join, JoinWhere and CrossJoin.
type JoinOption func(*joinOptions)

type joinOptions struct{ suffix string }

// WithSuffix renames each right column whose name a left column takes by appending
// suffix, instead of "_right" (Polars' suffix, pandas' suffixes). To rename columns of
// either side freely, Rename them before the join. A renamed column whose new name is
// taken too fails the join with an error that names it.
func WithSuffix(suffix string) JoinOption { return func(o *joinOptions) { o.suffix = suffix } }

func joinSuffix(opts []JoinOption) string {
	var o joinOptions
	for _, f := range opts {
		f(&o)
	}
	return o.suffix
}
