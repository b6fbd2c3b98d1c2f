package run

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/dataset"
)

// Table is an in-memory table: its schema and its partitions of record batches.
type Table struct {
	Schema *arrow.Schema
	Parts  [][]arrow.RecordBatch
}

// Measure is one timed query of one engine.
type Measure struct {
	Time   time.Duration
	Answer Answer
	Err    error
	// RSSPeak is the peak resident memory the query added to the process (-1: unknown).
	RSSPeak int64
	// AllocPeak is the peak of Arrow bytes kindling's allocator held (kindling only).
	AllocPeak int64
	// ExecPeak is the peak execution memory kindling's memory manager granted.
	ExecPeak int64
	// ProcessPeak is the process's whole RSS high-water mark during the query (-1 or 0:
	// unknown), the figure a memory budget is held against.
	ProcessPeak int64
	// Job is kindling's job metrics.
	Job *dataset.JobMetrics
	// CPU is the process's user and system CPU time during the query (0: unknown). On a
	// shared, busy machine it moves far less than Time, so sweeps report it beside Time.
	CPU time.Duration
}

// runSpec says how to run one timed run of a question.
type runSpec struct {
	profile string // if not empty, a CPU profile of the run is written there
	fresh   bool   // the question's first run: freed heap pages go back to the OS first (startRSS)
}

// kindlingRun runs build on a fresh session (so that the memory manager's peaks are the
// query's own) over the tables, timing Collect.
func kindlingRun(ctx context.Context, cfg dataset.Config, tables map[string]Table, check []string, rs runSpec,
	build func(s *dataset.Session, in Inputs) *dataset.Dataset) Measure {
	alloc := newCountingAllocator()
	cfg.Allocator = alloc
	s, err := dataset.NewSession(cfg)
	if err != nil {
		return Measure{Err: err}
	}
	defer s.Close()
	ds := func(name string) *dataset.Dataset {
		t, ok := tables[name]
		if !ok {
			return nil
		}
		return s.FromPartitions(t.Schema, t.Parts...)
	}
	in := Inputs{X: ds("x"), Small: ds("small"), Medium: ds("medium"), Big: ds("big")}
	return timeQuery(ctx, s, alloc, build(s, in), check, rs)
}

// timeQuery times d.Collect in session s, whose allocator is alloc, and computes the
// answer's check sums over the columns check. The Arrow peak is what the query held
// beyond the bytes held before it (persisted tables).
func timeQuery(ctx context.Context, s *dataset.Session, alloc *countingAllocator, d *dataset.Dataset, check []string, rs runSpec) Measure {
	before := alloc.ResetPeak()
	probe := startRSS(rs.fresh)
	var stop func()
	if profile := rs.profile; profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return Measure{Err: fmt.Errorf("run: profile: %w", err)}
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return Measure{Err: fmt.Errorf("run: profile: %w", err)}
		}
		heap := startHeapAtPeak()
		stop = func() { pprof.StopCPUProfile(); f.Close(); heap.Stop(profile) }
	}
	// The answer is summed as the batches arrive, as db-benchmark's chk, so that a result
	// larger than the memory budget (q10 at 1e8 rows has ~1e8 groups) is never held.
	answer := newAnswer(check)
	var mu sync.Mutex
	cpu0 := processCPU()
	start := time.Now()
	err := d.ForEachBatch(ctx, func(_ int, r arrow.RecordBatch) error {
		mu.Lock()
		defer mu.Unlock()
		return answer.add(r)
	})
	dur := time.Since(start)
	m := Measure{Time: dur, Err: err, Answer: answer, RSSPeak: probe.Peak(), ProcessPeak: probe.High(),
		AllocPeak: alloc.Peak() - before, Job: s.LastJob(), CPU: processCPU() - cpu0}
	if stop != nil {
		stop()
	}
	if m.Job != nil {
		m.ExecPeak = m.Job.Memory.PeakExecution
	}
	return m
}

// duckRun times one DuckDB question with the RSS probe (fresh: startRSS's).
func duckRun(ctx context.Context, d *Duck, q Question, fresh bool) Measure {
	probe := startRSS(fresh)
	dur, a, err := d.Run(ctx, q)
	return Measure{Time: dur, Answer: a, Err: err, RSSPeak: probe.Peak()}
}

// best keeps the fastest successful run's time and the largest memory peaks of all runs.
func best(ms []Measure) Measure {
	var out Measure
	for i, m := range ms {
		if m.Err != nil {
			return m
		}
		if i == 0 || m.Time < out.Time {
			peaks := out
			out = m
			out.RSSPeak, out.AllocPeak, out.ExecPeak = max(peaks.RSSPeak, m.RSSPeak), max(peaks.AllocPeak, m.AllocPeak), max(peaks.ExecPeak, m.ExecPeak)
		} else {
			out.RSSPeak, out.AllocPeak, out.ExecPeak = max(out.RSSPeak, m.RSSPeak), max(out.AllocPeak, m.AllocPeak), max(out.ExecPeak, m.ExecPeak)
		}
	}
	return out
}
