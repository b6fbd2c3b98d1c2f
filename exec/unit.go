package exec

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/shuffle"
)

// This file is the contract with distributed runners (the beam module): they schedule
// the stages of a plan.Split themselves, move the shuffle blocks between machines, and
// call RunStageTask for each task. The task runs the same operators as under RunJob, with
// the session's memory budget, spill directory and batch size; only where its shuffle
// input comes from and where its output goes differ.

// StageInput gives a task run by RunStageTask the shuffle partitions it reads.
type StageInput interface {
	// Open returns the batches of reduce partition reduce of the job's shuffle shuffleID
	// (plan-local: the ID of the stage writing it). For a broadcast shuffle reduce is 0 and
	// the batches are the whole shuffle. Batches are allocated from mem, the task's
	// accounting allocator, and owned by the caller.
	Open(ctx context.Context, shuffleID, reduce int, mem memory.Allocator) (plan.BatchIterator, error)
}

// StageTask is one task of one stage, run outside RunJob.
type StageTask struct {
	// Stage is the stage, as the runner's plan.Split returned it (the same plan on every
	// machine: the runner plans the job deterministically everywhere).
	Stage *plan.Stage
	// Partition is the task's partition of the stage.
	Partition int
	// Attempt numbers the attempt (1 if zero); it only labels the shuffle writer's output.
	Attempt int
	// Input is where the stage's shuffle reads come from; nil for a stage reading none.
	Input StageInput
	// Bounds are the range bounds of a range-partitioned map stage (RangeBounds over the
	// samples of its sampling pass); the caller keeps ownership.
	Bounds arrow.RecordBatch
	// Sample runs the sampling pass of a range-partitioned map stage instead: emit
	// receives the task's sample of the sort keys once, as reduce partition -1.
	Sample bool
	// OperatorRows, when not nil, has one counter per operator of the stage's pipeline
	// (StageOperators order), to which the task adds the rows each operator output.
	OperatorRows []int64
}

// Emit receives a task's output, taking ownership of rec: for a map stage, a batch of
// reduce partition reduce of the stage's shuffle (a whole block, never single rows);
// for a result stage or a sampling pass, reduce is -1.
type Emit func(reduce int, rec arrow.RecordBatch) error

