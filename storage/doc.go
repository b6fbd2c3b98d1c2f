// Package storage is kindling's block store: shuffle outputs and cached dataset partitions,
// held in memory (LRU order, charged to the memory manager's storage pool) or on disk as
// compressed, checksummed Arrow IPC files, according to a storage Level.
//
// A block is a list of Arrow record batches named by a BlockID: a shuffle block is one map
// task's output for one reduce partition (shuffle_S_M_R), a cache block one partition of a
// persisted dataset (cache_D_P).
//
// # Ownership
//
// Put and PutCache take over the caller's references (even when they fail); the store
// Releases them when the block is removed, replaced, evicted or the store is closed. Get and
// GetCache return batches the caller owns and Releases exactly once: Retained copies of an
// in-memory block, or batches freshly read from disk. OpenCache hands the same batches out
// one at a time and reads a block that stays on disk batch by batch, so that a task scanning
// a cached partition larger than memory holds one batch of it; the block is pinned (never
// removed from under the reader) until the stream is closed.
//
// # Levels (Spark's StorageLevel, without replication)
//
//	MEMORY_ONLY          batches in memory; does not fit or evicted → gone (recomputed)
//	MEMORY_AND_DISK      batches in memory; does not fit or evicted → spill file
//	DISK_ONLY            spill file only
//	MEMORY_ONLY_SER      encoded bytes in memory (charged at their compressed size); → gone
//	MEMORY_AND_DISK_SER  encoded bytes in memory; → the same bytes written as a spill file
//	shuffle blocks       MEMORY_AND_DISK, never dropped (losing one reruns a map task)
//
// A disk hit of a MEMORY_AND_DISK* cache block is re-admitted to memory if free storage
// memory holds it, without evicting anything.
//
// # Eviction
//
// BlockManager keeps the blocks with a memory copy in a golang-lru simplelru used purely as
// an ordering index (capacity math.MaxInt; GetCache bumps a block, eviction walks Keys()
// oldest first). Two triggers:
//
//   - a cache put that does not fit in free storage memory evicts other blocks oldest first,
//     never blocks of its own dataset (Spark's rule: a dataset larger than memory keeps its
//     first partitions rather than cycling through them), all or nothing: if evicting every
//     candidate would not make room it evicts none and the block goes to disk or is not
//     stored. A shuffle put never evicts: it goes to disk if free memory is short.
//   - execution short of memory: the memory manager calls EvictBlocks(need) (without its
//     lock) for storage above the storage region; the same-dataset rule does not apply.
//
// An evicted block moves to disk (shuffle, *AND_DISK* levels) or is dropped (MEMORY_ONLY*);
// a block being read (pinned) or already being evicted is skipped. If the disk write fails,
// a shuffle block stays in memory and a cache block is dropped (BlockStats.DiskErrors). A
// cache block whose file cannot be read back (corrupt, truncated, unreadable) is dropped
// too (BlockStats.Lost) and the read returns the error, naming the file: readers recompute
// the partition from lineage. A shuffle block is never dropped: Read reports its error.
//
// # Locking
//
// One mutex guards the block table, the LRU index and the byte totals. Lock order is
// BlockManager.mu → memory.Manager's lock: AcquireStorage and ReleaseStorage are called under
// mu, never a method that may call back into EvictBlocks. Disk I/O runs outside mu: a block
// is first marked evicting (or pinned, for reads), and the outcome is applied under mu only
// if the block was not removed meanwhile (else the new file is deleted). A removed block's
// file is deleted at once, or by the last reader to unpin it.
//
//	PutCache / Put ──► BlockManager ──► GetCache / Get (Retained, or read back from disk)
//	                   │ blocks: BlockID → {memory copy?, disk copy?, pins}
//	                   │ LRU of memory copies: oldest ... newest
//	                   │
//	   AcquireStorage  │  ▲ EvictBlocks(need)   evicted / DISK_ONLY / no room
//	   ReleaseStorage  ▼  │                     ─────────────────────────────►  SpillManager
//	             memory.Manager                                          cache_D_P-N.spill
//	             (storage pool)                                      shuffle_S_M_R-N.spill
//
// # Disk format
//
// spill.go: magic "KNDLSPL1", one zstd stream of an Arrow IPC stream, and a trailer with the
// payload length, raw IPC bytes, rows and a CRC-32C. Files are written under a .tmp name and
// renamed when complete, so a failed write (SetWriteLimit simulates a full disk with
// ENOSPC) leaves no file. Checkpoint part files hold exactly these bytes (StreamWriter,
// VerifySpillFile), and so do operator spill files (S2).
//
// columnar.go: a cache block written to disk from batches (MEMORY_AND_DISK, DISK_ONLY) is
// a columnar file instead, magic "KNDLCOL1": one such spill stream per column (S2, its own
// CRC-32C) and an index at the end (each segment's offset and length, each batch's rows,
// the index's own CRC-32C). OpenCache(ctx, id, mem, cols) opens only the segments of cols,
// side by side, and zips their batches: a query reading 4 of lineitem's 16 columns
// decompresses those 4. A damaged segment is reported naming the file and the segment
// (and column); BlockStats.DiskBytesRead counts only the segments read. Serialized blocks
// (*_SER levels) hold the same format with zstd segments, so a projected read of one in
// memory decompresses only its columns too, and its eviction is still a plain write.
// Shuffle blocks, read whole once, stay single streams. No file outlives its session, so
// there is no older format to read.
//
// Files go through an injectable file system (WithFS; internal/vfs), so that tests fail
// any write, rename or read. A session's spill directory has a sibling lock file
// (kindling-spill-ID.lock) held while the session lives; NewSpillManager removes the
// directories under its parent whose lock no live process holds (a killed session's).
//
// Invariants: BlockStats.MemoryBytes is the storage memory the manager charged for the block
// manager's blocks; every file in the spill directory named cache_* or shuffle_* belongs to a
// held block, a pinned removed block, or an eviction in flight; after Close nothing is held.
//
// Engine internals: a program uses package dataset, which re-exports the types it needs
// (StorageLevel); this package has no compatibility promise of its own.
package storage
