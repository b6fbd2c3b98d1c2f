package run

import (
	"bytes"
	"os"
	"runtime/pprof"
	"strings"
	"time"
)

// heapAtPeak keeps a heap profile taken near a query's resident-set peak: it polls the
// process's RSS and, whenever it has grown past the last snapshot's by 5%, writes the heap
// profile (in-use figures as of the last collection) to a buffer. Stop writes the last
// snapshot next to the CPU profile, as <name>-heap.pprof, with the RSS it was taken at in
// the log. Polling every 20 ms costs nothing measurable; a snapshot costs a few ms.
type heapAtPeak struct {
	stop chan struct{}
	done chan struct{}
	buf  bytes.Buffer
	rss  int64
}

func startHeapAtPeak() *heapAtPeak {
	h := &heapAtPeak{stop: make(chan struct{}), done: make(chan struct{})}
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
		if rss <= h.rss+h.rss/20 {
			continue
		}
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
