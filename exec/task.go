package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/kindling-data/kindling/exec/asofjoin"
	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/eval"
	"github.com/kindling-data/kindling/exec/hashagg"
	"github.com/kindling-data/kindling/exec/hashjoin"
	"github.com/kindling-data/kindling/exec/sorting"
	"github.com/kindling-data/kindling/exec/window"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/shuffle"
)

// task is one attempt of one partition of a stage: it builds the stage's pipeline of
// operators for its partition and drives it into a shuffle writer or the result sink.
type task struct {
	job       *job
	stage     *plan.Stage
	partition int
	attempt   int
	alloc     *kmemory.Allocator
	in        inputCounter
	cache     cacheCounter
	mtask     *kmemory.Task // the attempt's memory: fairness among tasks, spilling within one
	spillers  []spillStats
	// reads are the (plan-local shuffle ID, reduce partition) pairs the task reads,
	// broadcasts excepted: what may be freed once it succeeds (job.releaseReads).
	reads [][2]int
	// shared counts the cartesian joins being built: each partition they read is read by
	// several tasks, so it is kept to the end of the job (not in reads).
	shared int
	// spec, when adaptive execution re-planned the stage, is what the task reads of each
	// shuffle (by plan-local ID) instead of reduce partition partition.
	spec map[int]readSpec
	// sampler, when set, makes the attempt a sampling pass: its output feeds the
	// reservoir (range partitioning) and sampled receives the sample on success.
	sampler *shuffle.Reservoir
	sampled arrow.RecordBatch
	// opIndex numbers the stage's operators (operatorIndex); opRows counts each one's
	// output rows in this attempt.
	opIndex map[plan.PhysNode]int
	opRows  []int64
	// input, when set, is where the shuffle reads of a task run by RunStageTask come
	// from (the distributed runner's blocks) instead of the session's shuffle service.
	input StageInput
}

// build returns the operator tree computing partition p of node n. Built with the
// invariants tag, every operator's output is validated on its way to the next.
func (t *task) build(n plan.PhysNode, p int) (colop.Operator, error) {
	op, err := t.buildNode(n, p)
	if err != nil {
		return op, err
	}
	if i, ok := t.opIndex[n]; ok {
		op = countRows(op, &t.opRows[i])
	}
	if !colop.Invariants {
		return op, nil
	}
	return &checkedOp{Operator: op, node: n, where: fmt.Sprintf("stage %d task %d: %T", t.stage.ID, t.partition, op)}, nil
}

// buildNode builds the operator of n, and those of its inputs through build.
func (t *task) buildNode(n plan.PhysNode, p int) (colop.Operator, error) {
	switch n := n.(type) {
	case *plan.PScan:
		return newScan(n.Parts[p], t.alloc, &t.in), nil
	case *plan.PShuffleRead:
		return t.buildShuffleRead(n, p), nil
	case *plan.PSample, *plan.PMapPartitions:
		return t.buildPartitionOp(n, p)
	case *plan.PHashJoin:
		return t.buildJoin(n, p)
	case *plan.PAsOfJoin:
		return t.buildAsOfJoin(n, p)
	case *plan.PUnion:
		return t.buildUnion(n, p)
	case *plan.PCoalesce:
		return t.buildCoalesce(n, p)
	case *plan.PCache:
		env := t.job.env
		return &CacheOp{node: n, partition: p, newInput: func() (colop.Operator, error) { return t.build(n.Input, p) },
			blocks: env.Blocks, mem: env.Mem, lockBlock: env.lockBlock, alloc: t.alloc, counter: &t.cache,
			reserve: func(op string) *kmemory.Reservation { return t.reserveSpillable(op, nil) }}, nil
	case *plan.PCacheRead:
		return &CacheReadOp{node: n, p: p, blocks: t.job.env.Blocks, alloc: t.alloc, counter: &t.cache, inputs: &t.in}, nil
	case *plan.PExchange:
		return nil, fmt.Errorf("exec: exchange inside stage %d: the stage split missed it", t.stage.ID)
	}
	children := n.Children()
	if len(children) != 1 {
		return nil, fmt.Errorf("exec: no operator for %T", n)
	}
	in, err := t.build(children[0], p)
	if err != nil {
		return nil, err
	}
	op, err := t.unaryOperator(n, in)
	if err != nil {
		in.Close()
		return nil, err
	}
	if s, ok := op.(spillStats); ok {
		t.spillers = append(t.spillers, s)
	}
	return op, nil
}

