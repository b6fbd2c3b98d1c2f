package sorting

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"

	kmemory "github.com/kindling-data/kindling/memory"
)

// topN is the state of a sort with a limit. best holds the best rows so far, sorted; once
// it is full (limit rows) its last row is the bar an incoming row must beat. Candidates wait
// in pending (each piece sorted and at most limit rows) until there are enough of them to
// be worth a merge.
type topN struct {
	best      arrow.RecordBatch
	bestCmp   *kernel.RowComparator
	bestBytes int64

	pending      []arrow.RecordBatch
	pendingBytes []int64
	pendingRows  int
	pendingTotal int64 // sum of pendingBytes
}

// topPendingFloor is the candidate bytes below which a top-N does not merge for their
// size alone: a merge costs O(limit), so it must be paid for by enough arriving bytes.
const topPendingFloor = 32 << 10

func (t *topN) release() {
	if t.best != nil {
		t.best.Release()
		t.best = nil
		t.bestCmp = nil
	}
	for _, r := range t.pending {
		r.Release()
	}
	t.pending, t.pendingBytes, t.pendingRows, t.pendingTotal = nil, nil, 0, 0
}

// limit returns the node's limit as an int (a limit beyond any partition's size behaves
// as a full sort in O(input) memory).
func (o *SortOp) limit() int {
	return int(min(o.node.Limit, int64(1<<31-1)))
}

// mergeRows is the fewest pending rows worth a merge of a small top-N.
func (o *SortOp) mergeRows() int {
	if o.topMergeRows > 0 {
		return o.topMergeRows
	}
	return colop.DefaultBatchRows
}

// topAdd offers rec's rows to the top-N, taking ownership of rec.
func (o *SortOp) topAdd(rec arrow.RecordBatch) error {
	t := &o.top
	limit := o.limit()
	c, err := o.comparator(rec)
	if err != nil {
		rec.Release()
		return err
	}
	n := int(rec.NumRows())
	var cand []int32
	if t.best != nil && int(t.best.NumRows()) == limit {
		// Only rows strictly before the current last kept row can enter: on a tie the kept
		// row came first in the input and wins.
		last := limit - 1
		for i := range n {
			if c.CompareWith(i, t.bestCmp, last) < 0 {
				cand = append(cand, int32(i))
			}
		}
		if len(cand) == 0 {
			rec.Release()
			return nil
		}
	} else {
		cand = make([]int32, n)
		for i := range cand {
			cand[i] = int32(i)
		}
	}
	sel := selectTop(c, cand, limit)
	piece := rec
	gathered := false
	if !isIdentity(sel, n) {
		piece, err = kernel.Gather(rec, sel, o.mem)
		rec.Release()
		if err != nil {
			return fmt.Errorf("exec: top-%d: gather candidates: %w", limit, err)
		}
		gathered = true
	}
	size := int64(colop.HeldBytes(piece))
	if err := o.reserve(size, "top-N candidates"); err != nil {
		// Refused: compact what is held (the pieces' buffers can be far larger than their
		// rows need, e.g. one-row slices of a large batch) and the piece itself, then ask
		// again, so that the top-N fails only when O(limit) rows do not fit.
		if !errors.Is(err, kmemory.ErrBudgetExceeded) {
			piece.Release()
			return err
		}
		if merr := o.topMerge(); merr != nil {
			piece.Release()
			return merr
		}
		if !gathered {
			compact, gerr := kernel.Gather(piece, sel, o.mem)
			piece.Release()
			if gerr != nil {
				return fmt.Errorf("exec: top-%d: gather candidates: %w", limit, gerr)
			}
			piece = compact
			size = int64(colop.HeldBytes(piece))
		}
		if err := o.reserve(size, "top-N candidates"); err != nil {
			piece.Release()
			return err
		}
	}
	t.pending = append(t.pending, piece)
	t.pendingBytes = append(t.pendingBytes, size)
	t.pendingRows += int(piece.NumRows())
	t.pendingTotal += size
	bestRows := 0
	if t.best != nil {
		bestRows = int(t.best.NumRows())
	}
	// Merge once the candidates could fill best for the first time, and then whenever
	// they are as many as best holds (or a batch's worth): the merge costs O(limit), so
	// it is paid for by at least as many rows. Merge also when the candidates' buffers
	// outgrow twice best's: tiny batches carry fixed overhead per piece (padding, or the
	// whole parent buffer of a slice), and a row count alone would let a top-N of a few
	// rows hold its whole budget.
	if (bestRows < limit && bestRows+t.pendingRows >= limit) || t.pendingRows >= max(limit, o.mergeRows()) ||
		t.pendingTotal > max(2*t.bestBytes, topPendingFloor) {
		return o.topMerge()
	}
	return nil
}

