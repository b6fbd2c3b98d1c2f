package exectest

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/storage"
)

// FakeReservation refuses to hold more than limit bytes.
// FakeReservation refuses to hold more than Limit bytes with ErrFakeBudget (which is not
// memory.ErrBudgetExceeded, so operators do not spill: the tests see the refusal itself),
// and records what it was asked.
type FakeReservation struct {
	Limit, Held int64
	Grows       int
	Freed       bool
}

// ErrFakeBudget is FakeReservation's refusal.
var ErrFakeBudget = errors.New("fake budget exceeded")

// TryGrow holds n more bytes, or refuses beyond Limit.
func (r *FakeReservation) TryGrow(n int64) error {
	if r.Held+n > r.Limit {
		return fmt.Errorf("reservation test: %d + %d > %d: %w", r.Held, n, r.Limit, ErrFakeBudget)
	}
	r.Held += n
	r.Grows++
	return nil
}

// Shrink gives n bytes back; below zero is a bug in the operator under test.
func (r *FakeReservation) Shrink(n int64) {
	r.Held -= n
	if r.Held < 0 {
		panic("reservation shrunk below zero")
	}
}

// Free gives everything back and records that it was called.
func (r *FakeReservation) Free() { r.Held = 0; r.Freed = true }

// LimitReservation enforces a byte limit like the memory manager, refusing with an error
// wrapping memory.ErrBudgetExceeded, and records its peak.
type LimitReservation struct {
	mu                sync.Mutex
	Limit, Held, Peak int64
	refusals          int
}

// TryGrow holds n more bytes, or refuses beyond Limit as the memory manager would.
func (r *LimitReservation) TryGrow(n int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n < 0 {
		return fmt.Errorf("negative TryGrow %d", n)
	}
	if r.Held+n > r.Limit {
		r.refusals++
		return fmt.Errorf("test reservation: %d held + %d asked > %d: %w", r.Held, n, r.Limit, kmemory.ErrBudgetExceeded)
	}
	r.Held += n
	r.Peak = max(r.Peak, r.Held)
	return nil
}

// Shrink gives n bytes back; below zero is a bug in the operator under test.
func (r *LimitReservation) Shrink(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Held -= n
	if r.Held < 0 {
		panic("reservation shrunk below zero")
	}
}

// Free gives everything back.
func (r *LimitReservation) Free() {
	r.mu.Lock()
	r.Held = 0
	r.mu.Unlock()
}

// NewTestSpill returns a spill manager in a test directory, closed at the end.
func NewTestSpill(t *testing.T) *storage.SpillManager {
	t.Helper()
	sm, err := storage.NewSpillManager(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sm.Close() })
	return sm
}

// AssertSpillDirEmpty fails when spill files are left behind.
func AssertSpillDirEmpty(t *testing.T, sm *storage.SpillManager) {
	t.Helper()
	ents, err := os.ReadDir(sm.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) > 0 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("spill files left behind: %v", names)
	}
}
