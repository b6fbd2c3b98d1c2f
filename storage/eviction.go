package storage

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/internal/kernel"
)

// evictJob is one block being evicted; batches are the evictor's own references.
type evictJob struct {
	e       *block
	write   bool
	batches []arrow.RecordBatch
	ser     []byte
	file    *SpillFile
	err     error
}

// selectVictimsLocked walks the in-memory blocks oldest first, skipping pinned blocks,
// blocks already being evicted, empty ones and those skip rejects, until their bytes reach
// need. With allOrNothing (a put making room, as Spark's MemoryStore) it selects none if they
// cannot reach need: evicting part of the room a block needs is pure loss. Otherwise it
// selects what it can (execution may cover the rest by spilling). The selected blocks are
// marked evicting, and those to be written out are Retained for the writer.
func (b *BlockManager) selectVictimsLocked(need int64, allOrNothing bool, skip func(*block) bool) []evictJob {
	if need <= 0 {
		return nil
	}
	var sel []*block
	var sum int64
	for _, id := range b.lru.Keys() {
		e, _ := b.lru.Peek(id)
		if e.pins > 0 || e.evicting || e.memBytes == 0 || (skip != nil && skip(e)) {
			continue
		}
		sel = append(sel, e)
		if sum += e.memBytes; sum >= need {
			break
		}
	}
	if len(sel) == 0 || (allOrNothing && sum < need) {
		return nil
	}
	jobs := make([]evictJob, len(sel))
	for i, e := range sel {
		e.evicting = true
		jobs[i] = evictJob{e: e}
		if e.keepsOnDisk() && !e.onDisk {
			jobs[i].write = true
			jobs[i].ser = e.ser
			jobs[i].batches = retainAll(e.batches)
		}
	}
	return jobs
}

// runEvictions writes out the jobs that need it (without the lock), then drops their memory
// copies and returns the storage bytes released. A block removed meanwhile is skipped (its
// new file deleted). A failed write keeps a shuffle block in memory (shuffle blocks are
// never dropped) and drops a cache block (recomputed from lineage).
func (b *BlockManager) runEvictions(jobs []evictJob) int64 {
	b.writeJobs(jobs)
	var tr trash
	var freed int64
	obs := b.evicted.Load()
	var seen []EvictionInfo
	b.mu.Lock()
	for i := range jobs {
		j, e := &jobs[i], jobs[i].e
		e.evicting = false
		if e.removed {
			if j.file != nil {
				tr.files = append(tr.files, j.file)
			}
			continue
		}
		if j.err != nil {
			b.diskErrors.Add(1)
			if e.id.Kind == ShuffleBlock {
				continue
			}
		}
		if j.file != nil {
			e.onDisk, e.file = true, j.file
			b.diskBytes += e.diskBytes()
		} else if j.write && j.err == nil {
			e.onDisk = true // a block of no batches
		}
		n := b.dropMemoryLocked(e, &tr)
		freed += n
		if obs != nil {
			seen = append(seen, EvictionInfo{Block: e.id, Bytes: n, ToDisk: e.onDisk})
		}
		b.evictedBlocks.Add(1)
		if e.onDisk {
			b.evictedToDisk.Add(1)
		} else {
			b.dropped.Add(1)
			delete(b.blocks, e.id)
			e.removed = true
		}
	}
	b.mu.Unlock()
	tr.empty()
	for _, ev := range seen {
		(*obs)(ev)
	}
	return freed
}

// EvictBlocks implements memory.Evictor: execution needs need bytes of storage memory. It
// walks the blocks in LRU order, oldest first, skipping pinned ones, and moves shuffle and
// MEMORY_AND_DISK blocks to disk and drops MEMORY_ONLY ones until at least need bytes are
// released, or as many as it can (EvictBlocks(math.MaxInt64) evicts every unpinned block).
// The same-dataset rule does not apply: execution comes first. It returns the bytes
// released with ReleaseStorage. The memory manager asks only for storage above the storage
// region, so the region is kept up to block granularity.
func (b *BlockManager) EvictBlocks(need int64) int64 {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0
	}
	// Shuffle blocks first: they are always reclaimable and are read once; then cached
	// partitions, oldest first.
	jobs := b.selectVictimsLocked(need, false, func(e *block) bool { return e.id.Kind != ShuffleBlock })
	var sum int64
	for _, j := range jobs {
		sum += j.e.memBytes
	}
	if sum < need {
		jobs = append(jobs, b.selectVictimsLocked(need-sum, false, func(e *block) bool { return e.id.Kind == ShuffleBlock })...)
	}
	b.mu.Unlock()
	if jobs == nil {
		return 0
	}
	return b.runEvictions(jobs)
}

