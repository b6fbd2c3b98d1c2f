package dataset

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestProgressBarDrawsTheRunningStage: with the bar on, a job that runs a while draws
// lines naming its stage and tasks, and erases the line when it ends; in auto mode a
// writer that is not a terminal gets nothing.
func TestProgressBarDrawsTheRunningStage(t *testing.T) {
	defer func(d time.Duration) { progressShowAfter = d }(progressShowAfter)
	progressShowAfter = 0
	for _, tc := range []struct {
		mode  ProgressMode
		drawn bool
	}{{ProgressOn, true}, {ProgressAuto, false}, {ProgressOff, false}} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			var out syncBuffer
			f := newFixture(t, []int{20, 20}, Config{Progress: tc.mode, ProgressWriter: &out})
			var calls atomic.Int64
			slow := f.ds.MapBatches("slow", nil, func(_ context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
				if calls.Add(1) == 1 {
					// Hold the job until the bar has drawn, however slowly the events
					// reach it (where it is off: for a few redraws' time).
					wait := 5 * time.Second
					if !tc.drawn {
						wait = 3 * progressRefresh
					}
					for start := time.Now(); time.Since(start) < wait && !strings.Contains(out.String(), "\r[job "); {
						time.Sleep(10 * time.Millisecond)
					}
				}
				in.Retain()
				return in, nil
			})
			if _, err := slow.GroupBy("k").Count().Count(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := f.s.Close(); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if !tc.drawn {
				if got != "" {
					t.Fatalf("mode %s wrote %q", tc.mode, got)
				}
				return
			}
			job := f.s.LastJob()
			if !strings.Contains(got, "\r[job ") || !strings.Contains(got, " stage 1/") || !strings.Contains(got, " tasks") {
				t.Fatalf("bar output %q, want lines naming job %d's stage and tasks", got, job.JobID)
			}
			lines := strings.Split(got, "\r")
			if last := lines[len(lines)-1]; strings.TrimSpace(last) != "" {
				t.Errorf("the bar's last line %q was not erased", last)
			}
		})
	}
}
