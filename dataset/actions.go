package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec"
	"github.com/kindling-data/kindling/plan"
)

// prepared is a dataset's lineage taken through the planner.
type prepared struct {
	analyzed, optimized plan.Node
	physical            plan.PhysNode
	stages              []*plan.Stage
}

func (d *Dataset) prepare() (*prepared, error) { return d.prepareAt(time.Now()) }

// prepareAt plans the dataset as a job started at now (the instant current_timestamp and
// current_date see): a distributed runner plans the same job on every machine with the
// driver's instant, so that every machine runs the same plan.
func (d *Dataset) prepareAt(now time.Time) (*prepared, error) {
	if d.err != nil {
		return nil, d.err
	}
	if err := d.s.checkOpen(); err != nil {
		return nil, err
	}
	analyzed, err := plan.Analyze(d.node)
	if err != nil {
		return nil, err
	}
	// The session time zone and the job's current time, stamped once per job.
	analyzed, err = plan.ApplySession(analyzed, plan.SessionSettings{TimeZone: d.s.cfg.TimeZone, Now: now})
	if err != nil {
		return nil, err
	}
	optimize := plan.Optimize
	if d.s.cfg.TestingKnobs.KeepDistinctAggregates {
		optimize = plan.OptimizeKeepingDistinct
	}
	optimized := optimize(analyzed)
	phys, err := plan.Physical(optimized, d.s.physicalConfig())
	if err != nil {
		return nil, err
	}
	return &prepared{analyzed: analyzed, optimized: optimized, physical: phys, stages: plan.Split(phys)}, nil
}

// Session returns the session the dataset belongs to: a library building on datasets
// (say, a table format) reads and writes more data in the same session.
func (d *Dataset) Session() *Session { return d.s }

// Schema analyzes the lineage and returns the schema of the rows the dataset holds.
// It reads only metadata (a CSV header, Parquet footers), never data.
func (d *Dataset) Schema() (*arrow.Schema, error) {
	if d.err != nil {
		return nil, d.err
	}
	if err := d.s.checkOpen(); err != nil {
		return nil, err
	}
	a, err := plan.Analyze(d.node)
	if err != nil {
		return nil, err
	}
	return a.Schema(), nil
}

// Explain plans the dataset without running it and returns its logical, optimized and
// physical plans and its stages with their partition counts. Planning reads metadata
// (file listings, CSV headers, Parquet footers) but no data. If planning fails the text
// says why.
func (d *Dataset) Explain() string {
	p, err := d.prepare()
	if err != nil {
		if d.err == nil && d.node != nil {
			return plan.FormatLogical(d.node) + "\nerror: " + err.Error() + "\n"
		}
		return "error: " + err.Error() + "\n"
	}
	return plan.Explain(d.node, p.optimized, p.physical, p.stages)
}

// jobSpec is the job running p's stages for action, with d's plans as Explain prints them.
func (d *Dataset) jobSpec(p *prepared, action string) exec.JobSpec {
	text := plan.Explain(d.node, p.optimized, p.physical, p.stages)
	if d.sql != "" {
		text = "== SQL ==\n" + strings.TrimSpace(d.sql) + "\n" + text
	}
	return exec.JobSpec{Action: action, Stages: p.stages, Plan: text}
}

// run plans the dataset and runs its job into sink.
func (d *Dataset) run(ctx context.Context, action string, sink exec.ResultSink) (p *prepared, err error) {
	if d.err != nil {
		return nil, d.err
	}
	ctx, expect := d.observeExpectations(ctx)
	ctx, end, err := d.s.beginJob(ctx)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", action, err)
	}
	defer func() {
		if err != nil && context.Cause(ctx) == ErrSessionClosed && !errors.Is(err, ErrSessionClosed) {
			// Cancelled by Close, and the failure it caused does not say so.
			err = fmt.Errorf("%w: %w", ErrSessionClosed, err)
		}
		d.s.warnNotCached()
		end()
	}()
	p, err = d.prepare()
	if err != nil {
		return nil, err
	}
	m, err := exec.RunJob(ctx, d.s.env, d.jobSpec(p, action), sink)
	d.s.recordJob(m, d.node)
	if errors.Is(err, exec.ErrCacheLost) {
		// A cached partition the plan read was evicted meanwhile: plan again (the dataset
		// is no longer materialized, so its lineage recomputes the partition) and rerun.
		if r, ok := sink.(interface{ reset() }); ok {
			r.reset()
		}
		if p, err = d.prepare(); err != nil {
			return nil, err
		}
		expect.reset()
		m, err = exec.RunJob(ctx, d.s.env, d.jobSpec(p, action), sink)
		d.s.recordJob(m, d.node)
	}
	if err != nil {
		return p, fmt.Errorf("dataset: %s: %w", action, err)
	}
	// Before the sink's action commits anything: a failed expectation under Fail fails it.
	return p, expect.finish(ctx, action, sink, p, m)
}