// ProtectedBytes returns the bytes of cached partitions held in memory (memory.ProtectedStorage).
func (b *BlockManager) ProtectedBytes() int64 { return b.cacheMem.Load() }

// dropMemoryLocked releases e's memory copy and returns the storage bytes released.
func (b *BlockManager) dropMemoryLocked(e *block, tr *trash) int64 {
	if !e.inMem {
		return 0
	}
	n := e.memBytes
	b.lru.Remove(e.id)
	b.mem.ReleaseStorage(n)
	b.memBytes -= n
	if e.id.Kind == CacheBlock {
		b.cacheMem.Add(-n)
	}
	tr.batches = append(tr.batches, e.batches...)
	e.inMem, e.batches, e.ser, e.memBytes = false, nil, nil, 0
	return n
}

// writeJobs writes out the jobs that need it. Shuffle blocks of batches that share a
// schema go to one file, a section each (SectionWriter): at a tight budget the shuffle
// evicts a few small blocks at a time, and a file per block made file creation most of
// the eviction's cost. The others (cached partitions, whose files RemoveDataset deletes
// by dataset; encoded blocks; a lone block of its schema) get a file of their own.
func (b *BlockManager) writeJobs(jobs []evictJob) {
	done := make([]bool, len(jobs))
	for i := range jobs {
		j := &jobs[i]
		if !j.write || done[i] {
			continue
		}
		group := []*evictJob{j}
		if sectioned(j) && b.spill != nil {
			for k := i + 1; k < len(jobs); k++ {
				o := &jobs[k]
				if !done[k] && sectioned(o) && o.e.schema.Equal(j.e.schema) {
					group = append(group, o)
					done[k] = true
				}
			}
		}
		if len(group) > 1 {
			b.writeSections(group)
		} else {
			j.file, j.err = b.writeBlock(j.e.id, j.e.schema, j.batches, j.ser)
		}
		for _, g := range group {
			releaseAll(g.batches)
			g.batches, g.ser = nil, nil
		}
	}
}

// sectioned reports whether j's block may share a file with others: a shuffle block of
// batches to write.
func sectioned(j *evictJob) bool {
	return j.write && j.ser == nil && j.e.schema != nil && j.e.id.Kind == ShuffleBlock
}

// writeSections writes the jobs' blocks (batches of one schema) as the sections of one
// spill file. On an error every job of the group fails and the file is removed.
func (b *BlockManager) writeSections(group []*evictJob) {
	blocks := make([][]arrow.RecordBatch, len(group))
	for i, g := range group {
		blocks[i] = g.batches
	}
	files, err := b.writeSectionFile("evicted-"+group[0].e.id.String(), group[0].e.schema, blocks)
	for i, g := range group {
		if err != nil {
			g.file, g.err = nil, fmt.Errorf("storage: write %v to disk: %w", g.e.id, err)
		} else {
			g.file = files[i]
		}
	}
}

// writeSectionFile writes blocks (batches of schema) as the sections of one spill file
// and returns each block's section (nil for a block of no batches). It borrows the
// batches. On an error the file is removed.
func (b *BlockManager) writeSectionFile(name string, schema *arrow.Schema, blocks [][]arrow.RecordBatch) ([]*SpillFile, error) {
	w, err := b.spill.CreateSections(name, schema)
	if err != nil {
		return nil, err
	}
	files := make([]*SpillFile, len(blocks))
	for i, batches := range blocks {
		wide := kernel.WidenDictionaries(batches)
		for _, rec := range wide {
			if err == nil {
				err = w.Append(rec)
			}
		}
		releaseAll(wide)
		if err == nil {
			files[i], err = w.EndSection() // nil for a block of no batches
		}
	}
	if err == nil {
		err = w.Finish()
	}
	if err != nil {
		w.Abort()
		return nil, err
	}
	for _, f := range files {
		if f != nil {
			b.diskWrites.Add(1)
			b.diskWritten.Add(f.Bytes())
		}
	}
	return files, nil
}
