package shuffle

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	kmem "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/storage"
)

// Reservation is the execution memory a Writer holds for its buffers (*memory.Reservation
// satisfies it). TryGrow's error wraps memory.ErrBudgetExceeded when the budget is spent.
type Reservation interface {
	TryGrow(n int64) error
	Shrink(n int64)
	Free()
}

// DefaultBatchRows is the row count at which a reduce partition's buffered pieces are
// compacted into one batch (DataFusion's and kindling's default batch size).
const DefaultBatchRows = 8192

// MapStatus describes one committed map output, per reduce partition.
type MapStatus struct {
	// Bytes[r] is the size of the block for reduce partition r (storage.BlockBytes: a
	// dictionary its batches share counts once).
	Bytes []int64
	// Rows[r] is its row count.
	Rows []int64
	// HotKeys are the partitioning keys a sample of the rows saw most, when the shuffle
	// partitions by key (hash partitioning).
	HotKeys []HotKey
}

type writerState uint8

const (
	writerOpen writerState = iota
	writerCommitted
	writerAborted
)

// partBuffer buffers one reduce partition's rows on the map side.
type partBuffer struct {
	// pending holds zero-copy slices of permuted input batches, not yet compacted; they pin
	// their parent batch's buffers until flushed.
	pending     []arrow.RecordBatch
	pendingRows int
	// pendingBytes estimates what pending pins: each piece's share, by rows, of the bytes of
	// the batch it was cut from.
	pendingBytes int64
	// done holds compacted batches of about batchRows rows each, ready to become the block,
	// and doneBytes the distinct buffers they hold (seen): batches cut from one source
	// share its dictionaries, which the block holds once.
	done      []arrow.RecordBatch
	doneBytes int64
	seen      storage.BufferSet
	// staged are the pieces moved to the store under memory pressure, in order, with
	// their rows and bytes.
	staged      []storage.BlockID
	stagedRows  int64
	stagedBytes int64
	// cols (the writer's direct path) are the partition's column buffers, rows the rows
	// they hold and held their bytes; full is set once they filled a batch.
	cols []*kernel.Appender
	rows int
	held int64
	full bool
}

// Writer is the map side of one shuffle for one map task attempt. It splits incoming batches
// by reduce partition and keeps them private until Commit publishes them all at once; Abort
// (or a Commit that is never called) leaves nothing readable. A Writer is used by one
// goroutine.
type Writer struct {
	svc                       *Service
	shuffleID, mapID, attempt int
	p                         Partitioner
	schema                    *arrow.Schema
	mem                       memory.Allocator
	batchRows                 int
	// direct: every column has a kernel.Appender, and rows are appended to their
	// partition's column buffers (appendRows) instead of gathered and concatenated.
	direct bool
	lists  bool  // the schema has list columns (direct path: cut batches by bytes too)
	rowsIn int64 // rows written so far (direct path)

	// mu guards the buffers against Spill, which another consumer of the task may call.
	mu    sync.Mutex
	state writerState
	parts []partBuffer
	// res (nil: untracked) holds reserved bytes for bytes, the estimate of what the
	// buffers hold.
	res                 Reservation
	reserved, bytes     int64
	stages, stagedBytes int64
	// assign, order, starts and next are scratch reused across batches.
	assign []int32
	order  []int32
	starts []int
	next   []int
	ident  []int32           // 0, 1, 2, …: the rows of a batch that goes to one partition
	dicts  kernel.DictMerger // scratch of concatDictionaries
	// sketch samples the partitioning keys (nil unless the partitioner hashes keys).
	sketch *keySketch
	// doneSeen and doneBytes count the buffers of every partition's done batches once:
	// the partitions' blocks share a source's dictionaries, which the writer holds once.
	doneSeen  storage.BufferSet
	doneBytes int64
	// narrow cuts a block's dictionary columns down to the entries their rows use when
	// the dictionary is far larger than the block (narrowDone).
	narrow kernel.DictNarrower
}

