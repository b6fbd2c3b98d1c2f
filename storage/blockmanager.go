package storage

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/vfs"
	kmem "github.com/kindling-data/kindling/memory"
)

// Location says where a block's data was found or put.
type Location int

const (
	// NotStored means the block is not held (a miss, or a put that did not fit).
	NotStored Location = iota
	// InMemory means the block is held in memory (as batches, or as serialized bytes).
	InMemory
	// OnDisk means the block is held in a spill file only.
	OnDisk
)

// String returns "none", "memory" or "disk".
func (l Location) String() string {
	switch l {
	case NotStored:
		return "none"
	case InMemory:
		return "memory"
	case OnDisk:
		return "disk"
	default:
		return fmt.Sprintf("Location(%d)", int(l))
	}
}

// DatasetInfo describes the cached partitions of one dataset (Spark's Storage tab).
type DatasetInfo struct {
	// Partitions is the number of partitions held; InMemory and OnDisk count those with a
	// copy in memory and on disk (a partition read back from disk may have both).
	Partitions, InMemory, OnDisk int
	// MemoryBytes is the storage memory charged for them, DiskBytes their spill file sizes.
	MemoryBytes, DiskBytes int64
}

// BlockStats counts what a BlockManager did since it was created.
type BlockStats struct {
	// EvictedBlocks counts blocks taken out of memory to make room; EvictedToDisk those of
	// them kept on disk; Dropped those lost (MEMORY_ONLY levels, or a failed disk write of a
	// cache block), which are recomputed from lineage when read again.
	EvictedBlocks, EvictedToDisk, Dropped int64
	// DiskWrites and DiskReads count spill files written and read back, DiskBytesWritten and
	// DiskBytesRead their sizes on disk.
	DiskWrites, DiskReads, DiskBytesWritten, DiskBytesRead int64
	// DiskErrors counts failed disk writes during eviction (which cannot return an error).
	DiskErrors int64
	// Lost counts cache blocks dropped because their data could not be read back (a
	// corrupt or unreadable file): the reader gets the error, and the partition is
	// recomputed from lineage by whoever needs it next.
	Lost int64
	// MemoryHits, DiskHits and Misses count GetCache and Get calls by outcome.
	MemoryHits, DiskHits, Misses int64
	// MemoryBytes and DiskBytes are the bytes held now.
	MemoryBytes, DiskBytes int64
}

// BlockManagerOption configures NewBlockManager.
type BlockManagerOption func(*BlockManager)

// WithAllocator sets the allocator for batches the block manager reads back for itself:
// Get of a block on disk, and partitions re-admitted to memory (memory.DefaultAllocator
// by default).
func WithAllocator(a memory.Allocator) BlockManagerOption {
	return func(b *BlockManager) {
		if a != nil {
			b.alloc = a
		}
	}
}

// block is one block's state. Fields are guarded by BlockManager.mu, except the immutable
// id, level, schema and size.
type block struct {
	id     BlockID
	level  Level
	schema *arrow.Schema // nil for a block of no batches
	size   int64         // util.TotalRecordSize of the batches when put
	rows   int64         // rows of the batches

	// The memory copy: batches, or ser (the encoded spill stream) for *Ser levels.
	inMem    bool
	batches  []arrow.RecordBatch
	ser      []byte
	memBytes int64 // charged to the storage pool

	// The disk copy. file is nil for a block of no batches.
	onDisk bool
	file   *SpillFile

	pins     int  // readers in progress: never evicted, file kept until the last one ends
	evicting bool // being written out by an eviction
	removed  bool // no longer in BlockManager.blocks
}

func (e *block) diskBytes() int64 {
	if e.file == nil {
		return 0
	}
	return e.file.Bytes()
}

// keepsOnDisk reports whether eviction moves the block to disk rather than dropping it.
func (e *block) keepsOnDisk() bool { return e.id.Kind == ShuffleBlock || e.level.UseDisk() }

// trash collects what to release or delete once the lock is dropped: Release may run
// allocator code, and file removal is I/O.
type trash struct {
	batches []arrow.RecordBatch
	files   []*SpillFile
}

func (t *trash) empty() {
	releaseAll(t.batches)
	for _, f := range t.files {
		f.Remove()
	}
}

