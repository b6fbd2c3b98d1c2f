package storage

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/util"
	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/kindling-data/kindling/memory"
)

// ErrClosed is returned by Put on a closed store.
var ErrClosed = errors.New("storage: store closed")

// entry is one block in memory.
type entry struct {
	batches []arrow.RecordBatch
	size    int64
	// charged says whether size is charged to the memory manager's storage pool. A shuffle
	// block that did not fit is kept uncharged ("over budget") because shuffle blocks are
	// never dropped; moving such blocks to disk is the disk store's job.
	charged bool
}

// MemoryStore is a Store that keeps blocks as Arrow record batches in memory, charging their
// size to the memory manager's storage pool. It is safe for concurrent use.
//
// Rule for blocks that do not fit: when AcquireStorage refuses a block, the block is kept
// anyway and counted in OverBudgetBytes instead of the manager's storage pool. Losing a
// shuffle block would force the map stage to rerun, so the store prefers to exceed the budget
// until the disk-backed store takes such blocks out of memory.
type MemoryStore struct {
	mem *memory.Manager

	mu sync.Mutex
	// blocks is both the index and the recency order (oldest first) that eviction will walk.
	// Its capacity is unbounded: the memory manager, not the entry count, decides what fits.
	blocks     *simplelru.LRU[BlockID, *entry]
	bytes      int64
	overBudget int64
	closed     bool
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store charging storage memory to m.
func NewMemoryStore(m *memory.Manager) *MemoryStore {
	lru, err := simplelru.NewLRU[BlockID, *entry](math.MaxInt, nil)
	if err != nil {
		// NewLRU fails only for a non-positive size.
		panic(fmt.Sprintf("storage: simplelru.NewLRU: %v", err))
	}
	return &MemoryStore{mem: m, blocks: lru}
}

// Put stores batches under id (see Store for ownership). The block's size is the sum of
// util.TotalRecordSize over its batches; a dictionary shared by several batches is counted in
// each, which overestimates but never underestimates.
func (s *MemoryStore) Put(id BlockID, batches []arrow.RecordBatch) error {
	var size int64
	for _, b := range batches {
		if b == nil {
			releaseAll(batches)
			return fmt.Errorf("storage: put %v: nil batch", id)
		}
		size += util.TotalRecordSize(b)
	}
	e := &entry{batches: batches, size: size}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		releaseAll(batches)
		return fmt.Errorf("storage: put %v: %w", id, ErrClosed)
	}
	old, replaced := s.blocks.Peek(id)
	if replaced {
		s.blocks.Remove(id)
		s.forgetLocked(old)
	}
	e.charged = s.mem.AcquireStorage(size) == nil
	if !e.charged {
		s.overBudget += size
	}
	s.bytes += size
	s.blocks.Add(id, e)
	s.mu.Unlock()

	if replaced {
		releaseAll(old.batches)
	}
	return nil
}

// Get returns the batches of id, Retained for the caller, and marks the block recently used.
func (s *MemoryStore) Get(id BlockID) ([]arrow.RecordBatch, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.blocks.Get(id)
	if !ok {
		return nil, false
	}
	out := make([]arrow.RecordBatch, len(e.batches))
	for i, b := range e.batches {
		b.Retain()
		out[i] = b
	}
	return out, true
}

// Remove drops id if present.
func (s *MemoryStore) Remove(id BlockID) {
	s.mu.Lock()
	e, ok := s.blocks.Peek(id)
	if ok {
		s.blocks.Remove(id)
		s.forgetLocked(e)
	}
	s.mu.Unlock()
	if ok {
		releaseAll(e.batches)
	}
}

// RemoveIf drops every block whose ID satisfies pred.
func (s *MemoryStore) RemoveIf(pred func(BlockID) bool) {
	var dropped []*entry
	s.mu.Lock()
	for _, id := range s.blocks.Keys() {
		if !pred(id) {
			continue
		}
		e, _ := s.blocks.Peek(id)
		s.blocks.Remove(id)
		s.forgetLocked(e)
		dropped = append(dropped, e)
	}
	s.mu.Unlock()
	for _, e := range dropped {
		releaseAll(e.batches)
	}
}

// Bytes returns the size of all blocks held, charged or over budget.
func (s *MemoryStore) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// OverBudgetBytes returns the size of blocks kept although the memory manager refused them.
func (s *MemoryStore) OverBudgetBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overBudget
}

// Len returns the number of blocks held.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocks.Len()
}

// Close drops every block and refuses later Puts. It is idempotent.
func (s *MemoryStore) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.RemoveIf(func(BlockID) bool { return true })
	return nil
}

// forgetLocked undoes the accounting of e; s.mu must be held. Releasing the batches happens
// after the lock is dropped, since Release may run arbitrary allocator code.
func (s *MemoryStore) forgetLocked(e *entry) {
	s.bytes -= e.size
	if e.charged {
		s.mem.ReleaseStorage(e.size)
	} else {
		s.overBudget -= e.size
	}
}

func releaseAll(batches []arrow.RecordBatch) {
	for _, b := range batches {
		if b != nil {
			b.Release()
		}
	}
}