// RunStageTask runs one attempt of one task of st.Stage in env and hands its output to
// emit. It does not retry: the runner does. Adaptive execution and the runtime key
// filter, which need the sizes of every map output of the job, are not applied; the
// plan must have been made with them off so that every machine runs the same tasks.
//
// A map stage's output is written through the session's shuffle writer (which
// partitions, coalesces small pieces into batches of Env.BatchRows and spills under
// memory pressure) and emitted once the task has succeeded, so a failed attempt emits
// nothing of its shuffle. A result stage's batches are emitted as they are produced.
func RunStageTask(ctx context.Context, env *Env, st StageTask, emit Emit) (TaskMetrics, error) {
	s := st.Stage
	if s == nil {
		return TaskMetrics{}, errors.New("exec: RunStageTask without a stage")
	}
	if st.Partition < 0 || st.Partition >= s.NumPartitions() {
		return TaskMetrics{}, fmt.Errorf("exec: stage %d has no partition %d (%d tasks)", s.ID, st.Partition, s.NumPartitions())
	}
	ranged := s.Output != nil && s.Output.Kind == plan.RangePartitioning
	if st.Sample && !ranged {
		return TaskMetrics{}, fmt.Errorf("exec: stage %d is not range-partitioned: nothing to sample", s.ID)
	}
	if ranged && !st.Sample && st.Bounds == nil {
		return TaskMetrics{}, fmt.Errorf("exec: stage %d is range-partitioned: its tasks need the bounds of its sampling pass", s.ID)
	}
	j := &job{env: env, sink: emitSink{emit}, readers: map[int]int{}, plans: map[int]*stagePlan{},
		stages: []*plan.Stage{s}, finished: map[int]finishedStage{}, metrics: &JobMetrics{}}
	// A shuffle ID of its own, so that concurrent tasks of the session never share one.
	j.shuffleBase = int(env.nextShuffle.Add(int64(s.ShuffleID+1))) - s.ShuffleID - 1
	if st.Bounds != nil {
		j.bounds = map[int]arrow.RecordBatch{s.ID: st.Bounds}
	}
	defer j.releaseShared()
	t := &task{job: j, stage: s, partition: st.Partition, attempt: max(1, st.Attempt),
		alloc: kmemory.NewAllocator(env.Alloc), input: st.Input}
	if !st.Sample && st.OperatorRows != nil {
		if len(st.OperatorRows) != len(stageOperators(s)) {
			return TaskMetrics{}, fmt.Errorf("exec: stage %d has %d operators, not %d", s.ID, len(stageOperators(s)), len(st.OperatorRows))
		}
		t.opIndex, t.opRows = operatorIndex(s.Root), st.OperatorRows
	}
	if st.Sample {
		keyCols, _, err := sortColumns(s.Root.Schema(), s.Output.SortKeys)
		if err != nil {
			return TaskMetrics{}, err
		}
		t.sampler = shuffle.NewReservoir(keyCols, rangeSamplesPerTask(s), uint64(st.Partition)+1)
	}
	if s.Output != nil && !st.Sample {
		defer env.Shuffle.Remove(j.shuffleID(s.ShuffleID))
	}
	env.unitOnce.Do(func() { env.unitSlots = make(chan struct{}, max(1, env.Parallelism)) })
	select {
	case env.unitSlots <- struct{}{}:
	case <-ctx.Done():
		return TaskMetrics{}, fmt.Errorf("exec: stage %d partition %d: %w", s.ID, st.Partition, context.Cause(ctx))
	}
	m, err := t.run(ctx)
	<-env.unitSlots
	if err != nil {
		if t.sampled != nil {
			t.sampled.Release()
		}
		return m, fmt.Errorf("exec: stage %d partition %d: %w", s.ID, st.Partition, err)
	}
	switch {
	case st.Sample:
		rec := t.sampled
		t.sampled = nil
		return m, emit(-1, rec)
	case s.Output != nil:
		return m, emitShuffle(ctx, env.Shuffle, j.shuffleID(s.ShuffleID), emit)
	}
	return m, nil
}

// emitShuffle hands every block of a committed task-local shuffle to emit, reduce
// partition by reduce partition.
func emitShuffle(ctx context.Context, svc *shuffle.Service, id int, emit Emit) error {
	for r := range len(svc.Stats(id).Rows) {
		rd := svc.Reader(id, r)
		for {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err == nil {
				err = ctx.Err()
				if err != nil {
					rec.Release()
				}
			}
			if err == nil {
				err = emit(r, rec)
			}
			if err != nil {
				rd.Close()
				return err
			}
		}
		if err := rd.Close(); err != nil {
			return err
		}
	}
	return nil
}

// RangeBounds computes the bounds of range-partitioned map stage s from the samples its
// sampling pass emitted (one per task; nil for a task that emitted none). The samples
// stay the caller's; the bounds are allocated from mem and owned by the caller.
func RangeBounds(s *plan.Stage, samples []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	if s.Output == nil || s.Output.Kind != plan.RangePartitioning {
		return nil, fmt.Errorf("exec: stage %d is not range-partitioned", s.ID)
	}
	return rangeBoundsOf(s, samples, mem)
}

// ShufflePart is one shuffle partition a task reads.
type ShufflePart struct {
	// Shuffle is the plan-local shuffle ID (the ID of the stage writing it).
	Shuffle int
	// Reduce is the reduce partition read; 0 for a broadcast.
	Reduce int
	// Broadcast says the task reads the whole (one-partition) broadcast shuffle.
	Broadcast bool
}

