// Package memory is kindling's unified memory manager: one byte budget shared by execution
// memory (what operators hold while they run) and storage memory (cached partitions and
// shuffle blocks kept in memory), plus an accounting Arrow allocator.
//
// # Model
//
// The budget M (Config.Limit) is split by Config.StorageFraction into a storage region
// R = M × StorageFraction and the rest. The boundary is soft: each side may use what the
// other leaves free. The rules, from Spark's UnifiedMemoryManager:
//
//   - Execution (Reservation.TryGrow) takes free memory first. If that is short and storage
//     holds more than R, the manager asks the registered Evictor to drop or write out cached
//     blocks, but never pushes storage below R.
//   - Storage (AcquireStorage) takes only free memory. It never evicts execution memory:
//     execution memory is live operator state that only its owner can release at a safe
//     point (by spilling).
//   - The manager never grants more than M through TryGrow or AcquireStorage. Grow records
//     memory that is already allocated and may overshoot; later requests see it.
//
// The pools, their consumers and the one path by which memory moves from storage to
// execution:
//
//	                     Manager (budget M)
//	┌────────────────────────────────────────────────────────────────┐
//	│  execution pool                 │  storage pool                │
//	│  ┌──────────────┐ ┌───────────┐ │  ┌────────┐ ┌────────┐       │
//	│  │ Reservation  │ │Reservation│ │  │ block  │ │ block  │  ...  │
//	│  │ "sort@s1 t3" │ │"agg@s1 t4"│ │  └────────┘ └────────┘       │
//	│  └──────────────┘ └───────────┘ │  AcquireStorage/ReleaseStorage
//	│  TryGrow/Grow/Shrink/Free       │◄── region R = M × fraction ──┤
//	└───────────────────────────────┬─┴──────────────────────────────┘
//	          execution short of    │  Evictor.EvictBlocks(need): storage
//	          free memory ──────────┘  above R is given back in LRU order
//
// # Enforcement and accounting
//
// arrow's memory.Allocator cannot return an error, so the budget is enforced when an operator
// reserves (TryGrow, which returns a *BudgetError wrapping ErrBudgetExceeded) before it builds
// or buffers batches. Only operators that hold batches across calls (hash aggregate, sort,
// join build, shuffle buffers, cache unroll) reserve; streaming operators do not, so keep
// about 10% of the process's memory as untracked headroom (the default limit leaves 40%).
// Allocator measures what was really allocated, exactly to the byte, for metrics and to
// correct reservations after variable-width builds.
//
// Invariants: execution used + storage used ≤ M except after Grow overshoots; a reservation's
// size is never negative; Close names every reservation still holding bytes.
//
// Per-task fairness (each of N tasks guaranteed M_exec/(2N) and capped at M_exec/N) and the
// spill protocol among a task's consumers build on Reservation and Evictor and come later.
package memory
