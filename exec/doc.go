// Package exec runs physical plans: it turns each stage of a plan.Split into tasks, one
// per partition, runs them on a bounded worker pool in dependency order, and pulls Arrow
// record batches through each task's pipeline of operators.
//
//	          RunJob
//	            │  stages in dependency order (plan.Split)
//	            ▼
//	┌──────── stage ────────┐   errgroup, SetLimit(Parallelism)
//	│ task 0  task 1 … task n│   each task: attempt 1..MaxAttempts
//	└───────────┬───────────┘
//	            ▼
//	  leaf (Scan | ShuffleRead) → Filter → Project → … → HashAggregate(partial)
//	            │ batches pulled one at a time (pipelined, never materialized between
//	            │ narrow operators)
//	            ▼
//	  shuffle.Writer (map stage)   or   ResultSink (result stage)
//
// Invariants:
//   - Operators follow the Operator contract: Next transfers ownership of the batch it
//     returns; every batch an operator pulls is either passed on or released.
//   - Every buffer a task allocates comes from its accounting allocator
//     (memory.Allocator over the session's allocator); operators that hold data across
//     batches (the hash aggregate) reserve it from the memory manager first and fail with
//     an error wrapping memory.ErrBudgetExceeded, naming the reservation, when refused.
//     Streaming operators (scan, filter, project, limit) reserve nothing. Each task attempt
//     is a memory.Task: its reservations share the task's fair share of the budget, and
//     the buffering operators are Spillers — refused memory makes the hash aggregate emit
//     early (partial) or spill partitioned state (final), the sort write sorted runs and
//     merge them, the hash join partition both sides to disk (grace hash join).
//   - Every buffering operator spills down to a small minimum working set, and only when
//     that cannot be reserved does it fail with the budget error (a floor that depends on
//     the rows' width and the number of tasks sharing the budget, not on BatchRows):
//     hash aggregate, an empty table and one input row's groups (a batch whose worst
//     case does not fit is folded in halves; Partial mode with row-wise states converts
//     it to states and needs no table; room presized at Open is given back first);
//     sort, one input batch, and a merge of two runs whose chunks hold at most 1/64 of
//     the budget's bytes (at least 16 rows); hash join, one build batch, then the grace
//     join's partitions; shuffle writer, nothing beyond the batch being written (its
//     buffers move to the store). Reservations ask ahead of need by at most 1/32 of the
//     budget (memory.GrowStep) and give that slack back first when asked to spill.
//   - A task attempt that fails or panics leaves nothing visible: its shuffle output is
//     aborted and its result-sink output is discarded; the task is retried up to
//     MaxAttempts, then the job fails with an error naming stage, partition and cause.
//   - Cancelling the job's context stops every task at the next batch boundary; RunJob
//     returns only after all its goroutines have ended, and frees the job's shuffle
//     blocks on every path.
//
// Expressions (plan.Expr) are evaluated a whole batch at a time by Eval, with arrow's
// compute kernels where they are fast (comparisons, unchecked arithmetic, filter, cast)
// and typed loops elsewhere (strings, NaN-aware comparisons, string-to-number casts).
// Group-by uses typed hash tables (int64, float64, strings, dictionary-encoded strings,
// and combinations) with per-function accumulators over group-id vectors. The hash join
// loads its build side into an open-addressing table with duplicate chains and probes a
// batch at a time, gathering both sides with typed gathers; a broadcast join's build side
// is the one broadcast shuffle partition, loaded and indexed once per stage and probed by
// all its tasks. The sort orders row
// indices with kernel's RowComparator (the same order the range partitioner uses; a
// radix sort for single primitive keys) and gathers; with a limit it keeps a bounded
// heap (top-N). A range-partitioned stage runs twice: a sampling pass whose reservoir
// samples give the range bounds, then the real pass.
//
// The operators themselves live in the subpackages: colop (the contract and what every operator
// shares), eval (expressions, filter, project), hashagg, hashjoin (with residual conditions and
// nested loops), asofjoin and sorting; exectest is their
// test support. This package keeps the tasks, the scheduler, the sources, the cache operators
// and the small streaming operators (limit, union, explode, expand, map_batches).
//
// Engine internals: a program uses package dataset, which re-exports the types it needs
// (JobMetrics, StageMetrics, TaskMetrics); this package has no compatibility promise of its own.
package exec