// NewWriter returns a writer for map task mapID (attempt attempt) of shuffle shuffleID.
// Batches are partitioned by p, must have the given schema, and every buffer the writer
// builds comes from mem. A bad partitioner (fewer than one partition) is reported by Write
// and Commit.
func (s *Service) NewWriter(shuffleID, mapID, attempt int, p Partitioner, schema *arrow.Schema, mem memory.Allocator) *Writer {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	n := p.NumPartitions()
	w := &Writer{
		svc: s, shuffleID: shuffleID, mapID: mapID, attempt: attempt,
		p: p, schema: schema, mem: mem, batchRows: s.batchRows(), direct: directSchema(schema),
		lists: hasLists(schema),
		parts: make([]partBuffer, max(n, 0)),
	}
	if kp, ok := p.(keyPartitioner); ok {
		w.sketch = newKeySketch(schema, kp.keyColumns())
	}
	return w
}

// SetReservation makes the writer reserve execution memory for what it buffers. When the
// reservation is refused, or when another consumer of the task asks it to spill (Spill),
// the writer moves its buffered rows to the store as pieces of its map output, which the
// store keeps in memory or writes to disk as storage memory allows; they stay invisible
// until Commit. Set it before the first Write. The writer frees it at Commit and Abort.
func (w *Writer) SetReservation(r Reservation) { w.res = r }

// SpillCount returns how many times the writer moved its buffers to the store because
// memory was short.
func (w *Writer) SpillCount() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stages
}

// SpilledBytes returns the bytes (in memory, as estimated for the reservation) the writer
// moved to the store because memory was short; the store keeps them in storage memory or
// writes them to disk.
func (w *Writer) SpilledBytes() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stagedBytes
}

var _ kmem.Spiller = (*Writer)(nil)

// Spill implements memory.Spiller: it gives back the reservation beyond what the buffers
// hold and, if that is less than need, moves the buffered rows to the store and gives back
// the rest. While a Write or Commit is in progress it returns (0, nil).
func (w *Writer) Spill(need int64) (int64, error) {
	if !w.mu.TryLock() {
		return 0, nil
	}
	defer w.mu.Unlock()
	if w.state != writerOpen || w.reserved == 0 {
		return 0, nil
	}
	before := w.reserved
	if w.reserved > w.bytes {
		w.shrinkTo(w.bytes) // reserved ahead of need: free to give back
		if before-w.reserved >= need {
			return before - w.reserved, nil
		}
	}
	if err := w.stage(); err != nil {
		return 0, err
	}
	return before - w.reserved, nil
}

// account grows the reservation to cover the buffers; refused, it stages them.
func (w *Writer) account() error {
	if w.res == nil {
		return nil
	}
	need := w.bytes - w.reserved
	if need <= 0 {
		return nil
	}
	var limit int64
	if b, ok := w.res.(interface{ Limit() int64 }); ok {
		limit = b.Limit()
	}
	grow := kmem.GrowStep(limit, need, w.reserved)
	err := w.res.TryGrow(grow)
	if err != nil && grow > need {
		grow = need
		err = w.res.TryGrow(grow)
	}
	if err == nil {
		w.reserved += grow
		return nil
	}
	if !errors.Is(err, kmem.ErrBudgetExceeded) {
		return fmt.Errorf("shuffle: %s: %w", w.where(), err)
	}
	return w.stage()
}

// stage compacts every reduce partition's buffered rows and stores them as the next piece
// of the partition, then gives the reservation back: the writer's minimum working set is
// the batch being written. The store charges the pieces to storage memory or writes them
// to disk; Commit publishes them with the rest, Abort removes them.
func (w *Writer) stage() error {
	var ids []storage.BlockID
	var pieces [][]arrow.RecordBatch
	for p := range w.parts {
		err := w.flush(p)
		b := &w.parts[p]
		if err == nil && len(b.done) > 0 {
			err = w.narrowDone(p)
		}
		if err != nil {
			return errors.Join(err, w.store(ids, pieces)) // the store takes the pieces cut so far
		}
		if len(b.done) == 0 {
			continue
		}
		id := storage.ShuffleBlockID(w.shuffleID, w.mapID, p)
		id.Piece = int(w.svc.nextPiece.Add(1))
		var rows int64
		for _, rec := range b.done {
			rows += rec.NumRows()
		}
		ids, pieces = append(ids, id), append(pieces, b.done)
		b.done, b.seen = nil, nil
		b.staged = append(b.staged, id) // listed before the store has it, so that Abort removes what a failed put left
		b.stagedRows += rows
		b.stagedBytes += b.doneBytes
		w.stagedBytes += b.doneBytes
		b.doneBytes = 0
	}
	if err := w.store(ids, pieces); err != nil {
		return err
	}
	w.bytes -= w.doneBytes
	w.doneSeen, w.doneBytes = nil, 0
	w.stages++
	w.shrinkTo(w.bytes)
	return nil
}

