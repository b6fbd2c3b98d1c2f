package sorting

import (
	"errors"
	"fmt"
	"io"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/storage"
)

// The external merge sort. While the input is consumed, a refused reservation (or a Spill
// call from another consumer of the task) sorts the held batches and writes them, merged,
// as one sorted run: a spill file of batches of at most BatchRows rows. Runs are numbered
// in input order. At the end the runs (and the rows still held, as more runs after them)
// are merged with a heap over each run's current row; ties go to the earlier run, so the
// merge keeps the stable order of the in-memory sort. A merge holds one batch per run and
// a few output chunks, so when the budget cannot cover every run at once, groups of
// consecutive runs are merged into one run each (consecutive, so stability holds), round
// after round, until the runs left fit.

var _ kmemory.Spiller = (*SortOp)(nil)

// sortRun is a spilled sorted run.
type sortRun struct {
	file     *storage.SpillFile
	maxBatch int64 // in-memory bytes of the run's largest batch
}

// runBatchBytes estimates the memory of the largest batch of a run read back: the run's
// uncompressed bytes per row times the largest batch's rows, with a margin for buffer
// padding. (The chunks written are often slices of larger batches, whose own size says
// nothing of what is written.)
func runBatchBytes(f *storage.SpillFile, batches, maxRows int64) int64 {
	if batches == 0 || f.Rows() == 0 {
		return 0
	}
	perRow := float64(f.RawBytes()) / float64(f.Rows())
	return int64(perRow*float64(maxRows)*1.2) + 1024
}

// runBytes is what merging the run holds: its current batch (the rows of its previous
// batches that wait in the output chunk are copies, counted with the chunk).
func (r sortRun) runBytes() int64 { return r.maxBatch + 4096 }

// SpilledBytes returns the bytes the sort wrote to spill files (on disk, compressed),
// including the runs written by intermediate merge passes.
func (o *SortOp) SpilledBytes() int64 { return o.spilledBytes.Load() }

// SpillCount returns how many times the sort wrote its held rows out as a sorted run.
func (o *SortOp) SpillCount() int64 { return o.spillCount.Load() }

// Spill implements memory.Spiller: while a full sort with SpillManager set consumes its input it
// writes the held rows as a sorted run and returns the bytes it gave back; otherwise (or
// when the sort is busy with its own memory) it returns (0, nil). need is not used: the
// sort frees all it holds or nothing.
func (o *SortOp) Spill(need int64) (int64, error) {
	if !o.spillMu.TryLock() {
		// The sort itself is reserving or spilling right now; it cannot give more.
		return 0, nil
	}
	defer o.spillMu.Unlock()
	if !o.accepting || o.spillManager == nil || len(o.held) == 0 {
		return 0, nil
	}
	return o.spillHeld()
}

// spillHeld writes the held batches as one sorted run and frees their reservation; it
// returns the bytes freed. spillMu is held.
func (o *SortOp) spillHeld() (int64, error) {
	held := o.held
	o.held = nil
	if o.runRows == 0 {
		o.runRows = o.sortMergeRows(held)
	}
	srcs := make([]*mergeSource, 0, len(held))
	defer func() {
		for _, s := range srcs {
			s.close()
		}
		for _, r := range held {
			if r != nil {
				r.Release()
			}
		}
	}()
	// Sort each batch on its own (a sorted copy replaces it, so the peak is one batch
	// more than held), then merge them in input order.
	for i, r := range held {
		sorted, err := o.sortBatch(r)
		held[i] = nil
		if err != nil {
			return 0, err
		}
		srcs = append(srcs, &mergeSource{rec: sorted})
	}
	run, err := o.writeRun(srcs)
	if err != nil {
		return 0, err
	}
	o.runs = append(o.runs, run)
	o.spillCount.Add(1)
	freed := o.reserved
	o.unreserve(freed)
	return freed, nil
}

