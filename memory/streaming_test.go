package memory

import (
	"context"
	"errors"
	"testing"
)

// TestStreamingBytesMakeSpillersSpillEarlier: the Arrow bytes a task holds beyond its
// reservations lower what a spillable consumer holding memory may grow to, at most by a
// quarter of the budget, without waiting; consumers with nothing held or nothing to spill,
// and TryGrowSpilled, see only the reservations.
func TestStreamingBytesMakeSpillersSpillEarlier(t *testing.T) {
	const mib = 1 << 20
	m := NewManager(Config{Limit: 200 * mib})
	// Another task holding memory: without the streaming rule, a refused request below
	// its minimum share would wait for it.
	other := m.NewTask(context.Background(), "other")
	otherRes := other.NewReservation("other-op", nil)
	if err := otherRes.TryGrow(90 * mib); err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	task := m.NewTask(context.Background(), "task")
	defer task.Close()
	alloc := NewAllocator(nil)
	task.TrackAllocator(alloc)
	spiller := task.NewReservation("spiller", spillerFunc(func(int64) (int64, error) { return 0, nil }))
	plain := task.NewReservation("plain", nil)
	fresh := task.NewReservation("fresh", spillerFunc(func(int64) (int64, error) { return 0, nil }))
	if err := spiller.TryGrow(5 * mib); err != nil {
		t.Fatal(err)
	}
	buf := alloc.Allocate(80 * mib) // 75 MiB beyond the reservations: 50 MiB (a quarter) count
	if got := m.Stats().Streaming; got != 50*mib {
		t.Fatalf("Streaming = %d MiB, want 50 (capped at a quarter of the budget)", got/mib)
	}
	// Free memory is 105 MiB; less the streaming share, 55 (the task's cap is 100).
	err := spiller.TryGrow(60 * mib)
	var be *BudgetError
	if !errors.As(err, &be) {
		t.Fatalf("spillable consumer over budget with streaming bytes: err = %v, want a *BudgetError", err)
	}
	if w := m.Stats().WaitCount; w != 0 {
		t.Errorf("a request short only of streaming bytes waited %d times", w)
	}
	if err := spiller.TryGrow(50 * mib); err != nil {
		t.Errorf("spillable consumer within budget less streaming: %v", err)
	}
	spiller.Shrink(50 * mib)
	// A consumer that cannot spill, one that holds nothing, and a minimum working set
	// see only the reservations.
	if err := plain.TryGrow(80 * mib); err != nil {
		t.Errorf("non-spillable consumer: %v", err)
	}
	plain.Free()
	if err := fresh.TryGrow(80 * mib); err != nil {
		t.Errorf("consumer holding nothing: %v", err)
	}
	fresh.Free()
	if err := spiller.TryGrowSpilled(80 * mib); err != nil {
		t.Errorf("TryGrowSpilled: %v", err)
	}
	spiller.Shrink(80 * mib)
	// Released streaming bytes count no more.
	alloc.Free(buf)
	if err := spiller.TryGrow(90 * mib); err != nil {
		t.Errorf("after the streaming bytes were freed: %v", err)
	}
	if s := m.Stats(); s.Streaming != 0 || s.PeakStreaming != 50*mib {
		t.Errorf("Streaming %d, PeakStreaming %d MiB; want 0 and 50", s.Streaming, s.PeakStreaming/mib)
	}
	// Storage sees streaming bytes too.
	spiller.Free()
	buf = alloc.Allocate(30 * mib)
	if err := m.AcquireStorage(100 * mib); err == nil {
		t.Errorf("storage of 100 MiB with 110 MiB free less 30 MiB streaming: granted")
		m.ReleaseStorage(100 * mib)
	}
	alloc.Free(buf)
	task.Close()
	if s := m.Stats(); s.Streaming != 0 || len(m.tracked) != 0 {
		t.Errorf("after Close: Streaming %d, %d tasks tracked", s.Streaming, len(m.tracked))
	}
}

// spillerFunc adapts a function to Spiller.
type spillerFunc func(need int64) (int64, error)

func (f spillerFunc) Spill(need int64) (int64, error) { return f(need) }
