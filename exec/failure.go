package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/kindling-data/kindling/exec/eval"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/shuffle"
	"github.com/kindling-data/kindling/storage"
)

// FailureCause says why a task attempt failed, and so whether another attempt can succeed
// (Spark's TaskFailedReason and its countTowardsTaskFailures). The scheduler retries an
// attempt only when its cause is Retryable: running a deterministic failure again gives the
// same failure, later.
type FailureCause int

// The causes of a failed attempt.
const (
	// CauseDeterministic is a failure that another attempt would repeat: a malformed input
	// row in fail-fast mode, a missing file, a batch of the wrong schema, an error in the
	// plan. It is the cause of every error not known to be transient.
	CauseDeterministic FailureCause = iota
	// CauseUserCode is an error returned or a panic raised by a user function (MapBatches,
	// ForEachBatch, a UDF): it may depend on the outside world, so it is retried.
	CauseUserCode
	// CausePanic is a panic in the engine. The state that caused it is unknown, so it is
	// retried as Spark retries any exception.
	CausePanic
	// CauseIO is a transient I/O error (EIO, EINTR, EAGAIN, a full disk, too many open
	// files, a timeout) or a spill file that read back corrupt; a new attempt rewrites it.
	CauseIO
	// CauseMemory is a refusal of the memory budget while other tasks held execution
	// memory: the attempt may fit once they finish. A request that cannot fit the budget
	// even with the task alone is deterministic.
	CauseMemory
	// CauseCancelled is the end of an attempt whose job was cancelled (its context ended,
	// a sibling task failed, or the session closed). It is never retried.
	CauseCancelled

	numCauses
)

var causeNames = [numCauses]string{"deterministic", "user code", "panic", "I/O", "memory", "cancelled"}

// String names the cause as metrics and errors print it.
func (c FailureCause) String() string {
	if c < 0 || c >= numCauses {
		return fmt.Sprintf("cause(%d)", int(c))
	}
	return causeNames[c]
}

// Retryable reports whether another attempt of a task that failed with this cause may
// succeed.
func (c FailureCause) Retryable() bool {
	switch c {
	case CauseUserCode, CausePanic, CauseIO, CauseMemory:
		return true
	}
	return false
}

// Classified is implemented by an error that knows its failure cause. Classify finds it
// anywhere in an error's chain (errors.As), so a package below exec can mark its errors
// without importing exec, and the outermost mark wins.
type Classified interface {
	error
	FailureCause() FailureCause
}

// causeError marks an error with a failure cause.
type causeError struct {
	cause FailureCause
	err   error
}

func (e *causeError) Error() string              { return e.err.Error() }
func (e *causeError) Unwrap() error              { return e.err }
func (e *causeError) FailureCause() FailureCause { return e.cause }

// WithCause marks err with cause, for Classify; a nil err stays nil.
func WithCause(err error, cause FailureCause) error {
	if err == nil {
		return nil
	}
	return &causeError{cause: cause, err: err}
}

// Permanent marks err as deterministic: a task failing with it is not retried.
func Permanent(err error) error { return WithCause(err, CauseDeterministic) }

// UserError marks err as coming from user code: a task failing with it is retried.
func UserError(err error) error { return WithCause(err, CauseUserCode) }

// panicError is a panic recovered in a task.
type panicError struct {
	msg string
}

func (e *panicError) Error() string              { return e.msg }
func (e *panicError) FailureCause() FailureCause { return CausePanic }

// Classify returns the cause of a task attempt's failure. An explicit mark (Classified)
// wins; then cancellation, budget refusals and I/O errors are recognized by their types
// and sentinels; everything else is deterministic.
func Classify(err error) FailureCause {
	if err == nil {
		return CauseDeterministic
	}
	var c Classified
	if errors.As(err, &c) {
		return c.FailureCause()
	}
	var ue *eval.UDFError
	if errors.As(err, &ue) {
		return CauseUserCode
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, shuffle.ErrClosed) || errors.Is(err, storage.ErrClosed) {
		return CauseCancelled
	}
	var be *kmemory.BudgetError
	if errors.As(err, &be) {
		return classifyBudget(be)
	}
	if errors.Is(err, storage.ErrCorruptSpill) {
		return CauseIO
	}
	if transientIO(err) {
		return CauseIO
	}
	return CauseDeterministic
}

// classifyBudget tells a budget refusal that waiting for other tasks can cure from one
// that cannot: the request does not fit the whole budget, or nobody else held execution
// memory when it was refused (storage had already been evicted as far as it could be).
func classifyBudget(be *kmemory.BudgetError) FailureCause {
	own := max(be.Held, be.TaskHeld)
	if be.Limit > 0 && own+be.Requested > be.Limit {
		return CauseDeterministic
	}
	if be.Tasks > 1 || be.ExecutionUsed > own {
		return CauseMemory
	}
	return CauseDeterministic
}

// transientIO reports whether err is an operating-system error that may not recur: the
// device, the descriptor table or the disk may be in a better state for the next attempt
// (spill files of other tasks are removed as they finish). A missing file or a permission
// error is not transient.
func transientIO(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EIO, syscall.EINTR, syscall.EAGAIN, syscall.ENOSPC, syscall.EMFILE,
			syscall.ENFILE, syscall.ETIMEDOUT, syscall.ECONNRESET, syscall.EBUSY:
			return true
		}
		return errno.Temporary() || errno.Timeout()
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// TaskError is the failure of a task after its last attempt: the stage, the partition, how
// many attempts ran and the cause of the last one.
type TaskError struct {
	Stage, Partition int
	// Attempts is how many attempts ran; a deterministic failure stops at the first.
	Attempts int
	Cause    FailureCause
	Err      error
}

// Error names the stage, partition, attempts and cause, then the last attempt's error.
func (e *TaskError) Error() string {
	if e.Cause.Retryable() {
		return fmt.Sprintf("exec: stage %d partition %d failed after %d attempts (%s): %v", e.Stage, e.Partition, e.Attempts, e.Cause, e.Err)
	}
	return fmt.Sprintf("exec: stage %d partition %d failed (%s, not retried): %v", e.Stage, e.Partition, e.Cause, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *TaskError) Unwrap() error { return e.Err }

// FailureCause returns the cause of the last attempt, so that a task error that reaches
// another scheduler keeps its class.
func (e *TaskError) FailureCause() FailureCause { return e.Cause }