// store hands the staged pieces to the store, which owns them even on error; the pieces
// memory refuses go to disk together (storage.BlockManager.PutAll).
func (w *Writer) store(ids []storage.BlockID, pieces [][]arrow.RecordBatch) error {
	if len(ids) == 0 {
		return nil
	}
	if err := w.svc.store.PutAll(ids, pieces); err != nil {
		return fmt.Errorf("shuffle: %s: store %d reduce partitions' pieces under memory pressure: %w", w.where(), len(ids), err)
	}
	return nil
}

// shrinkTo gives back the reservation above n bytes.
func (w *Writer) shrinkTo(n int64) {
	if w.res != nil && w.reserved > n {
		w.res.Shrink(w.reserved - n)
		w.reserved = n
	}
}

func (w *Writer) where() string {
	return fmt.Sprintf("shuffle %d map %d attempt %d", w.shuffleID, w.mapID, w.attempt)
}

// Write partitions rec's rows into the writer's buffers. It borrows rec: the caller keeps its
// reference and may Release rec as soon as Write returns.
func (w *Writer) Write(ctx context.Context, rec arrow.RecordBatch) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.write(ctx, rec); err != nil {
		return err
	}
	return w.account()
}

func (w *Writer) write(ctx context.Context, rec arrow.RecordBatch) error {
	switch w.state {
	case writerCommitted:
		return fmt.Errorf("shuffle: write to %s after Commit", w.where())
	case writerAborted:
		return fmt.Errorf("shuffle: write to %s after Abort", w.where())
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("shuffle: write %s: %w", w.where(), err)
	}
	if len(w.parts) == 0 {
		return fmt.Errorf("shuffle: write %s: partitioner has %d partitions", w.where(), w.p.NumPartitions())
	}
	if !rec.Schema().Equal(w.schema) {
		return fmt.Errorf("shuffle: write %s: batch schema %s differs from the shuffle's schema %s", w.where(), rec.Schema(), w.schema)
	}
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	np := len(w.parts)
	w.assign = kernel.Resize(w.assign, n)
	var err error
	if w.sketch != nil {
		err = w.p.(keyPartitioner).assign(rec, w.assign, w.sketch)
	} else {
		err = w.p.Assign(rec, w.assign)
	}
	if err != nil {
		return fmt.Errorf("shuffle: partition %s: %w", w.where(), err)
	}

	// Counting sort of row indices by partition: starts[p] is where partition p's rows begin
	// in order, so each partition's rows end up contiguous and in input order.
	w.starts = kernel.Resize(w.starts, np+1)
	clear(w.starts)
	for i, a := range w.assign {
		if uint32(a) >= uint32(np) {
			return fmt.Errorf("shuffle: partition %s: row %d assigned to partition %d, want [0, %d)", w.where(), i, a, np)
		}
		w.starts[a+1]++
	}
	for p := 1; p <= np; p++ {
		w.starts[p] += w.starts[p-1]
	}
	if w.direct {
		return w.writeDirect(rec)
	}
	if single := int(w.assign[0]); w.starts[single+1]-w.starts[single] == n {
		// Every row goes to one partition: no gather, just hold on to the batch.
		rec.Retain()
		w.add(single, rec, storage.BlockBytes([]arrow.RecordBatch{rec}))
		return w.maybeFlush(single)
	}
	w.order = kernel.Resize(w.order, n)
	w.next = append(w.next[:0], w.starts[:np]...)
	for i, a := range w.assign {
		w.order[w.next[a]] = int32(i)
		w.next[a]++
	}
	permuted, err := kernel.GatherRecord(rec, w.order, w.mem)
	if err != nil {
		return fmt.Errorf("shuffle: %s: %w", w.where(), err)
	}
	defer permuted.Release()
	total := storage.BlockBytes([]arrow.RecordBatch{permuted})
	for p := range np {
		lo, hi := w.starts[p], w.starts[p+1]
		if lo == hi {
			continue
		}
		w.add(p, permuted.NewSlice(int64(lo), int64(hi)), total*int64(hi-lo)/int64(n))
		if err := w.maybeFlush(p); err != nil {
			return err
		}
	}
	return nil
}