// options is what every operator of the task is built from: the task's accounting
// allocator, its memory (each reservation named after the operator, stage and task), the
// session's spill directory and batch size.
func (t *task) options() colop.Options {
	return colop.Options{
		Mem: t.alloc,
		Reserve: func(name string, s kmemory.Spiller) colop.Reservation {
			return t.reserveSpillable(name, s)
		},
		Spill:     t.job.env.Spill,
		BatchRows: t.job.env.BatchRows,
		Tasks:     t.job.env.Parallelism,
	}
}

// unaryOperator returns the operator of a node with one input, over in.
func (t *task) unaryOperator(n plan.PhysNode, in colop.Operator) (colop.Operator, error) {
	opts := t.options()
	switch n := n.(type) {
	case *plan.PSort:
		return sorting.NewSort(in, n, opts), nil
	case *plan.PFilter:
		keep, err := plan.ColumnIndices(n.Input.Schema(), n.Keep)
		if err != nil {
			return nil, fmt.Errorf("exec: filter %s: %w", n.Cond, err)
		}
		return eval.NewFilterKeeping(in, n.Cond, keep, opts), nil
	case *plan.PProject:
		return eval.NewProject(in, n.Exprs, n.OutSchema, opts), nil
	case *plan.PHashAggregate:
		return hashagg.NewHashAggregate(in, n, opts), nil
	case *plan.PExplode:
		return NewExplode(in, n, opts), nil
	case *plan.PExpand:
		return NewExpand(in, n, opts), nil
	case *plan.PLimit:
		return NewLimit(in, n.N), nil
	case *plan.PMapBatches:
		return NewMapBatches(in, n, opts), nil
	case *plan.PWindow:
		return window.NewWindow(in, n, opts), nil
	case *plan.PWindowGroupLimit:
		return window.NewGroupLimit(in, n, opts), nil
	}
	return nil, fmt.Errorf("exec: no operator for %T", n)
}

// buildShuffleRead reads reduce partition p of a shuffle, or the one broadcast partition.
func (t *task) buildShuffleRead(n *plan.PShuffleRead, p int) colop.Operator {
	if t.input != nil {
		return t.inputRead(n, p)
	}
	rng := shuffle.Range{Start: p, End: p + 1}
	if n.Partitioning.Kind == plan.BroadcastPartitioning {
		rng = shuffle.Range{Start: 0, End: 1} // every task reads the one broadcast partition whole
	} else if spec, ok := t.spec[n.ShuffleID]; ok {
		rng = spec.rng
		if !spec.shared && t.shared == 0 {
			for r := rng.Start; r < rng.End; r++ {
				t.reads = append(t.reads, [2]int{n.ShuffleID, r})
			}
		}
	} else if t.shared == 0 {
		t.reads = append(t.reads, [2]int{n.ShuffleID, p})
	}
	return &ShuffleReadOp{svc: t.job.env.Shuffle, shuffleID: t.job.shuffleID(n.ShuffleID), rng: rng, counter: &t.in}
}

// buildJoin joins partition p of both sides; a broadcast side is its one partition.
func (t *task) buildJoin(n *plan.PHashJoin, p int) (colop.Operator, error) {
	lp, rp := p, p
	if n.Cartesian {
		lp, rp = p/n.Right.NumPartitions(), p%n.Right.NumPartitions()
		t.shared++
		defer func() { t.shared-- }()
	} else if n.Broadcast && n.Build == plan.BuildRight {
		rp = 0
	} else if n.Broadcast {
		lp = 0
	}
	left, err := t.build(n.Left, lp)
	if err != nil {
		return nil, err
	}
	right, err := t.build(n.Right, rp)
	if err != nil {
		left.Close()
		return nil, err
	}
	op := hashjoin.NewHashJoin(left, right, n, t.options())
	op.SetEval(eval.Eval)
	if s := t.job.sharedBuild(t.stage.ID, n, t.spec); s != nil {
		op.SetShared(s)
	}
	t.spillers = append(t.spillers, op)
	return op, nil
}

// buildAsOfJoin merges partition p of both (co-partitioned, sorted) sides.
func (t *task) buildAsOfJoin(n *plan.PAsOfJoin, p int) (colop.Operator, error) {
	left, err := t.build(n.Left, p)
	if err != nil {
		return nil, err
	}
	right, err := t.build(n.Right, p)
	if err != nil {
		left.Close()
		return nil, err
	}
	return asofjoin.New(left, right, n, t.options()), nil
}

