package memory

import (
	"math"
	"runtime/debug"
	"sync"
)

// goRuntimeOverhead is the part of a budget's Go soft limit for what is not data: the
// runtime and its metadata, goroutine stacks, the program's own small structures.
const goRuntimeOverhead = 96 << 20

// GoLimitForBudget is the Go runtime's soft memory limit (runtime/debug.SetMemoryLimit) that
// a budget of limit bytes asks for: limit + limit/4 + 96 MiB. The budget counts what
// operators reserve and, up to a quarter of it, the Arrow bytes tasks hold beyond their
// reservations (batches streaming between operators, see Task.TrackAllocator); the quarter
// more is room for garbage between collections and for what nothing counts (readers'
// buffers, dictionaries), and 96 MiB is for the runtime itself. The collector thus keeps
// the process within about 1.25 times its budget (plus the constant), at the cost of
// collecting more often when the budget is nearly full; a derived budget (60% of
// physical memory) asks for about three quarters of physical memory.
func GoLimitForBudget(limit int64) int64 {
	if limit <= 0 {
		return 0
	}
	if limit > (math.MaxInt64-goRuntimeOverhead)/5*4 {
		return math.MaxInt64
	}
	return limit + limit/4 + goRuntimeOverhead
}

// goLimits is the process-wide state of the soft limits that open budgets hold: their sum is
// the Go runtime's soft limit while at least one is held, unless the program set a limit
// of its own (GOMEMLIMIT or SetMemoryLimit), which is never changed.
var goLimits struct {
	mu sync.Mutex
	// holders counts the limits held; sum is their total.
	holders int
	sum     int64
	// prev is the limit in force before the first hold, restored after the last release.
	prev int64
	// set is the limit this package last set, 0 when it set none: a different limit in
	// force means the program changed it meanwhile, and it is then left alone.
	set int64
	// user is true while the program's own limit is in force: held limits are counted but
	// never applied.
	user bool
}

// GoLimitHold is one budget's share of the Go runtime's soft memory limit
// (HoldGoMemoryLimit). Its methods are safe for concurrent use.
type GoLimitHold struct {
	mu       sync.Mutex
	share    int64 // what the hold adds to the sum; 0 for a hold of nothing
	released bool
}

// HoldGoMemoryLimit adds GoLimitForBudget(limit) to the Go runtime's soft memory limit
// until Release. The process's soft limit is the sum over the held shares, so that
// several sessions each keep theirs; the last release restores the limit that was in
// force before the first hold. A limit the program set itself (GOMEMLIMIT, or
// debug.SetMemoryLimit before the first hold or while shares are held) is respected: it is
// neither lowered nor raised.
func HoldGoMemoryLimit(limit int64) *GoLimitHold {
	h := &GoLimitHold{share: GoLimitForBudget(limit)}
	if h.share <= 0 {
		h.share = 0
		return h
	}
	goLimits.mu.Lock()
	defer goLimits.mu.Unlock()
	if goLimits.holders == 0 {
		goLimits.prev = debug.SetMemoryLimit(-1)
		goLimits.user = goLimits.prev != math.MaxInt64
		goLimits.set = 0
	}
	goLimits.holders++
	goLimits.sum = satAdd(goLimits.sum, h.share)
	applyGoLimitLocked()
	return h
}

// AddUntracked raises the share by n bytes that its holder keeps in memory outside its
// budget, such as a session's in-memory input batches (negative n gives them back): the
// collector must not be made to fight live data the budget does not count.
func (h *GoLimitHold) AddUntracked(n int64) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released || h.share == 0 || n == 0 {
		return
	}
	n = max(n, -(h.share - 1)) // the share stays positive
	goLimits.mu.Lock()
	defer goLimits.mu.Unlock()
	h.share += n
	goLimits.sum = satAdd(goLimits.sum, n)
	applyGoLimitLocked()
}

// Release gives the share back. It is idempotent.
func (h *GoLimitHold) Release() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released || h.share == 0 {
		h.released = true
		return
	}
	h.released = true
	goLimits.mu.Lock()
	defer goLimits.mu.Unlock()
	goLimits.holders--
	goLimits.sum -= h.share
	if goLimits.holders > 0 {
		applyGoLimitLocked()
		return
	}
	goLimits.sum = 0
	if !goLimits.user && debug.SetMemoryLimit(-1) == goLimits.set {
		debug.SetMemoryLimit(goLimits.prev)
	}
	goLimits.set = 0
}

// applyGoLimitLocked sets the runtime's limit to the held sum unless the program's own
// limit is in force; goLimits.mu must be held.
func applyGoLimitLocked() {
	if goLimits.user {
		return
	}
	if cur := debug.SetMemoryLimit(-1); goLimits.set != 0 && cur != goLimits.set {
		// The program set a limit while ours was in force: from now on it is theirs.
		goLimits.user = true
		return
	}
	debug.SetMemoryLimit(goLimits.sum)
	goLimits.set = goLimits.sum
}

// programGoLimit returns the Go soft limit the program set (GOMEMLIMIT or SetMemoryLimit),
// or math.MaxInt64 when there is none: a limit held for open budgets does not count, so
// that a derived budget does not shrink to another session's share.
func programGoLimit() int64 {
	goLimits.mu.Lock()
	defer goLimits.mu.Unlock()
	cur := debug.SetMemoryLimit(-1)
	if goLimits.holders > 0 && !goLimits.user && cur == goLimits.set {
		return goLimits.prev
	}
	return cur
}

// satAdd is a+b, saturating at MaxInt64 (b may be negative).
func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
