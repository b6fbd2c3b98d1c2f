package dataset

import (
	"errors"

	"github.com/kindling-data/kindling/plan"
)

// Predicate subqueries: x IN (SELECT c FROM d) over another dataset's one column.

// IsInDataset is true where x equals a value of d's only column, as Spark's
// x IN (SELECT c FROM d); d must have exactly one column (Select it first). x and the
// column are compared in their common type (numbers as int64 or float64, strings as
// strings); other pairs are an analysis error naming the call. NULLs never match: a
// NULL x, or an x found nowhere in a column holding a NULL, gives NULL, which Filter
// drops as false.
//
// As in Spark, it may only be a condition of Filter, or one of its AND-ed parts
// (x.IsInDataset(d).And(y)), not inside Or or Not nor in a projection: anywhere else is
// an analysis error. It is planned as a left semi join with d's distinct values (Explain
// shows it), broadcast when they are estimated below Config.BroadcastThreshold.
func (x Expr) IsInDataset(d *Dataset) Expr {
	return inDataset(x, d, false, callSite("isInDataset"))
}

// NotInDataset is Spark's x NOT IN (SELECT c FROM d), with SQL's NULL rules: over an
// empty d it is true for every row, a NULL x included; otherwise it is never true when
// d's column holds a NULL or x is NULL (NULL, which Filter drops), and true where x is
// none of the column's values. The same restrictions as IsInDataset hold. It is planned
// as a left anti join with d's distinct values followed by a check against two counts of
// them (a one-row aggregate, broadcast), since a plain anti join would keep NULLs.
func (x Expr) NotInDataset(d *Dataset) Expr {
	return inDataset(x, d, true, callSite("notInDataset"))
}

func inDataset(x Expr, d *Dataset, negated bool, site string) Expr {
	switch {
	case x.err != nil:
		return x
	case d == nil:
		return Expr{err: errors.New("dataset: " + site + ": nil dataset")}
	case d.err != nil:
		return Expr{err: d.err}
	}
	return Expr{e: &plan.InSubquery{Value: x.e, Plan: d.node, Negated: negated, Site: site}}
}