// TaskReads lists the shuffle partitions task p of stage s reads, in the order its
// operators are built: what a runner must deliver to it. The partition arithmetic is
// the task's own (buildUnion, buildCoalesce, buildJoin): a union's later inputs take
// later partitions, a coalesced partition reads a range, a cartesian join reads one
// partition of each side, a broadcast side is read whole.
func TaskReads(s *plan.Stage, p int) []ShufflePart {
	var out []ShufflePart
	var walk func(n plan.PhysNode, p int)
	walk = func(n plan.PhysNode, p int) {
		switch n := n.(type) {
		case *plan.PShuffleRead:
			if n.Partitioning.Kind == plan.BroadcastPartitioning {
				out = append(out, ShufflePart{Shuffle: n.ShuffleID, Broadcast: true})
			} else {
				out = append(out, ShufflePart{Shuffle: n.ShuffleID, Reduce: p})
			}
		case *plan.PHashJoin:
			lp, rp := p, p
			if n.Cartesian {
				lp, rp = p/n.Right.NumPartitions(), p%n.Right.NumPartitions()
			} else if n.Broadcast && n.Build == plan.BuildRight {
				rp = 0
			} else if n.Broadcast {
				lp = 0
			}
			walk(n.Left, lp)
			walk(n.Right, rp)
		case *plan.PUnion:
			for _, in := range n.Inputs {
				if k := in.NumPartitions(); p >= k {
					p -= k
					continue
				}
				walk(in, p)
				return
			}
		case *plan.PCoalesce:
			lo, hi := coalesceRange(n.Input.NumPartitions(), n.NumPartitions(), p)
			for i := lo; i < hi; i++ {
				walk(n.Input, i)
			}
		default:
			for _, c := range n.Children() {
				walk(c, p)
			}
		}
	}
	walk(s.Root, p)
	return out
}

// inputRead is the shuffle read of a task run by RunStageTask.
func (t *task) inputRead(n *plan.PShuffleRead, p int) colop.Operator {
	if n.Partitioning.Kind == plan.BroadcastPartitioning {
		p = 0
	}
	return &inputReadOp{input: t.input, shuffleID: n.ShuffleID, reduce: p, mem: t.alloc, counter: &t.in}
}

// inputReadOp reads one shuffle partition from a StageInput.
type inputReadOp struct {
	input             StageInput
	shuffleID, reduce int
	mem               memory.Allocator
	counter           *inputCounter
	ctx               context.Context
	it                plan.BatchIterator
}

var _ colop.Operator = (*inputReadOp)(nil)

func (o *inputReadOp) Open(ctx context.Context) error {
	it, err := o.input.Open(ctx, o.shuffleID, o.reduce, o.mem)
	if err != nil {
		return fmt.Errorf("exec: shuffle %d partition %d: %w", o.shuffleID, o.reduce, err)
	}
	o.ctx, o.it = ctx, it
	return nil
}

func (o *inputReadOp) Next() (arrow.RecordBatch, error) {
	if o.it == nil {
		return nil, io.EOF
	}
	if err := o.ctx.Err(); err != nil {
		return nil, err
	}
	rec, err := o.it.Next()
	if err != nil {
		return nil, err
	}
	o.counter.add(rec, true)
	return rec, nil
}

func (o *inputReadOp) Close() error {
	if o.it == nil {
		return nil
	}
	it := o.it
	o.it = nil
	return it.Close()
}

// emitSink is the result sink of RunStageTask: batches go straight to the runner, whose
// own retry discards the output of a failed attempt.
type emitSink struct{ emit Emit }

func (e emitSink) NewTask(partition, attempt int, mem memory.Allocator) (TaskSink, error) {
	return emitTask(e), nil
}

type emitTask emitSink

func (e emitTask) Consume(ctx context.Context, rec arrow.RecordBatch) error { return e.emit(-1, rec) }
func (e emitTask) Commit() error                                            { return nil }
func (e emitTask) Abort()                                                   {}

// SessionLocal says whether src reads what only the session that planned it holds (a
// local checkpoint's blocks): another machine planning the same job cannot read it.
func SessionLocal(src plan.Source) bool {
	_, ok := src.(*blockSource)
	return ok
}
