package dataset

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// evaluate computes the results of the run's gates from what the job observed, running
// the jobs some checks need, and keeps them as each gate's latest results.
func (r *expectRun) evaluate(ctx context.Context) ([]ExpectationResult, error) {
	var all []ExpectationResult
	for _, g := range r.gates {
		t, ok := r.observed(g)
		if !ok {
			var err error
			if t, err = g.observeAlone(ctx); err != nil {
				return nil, err
			}
		}
		res, err := g.results(ctx, t, nil)
		if err != nil {
			return nil, err
		}
		g.mu.Lock()
		g.last = res
		g.mu.Unlock()
		all = append(all, res...)
	}
	return all, nil
}

// observeAlone counts what the gate's stage counts by a job of its own over the whole
// input, for an action whose job did not see every row pass the stage.
func (g *expectGate) observeAlone(ctx context.Context) (totals, error) {
	nctx, r := nestedRun(ctx, g)
	d := &Dataset{s: g.s, node: g.node()}
	if _, err := d.run(nctx, "expect", discardSink{}); err != nil {
		return totals{}, err
	}
	t, ok := r.observed(g)
	if !ok {
		return t, fmt.Errorf("the job of the checks alone did not see every partition of %s", g.name)
	}
	return t, nil
}

// results holds each expectation of the gate to its bound. The expectations that need a
// job of their own (ownJob) take its result from done when it has it (a distributed
// runner ran the job), else run it here.
func (g *expectGate) results(ctx context.Context, t totals, done func(exp int) ([]arrow.RecordBatch, bool)) ([]ExpectationResult, error) {
	out := make([]ExpectationResult, len(g.exps))
	for i, e := range g.exps {
		res := ExpectationResult{Name: e.name, Check: e.check, Policy: g.policy, Observed: float64(t.rows)}
		var err error
		var recs []arrow.RecordBatch
		ran := false
		if done != nil && ownJob(e) {
			if recs, ran = done(i); !ran {
				return nil, fmt.Errorf("%s: the runner did not run its job", e.name)
			}
		}
		switch e.kind {
		case kindRowCountEquals:
			var n int64
			if ran {
				n, err = countOf(recs)
			} else {
				nctx, _ := nestedRun(ctx)
				n, err = e.other.count(nctx, "expect")
			}
			if err == nil {
				res.Passed = t.rows == n
				res.Threshold = fmt.Sprintf("== %d", n)
				res.Detail = fmt.Sprintf("the other dataset has %d rows", n)
			}
		case kindRowCountBetween:
			res.Passed = t.rows >= e.min && t.rows <= e.max
			res.Threshold = fmt.Sprintf("in [%d, %d]", e.min, e.max)
		case kindRowCountNotBelow:
			rowCountNotBelow(e, t.rows, &res)
		case kindUnique:
			if ran {
				g.uniqueResult(e, recs, &res)
			} else {
				err = g.unique(ctx, e, &res)
			}
		default:
			m := g.metric[i]
			rowLevel(e, t.rows, t.counts[m], t.examples[m], &res)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.name, err)
		}
		out[i] = res
	}
	return out, nil
}

// dropAllowed reports whether rows is at most the fraction maxDrop below previous.
func dropAllowed(previous, rows int64, maxDrop float64) bool {
	return previous <= 0 || rows >= previous || float64(previous-rows)/float64(previous) <= maxDrop
}

func rowCountNotBelow(e Expectation, rows int64, res *ExpectationResult) {
	prev, maxDrop := e.min, e.ratio
	res.Passed = dropAllowed(prev, rows, maxDrop)
	if prev <= 0 {
		res.Threshold = ">= 0"
		res.Detail = "no previous count"
		return
	}
	// The smallest passing count, found with the same arithmetic as the check so that
	// the bound shown is the bound applied.
	lo := max(0, int64(math.Ceil(float64(prev)*(1-maxDrop))))
	for lo > 0 && dropAllowed(prev, lo-1, maxDrop) {
		lo--
	}
	for !dropAllowed(prev, lo, maxDrop) {
		lo++
	}
	res.Threshold = fmt.Sprintf(">= %d (%d - %s%%)", lo, prev, formatObserved(maxDrop*100))
	if rows < prev {
		res.Detail = fmt.Sprintf("%s%% fewer rows than the previous %d", formatObserved(float64(prev-rows)/float64(prev)*100), prev)
	} else {
		res.Detail = fmt.Sprintf("the previous count was %d", prev)
	}
}

