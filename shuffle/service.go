package shuffle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/storage"
)

var (
	// ErrMissingOutput means a reader needed a map output that is gone (its shuffle was
	// removed, or its blocks were lost). The scheduler reruns the map stage, as Spark does on
	// a FetchFailed.
	ErrMissingOutput = errors.New("shuffle: missing map output")
	// ErrStaleAttempt is returned by Commit when a later attempt of the same map task has
	// already committed; the stale output is discarded.
	ErrStaleAttempt = errors.New("shuffle: stale map attempt")
	// ErrClosed is returned by Commit and by readers after the service is closed.
	ErrClosed = errors.New("shuffle: service closed")
)

// Stats sums a shuffle's committed map outputs per reduce partition: the partition sizes
// that partition coalescing and skew handling use.
type Stats struct {
	// Bytes[r] and Rows[r] total reduce partition r over every committed map output.
	Bytes []int64
	Rows  []int64
	// MapOutputs is the number of committed map outputs.
	MapOutputs int
	// BytesWritten is the sum of Bytes.
	BytesWritten int64
	// HotKeys are the partitioning keys the map outputs' samples saw most, with their
	// estimated rows over all outputs, most first (at most MaxHotKeys).
	HotKeys []HotKey
}

// MaxHotKeys bounds the hot keys Stats reports.
const MaxHotKeys = 10

type mapOutput struct {
	attempt int
	status  MapStatus
	// pieces[r] (nil: none) are reduce partition r's rows the writer stored before
	// Commit, under memory pressure; they come before the block, which exists when the
	// partition has rows beyond theirs (hasBlock).
	pieces   [][]storage.BlockID
	hasBlock []bool
}

type shuffleState struct {
	numReduce int
	outputs   map[int]*mapOutput // by map ID
}

// Service owns every shuffle of a session: it tracks committed map outputs (Spark's
// MapOutputTracker) and keeps their blocks in a storage.Store. It is safe for concurrent
// use.
type Service struct {
	store storage.Store

	mu       sync.Mutex
	shuffles map[int]*shuffleState
	rows     int // batch rows for new writers
	closed   bool
	// nextPiece numbers the pieces writers store before they commit, so that no two
	// attempts' pieces share an ID.
	nextPiece atomic.Int64
}

// NewService returns a service keeping shuffle blocks in store. The caller keeps ownership
// of store: Service.Close removes the shuffle blocks but does not close the store.
func NewService(store storage.Store) *Service {
	return &Service{store: store, shuffles: make(map[int]*shuffleState), rows: DefaultBatchRows}
}

// SetBatchRows sets the row count at which writers created afterwards compact a reduce
// partition's buffered rows into one batch (DefaultBatchRows if n < 1).
func (s *Service) SetBatchRows(n int) {
	if n < 1 {
		n = DefaultBatchRows
	}
	s.mu.Lock()
	s.rows = n
	s.mu.Unlock()
}

func (s *Service) batchRows() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rows
}

// commit stores blocks (taking ownership of every batch) and publishes st for the map task.
// The store and the output table change under one lock, so a reader never sees a mix of an
// old and a new attempt within one block, nor blocks of an unpublished output.
func (s *Service) commit(shuffleID, mapID, attempt int, st MapStatus, blocks [][]arrow.RecordBatch, pieces [][]storage.BlockID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(err error) error {
		for _, b := range blocks {
			releaseAll(b)
		}
		for _, ids := range pieces {
			for _, id := range ids {
				s.store.Remove(id)
			}
		}
		return err
	}
	where := fmt.Sprintf("shuffle %d map %d attempt %d", shuffleID, mapID, attempt)
	if s.closed {
		return fail(fmt.Errorf("shuffle: commit %s: %w", where, ErrClosed))
	}
	sh := s.shuffles[shuffleID]
	if sh == nil {
		sh = &shuffleState{numReduce: len(blocks), outputs: make(map[int]*mapOutput)}
		s.shuffles[shuffleID] = sh
	}
	if sh.numReduce != len(blocks) {
		return fail(fmt.Errorf("shuffle: commit %s: %d reduce partitions, but the shuffle has %d", where, len(blocks), sh.numReduce))
	}
	old := sh.outputs[mapID]
	if old != nil && old.attempt > attempt {
		return fail(fmt.Errorf("%w: commit %s after attempt %d committed", ErrStaleAttempt, where, old.attempt))
	}
	hasBlock := make([]bool, len(blocks))
	for r, b := range blocks {
		if len(b) == 0 {
			continue
		}
		hasBlock[r] = true
		blocks[r] = nil // the store owns b from here, even if Put fails
		if err := s.store.Put(storage.ShuffleBlockID(shuffleID, mapID, r), b); err != nil {
			// Some of the old attempt's blocks may be overwritten: withdraw the map output
			// entirely rather than publish a mix.
			delete(sh.outputs, mapID)
			s.store.RemoveIf(func(id storage.BlockID) bool {
				return id.Kind == storage.ShuffleBlock && id.ShuffleID == shuffleID && id.MapID == mapID
			})
			return fail(fmt.Errorf("shuffle: commit %s: store reduce partition %d: %w", where, r, err))
		}
	}
	if old != nil {
		for r := range old.status.Rows {
			if old.hasBlock[r] && !hasBlock[r] {
				s.store.Remove(storage.ShuffleBlockID(shuffleID, mapID, r))
			}
		}
		for _, ids := range old.pieces {
			for _, id := range ids {
				s.store.Remove(id)
			}
		}
	}
	sh.outputs[mapID] = &mapOutput{attempt: attempt, status: st, pieces: pieces, hasBlock: hasBlock}
	return nil
}

