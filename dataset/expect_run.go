package dataset

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec"
	"github.com/kindling-data/kindling/plan"
)

// maxExamples is how many offending values a row-level check keeps for its report.
const maxExamples = 3

// expectGate is one Expect call: its expectations and the pass-through stage that
// counts what they need. The counts of a job live in the job's expectRun, found through
// the task's context, so that concurrent actions over the same dataset do not mix.
type expectGate struct {
	id      int64
	name    string // the stage's name, unique: how the job's physical plan shows it
	site    string
	s       *Session
	policy  Policy
	exps    []Expectation
	metrics []gateMetric
	metric  []int     // exps[i]'s index in metrics, -1 for none
	source  plan.Node // the lineage the expectations are about
	input   plan.Node // source with the hidden metric columns
	loc     *time.Location

	mu   sync.Mutex
	last []ExpectationResult
}

// gateMetric is a hidden column the stage counts: its NULLs, or its true values.
type gateMetric struct {
	hidden string
	nulls  bool
	ref    bool   // not counted: a reference that makes analysis check a column
	value  string // the column whose values failing rows show as examples, or ""
}

// gateRegistry finds the gate of a MapPartitions node of a lineage. It holds the nodes
// weakly: a gate is dropped with the last dataset whose lineage holds its node.
var gateRegistry struct {
	mu sync.Mutex
	m  map[weak.Pointer[plan.MapPartitions]]*expectGate
}

func newGate(d *Dataset, policy Policy, exps []Expectation, site string) plan.Node {
	id := d.s.gateIDs.Add(1)
	g := &expectGate{id: id, name: gateNodeName(id, exps), site: site, s: d.s, policy: policy,
		exps: append([]Expectation(nil), exps...), source: d.node, loc: time.UTC}
	if loc, err := plan.LoadTimeZone(d.s.cfg.TimeZone); err == nil {
		g.loc = loc
	}
	var hidden []plan.Expr
	var names []string
	for i, e := range g.exps {
		m := gateMetric{hidden: fmt.Sprintf("__expect%d_%d", id, i)}
		switch e.kind {
		case kindNullRatio:
			m.nulls = true
			hidden = append(hidden, &plan.Alias{Child: &plan.ColumnRef{Name: e.col}, Name: m.hidden})
		case kindValuesIn, kindValuesBetween, kindPassRatio:
			m.value = e.col
			hidden = append(hidden, &plan.Alias{Child: e.flag.e, Name: m.hidden})
		case kindUnique:
			// References only, counting nothing: an unknown key column fails the
			// action's analysis, naming Expect's call site, before any task runs.
			for j, k := range e.keys {
				r := gateMetric{hidden: fmt.Sprintf("__expect%d_%d_%d", id, i, j), ref: true}
				hidden = append(hidden, &plan.Alias{Child: &plan.ColumnRef{Name: k}, Name: r.hidden})
				g.metrics = append(g.metrics, r)
				names = append(names, r.hidden)
			}
			g.metric = append(g.metric, -1)
			continue
		default:
			g.metric = append(g.metric, -1)
			continue
		}
		g.metric = append(g.metric, len(g.metrics))
		g.metrics = append(g.metrics, m)
		names = append(names, m.hidden)
	}
	g.input = d.node
	if len(hidden) > 0 {
		g.input = &plan.WithColumns{Meta: plan.Meta{CallSite: site}, Input: d.node, Exprs: hidden}
	}
	node := g.node()
	gateRegistry.mu.Lock()
	if gateRegistry.m == nil {
		gateRegistry.m = map[weak.Pointer[plan.MapPartitions]]*expectGate{}
	}
	key := weak.Make(node)
	gateRegistry.m[key] = g
	gateRegistry.mu.Unlock()
	runtime.AddCleanup(node, func(k weak.Pointer[plan.MapPartitions]) {
		gateRegistry.mu.Lock()
		delete(gateRegistry.m, k)
		gateRegistry.mu.Unlock()
	}, key)
	if len(names) == 0 {
		return node
	}
	return &plan.Drop{Meta: plan.Meta{CallSite: site}, Input: node, Columns: names}
}

