package memory

import "slices"

// PeakWatch records the high-water marks of execution and storage memory from its start
// (Manager.WatchPeaks) until Stop, so that a job reports its own peaks rather than the
// manager's since it was made. Memory other jobs of the same manager hold at the time
// counts too: the peak is of the budget while the job ran.
type PeakWatch struct {
	m *Manager
	// Guarded by m.mu.
	exec, storage int64
	stopped       bool
}

// WatchPeaks starts a PeakWatch at the memory in use now.
func (m *Manager) WatchPeaks() *PeakWatch {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := &PeakWatch{m: m, exec: m.execUsed, storage: m.storageUsed}
	m.watches = append(m.watches, w)
	return w
}

// Peaks returns the highest execution and storage memory in use at once since the watch
// started (until Stop, if it was stopped).
func (w *PeakWatch) Peaks() (execution, storage int64) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	return w.exec, w.storage
}

// Stop ends the watch; Peaks keeps returning what it saw. It is idempotent.
func (w *PeakWatch) Stop() {
	m := w.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if w.stopped {
		return
	}
	w.stopped = true
	m.watches = slices.DeleteFunc(m.watches, func(x *PeakWatch) bool { return x == w })
}

// notePeaksLocked raises the watches' marks to the memory in use now; mu must be held.
func (m *Manager) notePeaksLocked() {
	for _, w := range m.watches {
		w.exec = max(w.exec, m.execUsed)
		w.storage = max(w.storage, m.storageUsed)
	}
}