// buildUnion finds the input that partition p of a union comes from.
func (t *task) buildUnion(n *plan.PUnion, p int) (colop.Operator, error) {
	for _, in := range n.Inputs {
		if k := in.NumPartitions(); p >= k {
			p -= k
			continue
		}
		return t.build(in, p)
	}
	return nil, fmt.Errorf("exec: union has no partition %d", p)
}

// buildCoalesce concatenates the input partitions that make output partition p.
func (t *task) buildCoalesce(n *plan.PCoalesce, p int) (colop.Operator, error) {
	lo, hi := coalesceRange(n.Input.NumPartitions(), n.NumPartitions(), p)
	ops := make([]colop.Operator, 0, hi-lo)
	for i := lo; i < hi; i++ {
		op, err := t.build(n.Input, i)
		if err != nil {
			for _, o := range ops {
				o.Close()
			}
			return nil, err
		}
		ops = append(ops, op)
	}
	return NewConcat(ops), nil
}

// reserveSpillable opens a reservation whose operator can spill when another consumer of
// the task needs memory.
func (t *task) reserveSpillable(op string, s kmemory.Spiller) *kmemory.Reservation {
	name := fmt.Sprintf("%s@stage %d task %d", op, t.stage.ID, t.partition)
	if s == nil {
		return t.mtask.NewReservation(name, nil)
	}
	return t.mtask.NewReservation(name, s)
}

// spillStats is what a spilling operator reports.
type spillStats interface {
	SpilledBytes() int64
	SpillCount() int64
}

// coalesceRange gives the contiguous input partitions [lo, hi) of output partition p when
// n inputs are merged into m outputs, spreading the remainder over the first outputs.
func coalesceRange(n, m, p int) (lo, hi int) {
	base, extra := n/m, n%m
	lo = p*base + min(p, extra)
	hi = lo + base
	if p < extra {
		hi++
	}
	return lo, hi
}

// run executes the attempt. A panic anywhere in the pipeline becomes the attempt's error.
func (t *task) run(ctx context.Context) (m TaskMetrics, err error) {
	start := time.Now()
	t.mtask = t.job.env.Mem.NewTask(ctx, fmt.Sprintf("stage %d task %d", t.stage.ID, t.partition))
	t.mtask.TrackAllocator(t.alloc) // its unreserved Arrow bytes count against the budget
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{msg: fmt.Sprintf("panic: %v\n%s", r, debug.Stack())}
		}
		m.PeakExecutionMemory = t.mtask.PeakExecution()
		t.mtask.Close()
	}()
	root, err := t.build(t.stage.Root, t.partition)
	if err != nil {
		return m, err
	}
	defer func() {
		if cerr := root.Close(); cerr != nil && err == nil {
			err = cerr
		}
		m.MalformedRows, m.RowGroupsPruned = t.in.malformed, t.in.rowGroupsPruned // known once the scans are closed
		m.CacheHits, m.CacheDiskHits, m.CacheMisses = t.cache.hits, t.cache.diskHits, t.cache.misses
		m.RecomputedPartitions, m.CachePutFailures = t.cache.recomputed, t.cache.putFailed
		for _, s := range t.spillers {
			m.SpilledBytes += s.SpilledBytes()
			m.SpillCount += s.SpillCount()
		}
	}()
	if err := root.Open(ctx); err != nil {
		return m, err
	}
	var out outputSink
	if t.sampler != nil {
		out = &sampleSink{t: t}
	} else if t.stage.Output != nil {
		out, err = t.newShuffleSink(ctx)
	} else {
		out, err = t.newResultSink(ctx)
	}
	if err != nil {
		return m, err
	}
	committed := false
	defer func() {
		if !committed {
			out.abort()
		}
	}()
	var outSizer colop.BatchSizer
	for {
		rec, err := root.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, err
		}
		if err := ctx.Err(); err != nil {
			rec.Release()
			return m, context.Cause(ctx)
		}
		m.RowsOut += rec.NumRows()
		m.BytesOut += outSizer.Bytes(rec)
		m.BatchesOut++
		if err := out.consume(ctx, rec); err != nil {
			return m, err
		}
	}
	if err := ctx.Err(); err != nil {
		// An operator may end its output early when the job is cancelled; such an end
		// must not commit as the partition's complete output.
		return m, context.Cause(ctx)
	}
	written, err := out.commit()
	if err != nil {
		return m, err
	}
	committed = true
	m.Partition, m.Attempt = t.partition, t.attempt
	m.RowsIn, m.BytesIn, m.BatchesIn, m.ShuffleBytesRead = t.in.rows, t.in.bytes, t.in.batches, t.in.shuffleBytes
	m.ShuffleBytesWritten = written
	m.PeakMemory = t.alloc.Peak()
	m.Start, m.Duration = start, time.Since(start)
	return m, nil
}

