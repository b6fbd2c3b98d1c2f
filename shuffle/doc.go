// Package shuffle moves rows between stages: the map side partitions each batch by reduce
// partition and buffers it privately, Commit publishes the map output, and the reduce side
// reads one reduce partition's blocks from every committed map output.
//
//	 map task m (attempt a)                              reduce task r
//	┌────────────────────────────┐                     ┌───────────────────────┐
//	│ Write(batch)               │                     │ Reader(shuffle, r)    │
//	│  Partitioner.Assign ─► ids │     Commit()        │  Next() ─► block(m0,r)│
//	│  counting sort + gather    │ ──────────────────► │  Next() ─► block(m1,r)│
//	│  per-partition buffers     │ blocks shuffle_S_m_r│  ... in map order     │
//	└────────────────────────────┘  in storage.Store   └───────────────────────┘
//	           Abort(): nothing visible      Service: committed outputs + Stats
//
// # Partitioning
//
// Partitioners are vectorized: Assign fills a []int32 of partition numbers for a whole batch.
// The hash partitioner uses HashColumns, a deterministic (unseeded) row hash with typed loops
// per Arrow type: NULLs hash to one constant, -0 as 0 and every NaN alike (Spark groups them
// so), and dictionary columns hash each dictionary value once. Joins reuse HashColumns so
// that both sides of a shuffle join agree.
//
// The writer sorts row indices by partition with a counting sort (stable: rows keep their
// input order within a partition), then appends each partition's rows straight into that
// partition's growing column buffers (kernel.Appender: typed loops for fixed-width values,
// booleans, strings with their offsets, validity bitmaps; dictionary columns keep a shared
// dictionary's indices or merge the values they use; lists append their offsets, and their
// elements through an appender of the element type), so that a row is copied once. When
// a partition holds batchRows rows (DefaultBatchRows, Service.SetBatchRows) its buffers
// become one batch: blocks hold full batches (the last one of a map output excepted) whose
// sizes are exact. A schema with a column no appender takes (structs, maps, lists of those) is gathered
// into partition order (a hand-written typed gather; arrow's Take is about 3× slower on
// random indices), sliced per partition and concatenated every batchRows rows instead.
//
// # Visibility and ownership
//
//   - Output is private to the writer until Commit; Abort, or a Commit that is never made,
//     leaves nothing readable.
//   - Commit stores the blocks and publishes the MapStatus under one lock. A later attempt
//     of the same map task replaces the earlier output; an older attempt cannot replace a
//     newer one (ErrStaleAttempt).
//   - Write borrows its batch. Reader.Next hands ownership of each batch to the caller.
//   - Remove frees a shuffle's blocks; Close frees every shuffle's blocks (not the store).
//
// # Memory
//
// The writer's buffers are execution memory of its task (Writer.SetReservation; the
// estimate counts the column buffers' capacity, or on the gather path each buffered
// slice's share of the batch it pins). When the reservation
// is refused, or another consumer of the task asks it to spill, the writer compacts its
// buffers and stores them as pieces of its map output (storage.BlockID.Piece): they move
// to storage memory, or to disk when that is short (the pieces of one staging that memory
// refuses share one spill file, a section each), and stay invisible until Commit, which
// publishes them with the rest (a reader gets a partition's pieces, then its block); Abort
// removes them. The writer's minimum working set is therefore the batch being written.
//
// Engine internals: a program uses package dataset, which re-exports the types it needs
// (none: it is reached only through exec); this package has no compatibility promise of its own.
package shuffle
