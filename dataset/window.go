package dataset

import (
	"errors"

	"github.com/kindling-data/kindling/plan"
)

// Window functions. A WindowSpec says which rows a window function sees: the rows of the
// current row's partition (PartitionBy; the whole dataset without it), in an order
// (OrderBy), and for the frame functions a frame around the current row (RowsBetween,
// RangeBetween). A function applied to a spec with Over is an Expr for Select and
// WithColumn:
//
//	w := dataset.PartitionBy("customer").OrderBy(dataset.Desc("amount"))
//	ds.WithColumn("rank", dataset.Rank().Over(w))
//	ds.WithColumn("running", dataset.Sum("amount").Over(w.RowsBetween(dataset.UnboundedPreceding, dataset.CurrentRow)))
//
// As in Spark, the default frame is RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
// with an ORDER BY (rows with equal order keys, peers, share their frame) and the whole
// partition without one; the ranking functions and Lag and Lead ignore frames. Each
// window's rows are shuffled by the partition keys and sorted within their partition
// (functions with the same PartitionBy and OrderBy share the shuffle and the sort); a
// window without PartitionBy runs in one task. A window partition is held in memory
// while its functions are computed; one larger than the memory budget is spilled, and
// then only its partition keys, order keys and arguments (and the results) are held.

// The frame bounds of RowsBetween and RangeBetween; other bounds are offsets from the
// current row, negative before it (-6: 6 PRECEDING) and positive after it.
const (
	// UnboundedPreceding starts a frame at the partition's first row.
	UnboundedPreceding = plan.UnboundedPreceding
	// UnboundedFollowing ends a frame at the partition's last row.
	UnboundedFollowing = plan.UnboundedFollowing
	// CurrentRow is the current row (with RangeBetween: its peers too).
	CurrentRow = plan.CurrentRow
)

// WindowSpec is a window specification: partitioning, order and frame. Build one with
// Window or PartitionBy; its methods return modified copies.
type WindowSpec struct {
	spec plan.WindowSpec
	err  error
}

// Window returns an empty window specification: one partition holding every row, no
// order, the default frame.
func Window() WindowSpec { return WindowSpec{} }

// PartitionBy returns a window specification partitioned by cols.
func PartitionBy(cols ...string) WindowSpec { return Window().PartitionBy(cols...) }

// PartitionBy partitions the window by cols (replacing earlier partition columns): a
// window function sees only the rows whose cols equal the current row's (NULLs equal).
func (w WindowSpec) PartitionBy(cols ...string) WindowSpec {
	w.spec.PartitionBy = append([]string(nil), cols...)
	return w
}

// OrderBy orders each partition by keys (replacing an earlier order), built with Asc
// (NULLs first) and Desc (NULLs last) as for Dataset.OrderBy.
func (w WindowSpec) OrderBy(keys ...SortKey) WindowSpec {
	w.spec.OrderBy = make([]plan.SortKey, len(keys))
	for i, k := range keys {
		w.spec.OrderBy[i] = k.k
	}
	return w
}

// RowsBetween sets a frame counted in rows: from start to end rows around the current
// row, inclusive (UnboundedPreceding, CurrentRow, UnboundedFollowing or offsets, e.g.
// RowsBetween(-6, CurrentRow) for the current row and the six before it).
func (w WindowSpec) RowsBetween(start, end int64) WindowSpec {
	w.spec.Frame = &plan.WindowFrame{Kind: plan.FrameRows, Start: start, End: end}
	return w
}

// RangeBetween sets a frame counted in values of the order key: the rows whose key is
// within [key+start, key+end] of the current row's (for a descending order, key-start to
// key-end). Offsets other than UnboundedPreceding, CurrentRow and UnboundedFollowing need
// exactly one numeric or date order key (dates count in days); CurrentRow includes the
// current row's peers.
func (w WindowSpec) RangeBetween(start, end int64) WindowSpec {
	w.spec.Frame = &plan.WindowFrame{Kind: plan.FrameRange, Start: start, End: end}
	return w
}

// String renders the specification as in SQL.
func (w WindowSpec) String() string { return w.spec.String() }

// WindowFunc is a window function waiting for its window: apply it with Over.
type WindowFunc struct {
	f    plan.WindowFunc
	err  error
	site string
}

// Over applies the function to the window w: the result is an Expr computing, for every
// row, the function over the row's window.
func (f WindowFunc) Over(w WindowSpec) Expr {
	if f.err != nil {
		return Expr{err: f.err}
	}
	if w.err != nil {
		return Expr{err: w.err}
	}
	wf := f.f
	wf.Spec = w.spec
	wf.Site = f.site
	return Expr{e: &wf}
}

