package memory

import "testing"

func TestPeakWatchSeesOnlyItsSpan(t *testing.T) {
	m := NewManager(Config{Limit: 1 << 20})
	r := m.NewReservation("r")
	if err := r.TryGrow(600 << 10); err != nil {
		t.Fatal(err)
	}
	r.Shrink(500 << 10)
	w := m.WatchPeaks()
	if e, s := w.Peaks(); e != 100<<10 || s != 0 {
		t.Errorf("at start: peaks %d, %d; want the memory in use, %d and 0", e, s, 100<<10)
	}
	if err := r.TryGrow(100 << 10); err != nil {
		t.Fatal(err)
	}
	if err := m.AcquireStorage(50 << 10); err != nil {
		t.Fatal(err)
	}
	r.Free()
	m.ReleaseStorage(50 << 10)
	w.Stop()
	w.Stop()
	if err := r.TryGrow(900 << 10); err != nil {
		t.Fatal(err)
	}
	r.Free()
	if e, s := w.Peaks(); e != 200<<10 || s != 50<<10 {
		t.Errorf("peaks %d, %d; want %d, %d (the manager's are %d)", e, s, 200<<10, 50<<10, m.Stats().PeakExecution)
	}
	if got := m.Stats().PeakExecution; got != 900<<10 {
		t.Errorf("manager's PeakExecution %d, want %d", got, 900<<10)
	}
	if len(m.watches) != 0 {
		t.Errorf("%d watches left after Stop", len(m.watches))
	}
}
