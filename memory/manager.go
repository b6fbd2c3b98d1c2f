package memory

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrBudgetExceeded is the sentinel wrapped by every refusal of the memory manager. Callers
// decide to spill with errors.Is(err, ErrBudgetExceeded), and check with errors.As and a
// *BudgetError that the refused reservation is their own.
var ErrBudgetExceeded = errors.New("memory: budget exceeded")

// maxEvictRounds bounds how often one TryGrow asks the Evictor for memory: between rounds the
// manager lock is dropped and another goroutine may take what was freed (Spark re-evicts on
// every loop iteration for the same reason), but a request must not spin forever.
const maxEvictRounds = 3

// Evictor gives storage memory back to execution. The storage layer registers one with
// SetEvictor; the manager calls it, without holding its own lock, when an execution request
// needs memory that storage holds beyond its region.
type Evictor interface {
	// EvictBlocks frees at least need bytes of storage memory if it can, by dropping or
	// writing out cached blocks in LRU order and calling ReleaseStorage for them. It returns
	// the bytes released. It must not call execution-side methods (TryGrow, Grow, Resize)
	// of the manager.
	EvictBlocks(need int64) int64
}

// BudgetError describes a refused request. It wraps ErrBudgetExceeded.
type BudgetError struct {
	// Name names the reservation that asked, or "storage" for AcquireStorage.
	Name string
	// Requested is the refused request in bytes.
	Requested int64
	// Held is what the requester held when it asked.
	Held int64
	// ExecutionUsed, StorageUsed and Limit describe the manager at the time of the refusal.
	ExecutionUsed, StorageUsed, Limit int64
	// TaskHeld, TaskCap and Tasks are set when the request would have taken the requester's
	// task past its cap M_exec/N: what the whole task held, the cap, and N.
	TaskHeld, TaskCap int64
	Tasks             int
}

// Error names the requester, the request, its holdings and the budget, and the task's cap
// when that is what refused it.
func (e *BudgetError) Error() string {
	s := fmt.Sprintf("%v: %s asked for %s, holds %s; execution in use %s, storage in use %s of budget %s",
		ErrBudgetExceeded, e.Name, FormatBytes(e.Requested), FormatBytes(e.Held),
		FormatBytes(e.ExecutionUsed), FormatBytes(e.StorageUsed), FormatBytes(e.Limit))
	if e.Tasks > 0 {
		s += fmt.Sprintf("; its task holds %s of its cap %s (1/%d of execution memory)",
			FormatBytes(e.TaskHeld), FormatBytes(e.TaskCap), e.Tasks)
	}
	return s
}

// Unwrap returns ErrBudgetExceeded.
func (e *BudgetError) Unwrap() error { return ErrBudgetExceeded }

// Stats is a snapshot of the manager's accounting.
type Stats struct {
	// Limit is the budget in bytes.
	Limit int64
	// StorageRegion is Limit × StorageFraction: storage memory below it is never evicted.
	StorageRegion int64
	// ExecutionUsed and StorageUsed are the bytes held now.
	ExecutionUsed, StorageUsed int64
	// PeakExecution and PeakStorage are the high-water marks since NewManager (a
	// PeakWatch gives them over a shorter span, such as one job).
	PeakExecution, PeakStorage int64
	// EvictedBytes counts storage bytes the Evictor released for execution.
	EvictedBytes int64
	// Spills counts Spiller.Spill calls, made for another consumer of the same task, after
	// which the spilled consumer's reservation was smaller.
	Spills int64
	// WaitCount counts the times a task below its minimum share blocked in TryGrow until
	// another task released memory.
	WaitCount int64
	// WaitTime is how long those waits took in all (tasks waiting at once each count).
	WaitTime time.Duration
	// WaitTimeouts counts the waits that ended because Config.TaskWait passed with nothing
	// released: each is a TryGrow that stalled the full TaskWait. Outside a genuinely
	// overloaded budget it should stay 0.
	WaitTimeouts int64
	// ActiveTasks is N now: the tasks holding or requesting execution memory.
	ActiveTasks int
	// Streaming is the Arrow bytes tracked tasks hold beyond their reservations, as they
	// count against the budget (at most a quarter of it; Task.TrackAllocator), and
	// PeakStreaming its high-water mark as far as requests saw it.
	Streaming, PeakStreaming int64
}