// Merge chunk sizing. A merge holds a batch of every run it reads and about three output
// chunks (chunkBytes), so it needs at least five batches' worth of memory to merge two
// runs. Written with BatchRows rows per batch, runs of wide rows could need more than a
// small budget allows, and whether the sort could finish would depend on BatchRows. So a
// spilling sort writes and merges chunks of at most sortMergeShare of the budget (at least
// sortMinMergeRows rows): then two runs merge in a tenth of it, the sort's minimum working
// set, and the fan-in grows with the budget.
const (
	sortMergeShare   = 64
	sortMinMergeRows = 16
)

// sortMergeRows is the row bound of merge chunks for rows like held's, from the budget;
// the output batch size (BatchRows) when the budget is unknown or large enough.
func (o *SortOp) sortMergeRows(held []arrow.RecordBatch) int {
	rows := o.batchRows
	if rows <= 0 {
		rows = colop.DefaultBatchRows
	}
	limit := colop.BudgetOf(o.res)
	var n, bytes int64
	for _, r := range held {
		n += r.NumRows()
		bytes += int64(colop.HeldBytes(r))
	}
	if limit <= 0 || n == 0 || bytes == 0 {
		return rows
	}
	perRow := max(bytes/n, 1)
	return max(sortMinMergeRows, min(rows, int(limit/sortMergeShare/perRow)))
}

// sortBatch returns rec's rows in sorted (stable) order, taking ownership of rec.
func (o *SortOp) sortBatch(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	c, err := o.comparator(rec)
	if err != nil {
		rec.Release()
		return nil, err
	}
	perm := sortPositions(c)
	if isIdentity(perm, int(rec.NumRows())) {
		return rec, nil
	}
	sorted, err := kernel.Gather(rec, perm, o.mem)
	rec.Release()
	if err != nil {
		return nil, fmt.Errorf("exec: sort by [%s]: gather a sorted run: %w", o.keyNames(), err)
	}
	return sorted, nil
}

// writeRun merges srcs into a new spill file, closing them.
func (o *SortOp) writeRun(srcs []*mergeSource) (sortRun, error) {
	m, err := o.newMerger(srcs)
	if err != nil {
		return sortRun{}, err
	}
	defer m.close()
	w, err := o.spillManager.Create("sort-run", o.schema)
	if err != nil {
		return sortRun{}, fmt.Errorf("exec: sort by [%s]: %w", o.keyNames(), err)
	}
	var batches, maxRows int64
	for {
		if err := o.ctx.Err(); err != nil {
			w.Abort()
			return sortRun{}, err
		}
		rec, err := m.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.Abort()
			return sortRun{}, err
		}
		batches++
		maxRows = max(maxRows, rec.NumRows())
		err = w.Append(rec)
		rec.Release()
		if err != nil {
			w.Abort()
			return sortRun{}, fmt.Errorf("exec: sort by [%s]: spilling a run: %w", o.keyNames(), err)
		}
	}
	f, err := w.Finish()
	if err != nil {
		return sortRun{}, fmt.Errorf("exec: sort by [%s]: %w", o.keyNames(), err)
	}
	o.spilledBytes.Add(f.Bytes())
	return sortRun{file: f, maxBatch: runBatchBytes(f, batches, maxRows)}, nil
}

// startMerge sets up the final merge of the runs and the held rows, first merging runs in
// passes while the budget cannot hold a batch of each.
func (o *SortOp) startMerge() error {
	o.spillMu.Lock()
	defer o.spillMu.Unlock()
	if len(o.held) > 0 {
		// The held rows join the merge in memory if the budget holds the runs besides them.
		err := o.reserve(o.mergeBytes(o.runs), "merging sorted runs")
		if err == nil {
			return o.openFinal(true)
		}
		if !errors.Is(err, kmemory.ErrBudgetExceeded) {
			return err
		}
		if _, err := o.spillHeld(); err != nil {
			return err
		}
	}
	for {
		k, err := o.reserveFanIn()
		if k == len(o.runs) {
			return o.openFinal(false)
		}
		if k < 2 {
			o.unreserve(o.reserved)
			return fmt.Errorf("exec: sort by [%s]: merging %d sorted runs needs memory for a batch of each of two runs: %w",
				o.keyNames(), len(o.runs), err)
		}
		o.unreserve(o.reserved)
		if err := o.mergeRound(k); err != nil {
			return err
		}
	}
}