// node returns a new pass-through stage of the gate over its input.
func (g *expectGate) node() *plan.MapPartitions {
	return &plan.MapPartitions{Meta: plan.Meta{CallSite: g.site}, Input: g.input, Fn: g.partition, Name: g.name, RowWise: true}
}

// gatesIn returns the gates of the lineage, inputs before the datasets derived from them.
func gatesIn(root plan.Node) []*expectGate {
	var out []*expectGate
	seen := map[plan.Node]bool{}
	var walk func(n plan.Node)
	walk = func(n plan.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		for _, c := range n.Children() {
			walk(c)
		}
		if mp, ok := n.(*plan.MapPartitions); ok {
			gateRegistry.mu.Lock()
			g := gateRegistry.m[weak.Make(mp)]
			gateRegistry.mu.Unlock()
			if g != nil {
				out = append(out, g)
			}
		}
	}
	walk(root)
	return out
}

func (g *expectGate) lastResults() []ExpectationResult {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]ExpectationResult(nil), g.last...)
}

// partition is the stage's function: it passes the batches on untouched and, when the
// job observes the gate, counts them into a partial of its own for partition p.
func (g *expectGate) partition(ctx context.Context, p int, in iter.Seq2[arrow.RecordBatch, error], _ memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
	run, _ := ctx.Value(expectRunKey{}).(*expectRun)
	part := run.start(g, p)
	return func(yield func(arrow.RecordBatch, error) bool) {
		for rec, err := range in {
			if err != nil {
				yield(nil, err)
				return
			}
			if part != nil {
				if err := part.observe(g, rec); err != nil {
					yield(nil, err)
					return
				}
			}
			rec.Retain()
			if !yield(rec, nil) {
				return
			}
		}
		if part != nil {
			part.complete.Store(true)
		}
	}
}

// partial is what one run of the stage over one partition counted. complete says it saw
// the partition to its end.
type partial struct {
	rows     int64
	counts   []int64 // per gate metric
	examples [][]string
	scratch  []byte
	complete atomic.Bool
}

func (pt *partial) observe(g *expectGate, rec arrow.RecordBatch) error {
	pt.rows += rec.NumRows()
	schema := rec.Schema()
	for i, m := range g.metrics {
		if m.ref {
			continue
		}
		idx := schema.FieldIndices(m.hidden)
		if len(idx) != 1 {
			return fmt.Errorf("dataset: expect: the batch lacks the hidden column %s", m.hidden)
		}
		col := rec.Column(idx[0])
		if m.nulls {
			pt.counts[i] += int64(col.NullN())
			continue
		}
		passed, err := pt.countTrue(col)
		if err != nil {
			return err
		}
		pt.counts[i] += passed
		if m.value != "" && passed < int64(col.Len()) && len(pt.examples[i]) < maxExamples {
			pt.addExamples(i, col.(*array.Boolean), rec.Column(schema.FieldIndices(m.value)[0]), g.loc)
		}
	}
	return nil
}

// countTrue counts the rows where the boolean column is true (not NULL), with bitmaps.
func (pt *partial) countTrue(col arrow.Array) (int64, error) {
	if col.DataType().ID() == arrow.NULL {
		return 0, nil
	}
	b, ok := col.(*array.Boolean)
	if !ok {
		return 0, fmt.Errorf("dataset: expect: a check evaluated to %s, not boolean", col.DataType())
	}
	data := b.Data()
	n, off := data.Len(), data.Offset()
	if n == 0 {
		return 0, nil
	}
	values := data.Buffers()[1].Bytes()
	if b.NullN() == 0 {
		return int64(bitutil.CountSetBits(values, off, n)), nil
	}
	if need := bitutil.BytesForBits(int64(n)); int64(cap(pt.scratch)) < need {
		pt.scratch = make([]byte, need)
	} else {
		pt.scratch = pt.scratch[:need]
	}
	bitutil.BitmapAnd(values, data.Buffers()[0].Bytes(), int64(off), int64(off), pt.scratch, 0, int64(n))
	return int64(bitutil.CountSetBits(pt.scratch, 0, n)), nil
}