// Stats returns the per-reduce-partition totals of shuffleID's committed outputs (zero Stats
// for an unknown shuffle).
func (s *Service) Stats(shuffleID int) Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shuffles[shuffleID]
	if sh == nil {
		return Stats{}
	}
	st := Stats{Bytes: make([]int64, sh.numReduce), Rows: make([]int64, sh.numReduce), MapOutputs: len(sh.outputs)}
	var hot [][]HotKey
	for _, o := range sh.outputs {
		for r := range sh.numReduce {
			st.Bytes[r] += o.status.Bytes[r]
			st.Rows[r] += o.status.Rows[r]
			st.BytesWritten += o.status.Bytes[r]
		}
		if len(o.status.HotKeys) > 0 {
			hot = append(hot, o.status.HotKeys)
		}
	}
	if len(hot) > 0 {
		st.HotKeys = mergeHotKeys(hot, MaxHotKeys)
	}
	return st
}

// Remove frees every block of shuffleID and forgets its map outputs. Readers still open on it
// return ErrMissingOutput for blocks they have not fetched yet.
func (s *Service) Remove(shuffleID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.shuffles, shuffleID)
	s.store.RemoveIf(func(id storage.BlockID) bool {
		return id.Kind == storage.ShuffleBlock && id.ShuffleID == shuffleID
	})
}

// RemovePartition frees the blocks of reduce partition reduceID of shuffleID, from every
// map output: its one reader is done with them. Map outputs stay committed (the
// partition reads as missing if read again).
func (s *Service) RemovePartition(shuffleID, reduceID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.store.RemoveIf(func(id storage.BlockID) bool {
		return id.Kind == storage.ShuffleBlock && id.ShuffleID == shuffleID && id.ReduceID == reduceID
	})
}

// Close removes every shuffle; later commits and reads fail with ErrClosed. It is
// idempotent. It does not close the store.
func (s *Service) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	clear(s.shuffles)
	s.store.RemoveIf(func(id storage.BlockID) bool { return id.Kind == storage.ShuffleBlock })
	return nil
}

// Reader returns a reader of reduce partition reduceID of shuffleID over the map outputs
// committed now, in map ID order. Outputs committed later are not included.
func (s *Service) Reader(shuffleID, reduceID int) *Reader {
	return s.RangeReader(shuffleID, Range{Start: reduceID, End: reduceID + 1})
}

// Range selects what one reduce task reads of a shuffle: reduce partitions [Start, End)
// in order (adjacent partitions an adaptive plan coalesced into one task) and, within
// each, the outputs of the map tasks in Maps (nil: every map; a skewed partition split
// by map output, as Spark's partial reducer ranges).
type Range struct {
	Start, End int
	Maps       []int
}

// RangeReader returns a reader of the reduce partitions and map outputs rng selects,
// committed now: partition by partition, each in map ID order.
func (s *Service) RangeReader(shuffleID int, rng Range) *Reader {
	r := &Reader{s: s, shuffleID: shuffleID, reduceID: rng.Start}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		// Close forgot every shuffle: reading none as an empty partition would lose rows.
		r.err = fmt.Errorf("shuffle: read shuffle %d reduce partition %d: %w", shuffleID, rng.Start, ErrClosed)
		return r
	}
	sh := s.shuffles[shuffleID]
	if sh == nil {
		return r // no committed output: an empty partition
	}
	if rng.Start < 0 || rng.End > sh.numReduce || rng.Start >= rng.End {
		r.err = fmt.Errorf("shuffle: read shuffle %d: reduce partitions [%d, %d) out of range [0, %d)", shuffleID, rng.Start, rng.End, sh.numReduce)
		return r
	}
	maps := rng.Maps
	if maps == nil {
		maps = make([]int, 0, len(sh.outputs))
		for m := range sh.outputs {
			maps = append(maps, m)
		}
	}
	maps = slices.Sorted(slices.Values(maps))
	for reduceID := rng.Start; reduceID < rng.End; reduceID++ {
		for _, m := range maps {
			if o := sh.outputs[m]; o != nil && o.status.Rows[reduceID] > 0 {
				r.blocks = append(r.blocks, [2]int{m, reduceID})
				r.rows += o.status.Rows[reduceID]
			}
		}
	}
	return r
}