// collectSink keeps each partition's batches; only committed task attempts count.
type collectSink struct {
	mu    sync.Mutex
	parts map[int][]arrow.RecordBatch
}

type collectTask struct {
	sink      *collectSink
	partition int
	batches   []arrow.RecordBatch
}

func (c *collectSink) NewTask(partition, attempt int, mem memory.Allocator) (exec.TaskSink, error) {
	return &collectTask{sink: c, partition: partition}, nil
}

func (t *collectTask) Consume(ctx context.Context, rec arrow.RecordBatch) error {
	if rec.NumRows() == 0 {
		rec.Release()
		return nil
	}
	t.batches = append(t.batches, rec)
	return nil
}

func (t *collectTask) Commit() error {
	t.sink.mu.Lock()
	defer t.sink.mu.Unlock()
	if t.sink.parts == nil {
		t.sink.parts = make(map[int][]arrow.RecordBatch)
	}
	t.sink.parts[t.partition] = t.batches
	t.batches = nil
	return nil
}

func (t *collectTask) Abort() {
	releaseAll(t.batches)
	t.batches = nil
}

// ordered returns the batches in partition order (task order: adaptive execution may
// run more or fewer tasks than the plan has partitions).
func (c *collectSink) ordered() []arrow.RecordBatch {
	var out []arrow.RecordBatch
	for _, p := range slices.Sorted(maps.Keys(c.parts)) {
		out = append(out, c.parts[p]...)
	}
	return out
}

func (c *collectSink) reset() { c.release() }

