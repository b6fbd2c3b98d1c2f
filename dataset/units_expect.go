package dataset

import (
	"context"
	"fmt"
)

// ExpectationCounts is what one task counted for one Expect stage of a job planned by
// PlanUnits: a distributed runner's worker ships it to the driver (it marshals to
// JSON), which evaluates the job's expectations from all of them (EvaluateExpectations).
type ExpectationCounts struct {
	// Gate is the Expect stage's index among the job's (Units.Expectations order).
	Gate int
	// Partition is the stage's partition the task counted.
	Partition int
	// Rows, Counts (per counted check) and Examples (failing values) are the counts.
	Rows     int64
	Counts   []int64
	Examples [][]string
	// Complete says the task saw the partition to its end.
	Complete bool
}

// Expectations returns the number of Expect stages of the job: with none, a runner has
// nothing to observe or evaluate.
func (u *Units) Expectations() int { return len(u.gates) }

// ObserveExpectations returns the context a task must run under for the job's Expect
// stages to count its rows, and what returns those counts once the task has run.
func (u *Units) ObserveExpectations(ctx context.Context) (context.Context, func() []ExpectationCounts) {
	if len(u.gates) == 0 {
		return ctx, func() []ExpectationCounts { return nil }
	}
	r := &expectRun{nested: true, gates: u.gates}
	r.reset()
	return context.WithValue(ctx, expectRunKey{}, r), func() []ExpectationCounts {
		r.mu.Lock()
		defer r.mu.Unlock()
		var out []ExpectationCounts
		for i, g := range u.gates {
			for p, pt := range r.slots[g] {
				out = append(out, ExpectationCounts{Gate: i, Partition: p, Rows: pt.rows, Counts: pt.counts,
					Examples: pt.examples, Complete: pt.complete.Load()})
			}
		}
		return out
	}
}

// EvaluateExpectations evaluates the job's expectations from its tasks' counts (a
// partition counted twice, by a retried or duplicated task, keeps the later counts, all
// equal since tasks are deterministic) and the job's metrics, and applies their
// policies as the local action would: failures under Warn are logged, and one under Fail
// returns an *ExpectationError (wrapping ErrExpectationFailed) with the results. An
// Expect stage whose partitions were not all counted to their end is an error: the
// runner's tasks did not report it.
func (u *Units) EvaluateExpectations(ctx context.Context, action string, counts []ExpectationCounts, m *JobMetrics) ([]ExpectationResult, error) {
	if len(u.gates) == 0 {
		return nil, nil
	}
	r := &expectRun{gates: u.gates, p: u.prepared, m: m}
	r.reset()
	for _, c := range counts {
		if c.Gate < 0 || c.Gate >= len(u.gates) {
			return nil, fmt.Errorf("dataset: %s: counts of Expect stage %d of a job with %d", action, c.Gate, len(u.gates))
		}
		g := u.gates[c.Gate]
		if len(c.Counts) != len(g.metrics) || len(c.Examples) != len(g.metrics) {
			return nil, fmt.Errorf("dataset: %s: counts of %d checks for %s, which has %d", action, len(c.Counts), g.name, len(g.metrics))
		}
		pt := &partial{rows: c.Rows, counts: c.Counts, examples: c.Examples}
		pt.complete.Store(c.Complete)
		r.slots[g][c.Partition] = pt
	}
	var all []ExpectationResult
	for _, g := range u.gates {
		t, ok := r.observed(g)
		if !ok {
			return nil, fmt.Errorf("dataset: %s: the runner did not report every partition of the Expect at %s (%s)", action, g.site, g.name)
		}
		res, err := g.results(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("dataset: %s: evaluating expectations: %w", action, err)
		}
		g.mu.Lock()
		g.last = res
		g.mu.Unlock()
		all = append(all, res...)
	}
	return all, u.s.applyExpectations(action, all)
}