// Over computes the aggregate over a window instead of a group: for each row, over the
// rows of its window's frame, e.g. Sum("amount").Over(PartitionBy("customer")) is each
// customer's total on every one of its rows. Sum, CountOf, Count, Mean, Min, Max and
// First (and their Expr forms) can run over a window; the column is named by As, else by
// the call and its window.
func (a Agg) Over(w WindowSpec) Expr {
	if a.err != nil {
		return Expr{err: a.err}
	}
	if w.err != nil {
		return Expr{err: w.err}
	}
	agg := a.a
	agg.Name = ""
	wf := &plan.WindowFunc{Func: plan.WinAgg, Agg: agg, Spec: w.spec, Site: callSite("over")}
	if a.named {
		return Expr{e: &plan.Alias{Child: wf, Name: a.a.Name}}
	}
	return Expr{e: wf}
}

func windowFunc(k plan.WindowFuncKind, op string) WindowFunc {
	return WindowFunc{f: plan.WindowFunc{Func: k}, site: callSite(op)}
}

// RowNumber numbers the rows of each partition 1, 2, 3... in the window's order (ties in
// an unspecified order), as int32. The window needs an OrderBy.
func RowNumber() WindowFunc { return windowFunc(plan.WinRowNumber, "rowNumber") }

// Rank is the row's rank in its partition, as int32: 1 plus the number of rows ordered
// before it, so peers (equal order keys) share a rank and leave gaps (1, 1, 3). The
// window needs an OrderBy.
func Rank() WindowFunc { return windowFunc(plan.WinRank, "rank") }

// DenseRank is Rank without gaps (1, 1, 2), as int32.
func DenseRank() WindowFunc { return windowFunc(plan.WinDenseRank, "denseRank") }

// PercentRank is (rank-1)/(rows in the partition-1) as float64, 0 in a one-row
// partition.
func PercentRank() WindowFunc { return windowFunc(plan.WinPercentRank, "percentRank") }

// CumeDist is the fraction of the partition's rows ordered before the row or peer with
// it, as float64.
func CumeDist() WindowFunc { return windowFunc(plan.WinCumeDist, "cumeDist") }

// NTile splits each ordered partition into n buckets of sizes differing by at most one
// (the first buckets take the extra rows) and gives the row's bucket, 1 to n, as int32.
func NTile(n int) WindowFunc {
	f := windowFunc(plan.WinNTile, "ntile")
	f.f.Offset = int64(n)
	return f
}

func valueFunc(k plan.WindowFuncKind, op string, x Expr, offset int64, ignoreNulls bool) WindowFunc {
	f := windowFunc(k, op)
	arg, err := exprArg(x)
	if err != nil {
		return WindowFunc{err: err}
	}
	f.f.Args = []plan.Expr{arg}
	f.f.Offset = offset
	f.f.IgnoreNulls = ignoreNulls
	return f
}

func lagLead(k plan.WindowFuncKind, op string, x Expr, offset int, def Expr) WindowFunc {
	f := valueFunc(k, op, x, int64(offset), false)
	if f.err != nil || def.e == nil && def.err == nil {
		return f // a zero default: NULL
	}
	d, err := exprArg(def)
	if err != nil {
		return WindowFunc{err: err}
	}
	f.f.Args = append(f.f.Args, d)
	return f
}

// Lag is the value of x offset rows before the current row in its partition, or def
// (evaluated at the current row; a zero Expr or Lit(nil) for NULL) when there is no such
// row. The window needs an OrderBy; x keeps its type and def is cast to it.
func Lag(x Expr, offset int, def Expr) WindowFunc { return lagLead(plan.WinLag, "lag", x, offset, def) }

// Lead is the value of x offset rows after the current row in its partition, or def when
// there is no such row, as Lag.
func Lead(x Expr, offset int, def Expr) WindowFunc {
	return lagLead(plan.WinLead, "lead", x, offset, def)
}

// FirstValue is the value of x at the first row of the frame (with ignoreNulls, the first
// non-NULL value), NULL for an empty frame.
func FirstValue(x Expr, ignoreNulls bool) WindowFunc {
	return valueFunc(plan.WinFirstValue, "firstValue", x, 0, ignoreNulls)
}

// LastValue is the value of x at the last row of the frame (with ignoreNulls, the last
// non-NULL value). With the default frame of an ordered window the frame ends at the
// current row's last peer, as in Spark.
func LastValue(x Expr, ignoreNulls bool) WindowFunc {
	return valueFunc(plan.WinLastValue, "lastValue", x, 0, ignoreNulls)
}

// NthValue is the value of x at the n-th row (1-based) of the frame (with ignoreNulls, the
// n-th non-NULL value), NULL when the frame is shorter.
func NthValue(x Expr, n int, ignoreNulls bool) WindowFunc {
	if n < 1 {
		return WindowFunc{err: errors.New("dataset: NthValue needs n >= 1")}
	}
	return valueFunc(plan.WinNthValue, "nthValue", x, int64(n), ignoreNulls)
}
