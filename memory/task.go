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
	// alloc is the task's allocator (TrackAllocator), nil if untracked; set under m.mu.
	alloc *Allocator

	// Guarded by m.mu.
	res        []*Reservation
	used, peak int64
	requesting int  // TryGrow calls in progress
	waiting    int  // of which blocked waiting for other tasks
	active     bool // counted in m.active
	closed     bool
	// standalone: the task of a Manager.NewReservation, never counted in N.
	standalone bool
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
	m.untrackLocked(t)
	for _, r := range t.res {
		m.releaseLocked(r, r.size.Load())
	}
	m.refreshLocked(t)
	m.broadcastLocked()
}

// refreshLocked keeps m.active equal to the number of open tasks holding or requesting memory
// and wakes waiters when it changes, since N sets every task's cap and minimum share.
func (m *Manager) refreshLocked(t *Task) {
	act := !t.closed && !t.standalone && (t.used > 0 || t.requesting > 0)
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

// acquire is the slow path of TryGrow (a with neither flag), TryGrowSpilled (spilled) and
// TryGrowNow (noWait); see the package documentation for the order of steps.
func (m *Manager) acquire(a *acquisition) error {
	t := a.r.task
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.closed {
		return fmt.Errorf("memory: %s: request of %s after task %q was closed", a.r.name, FormatBytes(a.n), t.name)
	}
	t.requesting++
	m.refreshLocked(t)
	defer func() {
		t.requesting--
		m.refreshLocked(t)
	}()
	return m.acquireLocked(a)
}

// acquisition is the state of one slow-path TryGrow across the rounds of acquireLocked.
type acquisition struct {
	r           *Reservation
	n           int64
	noWait      bool                  // TryGrowNow: refuse rather than wait for other tasks
	spilled     bool                  // TryGrowSpilled: the requester has nothing left to spill
	tried       map[*Reservation]bool // consumers that freed nothing for this request
	evictRounds int
	deadline    time.Time // when waiting for other tasks gives up; zero until the first wait
}

// shares are the figures one round of acquireLocked decides on, all read under mu.
type shares struct {
	mExec    int64
	nTasks   int
	runnable int // tasks other than the requester's that are not blocked
	taskCap  int64
	minShare int64
	overCap  int64 // how far the request takes the task over its cap
	short    int64 // how much of the request free memory lacks
	// streamingOnly: free memory lacks the request only because of streaming bytes
	// (streaming.go), whose release wakes nobody: the request must not wait for them.
	streamingOnly bool
}

func (m *Manager) sharesLocked(r *Reservation, n int64, spilled bool) shares {
	t := r.task
	s := shares{mExec: m.maxExecution(), nTasks: max(m.active, 1)}
	// Tasks other than t that are not blocked: only they can release memory for t.
	s.runnable = m.active - m.waitingTasks - 1
	if t.standalone {
		s.nTasks, s.runnable = m.active+1, m.active-m.waitingTasks
	}
	s.taskCap = s.mExec / int64(s.nTasks)
	if s.runnable <= 0 {
		// Everyone else waits for memory: holding t to 1/N would leave them all
		// stuck; t may use what it can and will be made to spill by the budget.
		s.taskCap = s.mExec
	}
	s.minShare = s.mExec / int64(2*s.nTasks)
	s.overCap = t.used + n - s.taskCap
	s.short = n - m.free()
	if s.short <= 0 && r.countsStreaming(spilled) && len(m.tracked) > 0 {
		if short := n - (m.free() - m.streamingLocked()); short > 0 {
			s.short, s.streamingOnly = short, true
		}
	}
	return s
}

// acquireLocked runs with mu held and returns with it held. It drops mu around calls to the
// Evictor and to Spillers, and while waiting; after each it starts the loop over, so no
// decision uses figures read before mu was dropped (a release that happened meanwhile woke
// nobody, and a wait decided on stale figures would sleep until TaskWait).
func (m *Manager) acquireLocked(a *acquisition) error {
	r, n, spilled := a.r, a.n, a.spilled
	t := r.task
	for {
		if t.closed {
			return fmt.Errorf("memory: %s: task %q closed while TryGrow of %s was in progress", r.name, t.name, FormatBytes(n))
		}
		s := m.sharesLocked(r, n, spilled)

		// 1. Free memory within the task's cap.
		if s.overCap <= 0 && s.short <= 0 {
			m.grantLocked(r, n)
			return nil
		}

		// 2. Storage above its region, through the Evictor.
		if amount := m.evictableLocked(a, s); amount > 0 {
			m.evictLocked(a, amount)
			continue
		}

		// 3. The task's other spillable consumers: the smallest that covers the remainder,
		// else the largest (fewer, larger spill files than spilling the same one again).
		need := max(s.short, s.overCap)
		if c := t.pickSpillerLocked(r, need, a.tried); c != nil {
			if err := m.spillOtherLocked(a, c, need); err != nil {
				return err
			}
			continue
		}

		// 4. Wait for other tasks to release.
		waited, err := m.waitForShareLocked(a, s)
		if err != nil {
			return err
		}
		if waited {
			continue
		}

		// 5. Refuse; the requester spills itself and retries, or fails.
		return m.refuseLocked(a, s)
	}
}

// evictableLocked returns how many bytes of storage above its region to ask the Evictor
// for, or 0 not to ask: it asks only when that together with the task's spillable
// consumers can cover the request, so that a hopeless request does not throw cached
// blocks away.
func (m *Manager) evictableLocked(a *acquisition, s shares) int64 {
	t := a.r.task
	reclaimable := m.storageUsed - m.protectedStorageLocked()
	if s.short > 0 && reclaimable > 0 && m.evictor != nil && a.evictRounds < maxEvictRounds &&
		s.short <= reclaimable+t.spillableLocked(a.r, a.tried) && s.overCap <= t.spillableLocked(a.r, a.tried) {
		return min(s.short, reclaimable)
	}
	return 0
}

// evictLocked asks the Evictor for amount bytes, dropping mu meanwhile.
func (m *Manager) evictLocked(a *acquisition, amount int64) {
	a.evictRounds++
	ev := m.evictor
	m.mu.Unlock()
	// The Evictor calls ReleaseStorage, which takes mu: call it unlocked.
	freed := ev.EvictBlocks(amount)
	m.mu.Lock()
	if freed > 0 {
		m.evicted += freed
	} else {
		a.evictRounds = maxEvictRounds // it has nothing to give: stop asking
	}
	// The caller starts over even when nothing was freed: while mu was dropped other tasks
	// may have released memory or ended, and their wake-up went to nobody, so the figures
	// it had are stale and waiting on them could sleep out TaskWait.
}

// spillOtherLocked asks consumer c of the requester's task to spill need bytes, dropping mu
// meanwhile, and marks c as tried when it freed nothing.
func (m *Manager) spillOtherLocked(a *acquisition, c *Reservation, need int64) error {
	t := a.r.task
	before := c.size.Load()
	m.mu.Unlock()
	t.spillMu.Lock()
	_, err := c.spiller.Spill(need)
	t.spillMu.Unlock()
	m.mu.Lock()
	if err != nil {
		return fmt.Errorf("memory: %s: spilling %s to free %s: %w", a.r.name, c.name, FormatBytes(need), err)
	}
	// Progress is what the reservation shows, not what Spill claims, so a consumer that
	// misreports cannot make acquireLocked spin.
	if c.size.Load() < before {
		m.spills++
		return nil
	}
	if a.tried == nil {
		a.tried = make(map[*Reservation]bool)
	}
	a.tried[c] = true
	return nil
}

// waitForShareLocked waits for other tasks to release memory if the requester may, and
// reports whether it waited.
//
// Below its minimum share, a task waits for others to release instead of failing, if
// waiting can help: the request fits M_exec and another task can release. A task over its
// cap whose request alone fits the cap is refused at once instead: spilling itself is
// quicker than waiting for N to drop. A requester that has spilled everything (spilled)
// has no such recourse: it waits at any holding, or its success would depend on how many
// tasks run beside it.
func (m *Manager) waitForShareLocked(a *acquisition, s shares) (bool, error) {
	t, n := a.r.task, a.n
	if t.ctx == nil || a.noWait || t.used+n > s.mExec || s.runnable <= 0 || s.streamingOnly ||
		!(a.spilled || t.used < s.minShare && (s.overCap <= 0 || n > s.taskCap)) {
		return false, nil
	}
	now := time.Now()
	if a.deadline.IsZero() {
		a.deadline = now.Add(m.taskWait)
	}
	wait := a.deadline.Sub(now)
	if wait <= 0 {
		return false, nil
	}
	if err := m.waitLocked(t, wait); err != nil {
		return false, fmt.Errorf("memory: %s: waiting for %s in task %q: %w", a.r.name, FormatBytes(n), t.name, err)
	}
	a.evictRounds = 0
	return true, nil
}

// refuseLocked builds the error of a request nothing could make room for.
func (m *Manager) refuseLocked(a *acquisition, s shares) error {
	err := m.budgetErrorLocked(a.r.name, a.n, a.r.size.Load()).(*BudgetError)
	if s.overCap > 0 && s.taskCap < s.mExec {
		err.TaskHeld, err.TaskCap, err.Tasks = a.r.task.used, s.taskCap, s.nTasks
	}
	return err
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
	start := time.Now()
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
	m.waitTime += time.Since(start)
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