func (c *collectSink) release() {
	for _, bs := range c.parts {
		releaseAll(bs)
	}
	c.parts = nil
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// Collect runs the job and returns the rows as record batches in partition order. The
// caller owns the batches and must Release each. Empty batches are left out.
//
// Release returns a batch's buffers to the session's allocator, which reuses them for
// later batches: a string, byte slice or value slice read from a batch (String.Value,
// Int64Values, ...) points into those buffers and turns to garbage once the batch is
// released. Copy what must outlive the batch first (strings.Clone, slices.Clone).
func (d *Dataset) Collect(ctx context.Context) ([]arrow.RecordBatch, error) {
	return d.collect(ctx, "collect")
}

// collect is Collect with the job labelled by the action that asked for it.
func (d *Dataset) collect(ctx context.Context, action string) ([]arrow.RecordBatch, error) {
	sink := &collectSink{}
	_, err := d.run(ctx, action, sink)
	if err != nil {
		sink.release()
		return nil, err
	}
	return sink.ordered(), nil
}

// Take returns the first n rows, reading no more of the input than needed. As with
// Collect, the caller must Release each batch, and strings or slices read from a batch
// are valid only until it is released (copy them to keep them).
func (d *Dataset) Take(ctx context.Context, n int64) ([]arrow.RecordBatch, error) {
	return d.Limit(n).collect(ctx, "take")
}

// Count runs the job and returns the number of rows. It counts per partition and sums,
// so no row crosses a shuffle.
func (d *Dataset) Count(ctx context.Context) (int64, error) {
	return d.count(ctx, "count")
}

// count is Count with the job labelled by the action that asked for it.
func (d *Dataset) count(ctx context.Context, action string) (int64, error) {
	g := &Grouped{d: d, site: callSite("count")}
	recs, err := g.Agg(Count()).collect(ctx, action)
	if err != nil {
		return 0, err
	}
	defer releaseAll(recs)
	var total int64
	for _, r := range recs {
		col, ok := r.Column(0).(*array.Int64)
		if !ok {
			return 0, fmt.Errorf("dataset: count: unexpected result type %s", r.Column(0).DataType())
		}
		for i := 0; i < col.Len(); i++ {
			total += col.Value(i)
		}
	}
	return total, nil
}

// ForEachBatch runs the job and calls fn with every batch of the result, from the task
// goroutines: calls for different partitions may run concurrently, and the batches of
// one partition come in order. fn borrows the batch: it is released when fn returns
// and its buffers are reused, so Retain the batch to keep it, and copy any string or
// slice read from it that must outlive the call (strings.Clone). As with
// Spark's foreach, a task that fails after calling fn and is retried calls it again for
// the same rows. An error from fn fails the job.
func (d *Dataset) ForEachBatch(ctx context.Context, fn func(partition int, rec arrow.RecordBatch) error) error {
	_, err := d.run(ctx, "forEachBatch", &forEachSink{fn: fn})
	return err
}

type forEachSink struct {
	fn func(partition int, rec arrow.RecordBatch) error
}

type forEachTask struct {
	fn        func(partition int, rec arrow.RecordBatch) error
	partition int
}

func (f *forEachSink) NewTask(partition, attempt int, mem memory.Allocator) (exec.TaskSink, error) {
	return &forEachTask{fn: f.fn, partition: partition}, nil
}

// Consume calls the user's function; its errors and panics are the user code's, which a
// retry may cure.
func (t *forEachTask) Consume(ctx context.Context, rec arrow.RecordBatch) (err error) {
	defer rec.Release()
	defer func() {
		if r := recover(); r != nil {
			err = exec.UserError(fmt.Errorf("dataset: ForEachBatch function panicked: %v", r))
		}
	}()
	return exec.UserError(t.fn(t.partition, rec))
}
func (t *forEachTask) Commit() error { return nil }
func (t *forEachTask) Abort()        {}

// Show prints the first n rows as a text table to standard output, as Spark's show:
// timestamps on the session time zone's wall clock (Config.TimeZone), intervals as
// Spark's text ("1 months 2 days 3 hours").
func (d *Dataset) Show(ctx context.Context, n int) error {
	s, err := d.ShowString(ctx, n)
	if err != nil {
		return err
	}
	_, err = io.WriteString(os.Stdout, s)
	return err
}

// ShowString renders the first n rows as a text table, as Show prints them.
func (d *Dataset) ShowString(ctx context.Context, n int) (string, error) {
	if n < 0 {
		return "", errors.New("dataset: Show: negative row count")
	}
	recs, err := d.Limit(int64(n)+1).collect(ctx, "show")
	if err != nil {
		return "", err
	}
	defer releaseAll(recs)
	schema, err := d.Schema()
	if err != nil {
		return "", err
	}
	loc, err := plan.LoadTimeZone(d.s.cfg.TimeZone)
	if err != nil {
		return "", err
	}
	return formatTable(schema, recs, n, loc), nil
}

// formatTable renders the rows as Spark's show does, timestamps in the session's zone.
func formatTable(schema *arrow.Schema, recs []arrow.RecordBatch, n int, loc *time.Location) string {
	header := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		header[i] = f.Name
	}
	rows := [][]string{}
	more := false
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			if len(rows) == n {
				more = true
				break
			}
			row := make([]string, r.NumCols())
			for c := range row {
				row[c] = cellString(r.Column(c), i, loc)
			}
			rows = append(rows, row)
		}
	}
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, row := range rows {
		for i, v := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(v))
		}
	}
	var b strings.Builder
	sep := func() {
		b.WriteByte('+')
		for _, w := range widths {
			b.WriteString(strings.Repeat("-", w+2))
			b.WriteByte('+')
		}
		b.WriteByte('\n')
	}
	line := func(cells []string) {
		b.WriteByte('|')
		for i, c := range cells {
			pad := widths[i] - utf8.RuneCountInString(c)
			b.WriteByte(' ')
			b.WriteString(strings.Repeat(" ", pad))
			b.WriteString(c)
			b.WriteString(" |")
		}
		b.WriteByte('\n')
	}
	sep()
	line(header)
	sep()
	for _, r := range rows {
		line(r)
	}
	sep()
	if more {
		fmt.Fprintf(&b, "only showing the first %d rows\n", n)
	} else {
		plural := "s"
		if len(rows) == 1 {
			plural = ""
		}
		fmt.Fprintf(&b, "(%d row%s)\n", len(rows), plural)
	}
	return b.String()
}

func cellString(a arrow.Array, i int, loc *time.Location) string {
	// A NULL-typed column has no validity bitmap, so IsNull is false for its rows.
	if a.IsNull(i) || a.DataType().ID() == arrow.NULL {
		return "null"
	}
	switch a := a.(type) {
	case *array.Dictionary:
		return cellString(a.Dictionary(), a.GetValueIndex(i), loc)
	case *array.Timestamp:
		// An instant shown on the session zone's wall clock, as Spark's show does, with
		// the fraction of a second only when there is one.
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(unit).In(loc).Format("2006-01-02 15:04:05.999999999")
	case *array.MonthDayNanoInterval:
		return plan.FormatInterval(a.Value(i))
	case *array.Float64:
		// 15 significant digits: a sum of cents shows as 492834.63, not 492834.62999999983.
		return strconv.FormatFloat(a.Value(i), 'g', 15, 64)
	}
	return a.ValueStr(i)
}
