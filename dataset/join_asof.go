package dataset

import (
	"errors"
	"time"

	"github.com/kindling-data/kindling/plan"
)

// AsOfOption adjusts JoinAsOf.
type AsOfOption func(*plan.AsOfJoin)

// Forward makes JoinAsOf take, for each left row, the earliest right row at or after
// its time instead of the latest at or before it (Polars' strategy="forward").
func Forward() AsOfOption { return func(j *plan.AsOfJoin) { j.Forward = true } }

// Tolerance bounds how far apart the two times of an as-of match may be: a match
// further than d is dropped (the left row gets NULLs). For timestamp and date time
// columns.
func Tolerance(d time.Duration) AsOfOption { return func(j *plan.AsOfJoin) { j.Tolerance = d } }

// ToleranceValue is Tolerance for a numeric time column (a sequence number, a float
// time): the largest difference v between the two values of a match.
func ToleranceValue(v float64) AsOfOption { return func(j *plan.AsOfJoin) { j.Tolerance = v } }

// JoinAsOf joins each row of d with the latest row of other whose on column is at or
// before the row's (Polars' join_asof, pandas' merge_asof), among the rows of other with
// the same by columns: a trade with the quote in force when it happened. Forward
// looks the other way; Tolerance bounds the distance. Among right rows with equal times,
// the last one (forward: the first) in the right side's order wins. A row of d without
// such a match, or with a NULL time or by value, is kept with NULLs.
//
// on and by name columns both sides have (Rename one side first otherwise); on is a
// number, a date or a timestamp. Columns of different numeric types (int32 and int64,
// an integer and a float) are compared as their common type, which the left's column
// then has in the result too, as with Join's keys. The result has d's columns, then other's but on and by;
// a right column whose name d takes gets the suffix "_right".
//
// Both sides are hash-partitioned by the by columns (gathered into one task without
// them), sorted within each partition by (by..., on), then merged: each task holds its
// partition of other in memory and streams d's.
func (d *Dataset) JoinAsOf(other *Dataset, on string, by []string, opts ...AsOfOption) *Dataset {
	site := callSite("joinAsOf")
	if other.s != d.s {
		return d.deriveErr(errors.New("dataset: JoinAsOf of datasets from different sessions"))
	}
	j := &plan.AsOfJoin{Meta: plan.Meta{CallSite: site}, Left: d.node, Right: other.node, On: on, By: append([]string(nil), by...)}
	for _, o := range opts {
		o(j)
	}
	out := d.derive(j)
	if out.err == nil {
		out.err = other.err
	}
	return out
}
