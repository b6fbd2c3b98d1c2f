package memory

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Spiller is a consumer that can give memory back by writing its state to disk.
//
// The manager calls Spill from another consumer's TryGrow in the same task, without holding
// its own lock and never concurrently with another Spill of the same task. Spill may do I/O
// and must call Shrink (or Free) on its reservation for what it releases, but it must not
// call TryGrow, Grow or Resize of any reservation: the task's spill lock is held, so that
// would deadlock or recurse.
type Spiller interface {
	// Spill frees at least need bytes if it can and returns the bytes freed; its reservation
	// must already be smaller by them when Spill returns. A consumer that cannot spill now
	// (it is not accumulating) returns (0, nil). An error fails the TryGrow that asked.
	Spill(need int64) (freed int64, err error)
}

// Task groups the reservations of one task attempt. Tasks share execution memory fairly:
// with N tasks holding or requesting memory, a task may hold at most M_exec/N and is
// guaranteed M_exec/2N before it has to spill (it waits for other tasks instead). Its
// consumers spill for each other. Close it when the attempt ends.
type Task struct {
	m    *Manager
	name string
	// ctx ends waits; nil for the implicit task of Manager.NewReservation, which never waits.
	ctx context.Context
	// spillMu serializes Spill calls among the task's consumers.
	spillMu sync.Mutex

	// Guarded by m.mu.
	res        []*Reservation
	used, peak int64
	requesting int  // TryGrow calls in progress
	waiting    int  // of which blocked waiting for other tasks
	active     bool // counted in m.active
	closed     bool
}

// NewTask registers a task attempt. ctx bounds the waits of its reservations' TryGrow (nil
// means context.Background()); name identifies the task in errors, e.g. "stage 1 task 3".
// The task counts in N only while it holds or requests memory.
func (m *Manager) NewTask(ctx context.Context, name string) *Task {
	if ctx == nil {
		ctx = context.Background()
	}
	return &Task{m: m, name: name, ctx: ctx}
}

// Name returns the name given to NewTask.
func (t *Task) Name() string { return t.name }

// NewReservation returns an empty reservation of the task. s, if not nil, is asked to spill
// when another reservation of this task needs memory; s is never asked on behalf of its own
// reservation (its owner spills itself on ErrBudgetExceeded). On a closed task the
// reservation exists but every TryGrow fails.
func (t *Task) NewReservation(name string, s Spiller) *Reservation {
	r := &Reservation{m: t.m, task: t, spiller: s, name: name}
	t.m.mu.Lock()
	t.res = append(t.res, r)
	t.m.mu.Unlock()
	return r
}

// Used returns the execution bytes the task's reservations hold now.
func (t *Task) Used() int64 {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.used
}

// PeakExecution returns the highest number of execution bytes the task held at once.
func (t *Task) PeakExecution() int64 {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.peak
}

// Close frees every reservation of the task and removes it from N, waking tasks that wait
// for memory. Later TryGrow calls of its reservations fail. It is idempotent.
func (t *Task) Close() {
	m := t.m
	m.mu.Lock()
	defer m.mu.Unlock()
	t.closed = true
	for _, r := range t.res {
		m.releaseLocked(r, r.size.Load())
	}
	m.refreshLocked(t)
	m.broadcastLocked()
}

// refreshLocked keeps m.active equal to the number of open tasks holding or requesting memory
// and wakes waiters when it changes, since N sets every task's cap and minimum share.
func (m *Manager) refreshLocked(t *Task) {
	act := !t.closed && (t.used > 0 || t.requesting > 0)
	if act == t.active {
		return
	}
	t.active = act
	if act {
		m.active++
	} else {
		m.active--
	}
	m.broadcastLocked()
}

// acquire is TryGrow's slow path; see the package documentation for the order of steps.
// spilled is TryGrowSpilled's: the requester has nothing left to spill.
func (m *Manager) acquire(r *Reservation, n int64, spilled bool) error {
	t := r.task
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.closed {
		return fmt.Errorf("memory: %s: TryGrow of %s after task %q was closed", r.name, FormatBytes(n), t.name)
	}
	t.requesting++
	m.refreshLocked(t)
	defer func() {
		t.requesting--
		m.refreshLocked(t)
	}()
	return m.acquireLocked(r, n, spilled)
}

