package dataset

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
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

// ownJobRef is an expectation with a job of its own: the gate's index among the job's,
// and the expectation's among the gate's.
type ownJobRef struct{ gate, exp int }

// ownJobsOf lists the expectations of gates that run jobs of their own, in lineage order.
func ownJobsOf(gates []*expectGate) []ownJobRef {
	var out []ownJobRef
	for gi, g := range gates {
		for ei, e := range g.exps {
			if ownJob(e) {
				out = append(out, ownJobRef{gi, ei})
			}
		}
	}
	return out
}

// ExpectationJobs returns the number of jobs of their own that the job's expectations
// need (UniqueKey's duplicate keys, RowCountEquals's other count): a distributed runner
// plans each with PlanExpectationJob, collects it like the job itself, and gives the
// results to EvaluateExpectations in this order.
func (u *Units) ExpectationJobs() int { return len(u.own) }

// PlanExpectationJob plans the i-th job of its own (Units.ExpectationJobs) that the
// expectations of d's job need, as started at now, for "collect". Its Expect stages, if
// its lineage has any, pass rows through uncounted: only the job of d evaluates them.
func PlanExpectationJob(d *Dataset, i int, now time.Time) (*Units, error) {
	if d.err != nil {
		return nil, d.err
	}
	gates := gatesIn(d.node)
	own := ownJobsOf(gates)
	if i < 0 || i >= len(own) {
		return nil, fmt.Errorf("dataset: PlanExpectationJob: job %d of %d", i, len(own))
	}
	g := gates[own[i].gate]
	u, err := PlanUnits(g.ownJob(g.exps[own[i].exp]), "collect", now)
	if err != nil {
		return nil, fmt.Errorf("dataset: the job of expectation %q (Expect at %s): %w", g.exps[own[i].exp].name, g.site, err)
	}
	u.gates, u.own = nil, nil
	return u, nil
}

// EvaluateExpectations evaluates the job's expectations from its tasks' counts (a
// partition counted twice, by a retried or duplicated task, keeps the later counts, all
// equal since tasks are deterministic) and the job's metrics, and applies their
// policies as the local action would: failures under Warn are logged, and one under Fail
// returns an *ExpectationError (wrapping ErrExpectationFailed) with the results. An
// Expect stage whose partitions were not all counted to their end is an error: the
// runner's tasks did not report it. own are the collected results of the job's
// expectation jobs (ExpectationJobs), in order.
func (u *Units) EvaluateExpectations(ctx context.Context, action string, counts []ExpectationCounts, own [][]arrow.RecordBatch, m *JobMetrics) ([]ExpectationResult, error) {
	if len(u.gates) == 0 {
		return nil, nil
	}
	if len(own) != len(u.own) {
		return nil, fmt.Errorf("dataset: %s: results of %d expectation jobs, for %d", action, len(own), len(u.own))
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
	for gi, g := range u.gates {
		done := func(exp int) ([]arrow.RecordBatch, bool) {
			for j, o := range u.own {
				if o.gate == gi && o.exp == exp {
					return own[j], true
				}
			}
			return nil, false
		}
		t, ok := r.observed(g)
		if !ok {
			return nil, fmt.Errorf("dataset: %s: the runner did not report every partition of the Expect at %s (%s)", action, g.site, g.name)
		}
		res, err := g.results(ctx, t, done)
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