// Manager is the unified memory manager: one budget shared by execution (reservations, grouped
// by task) and storage (cached and shuffle blocks) with a soft boundary between them. It is
// safe for concurrent use.
type Manager struct {
	limit         int64
	storageRegion int64
	taskWait      time.Duration

	mu sync.Mutex
	// Everything below is guarded by mu.
	execUsed, storageUsed int64
	peakExec, peakStorage int64
	evicted, spills       int64
	waits, waitTimeouts   int64
	waitTime              time.Duration
	evictor               Evictor
	// active is N, the tasks holding or requesting execution memory; waitingTasks is how
	// many of them are blocked in TryGrow.
	active, waitingTasks int
	// released is closed (and cleared) whenever memory is released or N changes, waking
	// every waiting TryGrow; nil while nobody waits. A channel rather than a sync.Cond so
	// that a wait can also end on the task's ctx and on its deadline.
	released chan struct{}
	// holding holds the reservations whose size is non-zero, so Close can name leaks without
	// keeping every reservation ever created alive.
	holding map[*Reservation]struct{}
	// watches are the running PeakWatches (a job's peaks).
	watches []*PeakWatch
	// tracked are the open tasks whose allocators count (TrackAllocator);
	// peakStreaming is the most streaming bytes counted at once.
	tracked       []*Task
	peakStreaming int64
}

// NewManager returns a manager for cfg after EnsureDefaults. Invalid values do not panic:
// a negative Limit is treated as 0 (derived), StorageFraction is clamped to [0, 1] and a
// negative TaskWait means the default; call Config.Validate first to report them instead.
func NewManager(cfg Config) *Manager {
	if cfg.Limit < 0 {
		cfg.Limit = 0
	}
	if cfg.StorageFraction != cfg.StorageFraction { // NaN
		cfg.StorageFraction = 0
	}
	cfg.StorageFraction = min(max(cfg.StorageFraction, 0), 1)
	if cfg.TaskWait < 0 {
		cfg.TaskWait = 0
	}
	cfg.EnsureDefaults()
	return &Manager{
		limit:         cfg.Limit,
		storageRegion: int64(float64(cfg.Limit) * cfg.StorageFraction),
		taskWait:      cfg.TaskWait,
		holding:       make(map[*Reservation]struct{}),
	}
}

// SetEvictor registers the storage layer's evictor (nil removes it). Without one, execution
// can use only free memory.
func (m *Manager) SetEvictor(e Evictor) {
	m.mu.Lock()
	m.evictor = e
	m.mu.Unlock()
}

// Limit returns the budget in bytes.
func (m *Manager) Limit() int64 { return m.limit }

// NewReservation returns an empty execution reservation for one consumer that belongs to no
// Task, such as a broadcast join's build side that every task of a stage reads. Its bytes
// count against the budget and it is capped as one more task would be (M_exec/(N+1)), but
// it is not one of the N tasks: it lives as long as what it serves, so a task that waited
// for it to release, or for N to drop when it did, would wait until Config.TaskWait ran
// out. It has no other consumers to spill and no context, so its TryGrow never waits. The
// name appears in budget errors and in Close's leak report; use the operator and where it
// runs, for example "hash-join broadcast build side@stage 2".
func (m *Manager) NewReservation(name string) *Reservation {
	t := &Task{m: m, name: name, standalone: true}
	r := &Reservation{m: m, task: t, name: name}
	t.res = []*Reservation{r}
	return r
}

// free returns unused memory; mu must be held.
func (m *Manager) free() int64 { return m.limit - m.execUsed - m.storageUsed }

// maxExecution is M_exec, what execution may use in all: the budget less the storage that
// execution cannot evict (Spark's computeMaxExecutionPoolSize). mu must be held.
func (m *Manager) maxExecution() int64 {
	return m.limit - m.protectedStorageLocked()
}

// ProtectedStorage is implemented by an Evictor that knows how much of the storage it
// holds is cached data (which the storage region protects from eviction by execution); the
// rest (shuffle blocks kept in memory for speed) can always be moved out.
type ProtectedStorage interface {
	ProtectedBytes() int64
}

// protectedStorageLocked is the storage memory execution may not reclaim: cached data up
// to the storage region. The Evictor's ProtectedBytes must not take locks (it is read
// under mu).
func (m *Manager) protectedStorageLocked() int64 {
	p := m.storageUsed
	if pe, ok := m.evictor.(ProtectedStorage); ok {
		p = min(p, pe.ProtectedBytes())
	}
	return min(p, m.storageRegion)
}

