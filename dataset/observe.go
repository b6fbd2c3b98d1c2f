package dataset

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/kindling-data/kindling/exec"
	"github.com/kindling-data/kindling/internal/vfs"
	"github.com/kindling-data/kindling/internal/webui"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/storage"
)

// Event is something that happened in a session's jobs, delivered to Config.Listeners:
// *JobStart, *JobEnd, *StageStart, *StageEnd, *TaskStart, *TaskEnd, *Spill or *Eviction.
type Event = exec.Event

// Listener receives a session's events (Config.Listeners).
type Listener = exec.Listener

// ListenerFunc adapts a function to a Listener.
type ListenerFunc = exec.ListenerFunc

// JobStart is posted when a job begins, with its planned stages.
type JobStart = exec.JobStart

// JobEnd is posted when a job ends, with its metrics and error.
type JobEnd = exec.JobEnd

// StageInfo describes a planned stage in a JobStart.
type StageInfo = exec.StageInfo

// StageStart is posted when a stage's tasks are about to run.
type StageStart = exec.StageStart

// StageEnd is posted when a stage ends, with its metrics.
type StageEnd = exec.StageEnd

// TaskStart is posted when a task attempt starts.
type TaskStart = exec.TaskStart

// TaskEnd is posted when a task attempt ends: its metrics, or its error and whether it
// is retried.
type TaskEnd = exec.TaskEnd

// Spill is posted when a spill file is written.
type Spill = exec.Spill

// Eviction is posted when a cached partition or shuffle block is evicted for execution
// memory.
type Eviction = exec.Eviction

// MemorySample is the session's memory at one moment (JobMetrics.MemoryTimeline).
type MemorySample = exec.MemorySample

// startObserving wires the session's events: the listeners and the live UI behind a bus,
// the log and the bus behind the store's spill and eviction notices.
func (s *Session) startObserving() error {
	listeners := slices.Clone(s.cfg.Listeners)
	if bar := newProgressBar(s.cfg.Progress, s.cfg.ProgressWriter); bar != nil {
		s.progress = bar
		listeners = append(listeners, bar)
	}
	if s.cfg.UIAddr != "" {
		s.tracker = webui.NewTracker()
		listeners = append(listeners, s.tracker)
	}
	s.bus = exec.NewBus(listeners...)
	s.env.Events = s.bus
	s.env.Logger = s.cfg.Logger
	log, bus := s.cfg.Logger, s.bus
	s.spill.SetObserver(func(f storage.SpillFileInfo) {
		if log.Enabled(context.Background(), slog.LevelDebug) {
			log.Debug("storage: spill file written", "path", f.Path, "bytes", f.Bytes, "memory bytes", f.RawBytes, "rows", f.Rows)
		}
		if bus.Active() {
			bus.Post(&Spill{Time: time.Now(), Name: f.Path, Bytes: f.Bytes, RawBytes: f.RawBytes, Rows: f.Rows})
		}
	})
	s.blocks.SetEvictionObserver(func(e storage.EvictionInfo) {
		if e.Block.Kind == storage.CacheBlock {
			s.countEviction(e.Block.DatasetID)
		}
		if log.Enabled(context.Background(), slog.LevelDebug) {
			log.Debug("storage: block evicted for execution memory", "block", e.Block.String(), "bytes", e.Bytes, "to disk", e.ToDisk)
		}
		if bus.Active() {
			bus.Post(&Eviction{Time: time.Now(), Block: e.Block.String(), Bytes: e.Bytes, ToDisk: e.ToDisk})
		}
	})
	if s.cfg.UIAddr != "" {
		ui, err := webui.Start(s.cfg.UIAddr, sessionSource{s}, s.tracker)
		if err != nil {
			s.bus.Close()
			return fmt.Errorf("dataset: web UI at %s: %w", s.cfg.UIAddr, err)
		}
		s.ui = ui
	}
	return nil
}