// add buffers piece, which pins an estimated bytes, for partition p.
func (w *Writer) add(p int, piece arrow.RecordBatch, bytes int64) {
	b := &w.parts[p]
	b.pending = append(b.pending, piece)
	b.pendingRows += int(piece.NumRows())
	b.pendingBytes += bytes
	w.bytes += bytes
}

func (w *Writer) maybeFlush(p int) error {
	if w.parts[p].pendingRows < w.batchRows {
		return nil
	}
	return w.flush(p)
}

// flush compacts partition p's pending pieces into one batch that owns exactly its buffers,
// so that block sizes are true and input batches are not pinned.
func (w *Writer) flush(p int) error {
	if w.direct {
		return w.cut(p)
	}
	b := &w.parts[p]
	if len(b.pending) == 0 {
		return nil
	}
	out, err := concatRecords(w.schema, b.pending, w.mem, &w.dicts)
	if err != nil {
		return fmt.Errorf("shuffle: %s: compact reduce partition %d: %w", w.where(), p, err)
	}
	for _, piece := range b.pending {
		piece.Release()
	}
	b.pending = b.pending[:0]
	b.pendingRows = 0
	w.bytes -= b.pendingBytes
	b.pendingBytes = 0
	w.addDone(p, out)
	return nil
}

// addDone appends a compacted batch to partition p's done list, counting the buffers it
// adds to them.
func (w *Writer) addDone(p int, out arrow.RecordBatch) {
	b := &w.parts[p]
	if b.seen == nil {
		b.seen = make(storage.BufferSet)
	}
	if w.doneSeen == nil {
		w.doneSeen = make(storage.BufferSet)
	}
	b.done = append(b.done, out)
	b.doneBytes += b.seen.Add(out)
	w.countDone(out)
}

// countDone adds the buffers of out that no done batch held yet to the writer's bytes.
func (w *Writer) countDone(out arrow.RecordBatch) {
	size := w.doneSeen.Add(out)
	w.doneBytes += size
	w.bytes += size
}

// narrowDone narrows the dictionaries of partition p's done batches that are far larger
// than all their rows (kernel.DictNarrowPays), before they become a block. Deciding by
// the block and not by each batch keeps a source's dictionary shared when the block's
// rows use a good part of it: a block of db-benchmark's q10 (a few hundred thousand rows
// over 100 000 id3 values) then holds the dictionary once instead of a copy of each
// batch's values, and the reduce side translates its entries once instead of every row's
// string. A block that uses few of a large dictionary's entries (a filtered source, many
// reduce partitions) still holds, counts and spills only those.
func (w *Writer) narrowDone(p int) error {
	b := &w.parts[p]
	var rows int
	for _, rec := range b.done {
		rows += int(rec.NumRows())
	}
	narrowed := false
	for i, rec := range b.done {
		if !dictsNarrowPay(rec, rows) {
			continue
		}
		cols := make([]arrow.Array, rec.NumCols())
		for c, col := range rec.Columns() {
			col.Retain()
			if !dictNarrowPays(col, rows) {
				cols[c] = col // a dictionary the block uses a good part of stays shared
				continue
			}
			out, err := narrowColumn(&w.narrow, col, w.mem)
			if err != nil {
				releaseArrays(cols)
				return fmt.Errorf("shuffle: %s: reduce partition %d column %d (%s): %w", w.where(), p, c, w.schema.Field(c).Name, err)
			}
			cols[c] = out
		}
		b.done[i] = array.NewRecordBatch(w.schema, cols, rec.NumRows())
		releaseArrays(cols)
		rec.Release()
		narrowed = true
	}
	if narrowed {
		// The buffers the old batches held stay counted for the writer (other partitions
		// may share them): narrowing runs just before the batches leave it.
		b.seen = make(storage.BufferSet)
		b.doneBytes = 0
		for _, rec := range b.done {
			b.doneBytes += b.seen.Add(rec)
			w.countDone(rec)
		}
	}
	return nil
}

// dictsNarrowPay reports whether one of rec's columns has a dictionary worth narrowing
// for rows rows.
func dictsNarrowPay(rec arrow.RecordBatch, rows int) bool {
	return slices.ContainsFunc(rec.Columns(), func(col arrow.Array) bool { return dictNarrowPays(col, rows) })
}