// broadcastLocked wakes every waiting TryGrow; mu must be held.
func (m *Manager) broadcastLocked() {
	if m.released != nil {
		close(m.released)
		m.released = nil
	}
}

func (m *Manager) grantLocked(r *Reservation, n int64) {
	m.execUsed += n
	m.peakExec = max(m.peakExec, m.execUsed)
	m.notePeaksLocked()
	if r.size.Add(n) != 0 {
		m.holding[r] = struct{}{}
	} else {
		delete(m.holding, r)
	}
	t := r.task
	t.used += n
	t.peak = max(t.peak, t.used)
	m.refreshLocked(t)
}

// releaseLocked returns n ≤ r.Size() bytes of r; mu must be held.
func (m *Manager) releaseLocked(r *Reservation, n int64) {
	if n <= 0 {
		return
	}
	m.execUsed -= n
	if r.size.Add(-n) == 0 {
		delete(m.holding, r)
	}
	r.task.used -= n
	m.refreshLocked(r.task)
	m.broadcastLocked()
}

func (m *Manager) budgetErrorLocked(name string, n, held int64) error {
	return &BudgetError{
		Name: name, Requested: n, Held: held,
		ExecutionUsed: m.execUsed, StorageUsed: m.storageUsed, Limit: m.limit,
	}
}

// AcquireStorage charges n bytes of storage memory. Storage may use any free memory but never
// evicts execution; it returns an error wrapping ErrBudgetExceeded when free memory is short.
// Evicting other cached blocks to make room is the storage layer's decision, not this one's.
func (m *Manager) AcquireStorage(n int64) error {
	if n < 0 {
		return fmt.Errorf("memory: AcquireStorage of negative size %d", n)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if n > m.free()-m.streamingLocked() {
		return m.budgetErrorLocked("storage", n, m.storageUsed)
	}
	m.storageUsed += n
	m.peakStorage = max(m.peakStorage, m.storageUsed)
	m.notePeaksLocked()
	return nil
}

// ReleaseStorage returns n bytes of storage memory. Releasing more than is held clamps to zero.
func (m *Manager) ReleaseStorage(n int64) {
	if n <= 0 {
		return
	}
	m.mu.Lock()
	m.storageUsed = max(0, m.storageUsed-n)
	m.broadcastLocked()
	m.mu.Unlock()
}

// Stats returns a snapshot of the accounting.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Stats{
		Limit:         m.limit,
		StorageRegion: m.storageRegion,
		ExecutionUsed: m.execUsed,
		StorageUsed:   m.storageUsed,
		PeakExecution: m.peakExec,
		PeakStorage:   m.peakStorage,
		EvictedBytes:  m.evicted,
		Spills:        m.spills,
		WaitCount:     m.waits,
		WaitTime:      m.waitTime,
		WaitTimeouts:  m.waitTimeouts,
		ActiveTasks:   m.active,
		Streaming:     m.streamingLocked(),
		PeakStreaming: m.peakStreaming,
	}
}

// Close reports memory still held: every reservation with a non-zero size, by name and bytes,
// and storage memory not yet released. It does not free anything; the manager stays usable.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.holding) == 0 && m.storageUsed == 0 {
		return nil
	}
	var leaks []string
	for r := range m.holding {
		leaks = append(leaks, fmt.Sprintf("%s holds %s", r.name, FormatBytes(r.size.Load())))
	}
	slices.Sort(leaks)
	if m.storageUsed != 0 {
		leaks = append(leaks, fmt.Sprintf("storage holds %s", FormatBytes(m.storageUsed)))
	}
	return fmt.Errorf("memory: %d outstanding at close: %s", len(leaks), strings.Join(leaks, "; "))
}

// Reservation is the execution memory held by one consumer (an operator in one task). Its
// methods are safe for concurrent use, though a consumer normally owns it alone. The zero
// size is the resting state: Free returns everything and the reservation may grow again.
type Reservation struct {
	m       *Manager
	task    *Task
	spiller Spiller
	name    string
	// size is written under m.mu and read without it by Size.
	size atomic.Int64
}

// Name returns the consumer name given to NewReservation.
func (r *Reservation) Name() string { return r.name }

// Limit returns the budget of the reservation's manager, so that a consumer can size
// what it reserves ahead of need (GrowStep).
func (r *Reservation) Limit() int64 { return r.m.limit }