// topMerge merges best and the pending candidates into a new best of at most limit rows.
func (o *SortOp) topMerge() error {
	t := &o.top
	if len(t.pending) == 0 {
		return nil
	}
	limit := o.limit()
	recs := make([]arrow.RecordBatch, 0, len(t.pending)+1)
	freed := int64(0)
	if t.best != nil {
		recs = append(recs, t.best)
		freed += t.bestBytes
	}
	recs = append(recs, t.pending...)
	for _, b := range t.pendingBytes {
		freed += b
	}
	// Input order is best first, then the pieces in arrival order: ties keep it.
	t.best, t.bestCmp, t.bestBytes = nil, nil, 0
	t.pending, t.pendingBytes, t.pendingRows, t.pendingTotal = nil, nil, 0, 0
	all, err := concatRecords(o.schema, recs, o.mem)
	if err != nil {
		o.unreserve(freed)
		return fmt.Errorf("exec: top-%d: %w", limit, err)
	}
	c, err := o.comparator(all)
	if err != nil {
		all.Release()
		o.unreserve(freed)
		return err
	}
	idx := make([]int32, all.NumRows())
	for i := range idx {
		idx[i] = int32(i)
	}
	sel := selectTop(c, idx, limit)
	best := all
	if !isIdentity(sel, int(all.NumRows())) {
		best, err = kernel.Gather(all, sel, o.mem)
		all.Release()
		if err != nil {
			o.unreserve(freed)
			return fmt.Errorf("exec: top-%d: gather: %w", limit, err)
		}
	}
	size := int64(colop.HeldBytes(best))
	o.unreserve(freed)
	if err := o.reserve(size, "the top-N rows"); err != nil {
		best.Release()
		return err
	}
	bc, err := o.comparator(best)
	if err != nil {
		best.Release()
		o.unreserve(size)
		return err
	}
	t.best, t.bestCmp, t.bestBytes = best, bc, size
	return nil
}

// topFinish merges the last candidates and hands best over as the (sorted) output.
func (o *SortOp) topFinish() error {
	if err := o.topMerge(); err != nil {
		return err
	}
	t := &o.top
	o.out, t.best, t.bestCmp = t.best, nil, nil
	o.perm = nil
	return nil
}

// isIdentity reports whether sel is 0, 1, ..., n-1.
func isIdentity(sel []int32, n int) bool {
	if len(sel) != n {
		return false
	}
	for i, x := range sel {
		if int(x) != i {
			return false
		}
	}
	return true
}

// sortPositions returns all row positions of c in stable sorted order.
func sortPositions(c *kernel.RowComparator) []int32 { return kernel.SortIndices(c) }

// selectTop returns the best k of the positions idx (reusing idx's storage), sorted, ties
// broken by position so that the result is the head of the stable sort. With more than k
// candidates it keeps a max-heap of the best k: O(len(idx) log k) and O(k) memory.
func selectTop(c *kernel.RowComparator, idx []int32, k int) []int32 {
	less := func(a, b int32) int {
		if r := c.Compare(int(a), int(b)); r != 0 {
			return r
		}
		return cmp.Compare(a, b)
	}
	if len(idx) <= k {
		slices.SortFunc(idx, less)
		return idx
	}
	h := idx[:k]
	for i := k/2 - 1; i >= 0; i-- {
		siftDown(h, i, less)
	}
	for _, x := range idx[k:] {
		if less(x, h[0]) < 0 {
			h[0] = x
			siftDown(h, 0, less)
		}
	}
	slices.SortFunc(h, less)
	return h
}

// siftDown restores the max-heap property (the worst row on top) below position i.
func siftDown(h []int32, i int, less func(a, b int32) int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && less(h[r], h[l]) > 0 {
			m = r
		}
		if less(h[m], h[i]) <= 0 {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
