package beam

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kindling-data/kindling/dataset"
)

// A job's expectations (dataset.Dataset.Expect) are counted by the tasks that run their
// stages, as locally; each task writes its counts to a file of its own in a directory
// the driver reads once the pipeline succeeded, and the driver evaluates them and applies
// their policies before anything is returned or committed.

// expectFile names the counts file of a task.
func expectFile(stage, task int) string { return fmt.Sprintf("expect-%d-%06d.json", stage, task) }

// writeExpectCounts writes a task's counts, atomically: a retried or duplicated task
// replaces them with the same.
func writeExpectCounts(ctx context.Context, dir sharedDir, stage, task int, counts []dataset.ExpectationCounts) error {
	data, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("beam: expectations of stage %d task %d: %w", stage, task, err)
	}
	return dir.put(ctx, expectFile(stage, task), data)
}

// evaluateExpectations reads the tasks' counts from dir and evaluates the job's
// expectations into res.Expectations (res.Job must be set): an error under a Fail
// policy (dataset.ExpectationError), nil when they passed or failed under Warn.
func evaluateExpectations(ctx context.Context, u *dataset.Units, action string, dir sharedDir, res *Result) error {
	if u.Expectations() == 0 {
		return nil
	}
	files, err := dir.list(ctx, "expect-")
	if err != nil {
		return fmt.Errorf("beam: expectations: %w", err)
	}
	var counts []dataset.ExpectationCounts
	for _, f := range files {
		data, err := dir.get(ctx, f)
		if err != nil {
			return fmt.Errorf("beam: expectations: %w", err)
		}
		var cs []dataset.ExpectationCounts
		if err := json.Unmarshal(data, &cs); err != nil {
			return fmt.Errorf("beam: expectations: %s: %w", dir.path(f), err)
		}
		counts = append(counts, cs...)
	}
	res.Expectations, err = u.EvaluateExpectations(ctx, action, counts, res.Job)
	return err
}
