package beam

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	abeam "github.com/apache/beam/sdks/v2/go/pkg/beam"

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

// evaluateExpectations reads the tasks' counts from dir, runs the jobs of their own that
// some expectations need (each a pipeline), and evaluates the job's
// expectations into res.Expectations (res.Job must be set): an error under a Fail
// policy (dataset.ExpectationError), nil when they passed or failed under Warn.
func evaluateExpectations(ctx context.Context, u *dataset.Units, ref jobRef, opts Options, action string, dir sharedDir, res *Result) error {
	if u.Expectations() == 0 {
		return nil
	}
	own, err := runExpectationJobs(ctx, u, ref, opts, dir)
	defer func() {
		for _, recs := range own {
			for _, r := range recs {
				r.Release()
			}
		}
	}()
	if err != nil {
		return err
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
	res.Expectations, err = u.EvaluateExpectations(ctx, action, counts, own, res.Job)
	return err
}

// runExpectationJobs runs the jobs of their own that the job's expectations need
// (UniqueKey's duplicate keys, RowCountEquals's other count), each a pipeline of its own
// collecting into a directory under dir, and returns their results in order.
func runExpectationJobs(ctx context.Context, u *dataset.Units, ref jobRef, opts Options, dir sharedDir) ([][]arrow.RecordBatch, error) {
	var out [][]arrow.RecordBatch
	for i := range u.ExpectationJobs() {
		sub := ref
		sub.Expectation, sub.Action, sub.Fingerprint = i+1, "collect", ""
		su, err := sub.units()
		if err != nil {
			return out, err
		}
		sub.Fingerprint = su.Fingerprint
		subDir, cleanup, err := newSharedDir(ctx, string(dir), "expectation-job-")
		if err != nil {
			return out, err
		}
		p, s := abeam.NewPipelineWithRoot()
		err = translate(s, su, sub, subDir, writeSpec{}, "")
		if err == nil {
			_, err = execute(ctx, p, opts)
		}
		var recs []arrow.RecordBatch
		if err == nil {
			recs, err = readParts(ctx, subDir, su.Stages[len(su.Stages)-1].Tasks)
		}
		cleanup()
		if err != nil {
			return out, fmt.Errorf("beam: the job of expectation job %d: %w", i+1, err)
		}
		out = append(out, recs)
	}
	return out, nil
}
