package exec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"testing"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

func TestClassify(t *testing.T) {
	pathErr := func(errno syscall.Errno) error {
		return fmt.Errorf("datasource: %w", &fs.PathError{Op: "read", Path: "/data/x.csv", Err: errno})
	}
	cases := []struct {
		name string
		err  error
		want FailureCause
	}{
		{"user error", UserError(errors.New("flaky service")), CauseUserCode},
		{"user error wrapped again", fmt.Errorf("stage: %w", UserError(errors.New("x"))), CauseUserCode},
		{"explicitly permanent user error", UserError(Permanent(errors.New("x"))), CauseUserCode},
		{"permanent", Permanent(errors.New("schema mismatch")), CauseDeterministic},
		{"engine panic", &panicError{msg: "panic: index out of range"}, CausePanic},
		{"plain error", errors.New("something"), CauseDeterministic},
		{"analysis error", &plan.AnalysisError{Kind: plan.ErrUnknownColumn, Msg: "unknown column"}, CauseDeterministic},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), CauseCancelled},
		{"deadline", context.DeadlineExceeded, CauseCancelled},
		{"store closed", fmt.Errorf("x: %w", storage.ErrClosed), CauseCancelled},
		{"EIO", pathErr(syscall.EIO), CauseIO},
		{"disk full", pathErr(syscall.ENOSPC), CauseIO},
		{"too many open files", pathErr(syscall.EMFILE), CauseIO},
		{"missing file", pathErr(syscall.ENOENT), CauseDeterministic},
		{"permission", pathErr(syscall.EACCES), CauseDeterministic},
		{"I/O deadline", fmt.Errorf("x: %w", os.ErrDeadlineExceeded), CauseIO},
		{"corrupt spill", fmt.Errorf("x: %w", storage.ErrCorruptSpill), CauseIO},
		{"request beyond the budget", &kmemory.BudgetError{Name: "sort", Requested: 2 << 20, Limit: 1 << 20}, CauseDeterministic},
		{"refused alone", &kmemory.BudgetError{Name: "sort", Requested: 600 << 10, Held: 300 << 10, ExecutionUsed: 300 << 10, StorageUsed: 200 << 10, Limit: 1 << 20}, CauseDeterministic},
		{"refused while others held memory", fmt.Errorf("agg: %w", &kmemory.BudgetError{Name: "agg", Requested: 300 << 10, Held: 100 << 10, ExecutionUsed: 900 << 10, Limit: 1 << 20}), CauseMemory},
		{"refused at the task cap", &kmemory.BudgetError{Name: "agg", Requested: 300 << 10, Held: 100 << 10, TaskHeld: 200 << 10, ExecutionUsed: 200 << 10, Limit: 1 << 20, Tasks: 2}, CauseMemory},
	}
	for _, tc := range cases {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("%s: Classify(%v) = %s, want %s", tc.name, tc.err, got, tc.want)
		}
	}
	for c := FailureCause(0); c < numCauses; c++ {
		want := c == CauseUserCode || c == CausePanic || c == CauseIO || c == CauseMemory
		if c.Retryable() != want {
			t.Errorf("%s.Retryable() = %v", c, c.Retryable())
		}
	}
}