// outputSink is where a task's pipeline ends: a shuffle writer or the job's result sink.
type outputSink interface {
	consume(ctx context.Context, rec arrow.RecordBatch) error // takes ownership of rec
	commit() (shuffleBytes int64, err error)
	abort()
}

type shuffleSink struct {
	w *shuffle.Writer
}

func (s *shuffleSink) consume(ctx context.Context, rec arrow.RecordBatch) error {
	defer rec.Release()
	return s.w.Write(ctx, rec)
}

func (s *shuffleSink) commit() (int64, error) {
	st, err := s.w.Commit()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, b := range st.Bytes {
		total += b
	}
	return total, nil
}

func (s *shuffleSink) abort() { s.w.Abort() }

func (t *task) newShuffleSink(ctx context.Context) (outputSink, error) {
	part, err := partitioner(*t.stage.Output, t.stage.Root.Schema(), t.partition, t.job.rangeBounds(t.stage.ID))
	if err != nil {
		return nil, err
	}
	w := t.job.env.Shuffle.NewWriter(t.job.shuffleID(t.stage.ShuffleID), t.partition, t.attempt, part, t.stage.Root.Schema(), t.alloc)
	w.SetReservation(t.reserveSpillable("shuffle-write", w))
	t.spillers = append(t.spillers, w)
	return &shuffleSink{w: w}, nil
}

// partitioner builds the shuffle partitioner of an exchange. Round robin starts at the
// map partition's index so that small map outputs do not all land in reduce partition 0.
func partitioner(p plan.Partitioning, schema *arrow.Schema, mapPartition int, bounds arrow.RecordBatch) (shuffle.Partitioner, error) {
	switch p.Kind {
	case plan.HashPartitioning:
		cols := make([]int, len(p.Keys))
		for i, k := range p.Keys {
			idx := schema.FieldIndices(k)
			if len(idx) != 1 {
				return nil, fmt.Errorf("exec: shuffle key %q is not a column of %s", k, schema)
			}
			cols[i] = idx[0]
		}
		return shuffle.NewHashPartitioner(cols, p.N), nil
	case plan.RoundRobinPartitioning:
		return shuffle.NewRoundRobinPartitioner(p.N, mapPartition), nil
	case plan.RangePartitioning:
		if bounds == nil {
			return nil, fmt.Errorf("exec: range partitioning without bounds")
		}
		cols, orders, err := sortColumns(schema, p.SortKeys)
		if err != nil {
			return nil, err
		}
		return shuffle.NewRangePartitioner(cols, orders, bounds), nil
	}
	return shuffle.NewSinglePartitioner(), nil
}

type resultSink struct{ ts TaskSink }

func (r *resultSink) consume(ctx context.Context, rec arrow.RecordBatch) error {
	return r.ts.Consume(ctx, rec)
}
func (r *resultSink) commit() (int64, error) { return 0, r.ts.Commit() }
func (r *resultSink) abort()                 { r.ts.Abort() }

func (t *task) newResultSink(ctx context.Context) (outputSink, error) {
	ts, err := t.job.sink.NewTask(t.partition, t.attempt, t.alloc)
	if err != nil {
		return nil, err
	}
	return &resultSink{ts: ts}, nil
}

// ResultSink receives the output of a job's result stage: one TaskSink per task attempt.
// Only committed attempts count, so a retried task never delivers rows twice.
type ResultSink interface {
	NewTask(partition, attempt int, mem memory.Allocator) (TaskSink, error)
}

// TaskSink receives one result task attempt's batches.
type TaskSink interface {
	// Consume takes ownership of rec.
	Consume(ctx context.Context, rec arrow.RecordBatch) error
	// Commit makes the attempt's output final.
	Commit() error
	// Abort discards the attempt's output. It is called for every attempt not committed.
	Abort()
}