// BlockManager stores shuffle blocks and cached partitions in memory and in spill files,
// charging memory to the manager's storage pool and evicting in LRU order under pressure.
// It implements Store for shuffle blocks with MEMORY_AND_DISK semantics, and is the
// memory.Evictor of its manager. It is safe for concurrent use.
type BlockManager struct {
	mem   *kmem.Manager
	spill *SpillManager
	alloc memory.Allocator
	// evicted, if set, is told of each block evicted for execution memory.
	evicted atomic.Pointer[func(EvictionInfo)]

	mu     sync.Mutex
	blocks map[BlockID]*block
	// lru orders the blocks with a memory copy, oldest first. It is an ordering index only:
	// the memory manager, not the entry count, decides what fits.
	lru                 *simplelru.LRU[BlockID, *block]
	memBytes, diskBytes int64
	closed              bool
	// cacheMem is the bytes of cache blocks in memory: what the storage region protects
	// from execution (shuffle blocks in memory are always reclaimable). Atomic because the
	// memory manager reads it under its own lock (ProtectedBytes).
	cacheMem atomic.Int64

	evictedBlocks, evictedToDisk, dropped        atomic.Int64
	diskWrites, diskReads, diskWritten, diskRead atomic.Int64
	diskErrors, memoryHits, diskHits, misses     atomic.Int64
	lostBlocks                                   atomic.Int64
}

var (
	_ Store        = (*BlockManager)(nil)
	_ kmem.Evictor = (*BlockManager)(nil)
)

// NewBlockManager returns an empty block manager charging mem's storage pool and writing
// spill files through spill, and registers it as mem's Evictor. With a nil spill, every
// disk write fails (DiskOnly puts return an error; evicted cache blocks are dropped and
// shuffle blocks stay in memory).
func NewBlockManager(mem *kmem.Manager, spill *SpillManager, opts ...BlockManagerOption) *BlockManager {
	lru, err := simplelru.NewLRU[BlockID, *block](math.MaxInt, nil)
	if err != nil {
		// NewLRU fails only for a non-positive size.
		panic(fmt.Sprintf("storage: simplelru.NewLRU: %v", err))
	}
	b := &BlockManager{mem: mem, spill: spill, alloc: memory.DefaultAllocator, blocks: make(map[BlockID]*block), lru: lru}
	for _, o := range opts {
		o(b)
	}
	mem.SetEvictor(b)
	return b
}

// EvictionInfo describes a block evicted for execution memory: its memory bytes, and
// whether it went to disk or was dropped (a MEMORY_ONLY cached partition, recomputed from
// lineage when read again).
type EvictionInfo struct {
	Block  BlockID
	Bytes  int64
	ToDisk bool
}

// SetEvictionObserver makes the store call f with each block it evicts, after the
// eviction, on the goroutine that needed the memory (f must be quick and must not
// block); nil stops it.
func (b *BlockManager) SetEvictionObserver(f func(EvictionInfo)) {
	if f == nil {
		b.evicted.Store(nil)
		return
	}
	b.evicted.Store(&f)
}

// Put stores a block (see Store for ownership) with MEMORY_AND_DISK semantics: in memory if
// free storage memory holds it, else in a spill file. A shuffle block never evicts other
// blocks to get in (writing it out costs what evicting another would); a cache block evicts
// other datasets' blocks as PutCache does. Only an I/O error or a closed manager fails.
func (b *BlockManager) Put(id BlockID, batches []arrow.RecordBatch) error {
	_, err := b.put(id, MemoryAndDisk, batches, id.Kind != ShuffleBlock)
	return err
}

// PutCache stores a cached partition at level, taking over the references to batches in
// every case. Memory levels keep the block in memory if it fits after evicting other
// datasets' blocks in LRU order (never id.DatasetID's own: a dataset larger than memory
// keeps its first partitions instead of cycling through them); if it does not fit,
// MEMORY_ONLY levels do not store it (NotStored, nil: the data streams on uncached) and
// MEMORY_AND_DISK levels write it to disk. DISK_ONLY writes it to disk. *Ser levels keep
// the compressed IPC bytes in memory and charge their size. Lack of memory never returns an
// error; an I/O error does.
func (b *BlockManager) PutCache(id BlockID, level Level, batches []arrow.RecordBatch) (Location, error) {
	if level != MemoryOnly && level != MemoryAndDisk && level != DiskOnly && level != MemoryOnlySer && level != MemoryAndDiskSer {
		releaseAll(batches)
		return NotStored, fmt.Errorf("storage: put %v: cannot store at level %v", id, level)
	}
	return b.put(id, level, batches, true)
}