// acquireLocked runs with mu held and returns with it held. It drops mu around calls to the
// Evictor and to Spillers, and while waiting; after each it starts the loop over, so no
// decision uses figures read before mu was dropped (a release that happened meanwhile woke
// nobody, and a wait decided on stale figures would sleep until TaskWait).
func (m *Manager) acquireLocked(r *Reservation, n int64, spilled bool) error {
	t := r.task
	var (
		tried       map[*Reservation]bool // consumers that freed nothing for this request
		evictRounds int
		deadline    time.Time
	)
	for {
		if t.closed {
			return fmt.Errorf("memory: %s: task %q closed while TryGrow of %s was in progress", r.name, t.name, FormatBytes(n))
		}
		mExec := m.maxExecution()
		nTasks := max(m.active, 1)
		// Tasks other than t that are not blocked: only they can release memory for t.
		runnable := m.active - m.waitingTasks - 1
		taskCap := mExec / int64(nTasks)
		if runnable <= 0 {
			// Everyone else waits for memory: holding t to 1/N would leave them all
			// stuck; t may use what it can and will be made to spill by the budget.
			taskCap = mExec
		}
		minShare := mExec / int64(2*nTasks)
		overCap := t.used + n - taskCap
		short := n - m.free()

		// 1. Free memory within the task's cap.
		if overCap <= 0 && short <= 0 {
			m.grantLocked(r, n)
			return nil
		}

		// 2. Storage above its region, through the Evictor; only when that together with
		// the task's spillable consumers can cover the request, so that a hopeless request
		// does not throw cached blocks away.
		reclaimable := m.storageUsed - m.protectedStorageLocked()
		if short > 0 && reclaimable > 0 && m.evictor != nil && evictRounds < maxEvictRounds &&
			short <= reclaimable+t.spillableLocked(r, tried) && overCap <= t.spillableLocked(r, tried) {
			evictRounds++
			ev := m.evictor
			m.mu.Unlock()
			// The Evictor calls ReleaseStorage, which takes mu: call it unlocked.
			freed := ev.EvictBlocks(min(short, reclaimable))
			m.mu.Lock()
			if freed > 0 {
				m.evicted += freed
			} else {
				evictRounds = maxEvictRounds // it has nothing to give: stop asking
			}
			// Start over even when nothing was freed: while mu was dropped other tasks may
			// have released memory or ended, and their wake-up went to nobody, so the
			// figures above are stale and waiting on them could sleep out TaskWait.
			continue
		}

		// 3. The task's other spillable consumers: the smallest that covers the remainder,
		// else the largest (fewer, larger spill files than spilling the same one again).
		need := max(short, overCap)
		if c := t.pickSpillerLocked(r, need, tried); c != nil {
			before := c.size.Load()
			m.mu.Unlock()
			t.spillMu.Lock()
			_, err := c.spiller.Spill(need)
			t.spillMu.Unlock()
			m.mu.Lock()
			if err != nil {
				return fmt.Errorf("memory: %s: spilling %s to free %s: %w", r.name, c.name, FormatBytes(need), err)
			}
			// Progress is what the reservation shows, not what Spill claims, so a
			// consumer that misreports cannot make this loop spin.
			if c.size.Load() < before {
				m.spills++
			} else {
				if tried == nil {
					tried = make(map[*Reservation]bool)
				}
				tried[c] = true
			}
			continue
		}

		// 4. Below its minimum share, a task waits for others to release instead of
		// failing, if waiting can help: the request fits M_exec and another task can
		// release. A task over its cap whose request alone fits the cap is refused at once
		// instead: spilling itself is quicker than waiting for N to drop. A requester that
		// has spilled everything (spilled) has no such recourse: it waits at any holding,
		// or its success would depend on how many tasks run beside it.
		if t.ctx != nil && t.used+n <= mExec && runnable > 0 &&
			(spilled || t.used < minShare && (overCap <= 0 || n > taskCap)) {
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(m.taskWait)
			}
			if wait := deadline.Sub(now); wait > 0 {
				if err := m.waitLocked(t, wait); err != nil {
					return fmt.Errorf("memory: %s: waiting for %s in task %q: %w", r.name, FormatBytes(n), t.name, err)
				}
				evictRounds = 0
				continue
			}
		}

		// 5. Refuse; the requester spills itself and retries, or fails.
		err := m.budgetErrorLocked(r.name, n, r.size.Load()).(*BudgetError)
		if overCap > 0 && taskCap < mExec {
			err.TaskHeld, err.TaskCap, err.Tasks = t.used, taskCap, nTasks
		}
		return err
	}
}

// waitLocked blocks until memory is released or N changes, the task's context ends, or d
// passes (then it returns nil and the caller's deadline check ends the request).
func (m *Manager) waitLocked(t *Task, d time.Duration) error {
	if m.released == nil {
		m.released = make(chan struct{})
	}
	ch := m.released
	if t.waiting == 0 {
		m.waitingTasks++
	}
	t.waiting++
	m.waits++
	m.mu.Unlock()
	timer := time.NewTimer(d)
	var err error
	timedOut := false
	select {
	case <-ch:
	case <-t.ctx.Done():
		err = t.ctx.Err()
	case <-timer.C:
		timedOut = true
	}
	timer.Stop()
	m.mu.Lock()
	if timedOut {
		m.waitTimeouts++
	}
	t.waiting--
	if t.waiting == 0 {
		m.waitingTasks--
	}
	return err
}

// spillableLocked sums what the task's other spillable consumers hold.
func (t *Task) spillableLocked(self *Reservation, tried map[*Reservation]bool) int64 {
	var sum int64
	for _, c := range t.res {
		if c != self && c.spiller != nil && !tried[c] {
			sum += c.size.Load()
		}
	}
	return sum
}

// pickSpillerLocked returns the consumer to spill for need bytes: among the task's other
// spillable consumers holding memory and not yet found empty-handed, the smallest holding at
// least need, else the largest; ties go to the one created first.
func (t *Task) pickSpillerLocked(self *Reservation, need int64, tried map[*Reservation]bool) *Reservation {
	var cover, largest *Reservation
	for _, c := range t.res {
		sz := c.size.Load()
		if c == self || c.spiller == nil || sz <= 0 || tried[c] {
			continue
		}
		if sz >= need && (cover == nil || sz < cover.size.Load()) {
			cover = c
		}
		if largest == nil || sz > largest.size.Load() {
			largest = c
		}
	}
	if cover != nil {
		return cover
	}
	return largest
}