// addExamples keeps the first distinct values of the failing rows, up to maxExamples.
func (pt *partial) addExamples(i int, flag *array.Boolean, value arrow.Array, loc *time.Location) {
	for r := 0; r < flag.Len() && len(pt.examples[i]) < maxExamples; r++ {
		if flag.IsValid(r) && flag.Value(r) {
			continue
		}
		v := strings.Clone(cellString(value, r, loc)) // not the batch's buffer, reused once released
		dup := false
		for _, x := range pt.examples[i] {
			dup = dup || x == v
		}
		if !dup {
			pt.examples[i] = append(pt.examples[i], v)
		}
	}
}

// expectRunKey is the context key of the job's *expectRun.
type expectRunKey struct{}

// expectRun is what one action's job observes of the gates of its lineage. A nested run
// belongs to a job that an evaluation started (a count, a uniqueness check, a job of
// the checks alone): its own gates are not evaluated.
type expectRun struct {
	d      *Dataset
	key    context.Context // the context the action passed to run (deferred gates)
	nested bool
	gates  []*expectGate

	mu    sync.Mutex
	slots map[*expectGate]map[int]*partial
	// validate, when set, receives the results instead of the policies being applied.
	validate *ExpectationReport
	p        *prepared
	m        *JobMetrics
}

// validateKey is the context key of the report Validate wants filled.
type validateKey struct{}

// observeExpectations prepares d's job to observe the gates of d's lineage: it returns
// the context the job must run under and the run, nil if there is nothing to observe.
func (d *Dataset) observeExpectations(ctx context.Context) (context.Context, *expectRun) {
	if r, ok := ctx.Value(expectRunKey{}).(*expectRun); ok && r.nested {
		return ctx, r
	}
	gates := gatesIn(d.node)
	if len(gates) == 0 {
		return ctx, nil
	}
	r := &expectRun{d: d, key: ctx, gates: gates}
	r.validate, _ = ctx.Value(validateKey{}).(*ExpectationReport)
	r.reset()
	return context.WithValue(ctx, expectRunKey{}, r), r
}

// nestedRun returns a context for a job an evaluation starts, observing gates only.
func nestedRun(ctx context.Context, gates ...*expectGate) (context.Context, *expectRun) {
	r := &expectRun{nested: true, gates: gates}
	r.reset()
	return context.WithValue(ctx, expectRunKey{}, r), r
}

// reset forgets what the run observed: the job is run again from the start.
func (r *expectRun) reset() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.slots = make(map[*expectGate]map[int]*partial, len(r.gates))
	for _, g := range r.gates {
		r.slots[g] = map[int]*partial{}
	}
}

// start gives the stage of gate g over partition p a new partial, replacing any earlier
// one: task attempts of a partition run one after the other, and a later one exists
// only because the earlier failed (or was a range partitioning's sampling pass), so the
// partition's last partial is the one whose rows went on. nil means g is not observed.
func (r *expectRun) start(g *expectGate, p int) *partial {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	slots, ok := r.slots[g]
	if !ok {
		return nil
	}
	pt := &partial{counts: make([]int64, len(g.metrics)), examples: make([][]string, len(g.metrics))}
	slots[p] = pt
	return pt
}

// finish ends the run of d's job for action, which succeeded with plan p and metrics m:
// it evaluates the gates and applies their policies, or leaves them to
// expectationsGate when the sink defers them.
func (r *expectRun) finish(ctx context.Context, action string, sink exec.ResultSink, p *prepared, m *JobMetrics) error {
	if r == nil {
		return nil
	}
	r.p, r.m = p, m
	if r.nested {
		return nil
	}
	results, err := r.evaluate(ctx)
	if err != nil {
		return fmt.Errorf("dataset: %s: evaluating expectations: %w", action, err)
	}
	if r.validate != nil {
		r.validate.Results = results
		return nil
	}
	if _, ok := sink.(deferredGate); ok {
		putDeferred(r.d, r.key, results)
		return nil
	}
	return r.d.s.applyExpectations(action, results)
}

// totals is what the stage of a gate counted over all partitions.
type totals struct {
	rows     int64
	counts   []int64
	examples [][]string
}

