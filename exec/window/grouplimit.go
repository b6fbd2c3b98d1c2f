package window

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// minCompactRows is the fewest buffered rows that trigger a compaction: below it, the
// sort's per-call overhead outweighs the rows it drops.
const minCompactRows = 1 << 16

// compactRatio is how many times the candidates' rows the buffer reaches before a
// compaction: each compaction sorts the candidates again, so a larger buffer sorts them
// less often (at the cost of holding that many more rows, reserved).
const compactRatio = 4

// GroupLimit runs a plan.PWindowGroupLimit: it keeps, per partition key, the rows whose
// rank (row_number, rank or dense_rank by the window's order) within the rows it has seen
// is at most the limit. It buffers input batches and, whenever they reach compactRatio
// times the candidates kept so far (at least minCompactRows), compacts candidates and
// buffer into the new candidates: one sort by (partition keys, order keys), then a walk
// that counts ranks. So it holds about the candidates plus compactRatio times as many
// rows, and sorts each buffered row about once.
//
// Memory: every batch it holds is reserved first. When the reservation is refused it
// turns into a pass-through (emits what it holds, then its input unchanged): the window
// above it does the exact work, so only the saving is lost, never correctness.
type GroupLimit struct {
	in     colop.Operator
	node   *plan.PWindowGroupLimit
	opts   colop.Options
	res    colop.Reservation
	held   int64 // bytes reserved for the batches held (mapBytes apart)
	closer colop.Closer

	cands       arrow.RecordBatch // the candidates kept, in key order unless selectBest chose them (nil before the first compaction)
	pending     []arrow.RecordBatch
	pendingRows int
	out         []arrow.RecordBatch // batches ready to emit
	passThrough bool
	done        bool

	// The fast path of one int64 partition key and one int64 order key: thresholds maps
	// each key whose candidates are full (K rows, or K distinct values for dense_rank) to
	// its last candidate's order value; an input row strictly worse than it can never rank
	// within K, so it is dropped before it is buffered and sorted.
	fast       bool
	thresholds *int64Thresholds
	mapBytes   int64 // reserved for thresholds
}

// NewGroupLimit returns the operator of n over in.
func NewGroupLimit(in colop.Operator, n *plan.PWindowGroupLimit, opts colop.Options) *GroupLimit {
	return &GroupLimit{in: in, node: n, opts: opts, fast: len(n.PartitionBy) == 1 && len(n.OrderBy) == 1}
}

// Open opens the input and the reservation.
func (o *GroupLimit) Open(ctx context.Context) error {
	o.res = o.opts.Reservation("window group limit", nil)
	if o.res == nil {
		o.res = unlimited{}
	}
	return o.in.Open(ctx)
}

