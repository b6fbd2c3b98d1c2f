// Package webui renders what a session knows about its jobs as HTML: the pages of the live
// web UI (Server) and the self-contained report (WriteReport), from the same templates.
//
// It reads a Source (the session) and the live state a Tracker builds from the session's
// events; it never touches a job. Every page is plain HTML with inline SVG and embedded
// CSS: no script, nothing fetched, so a report file opens anywhere and mails whole. The
// live pages refresh themselves while a job runs.
package webui

import (
	"slices"
	"sync"
	"time"

	"github.com/kindling-data/kindling/exec"
	kmemory "github.com/kindling-data/kindling/memory"
)

// Source is what the pages show: the session's finished jobs, cached datasets, memory
// and configuration.
type Source interface {
	// Jobs returns the finished jobs, oldest first.
	Jobs() []*exec.JobMetrics
	// Storage returns the persisted datasets.
	Storage() []StorageRow
	// Memory returns the memory manager's state now.
	Memory() kmemory.Stats
	// Environment returns the configuration as name and value pairs.
	Environment() [][2]string
	// Advice returns the cache advisor's recommendations, one sentence each.
	Advice() []string
}

// StorageRow is one persisted dataset as the Storage page lists it.
type StorageRow struct {
	ID                                   int
	Site, Level                          string
	Partitions, Cached, InMemory, OnDisk int
	MemoryBytes, DiskBytes               int64
	NotCached                            int
	// Reason is why the first partition not cached was not.
	Reason string
	// Hits, Recomputed and Evictions count partitions read from the cache, partitions
	// computed again, and blocks evicted for execution memory.
	Hits, Recomputed, Evictions int64
}

// Tracker follows the session's events to know the jobs that are running: their stages
// and which tasks are running or done. Finished jobs come from the Source.
type Tracker struct {
	mu      sync.Mutex
	running map[int]*liveJob
}

// liveJob is a running job as its events describe it.
type liveJob struct {
	id     int
	action string
	start  time.Time
	stages []exec.StageInfo
	// per stage ID: tasks planned (after adaptive re-planning), started, done, failed
	// attempts, and when it started.
	tasks, started, done, failed map[int]int
	stageStart                   map[int]time.Time
	rows                         int64
}

// NewTracker returns a tracker with no running job.
func NewTracker() *Tracker { return &Tracker{running: map[int]*liveJob{}} }

// OnEvent updates the running jobs.
func (t *Tracker) OnEvent(e exec.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch e := e.(type) {
	case *exec.JobStart:
		j := &liveJob{id: e.JobID, action: e.Action, start: e.Time, stages: e.Stages,
			tasks: map[int]int{}, started: map[int]int{}, done: map[int]int{}, failed: map[int]int{}, stageStart: map[int]time.Time{}}
		for _, s := range e.Stages {
			j.tasks[s.StageID] = s.Tasks
		}
		t.running[e.JobID] = j
	case *exec.JobEnd:
		delete(t.running, e.JobID)
	case *exec.StageStart:
		if j := t.running[e.JobID]; j != nil {
			j.tasks[e.StageID] = e.Tasks
			j.stageStart[e.StageID] = e.Time
		}
	case *exec.TaskStart:
		if j := t.running[e.JobID]; j != nil {
			j.started[e.StageID]++
		}
	case *exec.TaskEnd:
		if j := t.running[e.JobID]; j != nil {
			if e.Err != nil {
				j.failed[e.StageID]++
			} else {
				j.done[e.StageID]++
				j.rows += e.Metrics.RowsOut
			}
		}
	}
}

// RunningJob is a running job's progress, stage by stage.
type RunningJob struct {
	ID      int
	Action  string
	Elapsed time.Duration
	Stages  []RunningStage
	RowsOut int64
}

// RunningStage is one stage of a running job: tasks done of all, running, failed.
type RunningStage struct {
	ID                           int
	Kind                         string
	Tasks, Done, Running, Failed int
	Started                      bool
}

// Running returns the running jobs, oldest first.
func (t *Tracker) Running() []RunningJob {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []RunningJob
	for _, j := range t.running {
		r := RunningJob{ID: j.id, Action: j.action, Elapsed: time.Since(j.start), RowsOut: j.rows}
		for _, s := range j.stages {
			_, started := j.stageStart[s.StageID]
			r.Stages = append(r.Stages, RunningStage{ID: s.StageID, Kind: s.Kind, Tasks: j.tasks[s.StageID],
				Done: j.done[s.StageID], Running: j.started[s.StageID] - j.done[s.StageID] - j.failed[s.StageID],
				Failed: j.failed[s.StageID], Started: started})
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b RunningJob) int { return a.ID - b.ID })
	return out
}