// newBlock describes a block of batches at level, or fails (releasing the batches) when a
// batch is nil or the batches' schemas differ.
func newBlock(id BlockID, level Level, batches []arrow.RecordBatch) (*block, error) {
	nb := &block{id: id, level: level}
	for i, rec := range batches {
		if rec == nil {
			releaseAll(batches)
			return nil, fmt.Errorf("storage: put %v: batch %d is nil", id, i)
		}
		if nb.schema == nil {
			nb.schema = rec.Schema()
		} else if !nb.schema.Equal(rec.Schema()) {
			releaseAll(batches)
			return nil, fmt.Errorf("storage: put %v: batch %d has schema %v, batch 0 has %v", id, i, rec.Schema(), nb.schema)
		}
	}
	nb.size = BlockBytes(batches)
	for _, rec := range batches {
		nb.rows += rec.NumRows()
	}
	return nb, nil
}

func (b *BlockManager) put(id BlockID, level Level, batches []arrow.RecordBatch, evictOthers bool) (Location, error) {
	nb, err := newBlock(id, level, batches)
	if err != nil {
		return NotStored, err
	}
	memBytes := nb.size
	var ser []byte
	if level.Serialized() && nb.schema != nil {
		var err error
		ser, err = encodeBlock(nb.schema, batches)
		releaseAll(batches)
		batches = nil
		if err != nil {
			return NotStored, fmt.Errorf("storage: put %v: serialize: %w", id, err)
		}
		memBytes = int64(len(ser))
	}

	if level.UseMemory() {
		if loc, err := b.putMemory(nb, batches, ser, memBytes, evictOthers); loc != NotStored || err != nil {
			return loc, err
		}
	}
	if !level.UseDisk() {
		releaseAll(batches)
		return NotStored, nil
	}
	f, err := b.writeBlock(id, nb.schema, batches, ser)
	releaseAll(batches)
	if err != nil {
		return NotStored, err
	}
	return b.addDiskBlock(nb, f)
}

// addDiskBlock stores nb, whose copy is the file f (nil for a block of no batches), on
// disk only, replacing any block of its id.
func (b *BlockManager) addDiskBlock(nb *block, f *SpillFile) (Location, error) {
	nb.onDisk, nb.file = true, f
	var tr trash
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		if f != nil {
			f.Remove()
		}
		return NotStored, fmt.Errorf("storage: put %v: %w", nb.id, ErrClosed)
	}
	b.removeLocked(nb.id, &tr)
	b.blocks[nb.id] = nb
	b.diskBytes += nb.diskBytes()
	b.mu.Unlock()
	tr.empty()
	return OnDisk, nil
}

// putMemory admits nb to memory, evicting other owners' blocks if evictOthers. It returns
// NotStored (keeping the batches for the caller) if the block does not fit.
func (b *BlockManager) putMemory(nb *block, batches []arrow.RecordBatch, ser []byte, memBytes int64, evictOthers bool) (Location, error) {
	var tr trash
	defer tr.empty()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		releaseAll(batches)
		return NotStored, fmt.Errorf("storage: put %v: %w", nb.id, ErrClosed)
	}
	// A replaced block goes first: its memory counts as free for the new one.
	b.removeLocked(nb.id, &tr)
	if b.admitLocked(nb, batches, ser, memBytes) {
		b.mu.Unlock()
		return InMemory, nil
	}
	if !evictOthers {
		b.mu.Unlock()
		return NotStored, nil
	}
	st := b.mem.Stats()
	need := memBytes - max(0, st.Limit-st.ExecutionUsed-st.StorageUsed)
	jobs := b.selectVictimsLocked(need, true, func(e *block) bool {
		return nb.id.Kind == CacheBlock && e.id.Kind == CacheBlock && e.id.DatasetID == nb.id.DatasetID
	})
	b.mu.Unlock()
	if jobs == nil {
		return NotStored, nil
	}
	b.runEvictions(jobs)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		releaseAll(batches)
		return NotStored, fmt.Errorf("storage: put %v: %w", nb.id, ErrClosed)
	}
	b.removeLocked(nb.id, &tr) // a concurrent put of the same id: last one wins
	// Another goroutine may have taken the freed memory meanwhile; then the block does not fit.
	if b.admitLocked(nb, batches, ser, memBytes) {
		return InMemory, nil
	}
	return NotStored, nil
}

