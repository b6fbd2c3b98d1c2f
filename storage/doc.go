// Package storage is kindling's block store: it holds shuffle outputs now and cached dataset
// partitions later, in memory (LRU order) or, in a later stage, on disk as compressed Arrow
// IPC, according to a storage Level.
//
// A block is a list of Arrow record batches named by a BlockID: a shuffle block is one map
// task's output for one reduce partition (shuffle_S_M_R), a cache block one partition of a
// persisted dataset (cache_D_P).
//
// # Ownership
//
// Put takes over the caller's references (even when it fails); the store Releases them when
// the block is removed, replaced or the store is closed. Get Retains every batch before
// returning it: the caller owns the returned references and Releases each exactly once.
//
// # Memory
//
// MemoryStore sizes a block with util.TotalRecordSize (buffers shared within a batch counted
// once) and charges it to the memory manager's storage pool with AcquireStorage, which never
// evicts execution memory. Shuffle blocks are never dropped: a block the manager refuses is
// still kept and reported by OverBudgetBytes, until the disk store can take it out of memory.
// Blocks are indexed by an order-only LRU (golang-lru simplelru with unbounded capacity); Get
// marks a block recently used, so eviction can walk blocks oldest first.
//
//	           Put(id, batches)                 Get(id) → Retained copies
//	caller ───────────────────► MemoryStore ───────────────────────► caller Releases
//	                              │  LRU index: oldest ... newest
//	                              │  AcquireStorage / ReleaseStorage
//	                              ▼
//	                        memory.Manager (storage pool)
//
// Invariants: Bytes() equals the sum of the sizes of the blocks held; the manager's storage
// use attributed to the store equals Bytes() − OverBudgetBytes(); after Close the store holds
// no batch.
package storage