// mergeBytes is the memory a merge of runs (beside what is held) needs: the runs' batches
// and the output chunk (see chunkBytes).
func (o *SortOp) mergeBytes(runs []sortRun) int64 {
	var n int64
	for _, r := range runs {
		n += r.runBytes()
	}
	return n + chunkBytes(runs)
}

// chunkBytes is what building one output chunk holds: the rows copied out of exhausted
// batches, their concatenation and its gathered copy, a chunk each.
func chunkBytes(runs []sortRun) int64 {
	var out int64
	for _, r := range runs {
		out = max(out, r.maxBatch)
	}
	return 3 * out
}

// reserveFanIn reserves the merge memory of as many leading runs as the budget allows
// (at least the output chunk) and returns how many; err is the refusal that stopped it.
func (o *SortOp) reserveFanIn() (int, error) {
	if err := o.reserve(chunkBytes(o.runs), "a merged output chunk"); err != nil {
		return 0, err
	}
	for i, r := range o.runs {
		if err := o.reserve(r.runBytes(), "merging a sorted run"); err != nil {
			return i, err
		}
	}
	return len(o.runs), nil
}

// mergeRound merges consecutive groups of k runs, each into one run that takes the
// group's place (so the run order stays the input order). It reserves each group's merge
// memory and gives it back after; the reservation is empty on entry.
func (o *SortOp) mergeRound(k int) error {
	rest := o.runs
	o.runs = nil
	var merged []sortRun
	defer func() { o.runs = append(merged, rest...) }()
	for len(rest) > 0 {
		g := min(k, len(rest))
		if g < 2 {
			merged = append(merged, rest[0])
			rest = rest[1:]
			continue
		}
		if err := o.reserve(o.mergeBytes(rest[:g]), "merging sorted runs"); err != nil {
			if len(merged) > 0 && errors.Is(err, kmemory.ErrBudgetExceeded) {
				return nil // this group's batches are larger: the next round takes fewer
			}
			return err
		}
		srcs := make([]*mergeSource, 0, g)
		for _, r := range rest[:g] {
			srcs = append(srcs, &mergeSource{run: r})
		}
		// The merger owns the group's runs now and removes each file once it is read.
		rest = rest[g:]
		run, err := o.writeRun(srcs)
		o.unreserve(o.reserved)
		if err != nil {
			return err
		}
		merged = append(merged, run)
		o.mergePasses++
	}
	return nil
}

// openFinal starts the merge that Next emits: every run, then (withHeld) each held batch,
// sorted, as one more source. The merge memory is already reserved.
func (o *SortOp) openFinal(withHeld bool) error {
	srcs := make([]*mergeSource, 0, len(o.runs)+len(o.held))
	for _, r := range o.runs {
		srcs = append(srcs, &mergeSource{run: r})
	}
	o.runs = nil
	fail := func(err error) error {
		for _, s := range srcs {
			s.close()
		}
		return err
	}
	if withHeld {
		held := o.held
		o.held = nil
		for i, r := range held {
			sorted, err := o.sortBatch(r)
			if err != nil {
				for _, r := range held[i+1:] {
					r.Release()
				}
				return fail(err)
			}
			srcs = append(srcs, &mergeSource{rec: sorted})
		}
	}
	m, err := o.newMerger(srcs)
	if err != nil {
		return err
	}
	o.merger = m
	return nil
}

// releaseRuns closes the merge and removes every spill file. spillMu is held.
func (o *SortOp) releaseRuns() {
	if o.merger != nil {
		o.merger.close()
		o.merger = nil
	}
	for _, r := range o.runs {
		_ = r.file.Remove()
	}
	o.runs = nil
}

