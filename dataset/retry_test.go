package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec"
	kmemory "github.com/kindling-data/kindling/memory"
)

// TestDeterministicFailuresAreNotRetried runs one failure of each deterministic class with
// the default four attempts: the job fails after one attempt, its error says the failure
// was not retried, and no retry is counted.
func TestDeterministicFailuresAreNotRetried(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("id,amount\n1,2.5\n2,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		cfg  Config
		run  func(f *fixture, calls *atomic.Int64) error
		is   error
		want []string
	}{
		{"wrong schema from MapBatches", Config{}, func(f *fixture, calls *atomic.Int64) error {
			d := f.ds.MapBatches("declares-id", schema, func(_ context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
				calls.Add(1)
				in.Retain()
				return in, nil // the input's schema, not the declared one
			})
			_, err := d.Collect(t.Context())
			return err
		}, nil, []string{"declares-id", "returned schema", "deterministic, not retried"}},
		{"a batch larger than the budget", Config{MemoryLimit: 1 << 20}, func(f *fixture, calls *atomic.Int64) error {
			d := f.ds.MapBatches("grow", schema, func(_ context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
				calls.Add(1)
				return int64Batch(mem, schema, 300_000), nil // 2.3 MiB in one batch
			})
			_, err := d.OrderBy(Desc("id")).Collect(t.Context())
			return err
		}, kmemory.ErrBudgetExceeded, []string{"sort", "not retried"}},
		{"malformed CSV row", Config{}, func(f *fixture, calls *atomic.Int64) error {
			d := f.s.ReadCSVWith(CSVOptions{Schema: arrow.NewSchema([]arrow.Field{
				{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "amount", Type: arrow.PrimitiveTypes.Float64}}, nil)}, bad)
			_, err := countingMap(d, calls).Collect(t.Context())
			return err
		}, nil, []string{"bad.csv:3", "amount", "not retried"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, []int{20}, tc.cfg)
			var calls atomic.Int64
			start := time.Now()
			err := tc.run(f, &calls)
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("error after %v: %v", time.Since(start), err)
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err is not %v", tc.is)
			}
			var te *exec.TaskError
			if !errors.As(err, &te) || te.Attempts != 1 || te.Cause != exec.CauseDeterministic {
				t.Errorf("task error %+v: want 1 attempt, deterministic", te)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q", w)
				}
			}
			if calls.Load() > 1 {
				t.Errorf("the failing partition ran %d times, want once", calls.Load())
			}
			for _, s := range f.s.LastJob().Stages {
				if s.Retries != 0 {
					t.Errorf("stage %d counts %d retries", s.StageID, s.Retries)
				}
			}
		})
	}
}

// TestRetriesCountedByCause: errors and panics from user code are retried, and the stage
// counts each retry under its cause.
func TestRetriesCountedByCause(t *testing.T) {
	f := newFixture(t, []int{5}, Config{})
	var mapCalls, eachCalls atomic.Int64
	d := f.ds.MapBatches("flaky", nil, func(_ context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
		if mapCalls.Add(1) <= 2 {
			return nil, errors.New("transient failure")
		}
		in.Retain()
		return in, nil
	})
	var rows atomic.Int64
	err := d.ForEachBatch(t.Context(), func(_ int, rec arrow.RecordBatch) error {
		if eachCalls.Add(1) == 1 {
			panic("callback panicked once")
		}
		rows.Add(rec.NumRows())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Attempts 1 and 2 fail in MapBatches, attempt 3 in the callback's panic, attempt 4
	// succeeds. The partition has two batches; the successful attempt delivers both.
	if rows.Load() != 5 {
		t.Fatalf("callback saw %d rows, want 5", rows.Load())
	}
	s := f.s.LastJob().Stages[0]
	if s.Retries != 3 || s.RetriesByCause[exec.CauseUserCode] != 3 || len(s.RetriesByCause) != 1 {
		t.Fatalf("retries %d by cause %v, want 3 of user code", s.Retries, s.RetriesByCause)
	}
}

// TestTaskErrorReportsCause: a user error that never clears fails after every attempt,
// and the error says how many attempts ran and why.
func TestTaskErrorReportsCause(t *testing.T) {
	f := newFixture(t, []int{5}, Config{MaxTaskAttempts: 2})
	d := f.ds.MapBatches("always", nil, func(context.Context, arrow.RecordBatch, memory.Allocator) (arrow.RecordBatch, error) {
		return nil, fmt.Errorf("broken")
	})
	_, err := d.Collect(t.Context())
	var te *exec.TaskError
	if !errors.As(err, &te) || te.Attempts != 2 || te.Cause != exec.CauseUserCode {
		t.Fatalf("err = %v; want a task error after 2 attempts of user code", err)
	}
	if !strings.Contains(err.Error(), "after 2 attempts (user code)") {
		t.Fatalf("error %q does not name the attempts and cause", err)
	}
}

// TestDiskFullIsRetriedAsIO: a spill that hits a full disk is a transient I/O failure
// (other tasks' spill files may be removed meanwhile): it is retried, counted as I/O, and
// when the disk stays full the error says so after every attempt.
func TestDiskFullIsRetriedAsIO(t *testing.T) {
	s, mem := newCacheSession(t, Config{MemoryLimit: 1 << 20, SpillDir: t.TempDir(), BatchRows: 2048, MaxTaskAttempts: 2,
		TestingKnobs: TestingKnobs{SpillDiskLimit: 64 << 10}})
	_, err := bigData(s, mem).OrderBy(Asc("s")).Collect(t.Context())
	var te *exec.TaskError
	if !errors.As(err, &te) || te.Cause != exec.CauseIO || te.Attempts != 2 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v; want ENOSPC as an I/O failure after 2 attempts", err)
	}
	if r := s.LastJob().RetriesByCause(); r[exec.CauseIO] == 0 {
		t.Fatalf("retries by cause %v: no I/O retry counted", r)
	}
}