// dictNarrowPays reports whether col is a dictionary column whose dictionary is worth
// narrowing for rows rows.
func dictNarrowPays(col arrow.Array, rows int) bool {
	d, ok := col.(*array.Dictionary)
	return ok && kernel.DictNarrowPays(d.Dictionary().Len(), rows)
}

// narrowColumn returns col with its dictionary narrowed to the entries its rows use when
// it is far larger than them (kernel.DictNarrower), taking over the caller's reference.
func narrowColumn(n *kernel.DictNarrower, col arrow.Array, mem memory.Allocator) (arrow.Array, error) {
	if col.DataType().ID() != arrow.DICTIONARY {
		return col, nil
	}
	out, err := n.Narrow(col, mem)
	col.Release()
	return out, err
}

func concatRecords(schema *arrow.Schema, recs []arrow.RecordBatch, mem memory.Allocator, dicts *kernel.DictMerger) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	parts := make([]arrow.Array, len(recs))
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	for c := range cols {
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		col, err := kernel.ConcatColumn(parts, mem, dicts)
		if err != nil {
			return nil, fmt.Errorf("column %d (%s): %w", c, schema.Field(c).Name, err)
		}
		cols[c] = col
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}

// Commit compacts the buffered rows, stores one block per reduce partition that has rows,
// and publishes the map output atomically: readers see all of it or none of it. A commit of a
// later attempt of the same map task replaces the earlier output. After Commit, with or
// without error, the writer holds nothing and Abort is a no-op.
func (w *Writer) Commit() (MapStatus, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch w.state {
	case writerCommitted:
		return MapStatus{}, fmt.Errorf("shuffle: %s committed twice", w.where())
	case writerAborted:
		return MapStatus{}, fmt.Errorf("shuffle: commit of aborted %s", w.where())
	}
	if len(w.parts) == 0 {
		w.abort()
		return MapStatus{}, fmt.Errorf("shuffle: commit %s: partitioner has %d partitions", w.where(), w.p.NumPartitions())
	}
	var err error
	for p := range w.parts {
		if err = w.flush(p); err == nil {
			err = w.narrowDone(p)
		}
		if err != nil {
			break
		}
	}
	if err != nil {
		w.abort()
		return MapStatus{}, err
	}
	np := len(w.parts)
	for p := range w.parts {
		w.releaseCols(p)
	}
	st := MapStatus{Bytes: make([]int64, np), Rows: make([]int64, np)}
	if w.sketch != nil {
		st.HotKeys = w.sketch.top()
	}
	blocks := make([][]arrow.RecordBatch, np)
	var pieces [][]storage.BlockID
	for p := range w.parts {
		part := &w.parts[p]
		blocks[p] = part.done
		part.done = nil
		for _, b := range blocks[p] {
			st.Rows[p] += b.NumRows()
		}
		st.Bytes[p] = storage.BlockBytes(blocks[p])
		if len(part.staged) > 0 {
			if pieces == nil {
				pieces = make([][]storage.BlockID, np)
			}
			pieces[p] = part.staged
			st.Rows[p] += part.stagedRows
			st.Bytes[p] += part.stagedBytes
		}
	}
	w.state = writerCommitted
	w.parts = nil
	w.freeReservation()
	if err := w.svc.commit(w.shuffleID, w.mapID, w.attempt, st, blocks, pieces); err != nil {
		return MapStatus{}, err
	}
	return st, nil
}

// Abort releases everything the writer holds; nothing it wrote becomes visible. It is safe
// to call twice and after Commit (then it does nothing).
func (w *Writer) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.abort()
}

func (w *Writer) abort() {
	if w.state != writerOpen {
		return
	}
	w.state = writerAborted
	for p := range w.parts {
		releaseAll(w.parts[p].pending)
		releaseAll(w.parts[p].done)
		w.releaseCols(p)
		for _, id := range w.parts[p].staged {
			w.svc.store.Remove(id)
		}
	}
	w.parts = nil
	w.freeReservation()
}

func (w *Writer) freeReservation() {
	if w.res != nil {
		w.res.Free()
		w.reserved = 0
	}
	w.bytes = 0
}

func releaseAll(batches []arrow.RecordBatch) {
	for _, b := range batches {
		b.Release()
	}
}