// PartitionMapBytes returns, for reduce partition reduceID of shuffleID, the committed
// map outputs with bytes for it (in map ID order) and their bytes: how a skewed
// partition is split by map output.
func (s *Service) PartitionMapBytes(shuffleID, reduceID int) (maps []int, bytes []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shuffles[shuffleID]
	if sh == nil || reduceID < 0 || reduceID >= sh.numReduce {
		return nil, nil
	}
	for m, o := range sh.outputs {
		if o.status.Rows[reduceID] > 0 {
			maps = append(maps, m)
		}
	}
	slices.Sort(maps)
	bytes = make([]int64, len(maps))
	for i, m := range maps {
		bytes[i] = sh.outputs[m].status.Bytes[reduceID]
	}
	return maps, bytes
}

// Rows returns how many rows the reader returns in all (what the map outputs it reads
// recorded), known before the first Next, so that a consumer can size its tables.
func (r *Reader) Rows() int64 { return r.rows }

// fetch returns map mapID's block for reduceID, Retained for the caller.
func (s *Service) fetch(shuffleID, mapID, reduceID int) ([]arrow.RecordBatch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := storage.ShuffleBlockID(shuffleID, mapID, reduceID)
	sh := s.shuffles[shuffleID]
	if sh == nil || sh.outputs[mapID] == nil {
		return nil, fmt.Errorf("%w: %v (shuffle %d removed or map %d withdrawn)", ErrMissingOutput, id, shuffleID, mapID)
	}
	o := sh.outputs[mapID]
	if o.status.Rows[reduceID] == 0 {
		return nil, nil // a later attempt had no rows for this partition
	}
	var ids []storage.BlockID
	if o.pieces != nil {
		ids = append(ids, o.pieces[reduceID]...)
	}
	if o.hasBlock[reduceID] {
		ids = append(ids, id)
	}
	var out []arrow.RecordBatch
	for _, id := range ids {
		b, ok, err := s.store.Read(context.Background(), id)
		if err != nil {
			releaseAll(out)
			// A block that is there but unreadable is corruption (or an I/O error), not a
			// lost map output: say which file and block.
			return nil, fmt.Errorf("shuffle: read map output %v of shuffle %d: %w", id, shuffleID, err)
		}
		if !ok {
			releaseAll(out)
			return nil, fmt.Errorf("%w: %v not in the store", ErrMissingOutput, id)
		}
		out = append(out, b...)
	}
	return out, nil
}

// Reader is the reduce side of one shuffle for one reduce partition (or a Range of them).
// It fetches one map output's block at a time. A Reader is used by one goroutine.
type Reader struct {
	s                   *Service
	shuffleID, reduceID int
	blocks              [][2]int // (map ID, reduce partition) of the blocks with rows, in read order
	rows                int64    // rows of those blocks
	next                int
	cur                 []arrow.RecordBatch
	pos                 int
	err                 error
	closed              bool
}

// Next returns the next batch, or (nil, io.EOF) after the last one. The caller owns the
// batch and must Release it.
func (r *Reader) Next() (arrow.RecordBatch, error) {
	if r.closed {
		return nil, fmt.Errorf("shuffle: read shuffle %d reduce partition %d after Close", r.shuffleID, r.reduceID)
	}
	if r.err != nil {
		return nil, r.err
	}
	for r.pos == len(r.cur) {
		if r.next == len(r.blocks) {
			return nil, io.EOF
		}
		blk := r.blocks[r.next]
		b, err := r.s.fetch(r.shuffleID, blk[0], blk[1])
		if err != nil {
			r.err = err
			return nil, err
		}
		r.next++
		r.cur, r.pos = b, 0
	}
	b := r.cur[r.pos]
	r.cur[r.pos] = nil
	r.pos++
	return b, nil
}

// Close releases the batches fetched but not returned. It is idempotent.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	releaseAll(r.cur[r.pos:])
	r.cur = nil
	return nil
}