// Next returns the next batch of candidates (all of them once the input is exhausted),
// or in pass-through mode the input's batches.
func (o *GroupLimit) Next() (arrow.RecordBatch, error) {
	for {
		if len(o.out) > 0 {
			rec := o.out[0]
			o.out = o.out[1:]
			return rec, nil
		}
		if o.passThrough {
			return o.in.Next()
		}
		if o.done {
			return nil, io.EOF
		}
		rec, err := o.in.Next()
		if errors.Is(err, io.EOF) {
			if err := o.compact(); err != nil {
				return nil, err
			}
			o.done = true
			if o.cands != nil {
				o.out = append(o.out, o.cands)
				o.cands = nil
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec, err = o.prefilter(rec); err != nil {
			return nil, err
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		size := recordBytes(rec)
		if err := o.res.TryGrow(size); err != nil {
			// Refused: give up the saving, not the job.
			slog.Debug("window group limit: memory refused, passing rows through", "limit", o.node.Describe(), "err", err)
			o.passThroughNow(rec)
			continue
		}
		o.held += size
		o.pending = append(o.pending, rec)
		o.pendingRows += int(rec.NumRows())
		candRows := 0
		if o.cands != nil {
			candRows = int(o.cands.NumRows())
		}
		if o.pendingRows >= max(compactRatio*candRows, minCompactRows) {
			if err := o.compact(); err != nil {
				return nil, err
			}
		}
	}
}

// int64Keys returns rec's partition and order key columns when both are int64 (the fast
// path's shape).
func (o *GroupLimit) int64Keys(rec arrow.RecordBatch) (keys, vals arrow.Array, ok bool) {
	s := rec.Schema()
	keys = rec.Column(s.FieldIndices(o.node.PartitionBy[0])[0])
	vals = rec.Column(s.FieldIndices(o.node.OrderBy[0].Column)[0])
	return keys, vals, keys.DataType().ID() == arrow.INT64 && vals.DataType().ID() == arrow.INT64
}

// prefilter drops the rows of rec that are strictly worse than their key's threshold
// (taking ownership of rec). Rows with a NULL key or order value are always kept: the
// sort in compact places them.
func (o *GroupLimit) prefilter(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	// With K = 1 the thresholds also learn from the rows as they pass: a row strictly
	// worse than any row seen of its key ranks at least 2 whatever else comes.
	learn := o.node.Limit == 1
	if !o.fast || (o.thresholds.len() == 0 && !learn) || rec.NumRows() == 0 {
		return rec, nil
	}
	kc, vc, ok := o.int64Keys(rec)
	if !ok {
		o.fast = false
		return rec, nil
	}
	if o.thresholds == nil {
		o.thresholds = newInt64Thresholds()
	}
	keys, vals := kernel.FixedValues[int64](kc), kernel.FixedValues[int64](vc)
	kbm, koff := kernel.Validity(kc)
	vbm, voff := kernel.Validity(vc)
	desc := o.node.OrderBy[0].Descending
	n := int(rec.NumRows())
	keep := make([]int32, 0, n)
	for i := range n {
		if kernel.IsSet(kbm, koff, i) && kernel.IsSet(vbm, voff, i) {
			thr, ok := o.thresholds.get(keys[i])
			if ok && ((desc && vals[i] < thr) || (!desc && vals[i] > thr)) {
				continue
			}
			if learn && (!ok || vals[i] != thr) {
				o.thresholds.set(keys[i], vals[i])
			}
		}
		keep = append(keep, int32(i))
	}
	if learn {
		// If refused, the thresholds are dropped; filtering this batch by them was
		// still correct.
		o.reserveThresholds()
	}
	if len(keep) == n {
		return rec, nil
	}
	defer rec.Release()
	return kernel.Gather(rec, keep, o.opts.Mem)
}

// reserveThresholds grows the reservation to the thresholds' size; when refused it drops
// them and the fast path (the sort alone still gives the exact candidates).
func (o *GroupLimit) reserveThresholds() bool {
	want := o.thresholds.bytes()
	if want <= o.mapBytes {
		return true
	}
	if err := o.res.TryGrow(want - o.mapBytes); err != nil {
		slog.Debug("window group limit: memory refused, dropping the key thresholds", "limit", o.node.Describe(), "err", err)
		o.fast, o.thresholds = false, nil
		o.res.Shrink(o.mapBytes)
		o.mapBytes = 0
		return false
	}
	o.mapBytes = want
	return true
}

// updateThresholds rebuilds the thresholds from the candidates, which compact left
// sorted by (key, order). A key is full when its candidates reach K rows (row_number,
// rank) or K distinct order values (dense_rank); its threshold is then its last
// candidate's value, unless that is NULL. The map's memory is reserved; when refused the
// fast path is dropped (the sort alone still gives the exact candidates).
func (o *GroupLimit) updateThresholds() {
	// With a limit of 1 the prefilter keeps the thresholds exact as rows pass.
	if !o.fast || o.node.Limit == 1 || o.cands == nil || o.cands.NumRows() == 0 {
		return
	}
	kc, vc, ok := o.int64Keys(o.cands)
	if !ok {
		o.fast = false
		return
	}
	keys, vals := kernel.FixedValues[int64](kc), kernel.FixedValues[int64](vc)
	kbm, koff := kernel.Validity(kc)
	vbm, voff := kernel.Validity(vc)
	if o.thresholds == nil {
		o.thresholds = newInt64Thresholds()
	}
	n := int(o.cands.NumRows())
	for lo := 0; lo < n; {
		hi, distinct := lo+1, int64(1)
		for hi < n && kernel.IsSet(kbm, koff, hi) == kernel.IsSet(kbm, koff, lo) && (!kernel.IsSet(kbm, koff, lo) || keys[hi] == keys[lo]) {
			a, b := kernel.IsSet(vbm, voff, hi-1), kernel.IsSet(vbm, voff, hi)
			if a != b || (a && vals[hi] != vals[hi-1]) {
				distinct++
			}
			hi++
		}
		count := int64(hi - lo)
		full := count >= o.node.Limit
		if o.node.Func == plan.WinDenseRank {
			full = distinct >= o.node.Limit
		}
		if full && kernel.IsSet(kbm, koff, lo) && kernel.IsSet(vbm, voff, hi-1) {
			o.thresholds.set(keys[lo], vals[hi-1])
		}
		lo = hi
	}
	o.reserveThresholds()
}

// passThroughNow queues everything held, then rec, and frees the reservation.
func (o *GroupLimit) passThroughNow(rec arrow.RecordBatch) {
	o.passThrough = true
	if o.cands != nil {
		o.out = append(o.out, o.cands)
		o.cands = nil
	}
	o.out = append(o.out, o.pending...)
	o.out = append(o.out, rec)
	o.pending, o.pendingRows = nil, 0
	o.res.Shrink(o.held + o.mapBytes)
	o.held, o.mapBytes, o.thresholds = 0, 0, nil
}

// compact replaces the candidates and the pending batches by the rows of both that rank
// within the limit.
func (o *GroupLimit) compact() error {
	if len(o.pending) == 0 {
		return nil
	}
	parts := o.pending
	if o.cands != nil {
		parts = append([]arrow.RecordBatch{o.cands}, parts...)
	}
	// concatRecords takes ownership of the parts, on error too.
	o.cands, o.pending, o.pendingRows = nil, nil, 0
	all, err := concatRecords(parts[0].Schema(), parts, o.opts.Mem)
	if err != nil {
		return err
	}
	defer all.Release()
	keep, err := o.selectRows(all)
	if err != nil {
		return err
	}
	cands, err := kernel.Gather(all, keep, o.opts.Mem)
	if err != nil {
		return err
	}
	o.cands = cands
	o.updateThresholds()
	size := recordBytes(cands)
	o.res.Shrink(o.held)
	o.held = 0
	// The candidates are at most the memory just freed, so this grow does not fail in
	// practice; if it does, the rows are emitted unreserved and the operator passes
	// the rest through.
	if err := o.res.TryGrow(size); err != nil {
		o.passThrough = true
		o.out = append(o.out, o.cands)
		o.cands = nil
		return nil
	}
	o.held = size
	return nil
}

// selectRows sorts rec by (partition keys, order keys) and returns, in that order, the
// rows whose rank within their key is at most the limit.
func (o *GroupLimit) selectRows(rec arrow.RecordBatch) ([]int32, error) {
	if o.fast && o.node.Limit == 1 && o.thresholds != nil {
		if kc, vc, ok := o.int64Keys(rec); ok && kc.NullN() == 0 && vc.NullN() == 0 {
			return o.selectBest(kernel.FixedValues[int64](kc), kernel.FixedValues[int64](vc)), nil
		}
	}
	schema := rec.Schema()
	n := o.node
	var partCols, allCols []arrow.Array
	var partOrders, allOrders []kernel.SortOrder
	for _, k := range n.PartitionBy {
		c := rec.Column(schema.FieldIndices(k)[0])
		partCols = append(partCols, c)
		partOrders = append(partOrders, kernel.SortOrder{NullsFirst: true})
	}
	allCols = append(allCols, partCols...)
	allOrders = append(allOrders, partOrders...)
	var ordCols []arrow.Array
	var ordOrders []kernel.SortOrder
	for _, k := range n.OrderBy {
		c := rec.Column(schema.FieldIndices(k.Column)[0])
		ordCols = append(ordCols, c)
		ordOrders = append(ordOrders, kernel.SortOrder{Descending: k.Descending, NullsFirst: k.NullsFirst})
	}
	allCols = append(allCols, ordCols...)
	allOrders = append(allOrders, ordOrders...)
	all, err := kernel.NewRowComparator(allCols, allOrders)
	if err != nil {
		return nil, err
	}
	part, err := kernel.NewRowComparator(partCols, partOrders)
	if err != nil {
		return nil, err
	}
	ord, err := kernel.NewRowComparator(ordCols, ordOrders)
	if err != nil {
		return nil, err
	}
	idx := kernel.SortIndices(all)
	keep := make([]int32, 0, min(len(idx), 1024))
	var rowNum, rank, dense int64
	for j, i := range idx {
		if j == 0 || part.Compare(int(idx[j-1]), int(i)) != 0 {
			rowNum, rank, dense = 1, 1, 1
		} else {
			rowNum++
			if ord.Compare(int(idx[j-1]), int(i)) != 0 {
				rank = rowNum
				dense++
			}
		}
		var r int64
		switch n.Func {
		case plan.WinRowNumber:
			r = rowNum
		case plan.WinRank:
			r = rank
		default:
			r = dense
		}
		if r <= n.Limit {
			keep = append(keep, i)
		}
	}
	return keep, nil
}

// selectBest is selectRows for a limit of 1 on the fast path's shape without NULLs: the
// thresholds, learned from every row the operator took in, hold each key's best order
// value, so the rows ranking first are those equal to it (for row_number, the first such
// row of each key). One pass of table lookups replaces the sort; the rows kept are not
// in key order, which only the sort-based path needs (the window above sorts anyway).
func (o *GroupLimit) selectBest(keys, vals []int64) []int32 {
	o.thresholds.startMarks()
	keep := make([]int32, 0, min(len(keys), o.thresholds.len()))
	for i, k := range keys {
		if thr, ok := o.thresholds.get(k); !ok || vals[i] != thr {
			continue
		}
		if o.node.Func == plan.WinRowNumber && !o.thresholds.markOnce(k) {
			continue
		}
		keep = append(keep, int32(i))
	}
	return keep
}

// recordBytes is the size of rec's buffers, what holding it costs.
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, c := range rec.Columns() {
		n += arrayBytes(c.Data())
	}
	return n
}

func arrayBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += arrayBytes(c)
	}
	return n
}

// Close releases what the operator holds, its reservation and its input.
func (o *GroupLimit) Close() error {
	return o.closer.CloseOnce(func() error {
		if o.cands != nil {
			o.cands.Release()
			o.cands = nil
		}
		for _, r := range o.pending {
			r.Release()
		}
		for _, r := range o.out {
			r.Release()
		}
		o.pending, o.out = nil, nil
		if o.res != nil {
			o.res.Free()
		}
		return o.in.Close()
	})
}

// unlimited is the reservation of an operator built without a budget (Options.Reserve nil).
type unlimited struct{}

func (unlimited) TryGrow(int64) error { return nil }
func (unlimited) Shrink(int64)        {}
func (unlimited) Free()               {}