// GrowStep is how much a consumer holding held bytes should ask for when it misses
// missing more: at least doubling, and at least 1 MiB, so that it asks rarely, but with
// no more than 1/32 of limit (the budget; 0 if unknown) beyond missing. Memory reserved
// ahead of need is memory other consumers are refused, and a consumer with nothing to
// spill that is refused fails; under small budgets the slack must stay small.
func GrowStep(limit, missing, held int64) int64 {
	grow := max(missing, 1<<20, held)
	if limit > 0 {
		grow = min(grow, max(missing, missing+limit/32))
	}
	return grow
}

// Size returns the bytes held.
func (r *Reservation) Size() int64 { return r.size.Load() }

// TryGrow reserves n more bytes, or fails without changing the size. Call it before building
// or buffering batches: the Arrow allocator cannot refuse, so this is where the budget holds.
// The steps (see the package documentation) are: free memory within the task's cap M_exec/N;
// eviction of storage above its region; spilling the task's other spillable consumers;
// waiting while the task holds less than M_exec/2N. A refusal is a *BudgetError (wrapping
// ErrBudgetExceeded) naming this reservation, the request, the bytes held and the budget; an
// error of a Spiller or the end of the task's context while waiting is returned wrapped.
// TryGrow must not be called from a Spiller's Spill.
func (r *Reservation) TryGrow(n int64) error {
	if n < 0 {
		return fmt.Errorf("memory: %s: TryGrow of negative size %d", r.name, n)
	}
	if n == 0 {
		return nil
	}
	return r.m.acquire(&acquisition{r: r, n: n})
}

// TryGrowSpilled is TryGrow for a consumer that has spilled all it can, so that n completes
// its minimum working set. Where TryGrow refuses a task above its minimum share M_exec/2N
// (its owner would spill itself), TryGrowSpilled waits for other tasks to release memory
// or end, as long as the task's holdings and n fit M_exec and another task is not itself
// waiting: whether such a request succeeds then depends on the budget, not on how many
// tasks happen to run at once. When every other task waits, nobody can release and it is
// refused as TryGrow would be, so waiters never wait for each other.
func (r *Reservation) TryGrowSpilled(n int64) error {
	if n < 0 {
		return fmt.Errorf("memory: %s: TryGrowSpilled of negative size %d", r.name, n)
	}
	if n == 0 {
		return nil
	}
	return r.m.acquire(&acquisition{r: r, n: n, spilled: true})
}

// TryGrowNow is TryGrow that never waits for other tasks to release memory: for memory its
// owner can do without, such as a cached partition's unroll buffer (refused, the partition
// goes to disk a chunk at a time). Waiting for it would only delay the task: the memory a
// finished task releases is taken by the block it stored.
func (r *Reservation) TryGrowNow(n int64) error {
	if n < 0 {
		return fmt.Errorf("memory: %s: TryGrowNow of negative size %d", r.name, n)
	}
	if n == 0 {
		return nil
	}
	return r.m.acquire(&acquisition{r: r, n: n, noWait: true})
}

// Grow records n bytes that are already allocated, even past the budget or the task's cap:
// accounting must follow reality. Later TryGrow calls see the overshoot.
func (r *Reservation) Grow(n int64) {
	if n <= 0 {
		return
	}
	r.m.mu.Lock()
	r.m.grantLocked(r, n)
	r.m.mu.Unlock()
}

// Shrink returns n bytes. Shrinking by more than is held returns everything held.
func (r *Reservation) Shrink(n int64) {
	if n <= 0 {
		return
	}
	r.m.mu.Lock()
	r.m.releaseLocked(r, min(n, r.size.Load()))
	r.m.mu.Unlock()
}

// Resize sets the reservation to n bytes, growing with TryGrow or shrinking.
func (r *Reservation) Resize(n int64) error {
	if n < 0 {
		return fmt.Errorf("memory: %s: Resize to negative size %d", r.name, n)
	}
	cur := r.size.Load()
	switch {
	case n > cur:
		return r.TryGrow(n - cur)
	case n < cur:
		r.Shrink(cur - n)
	}
	return nil
}

// Free returns everything the reservation holds. It is idempotent.
func (r *Reservation) Free() {
	r.m.mu.Lock()
	r.m.releaseLocked(r, r.size.Load())
	r.m.mu.Unlock()
}
