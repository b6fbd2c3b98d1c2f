package run

import (
	"bytes"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// heapAtPeak keeps a heap profile taken near a query's resident-set peak: it polls the
// process's RSS and, whenever it has grown past the last snapshot's by a tenth, collects
// garbage and writes the heap profile to a buffer (a heap profile shows the heap as of
// the last collection: without one, a query that never triggers a collection would show
// the heap it started with). Stop writes the last snapshot next to the CPU profile, as
// <name>-heap.pprof, with the RSS it was taken at in <name>-heap.rss. The collections
// lower the query's peak somewhat: profiled runs are for finding what is live, not for
// the report's figures.
//
// Snapshots are taken only when HeapAtPeak is set (kbench -heapprofile), so that plain
// CPU profiles are not disturbed by the collections.
type heapAtPeak struct {
	stop chan struct{}
	done chan struct{}
	buf  bytes.Buffer
	rss  int64
}

// HeapAtPeak turns on the heap snapshots of profiled runs (see heapAtPeak).
var HeapAtPeak bool

func startHeapAtPeak() *heapAtPeak {
	h := &heapAtPeak{stop: make(chan struct{}), done: make(chan struct{})}
	if !HeapAtPeak {
		close(h.done)
		return h
	}
	go h.loop()
	return h
}

func (h *heapAtPeak) loop() {
	defer close(h.done)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		rss, _ := procStatus()
		if rss <= h.rss+h.rss/10 {
			continue
		}
		runtime.GC()
		h.buf.Reset()
		if err := pprof.Lookup("heap").WriteTo(&h.buf, 0); err != nil {
			h.buf.Reset()
			continue
		}
		h.rss = rss
	}
}

// Stop ends the polling and writes the snapshot beside cpuProfile (a .pprof path).
func (h *heapAtPeak) Stop(cpuProfile string) {
	close(h.stop)
	<-h.done
	if h.buf.Len() == 0 {
		return
	}
	path := strings.TrimSuffix(cpuProfile, ".pprof") + "-heap.pprof"
	if err := os.WriteFile(path, h.buf.Bytes(), 0o644); err == nil {
		_ = os.WriteFile(strings.TrimSuffix(path, ".pprof")+".rss", []byte(fmtBytes(h.rss)+"\n"), 0o644)
	}
}