// admitLocked charges memBytes to the storage pool and installs nb in memory, or returns false.
func (b *BlockManager) admitLocked(nb *block, batches []arrow.RecordBatch, ser []byte, memBytes int64) bool {
	if b.mem.AcquireStorage(memBytes) != nil {
		return false
	}
	nb.inMem, nb.batches, nb.ser, nb.memBytes = true, batches, ser, memBytes
	b.memBytes += memBytes
	if nb.id.Kind == CacheBlock {
		b.cacheMem.Add(memBytes)
	}
	b.blocks[nb.id] = nb
	b.lru.Add(nb.id, nb)
	return true
}

// writeBlock writes a block's batches (or its encoded bytes, if ser is set) to a spill file.
// A block of no batches needs no file: it returns (nil, nil). It borrows batches.
func (b *BlockManager) writeBlock(id BlockID, schema *arrow.Schema, batches []arrow.RecordBatch, ser []byte) (*SpillFile, error) {
	if schema == nil {
		return nil, nil
	}
	if b.spill == nil {
		return nil, fmt.Errorf("storage: write %v to disk: the block manager has no spill directory", id)
	}
	var f *SpillFile
	var err error
	if ser != nil {
		f, err = b.spill.writeEncoded(id.String(), schema, ser)
	} else if id.Kind == CacheBlock && schema.NumFields() > 0 {
		// A cached block is scanned by queries that read a few of its columns: a columnar
		// file lets them decode only those. (A shuffle block is read whole, once.)
		f, err = b.spill.writeColumnar(id.String(), schema, batches)
	} else {
		var w *SpillWriter
		w, err = b.spill.Create(id.String(), schema)
		wide := kernel.WidenDictionaries(batches)
		for i := 0; err == nil && i < len(wide); i++ {
			err = w.Append(wide[i])
		}
		releaseAll(wide)
		if err == nil {
			f, err = w.Finish()
		} else if w != nil {
			w.Abort()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("storage: write %v to disk: %w", id, err)
	}
	b.diskWrites.Add(1)
	b.diskWritten.Add(f.Bytes())
	return f, nil
}

// GetCache returns the batches of id, owned by the caller, and where they were found. A
// memory hit returns the cached batches Retained (deserializing *Ser blocks with mem) and
// marks the block recently used. A disk hit reads the spill file with mem; for a cache
// block of a MEMORY_AND_DISK level it re-admits the data to memory if free storage memory
// holds it (without evicting), reading it then with the manager's allocator, since cached
// batches outlive the caller's task. A miss returns (nil, NotStored, nil). The block is
// pinned while it is read: never evicted, its file kept even if it is removed meanwhile.
func (b *BlockManager) GetCache(ctx context.Context, id BlockID, mem memory.Allocator) ([]arrow.RecordBatch, Location, error) {
	if mem == nil {
		mem = b.alloc
	}
	b.mu.Lock()
	e := b.blocks[id]
	if e == nil || b.closed {
		b.mu.Unlock()
		b.misses.Add(1)
		return nil, NotStored, nil
	}
	if e.inMem {
		b.lru.Get(id) // marks it recently used
		b.memoryHits.Add(1)
		if e.ser == nil {
			// Every reader of a cached block gets array objects of its own: tasks and jobs
			// read one block at once (see kernel.Rewrap).
			out := make([]arrow.RecordBatch, len(e.batches))
			var rewrap kernel.Rewrapper
			for i, rec := range e.batches {
				out[i] = rewrap.Rewrap(rec)
			}
			rewrap.Release()
			b.mu.Unlock()
			return out, InMemory, nil
		}
		e.pins++
		ser := e.ser
		b.mu.Unlock()
		defer b.unpin(e)
		r, err := openEncoded(ctx, id.String(), ser, e.schema, mem, nil)
		if err != nil {
			return nil, NotStored, b.lost(ctx, e, fmt.Errorf("storage: get %v: %w", id, err))
		}
		out, err := readAll(r)
		if err != nil {
			return nil, NotStored, b.lost(ctx, e, fmt.Errorf("storage: get %v: %w", id, err))
		}
		return out, InMemory, nil
	}
	e.pins++
	f := e.file
	b.diskHits.Add(1)
	readmit := id.Kind == CacheBlock && e.level.UseMemory()
	b.mu.Unlock()
	defer b.unpin(e)
	if f == nil {
		return nil, OnDisk, nil // a block of no batches
	}
	if e.level.Serialized() {
		data, err := vfs.ReadFile(f.fs, f.Path())
		if err != nil {
			return nil, NotStored, b.lost(ctx, e, fmt.Errorf("storage: get %v: read spill file: %w", id, err))
		}
		b.diskReads.Add(1)
		b.diskRead.Add(int64(len(data)))
		r, err := openEncoded(ctx, f.Path(), data, e.schema, mem, nil)
		if err != nil {
			return nil, NotStored, b.lost(ctx, e, fmt.Errorf("storage: get %v: %w", id, err))
		}
		out, err := readAll(r)
		if err != nil {
			return nil, NotStored, b.lost(ctx, e, fmt.Errorf("storage: get %v: %w", id, err))
		}
		if readmit {
			b.mu.Lock()
			if !e.removed && !e.inMem {
				b.admitLocked(e, nil, data, int64(len(data)))
			}
			b.mu.Unlock()
		}
		return out, OnDisk, nil
	}
	// Reserve the block's size before reading, so that a re-admitted block is read once, with
	// the manager's allocator.
	var reserved int64
	if readmit && b.mem.AcquireStorage(e.size) == nil {
		reserved = e.size
		mem = b.alloc
	}
	r, err := f.Open(ctx, mem)
	var out []arrow.RecordBatch
	if err == nil {
		out, err = readAll(r)
	}
	if err != nil {
		b.mem.ReleaseStorage(reserved)
		return nil, NotStored, b.lost(ctx, e, fmt.Errorf("storage: get %v: %w", id, err))
	}
	b.diskReads.Add(1)
	b.diskRead.Add(f.Bytes())
	if reserved > 0 {
		b.readmit(e, out, reserved)
	}
	return out, OnDisk, nil
}

// lost handles a block whose data could not be read back (err): a corrupt or unreadable
// cache block is dropped and counted, so that the caller, and every later job, recomputes
// it from lineage instead of failing on it again. A shuffle block is kept: it has no
// lineage here, and dropping it would turn the corruption into a "missing map output".
// A cancelled read says nothing about the block.
func (b *BlockManager) lost(ctx context.Context, e *block, err error) error {
	if e.id.Kind != CacheBlock || ctx.Err() != nil {
		return err
	}
	var tr trash
	b.mu.Lock()
	if b.blocks[e.id] == e {
		b.detachLocked(e, &tr)
		b.lostBlocks.Add(1)
	}
	b.mu.Unlock()
	tr.empty()
	return err
}

// readmit installs out (read back from disk) as e's memory copy, given reserved bytes of
// storage memory already charged; if the block changed meanwhile or its real size does not
// fit, it gives the reservation back.
func (b *BlockManager) readmit(e *block, out []arrow.RecordBatch, reserved int64) {
	size := BlockBytes(out)
	if size > reserved && b.mem.AcquireStorage(size-reserved) != nil {
		b.mem.ReleaseStorage(reserved)
		return
	}
	if size < reserved {
		b.mem.ReleaseStorage(reserved - size)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if e.removed || e.inMem || b.closed {
		b.mem.ReleaseStorage(size)
		return
	}
	e.inMem, e.batches, e.ser, e.memBytes = true, retainAll(out), nil, size
	b.memBytes += size
	if e.id.Kind == CacheBlock {
		b.cacheMem.Add(size)
	}
	b.lru.Add(e.id, e)
}

func (b *BlockManager) unpin(e *block) {
	b.mu.Lock()
	e.pins--
	var f *SpillFile
	if e.removed && e.pins == 0 && e.file != nil {
		f, e.file = e.file, nil
	}
	b.mu.Unlock()
	if f != nil {
		f.Remove()
	}
}

// Get returns the batches of id (Store): GetCache with the manager's allocator. A disk
// read error is reported as a missing block; callers that need the error use Read.
func (b *BlockManager) Get(id BlockID) ([]arrow.RecordBatch, bool) {
	out, loc, err := b.GetCache(context.Background(), id, nil)
	return out, err == nil && loc != NotStored
}

// Read returns the batches of id (Store) with the manager's allocator, and the error of a
// block that is held but cannot be read back (a corrupt or unreadable spill file).
func (b *BlockManager) Read(ctx context.Context, id BlockID) ([]arrow.RecordBatch, bool, error) {
	out, loc, err := b.GetCache(ctx, id, nil)
	if err != nil {
		return nil, false, err
	}
	return out, loc != NotStored, nil
}

// Remove drops id, if present, from memory and disk.
func (b *BlockManager) Remove(id BlockID) {
	var tr trash
	b.mu.Lock()
	b.removeLocked(id, &tr)
	b.mu.Unlock()
	tr.empty()
}

// RemoveIf drops every block whose ID satisfies pred. pred must not call the manager.
func (b *BlockManager) RemoveIf(pred func(BlockID) bool) {
	var tr trash
	b.mu.Lock()
	for id, e := range b.blocks {
		if pred(id) {
			b.detachLocked(e, &tr)
		}
	}
	b.mu.Unlock()
	tr.empty()
}

// RemoveDataset drops every cached partition of datasetID: their memory is released and
// their files deleted before it returns (a file being read is deleted when the read ends).
func (b *BlockManager) RemoveDataset(datasetID int) {
	b.RemoveIf(func(id BlockID) bool { return id.Kind == CacheBlock && id.DatasetID == datasetID })
}

func (b *BlockManager) removeLocked(id BlockID, tr *trash) {
	if e := b.blocks[id]; e != nil {
		b.detachLocked(e, tr)
	}
}

// detachLocked forgets e: its memory is released now, its file deleted now or, if a reader
// has it pinned, by the last unpin. An eviction in progress sees removed and discards its file.
func (b *BlockManager) detachLocked(e *block, tr *trash) {
	delete(b.blocks, e.id)
	e.removed = true
	b.dropMemoryLocked(e, tr)
	if e.onDisk {
		b.diskBytes -= e.diskBytes()
		e.onDisk = false
		if e.pins == 0 && e.file != nil {
			tr.files = append(tr.files, e.file)
			e.file = nil
		}
	}
}

// Bytes returns the bytes of all blocks held: storage memory charged plus spill file sizes.
func (b *BlockManager) Bytes() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.memBytes + b.diskBytes
}

// DatasetInfo describes the cached partitions of datasetID.
func (b *BlockManager) DatasetInfo(datasetID int) DatasetInfo {
	var info DatasetInfo
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, e := range b.blocks {
		if id.Kind != CacheBlock || id.DatasetID != datasetID {
			continue
		}
		info.Partitions++
		if e.inMem {
			info.InMemory++
			info.MemoryBytes += e.memBytes
		}
		if e.onDisk {
			info.OnDisk++
			info.DiskBytes += e.diskBytes()
		}
	}
	return info
}

// Stats returns the manager's counters and current sizes.
func (b *BlockManager) Stats() BlockStats {
	b.mu.Lock()
	memBytes, diskBytes := b.memBytes, b.diskBytes
	b.mu.Unlock()
	return BlockStats{
		EvictedBlocks: b.evictedBlocks.Load(), EvictedToDisk: b.evictedToDisk.Load(), Dropped: b.dropped.Load(),
		DiskWrites: b.diskWrites.Load(), DiskReads: b.diskReads.Load(),
		DiskBytesWritten: b.diskWritten.Load(), DiskBytesRead: b.diskRead.Load(),
		DiskErrors: b.diskErrors.Load(), Lost: b.lostBlocks.Load(),
		MemoryHits: b.memoryHits.Load(), DiskHits: b.diskHits.Load(), Misses: b.misses.Load(),
		MemoryBytes: memBytes, DiskBytes: diskBytes,
	}
}

// Close drops every block, in memory and on disk, and refuses later puts. It is idempotent.
// It closes neither the memory manager nor the spill manager.
func (b *BlockManager) Close() error {
	var tr trash
	b.mu.Lock()
	b.closed = true
	for _, e := range b.blocks {
		b.detachLocked(e, &tr)
	}
	b.mu.Unlock()
	tr.empty()
	return nil
}

func retainAll(batches []arrow.RecordBatch) []arrow.RecordBatch {
	if batches == nil {
		return nil
	}
	out := make([]arrow.RecordBatch, len(batches))
	for i, rec := range batches {
		rec.Retain()
		out[i] = rec
	}
	return out
}
