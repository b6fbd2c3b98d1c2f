package dataset

import (
	"errors"

	"github.com/kindling-data/kindling/plan"
)

// JoinKind says which rows a join keeps: Inner, LeftOuter, RightOuter, FullOuter,
// LeftSemi or LeftAnti.
type JoinKind = plan.JoinKind

// The join kinds. NULL keys never match: outer joins keep such rows unmatched, anti joins
// keep them, inner and semi joins drop them.
const (
	// Inner keeps the pairs of rows whose keys match.
	Inner JoinKind = plan.InnerJoin
	// LeftOuter keeps every left row, with NULLs where no right row matches.
	LeftOuter JoinKind = plan.LeftJoin
	// RightOuter keeps every right row, with NULLs where no left row matches.
	RightOuter JoinKind = plan.RightJoin
	// FullOuter keeps every row of both sides.
	FullOuter JoinKind = plan.FullJoin
	// LeftSemi keeps the left rows that have a match, once each, with the left columns.
	LeftSemi JoinKind = plan.LeftSemiJoin
	// LeftAnti keeps the left rows that have no match, with the left columns.
	LeftAnti JoinKind = plan.LeftAntiJoin
)

// JoinOn names the key columns of a join, pairwise: left[i] = right[i], and, after And,
// a further condition the matching pairs must satisfy.
type JoinOn struct {
	left, right []string
	cond        Expr
	hasCond     bool
}

// And adds cond, a boolean expression over both sides' columns, to the join condition:
// a pair of rows with equal keys matches only where cond is true (NULL counts as false),
// as in Spark's join(other, df1("k") === df2("k") && cond). The condition decides
// matching inside the join: an outer join keeps a row all of whose pairs cond rejects,
// NULL-filled, and an anti join keeps it, unlike a Filter after the join. In cond, a
// column name on one side only may be written Col(name); a name both sides have is
// written LeftCol(name) or RightCol(name). Equalities between a left and a right column
// in cond become further keys of the hash join.
func (o JoinOn) And(cond Expr) JoinOn {
	if o.hasCond {
		cond = o.cond.And(cond)
	}
	o.cond, o.hasCond = cond, true
	return o
}

// On joins on columns that have the same names on both sides. The result has one column
// per such key (for outer joins, the non-NULL of the two sides' keys), as Spark's
// join(other, "id") and Polars' join(on="id") do.
func On(cols ...string) JoinOn { return JoinOn{left: cols, right: cols} }

// OnKeys joins left[i] = right[i], for keys with different names on each side. Both key
// columns appear in the result.
func OnKeys(left, right []string) JoinOn { return JoinOn{left: left, right: right} }

// Join joins d (the left side) with other (the right side) on equal keys. Columns of the
// right side whose names are taken by the left get the suffix "_right", or the one of
// WithSuffix.
//
// The planner picks the strategy and Explain shows it: a broadcast hash join when one
// side is estimated below Config.BroadcastThreshold or marked with Broadcast (its rows are
// copied to every task and the other side is not shuffled), otherwise a shuffled hash
// join with both sides hash-partitioned on the keys. Two datasets already partitioned the
// same way on the keys (Repartition(n, keys...)) are joined without any shuffle.
func (d *Dataset) Join(other *Dataset, on JoinOn, kind JoinKind, opts ...JoinOption) *Dataset {
	site := callSite("join")
	if other.s != d.s {
		return d.deriveErr(errors.New("dataset: Join of datasets from different sessions"))
	}
	j := &plan.Join{Meta: plan.Meta{CallSite: site}, Left: d.node, Right: other.node,
		LeftKeys: on.left, RightKeys: on.right, Kind: kind, Suffix: joinSuffix(opts)}
	if on.hasCond {
		if on.cond.err != nil {
			return d.deriveErr(on.cond.err)
		}
		j.Cond = on.cond.e
	}
	out := d.derive(j)
	if out.err == nil {
		out.err = other.err
	}
	return out
}

// Broadcast marks d as small enough to copy whole to every task of a join, whatever its
// estimated size: the join then needs no shuffle of the other side.
func Broadcast(d *Dataset) *Dataset {
	return d.derive(&plan.Broadcast{Meta: plan.Meta{CallSite: callSite("broadcast")}, Input: d.node})
}

// SortKey orders a dataset by one column; build it with Asc or Desc.
type SortKey struct{ k plan.SortKey }

// Asc sorts by col ascending, NULLs first (Spark's default).
func Asc(col string) SortKey { return SortKey{plan.SortKey{Column: col, NullsFirst: true}} }

// Desc sorts by col descending, NULLs last (Spark's default).
func Desc(col string) SortKey { return SortKey{plan.SortKey{Column: col, Descending: true}} }

// NullsFirst puts NULLs before every value.
func (k SortKey) NullsFirst() SortKey { k.k.NullsFirst = true; return k }

// NullsLast puts NULLs after every value.
func (k SortKey) NullsLast() SortKey { k.k.NullsFirst = false; return k }

// OrderBy sorts the rows globally: partition i holds rows that sort before those of
// partition i+1, and each partition is sorted, so Collect returns them in order. It
// samples the keys to choose range bounds, shuffles by range, and sorts each partition.
// NaN sorts above every number; strings compare by bytes. The sort is stable: rows with
// equal keys keep their input order (partition by partition, then within each
// partition), because equal keys meet in one range partition in map order and the local
// sort is stable.
//
// OrderBy(...).Limit(n) runs as a top-N: each partition keeps its best n rows, and one
// task merges them, without sorting everything.
func (d *Dataset) OrderBy(keys ...SortKey) *Dataset {
	site := callSite("orderBy")
	if len(keys) == 0 {
		return d.deriveErr(errors.New("dataset: OrderBy needs at least one key"))
	}
	ks := make([]plan.SortKey, len(keys))
	for i, k := range keys {
		ks[i] = k.k
	}
	return d.derive(&plan.Sort{Meta: plan.Meta{CallSite: site}, Input: d.node, Keys: ks})
}