// rowLevel evaluates a check counted by the stage: count is the NULLs (NullRatioAtMost)
// or the passing rows.
func rowLevel(e Expectation, rows, count int64, examples []string, res *ExpectationResult) {
	switch e.kind {
	case kindNullRatio:
		ratio := 0.0
		if rows > 0 {
			ratio = float64(count) / float64(rows)
		}
		res.Observed, res.Passed = ratio, ratio <= e.ratio
		res.Threshold = "<= " + formatBound(e.ratio)
		res.Detail = fmt.Sprintf("%s in %s", plural(count, "NULL"), plural(rows, "row"))
	case kindPassRatio:
		ratio := 1.0
		if rows > 0 {
			ratio = float64(count) / float64(rows)
		}
		res.Observed, res.Passed = ratio, ratio >= e.ratio
		res.Threshold = ">= " + formatBound(e.ratio)
		res.Detail = fmt.Sprintf("%d of %d rows pass", count, rows)
	default: // ValuesIn, ValuesBetween
		bad := rows - count
		res.Observed, res.Passed = float64(bad), bad == 0
		res.Threshold = "== 0"
		res.Detail = fmt.Sprintf("%d of %d rows outside", bad, rows)
		if bad > 0 {
			res.Detail += ", e.g. " + strings.Join(firstDistinct(examples, maxExamples), ", ")
		}
	}
}

// firstDistinct returns the first n distinct strings of xs, in order.
func firstDistinct(xs []string, n int) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if len(out) == n {
			break
		}
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// unique counts the key values of the gate's input that occur more than once, by an
// aggregation job of its own: the groups of more than one row, summed into one row with
// an example key.
func (g *expectGate) unique(ctx context.Context, e Expectation, res *ExpectationResult) error {
	nctx, _ := nestedRun(ctx)
	recs, err := g.ownJob(e).collect(nctx, "expect")
	if err != nil {
		return err
	}
	defer releaseAll(recs)
	g.uniqueResult(e, recs, res)
	return nil
}

// ownJob reports whether expectation e runs a job of its own: UniqueKey (its duplicate
// keys) and RowCountEquals (the other dataset's count).
func ownJob(e Expectation) bool { return e.kind == kindUnique || e.kind == kindRowCountEquals }

// ownJob returns the job expectation e of the gate runs (see ownJob): for UniqueKey, one
// row counting the duplicated keys and their rows, with one of them as an example; for
// RowCountEquals, the other dataset's row count.
func (g *expectGate) ownJob(e Expectation) *Dataset {
	if e.kind == kindRowCountEquals {
		return e.other.GroupBy().Agg(Count())
	}
	const n = "__expect_n"
	src := &Dataset{s: g.s, node: g.source}
	aggs := []Agg{Count().As("__expect_keys"), Sum(n).As("__expect_rows")}
	for i, k := range e.keys {
		aggs = append(aggs, First(k).As(fmt.Sprintf("__expect_k%d", i)))
	}
	return src.GroupBy(e.keys...).Agg(Count().As(n)).Filter(Col(n).Gt(Lit(1))).GroupBy().Agg(aggs...)
}

// countOf reads the count a one-row global Count job returned.
func countOf(recs []arrow.RecordBatch) (int64, error) {
	for _, r := range recs {
		if r.NumRows() > 0 {
			if c, ok := r.Column(0).(*array.Int64); ok && r.NumCols() == 1 {
				return c.Value(0), nil
			}
			return 0, fmt.Errorf("a count job returned %s", r.Schema())
		}
	}
	return 0, fmt.Errorf("a count job returned no row")
}

// uniqueResult holds UniqueKey e to the result of its job (ownJob).
func (g *expectGate) uniqueResult(e Expectation, recs []arrow.RecordBatch, res *ExpectationResult) {
	var keys, rows int64
	var example []string
	for _, rec := range recs {
		if rec.NumRows() == 0 {
			continue
		}
		keys = rec.Column(0).(*array.Int64).Value(0)
		if sum := rec.Column(1); sum.IsValid(0) {
			rows = sum.(*array.Int64).Value(0)
		}
		for i, k := range e.keys {
			example = append(example, k+"="+cellString(rec.Column(2+i), 0, g.loc))
		}
	}
	res.Observed, res.Passed, res.Threshold = float64(keys), keys == 0, "== 0"
	res.Detail = "no duplicate key"
	if keys > 0 {
		verb := "occur"
		if keys == 1 {
			verb = "occurs"
		}
		res.Detail = fmt.Sprintf("%s %s more than once, in %d rows, e.g. %s", plural(keys, "key"), verb, rows, strings.Join(example, ", "))
	}
}

// validate runs d's job for its expectations alone and returns their results, no policy
// applied.
func (d *Dataset) validate(ctx context.Context, action string) (ExpectationReport, error) {
	var rep ExpectationReport
	if _, err := d.run(context.WithValue(ctx, validateKey{}, &rep), action, discardSink{}); err != nil {
		return ExpectationReport{}, err
	}
	return rep, nil
}

// plural renders n things, adding an s unless n is one.
func plural(n int64, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