// mergeSource is one sorted input of a merge: an in-memory batch (rec set, run.file nil)
// or a spilled run read batch by batch.
type mergeSource struct {
	run    sortRun
	reader *storage.SpillReader
	rec    arrow.RecordBatch // current batch
	cmp    *kernel.RowComparator
	cur    int // current row of rec
	done   bool

	// The rows this source gave to the output chunk being built: earlier batches' rows as
	// slices in segs, the current batch's as rows [segLo, cur).
	segs  []arrow.RecordBatch
	segLo int
	taken int // rows in segs and [segLo, cur)
	base  int // first position of the source's rows in the chunk, at flush
}

func (s *mergeSource) close() {
	if s.rec != nil {
		s.rec.Release()
		s.rec = nil
	}
	for _, r := range s.segs {
		r.Release()
	}
	s.segs = nil
	if s.reader != nil {
		_ = s.reader.Close()
		s.reader = nil
	}
	if s.run.file != nil {
		_ = s.run.file.Remove()
		s.run.file = nil
	}
	s.cmp = nil
	s.done = true
}

// sortMerger merges sorted sources into output chunks of at most BatchRows rows.
type sortMerger struct {
	o       *SortOp
	srcs    []*mergeSource
	heap    []int32 // indices of the sources not exhausted, a min-heap by current row
	first   *kernel.RowComparator
	picks   []int32 // the source of each row of the chunk being built
	ranks   []int32 // each row's position among its source's rows in the chunk
	scratch []int32
}

func (o *SortOp) newMerger(srcs []*mergeSource) (*sortMerger, error) {
	m := &sortMerger{o: o, srcs: srcs}
	for i, s := range srcs {
		if s.run.file != nil {
			r, err := s.run.file.Open(o.ctx, o.mem)
			if err != nil {
				m.close()
				return nil, fmt.Errorf("exec: sort by [%s]: %w", o.keyNames(), err)
			}
			s.reader = r
			if err := m.load(s); err != nil {
				m.close()
				return nil, err
			}
		} else if err := m.bind(s); err != nil {
			m.close()
			return nil, err
		}
		if !s.done {
			m.heap = append(m.heap, int32(i))
		}
	}
	for i := len(m.heap)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return m, nil
}

// bind builds the comparator of s's current batch.
func (m *sortMerger) bind(s *mergeSource) error {
	if s.rec == nil || s.rec.NumRows() == 0 {
		if s.rec != nil {
			s.rec.Release()
			s.rec = nil
		}
		s.done = true
		return nil
	}
	c, err := m.o.comparator(s.rec)
	if err != nil {
		return err
	}
	if m.first == nil {
		m.first = c
	} else if err := m.first.Compatible(c); err != nil {
		return fmt.Errorf("exec: sort by [%s]: merging runs: %w", m.o.keyNames(), err)
	}
	s.cmp, s.cur, s.segLo = c, 0, 0
	return nil
}