// observed sums the partials of g, or reports false unless the job ran the stage over
// every partition to its end exactly once per partition (see gateTasks).
func (r *expectRun) observed(g *expectGate) (totals, bool) {
	t := totals{counts: make([]int64, len(g.metrics)), examples: make([][]string, len(g.metrics))}
	if r.p == nil {
		return t, false
	}
	n, ok := gateTasks(r.p, r.m, g.name)
	r.mu.Lock()
	defer r.mu.Unlock()
	slots := r.slots[g]
	if !ok || len(slots) != n {
		return t, false
	}
	for p := range n {
		pt := slots[p]
		if pt == nil || !pt.complete.Load() {
			return t, false
		}
		t.rows += pt.rows
		for i := range pt.counts {
			t.counts[i] += pt.counts[i]
			t.examples[i] = append(t.examples[i], pt.examples[i]...)
		}
	}
	return t, true
}

// gateTasks returns the number of partitions of the stage of gate name the job ran, one
// task each, or false when the plan does not say: the stage appears other than once in
// the plan (not at all when the rows came from a cache), or it lies under a union, a
// join or a coalesce of a stage that adaptive execution re-planned (a task may then have
// read a partition that another task read too). Otherwise the partitions are the
// planned ones under such operators, and the tasks of the stage (as adaptive execution
// made them) directly under its root.
func gateTasks(p *prepared, m *JobMetrics, name string) (int, bool) {
	found, n, ok := 0, 0, true
	for _, s := range p.stages {
		var sm *exec.StageMetrics
		if m != nil {
			for i := range m.Stages {
				if m.Stages[i].StageID == s.ID {
					sm = &m.Stages[i]
				}
			}
		}
		var walk func(x plan.PhysNode, direct bool)
		walk = func(x plan.PhysNode, direct bool) {
			if mp, isGate := x.(*plan.PMapPartitions); isGate && mp.Name == name {
				found++
				switch n = mp.NumPartitions(); {
				case sm == nil:
					ok = false
				case direct:
					n = len(sm.Tasks)
				case len(sm.Adaptive) > 0 || len(sm.Tasks) != s.NumPartitions():
					ok = false
				}
			}
			kids := x.Children()
			_, coalesce := x.(*plan.PCoalesce)
			for _, c := range kids {
				walk(c, direct && len(kids) == 1 && !coalesce)
			}
		}
		walk(s.Root, true)
	}
	return n, ok && found == 1
}

// deferredGate is a result sink whose action applies the expectations' policies itself,
// through expectationsGate, between the job and its commit.
type deferredGate interface{ defersExpectations() }

// defersExpectations: a write calls expectationsGate before it commits.
func (*fileSink) defersExpectations() {}

type deferredKey struct {
	d   *Dataset
	ctx context.Context
}

// deferred holds the results of jobs whose sink deferred the policies, until the
// action's expectationsGate takes them or its context ends.
var deferred struct {
	mu sync.Mutex
	m  map[deferredKey]deferredResults
}

type deferredResults struct {
	results []ExpectationResult
	stop    func() bool // ends the wait for the context
}

func putDeferred(d *Dataset, ctx context.Context, results []ExpectationResult) {
	k := deferredKey{d, ctx}
	deferred.mu.Lock()
	defer deferred.mu.Unlock()
	if deferred.m == nil {
		deferred.m = map[deferredKey]deferredResults{}
	}
	if old, ok := deferred.m[k]; ok {
		old.stop()
	}
	deferred.m[k] = deferredResults{results: results, stop: context.AfterFunc(ctx, func() { takeDeferred(d, ctx) })}
}

func takeDeferred(d *Dataset, ctx context.Context) ([]ExpectationResult, bool) {
	k := deferredKey{d, ctx}
	deferred.mu.Lock()
	defer deferred.mu.Unlock()
	x, ok := deferred.m[k]
	if ok {
		x.stop()
		delete(deferred.m, k)
	}
	return x.results, ok
}

// discardSink releases the rows of a job run for its expectations alone.
type discardSink struct{}

type discardTask struct{}

func (discardSink) NewTask(int, int, memory.Allocator) (exec.TaskSink, error) {
	return discardTask{}, nil
}

func (discardTask) Consume(_ context.Context, rec arrow.RecordBatch) error {
	rec.Release()
	return nil
}
func (discardTask) Commit() error { return nil }
func (discardTask) Abort()        {}
