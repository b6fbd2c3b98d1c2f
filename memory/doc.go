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
// join build, shuffle buffers, cache unroll) reserve; streaming operators do not. A task
// that tracks its Allocator (Task.TrackAllocator) has the Arrow bytes it holds beyond its
// reservations counted against the budget, up to a quarter of it: storage and the
// spillable consumers that hold memory then see less free memory and make room earlier
// (streaming.go says why only they). Allocator measures what was really allocated,
// exactly to the byte, for metrics and to correct reservations after variable-width
// builds. Below it, sessions allocate from a
// PoolAllocator by default: every buffer is Released when its batch is done with, so
// recycling them keeps the resident set near the live bytes instead of everything
// allocated since the last garbage collection. HoldGoMemoryLimit ties the Go runtime's
// soft memory limit to the open budgets (GoLimitForBudget: limit × 1.25 + 96 MiB each,
// summed), so that garbage not yet collected cannot take the process far past them.
//
// # Tasks: fairness and the spill protocol
//
// Execution memory is shared among tasks (Manager.NewTask, one per task attempt), each a
// group of reservations (Task.NewReservation), some of them spillable (a Spiller). Let
// M_exec = M − min(storage used, R), what execution could hold if it evicted all it may
// (Spark's computeMaxExecutionPoolSize), and N the tasks holding or requesting execution
// memory. Each task may hold at most M_exec/N and is guaranteed M_exec/2N: below that it
// waits for other tasks rather than fail. A reservation outside any task
// (Manager.NewReservation: a stage's broadcast build side) holds execution memory but is
// not one of the N: it is released only when the stage ends, so a task waiting for it, or
// for N to drop because of it, would wait out Config.TaskWait.
//
//	Manager ── budget M, storage region R, Evictor (storage layer)
//	  │
//	  ├── Task "stage 1 task 0"  (cap M_exec/N, minimum share M_exec/2N, ctx)
//	  │     ├── Reservation "scan"       (no Spiller)
//	  │     ├── Reservation "agg"        Spiller ◄──┐
//	  │     └── Reservation "sort"       Spiller ◄──┤ asked to spill for each other,
//	  │                                             │ never for themselves
//	  ├── Task "stage 1 task 1"  ...                │
//	  └── Manager.NewReservation("x"): capped as one more task, not in N, never waits
//
//	r.TryGrow(n), r in task t:
//	 1. t.used+n ≤ M_exec/N and n ≤ free ─────────────────────────────► grant
//	 2. short of free memory, storage > R: Evictor.EvictBlocks(short) ─► retry 1
//	 3. t's other Spillers holding memory: the smallest whose Size()
//	    covers the remainder, else the largest; Spill(need) ──────────► retry 1
//	    (one that frees nothing is not asked again for this request)
//	 4. t.used < M_exec/2N (TryGrowSpilled: t.used+n ≤ M_exec) and
//	    another task can release: wait for a release or a change
//	    of N (ctx, Config.TaskWait) ──────────────────────────────────► retry 1
//	 5. *BudgetError (ErrBudgetExceeded): r's owner spills itself and retries
//
// Details that keep this from deadlocking or failing needlessly:
//
//   - The Evictor and Spill run without the manager's lock (they do I/O and call
//     ReleaseStorage or Shrink); a task's Spill calls are serialized by a per-task lock, so
//     Spill must not call TryGrow, Grow or Resize.
//   - Eviction is tried only if it, together with the task's spillable memory, can cover the
//     request, so a hopeless request does not throw cached blocks away.
//   - A task over its cap whose request alone fits the cap is refused at once: spilling
//     itself is quicker than waiting for N to drop. A request larger than M_exec never waits:
//     the minimum working set does not fit, and the error says so instead of hanging.
//   - A consumer with nothing left to spill asks with TryGrowSpilled: it waits above its
//     minimum share too (up to M_exec), since spilling is no longer an option; whether its
//     minimum working set fits must follow the budget, not the number of tasks running.
//   - When every other active task is waiting, nobody can release, so the cap is lifted to
//     M_exec for the remaining one; it is held back by the budget and spills on refusal,
//     which wakes the others.
//   - Waiters are woken by every Shrink, Free, ReleaseStorage and Task.Close, and by changes
//     of N (which move every cap and minimum share). A wait is bounded by Config.TaskWait
//     (10 s by default) and ends early on the task's ctx with the context's error.
//   - After every step that drops the lock (eviction, a Spill, a wait) the request starts
//     over from step 1: a release made meanwhile woke nobody, so deciding to wait on figures
//     read before would sleep out TaskWait. Stats.WaitTimeouts counts waits that did.
//
// Invariants: execution used + storage used ≤ M except after Grow overshoots; a reservation's
// size is never negative; a task's used bytes are the sum of its reservations; Close names
// every reservation still holding bytes.
//
// Engine internals: a program uses package dataset, which re-exports the types it needs
// (NewPoolAllocator, and the budget through Config); this package has no compatibility promise of its own.
package memory