// countEviction counts an evicted block of the persisted dataset id.
func (s *Session) countEviction(id int) {
	s.mu.Lock()
	caches := s.caches
	s.mu.Unlock()
	for _, c := range caches {
		if c.id == id {
			c.mu.Lock()
			c.evictions++
			c.mu.Unlock()
			return
		}
	}
}

// stopObserving stops the UI and delivers the last events; after the jobs have ended.
func (s *Session) stopObserving() error {
	var err error
	if s.ui != nil {
		err = s.ui.Close()
	}
	s.spill.SetObserver(nil)
	s.blocks.SetEvictionObserver(nil)
	s.bus.Close()
	if n := s.bus.Dropped(); n > 0 {
		s.cfg.Logger.Warn("dataset: listeners fell behind; events were dropped", "events", n)
	}
	if s.progress != nil {
		s.progress.Close()
	}
	return err
}

// UIAddr returns the address the session's web UI listens on ("" when Config.UIAddr is
// not set): open http:// and this address in a browser.
func (s *Session) UIAddr() string {
	if s.ui == nil {
		return ""
	}
	return s.ui.Addr()
}

// WriteReport writes one self-contained HTML file (no script, nothing fetched) with what
// the web UI shows of the session's jobs so far: each job's stage DAG, task timeline,
// stage summaries (task time, rows, shuffle and spill quantiles) and plans, the persisted
// datasets, memory over time and the configuration. For CI artifacts, or to mail to a
// colleague; the UI need not be on.
func (s *Session) WriteReport(path string) error {
	var b strings.Builder
	if err := webui.WriteReport(&b, sessionSource{s}, "kindling session report"); err != nil {
		return fmt.Errorf("dataset: report: %w", err)
	}
	if err := vfs.WriteFile(s.fs, path, []byte(b.String())); err != nil {
		return fmt.Errorf("dataset: report %s: %w", path, err)
	}
	return nil
}

// sessionSource shows a session to the web UI.
type sessionSource struct{ s *Session }

func (src sessionSource) Jobs() []*exec.JobMetrics { return src.s.Jobs() }

func (src sessionSource) Memory() kmemory.Stats { return src.s.MemoryStats() }

func (src sessionSource) Storage() []webui.StorageRow {
	var out []webui.StorageRow
	for _, c := range src.s.StorageInfo() {
		r := webui.StorageRow{ID: c.ID, Site: c.Site, Level: c.Level.String(), Partitions: c.Partitions, Cached: c.Cached,
			InMemory: c.InMemory, OnDisk: c.OnDisk, MemoryBytes: c.MemoryBytes, DiskBytes: c.DiskBytes, NotCached: len(c.NotCached),
			Hits: c.Hits, Recomputed: c.Recomputed, Evictions: c.Evictions}
		if len(c.NotCached) > 0 {
			r.Reason = c.NotCached[slices.Min(slices.Collect(maps.Keys(c.NotCached)))]
		}
		out = append(out, r)
	}
	return out
}

func (src sessionSource) Advice() []string {
	var out []string
	for _, a := range src.s.Advise() {
		out = append(out, a.Text)
	}
	return out
}

// Environment lists the configuration's fields by name, the testing knobs and the
// allocator's internals left out.
func (src sessionSource) Environment() [][2]string {
	cfg := src.s.cfg
	v := reflect.ValueOf(cfg)
	var out [][2]string
	for i := range v.NumField() {
		f := v.Type().Field(i)
		switch f.Name {
		case "TestingKnobs", "Logger", "Listeners", "ProgressWriter":
			continue
		case "Allocator":
			out = append(out, [2]string{f.Name, fmt.Sprintf("%T", cfg.Allocator)})
			continue
		}
		out = append(out, [2]string{f.Name, fmt.Sprint(v.Field(i).Interface())})
	}
	out = append(out, [2]string{"Listeners", fmt.Sprint(len(cfg.Listeners))})
	return out
}