// load reads s's next non-empty batch, or marks s done (removing its file).
func (m *sortMerger) load(s *mergeSource) error {
	for {
		rec, err := s.reader.Next()
		if errors.Is(err, io.EOF) {
			_ = s.reader.Close()
			s.reader = nil
			_ = s.run.file.Remove()
			s.run.file = nil
			s.done = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("exec: sort by [%s]: reading a sorted run: %w", m.o.keyNames(), err)
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		s.rec = rec
		return m.bind(s)
	}
}

// less orders sources by their current rows, the earlier source first on a tie.
func (m *sortMerger) less(a, b int32) bool {
	sa, sb := m.srcs[a], m.srcs[b]
	if r := sa.cmp.CompareWith(sa.cur, sb.cmp, sb.cur); r != 0 {
		return r < 0
	}
	return a < b
}

func (m *sortMerger) down(i int) {
	h := m.heap
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && m.less(h[r], h[l]) {
			c = r
		}
		if !m.less(h[c], h[i]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// next returns the next output chunk, or (nil, io.EOF) when every source is exhausted.
func (m *sortMerger) next() (arrow.RecordBatch, error) {
	limit := m.o.batchRows
	if limit <= 0 {
		limit = colop.DefaultBatchRows
	}
	if m.o.runRows > 0 {
		limit = min(limit, m.o.runRows)
	}
	if err := m.o.ctx.Err(); err != nil {
		return nil, err
	}
	m.picks, m.ranks = m.picks[:0], m.ranks[:0]
	for len(m.picks) < limit && len(m.heap) > 0 {
		si := m.heap[0]
		s := m.srcs[si]
		m.picks = append(m.picks, si)
		m.ranks = append(m.ranks, int32(s.taken))
		s.taken++
		s.cur++
		if s.cur == int(s.rec.NumRows()) {
			// Copy the rows this chunk took from the batch, so that the batch can go: a
			// slice would keep all of it alive.
			if s.cur > s.segLo {
				seg, err := m.copyRows(s.rec, s.segLo, s.cur)
				if err != nil {
					return nil, err
				}
				s.segs = append(s.segs, seg)
			}
			s.rec.Release()
			s.rec, s.cmp = nil, nil
			if s.reader == nil {
				s.done = true
			} else if err := m.load(s); err != nil {
				return nil, err
			}
			if s.done {
				last := len(m.heap) - 1
				m.heap[0] = m.heap[last]
				m.heap = m.heap[:last]
			}
		}
		if len(m.heap) > 0 {
			m.down(0)
		}
	}
	if len(m.picks) == 0 {
		return nil, io.EOF
	}
	return m.flush()
}

// copyRows returns a copy of rec's rows [lo, hi).
func (m *sortMerger) copyRows(rec arrow.RecordBatch, lo, hi int) (arrow.RecordBatch, error) {
	if lo == 0 && hi == int(rec.NumRows()) {
		rec.Retain()
		return rec, nil
	}
	idx := m.scratch[:0]
	for i := lo; i < hi; i++ {
		idx = append(idx, int32(i))
	}
	m.scratch = idx
	out, err := kernel.Gather(rec, idx, m.o.mem)
	if err != nil {
		return nil, fmt.Errorf("exec: sort by [%s]: merge: %w", m.o.keyNames(), err)
	}
	return out, nil
}

// flush assembles the chunk: the sources' rows are concatenated source by source, then
// gathered into merge order (no gather when the merge took the sources in turn).
func (m *sortMerger) flush() (arrow.RecordBatch, error) {
	var parts []arrow.RecordBatch
	pos := 0
	for _, s := range m.srcs {
		if s.rec != nil && s.cur > s.segLo {
			s.segs = append(s.segs, s.rec.NewSlice(int64(s.segLo), int64(s.cur)))
			s.segLo = s.cur
		}
		s.base = pos
		pos += s.taken
		s.taken = 0
		parts = append(parts, s.segs...)
		s.segs = nil
	}
	perm := m.ranks
	identity := true
	for i, si := range m.picks {
		perm[i] += int32(m.srcs[si].base)
		if int(perm[i]) != i {
			identity = false
		}
	}
	all, err := concatRecords(m.o.schema, parts, m.o.mem)
	if err != nil {
		return nil, fmt.Errorf("exec: sort by [%s]: merge: %w", m.o.keyNames(), err)
	}
	if identity {
		return all, nil
	}
	out, err := kernel.Gather(all, perm, m.o.mem)
	all.Release()
	if err != nil {
		return nil, fmt.Errorf("exec: sort by [%s]: merge: %w", m.o.keyNames(), err)
	}
	return out, nil
}

// close releases every source and removes their files.
func (m *sortMerger) close() {
	for _, s := range m.srcs {
		s.close()
	}
	m.srcs, m.heap = nil, nil
}
