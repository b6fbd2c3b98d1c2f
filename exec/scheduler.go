package exec

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sync/errgroup"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/shuffle"
	"github.com/kindling-data/kindling/storage"
)

// DefaultMaxAttempts is how many times a task runs before its failure fails the job
// (Spark's spark.task.maxFailures).
const DefaultMaxAttempts = 4

// Env is what the jobs of one session share.
type Env struct {
	// Alloc is the root allocator; each task wraps it to count its own bytes.
	Alloc memory.Allocator
	// Mem is the session's memory manager.
	Mem *kmemory.Manager
	// Shuffle holds the map outputs of running jobs.
	Shuffle *shuffle.Service
	// Parallelism bounds the tasks running at once (default GOMAXPROCS).
	Parallelism int
	// MaxAttempts is the attempts per task (default DefaultMaxAttempts).
	MaxAttempts int
	// BatchRows bounds the rows of the batches operators build (0: their default, 8192).
	// It also sizes sorted runs and spill batches, so a small budget wants a small value.
	BatchRows int
	// Adaptive re-plans the reduce stages from the sizes of the shuffles they read.
	Adaptive Adaptive

	// Events, when active, receives the jobs' events.
	Events *Bus
	// Logger, if set, is told of task attempts that failed and are retried.
	Logger *slog.Logger

	// Blocks holds cached partitions and shuffle blocks, in memory or on disk.
	Blocks *storage.BlockManager
	// Spill is where spilling operators write.
	Spill *storage.SpillManager

	nextShuffle atomic.Int64
	nextJob     atomic.Int64
	blockLocks  sync.Map // storage.BlockID → *sync.Mutex, held while a missing cache block is computed
	// unitSlots bounds the tasks RunStageTask runs at once to Parallelism, as a job's
	// worker pool does: a distributed runner may start more, and each task's memory cap
	// assumes at most Parallelism share the budget.
	unitOnce  sync.Once
	unitSlots chan struct{}
}

// lockBlock serializes the computation of one cache block across concurrent jobs.
func (e *Env) lockBlock(id storage.BlockID) (unlock func()) {
	v, _ := e.blockLocks.LoadOrStore(id, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// NewEnv returns the execution environment of a session: tasks allocate from alloc, hold
// execution memory from mem, keep shuffle and cache blocks in blocks, and spill to spill.
func NewEnv(alloc memory.Allocator, mem *kmemory.Manager, blocks *storage.BlockManager, spill *storage.SpillManager, parallelism, maxAttempts int) *Env {
	return &Env{Alloc: alloc, Mem: mem, Blocks: blocks, Spill: spill, Shuffle: shuffle.NewService(blocks),
		Parallelism: parallelism, MaxAttempts: maxAttempts}
}

// Close frees what the environment still holds (the blocks of unfinished shuffles).
func (e *Env) Close() error { return e.Shuffle.Close() }

type job struct {
	env         *Env
	sink        ResultSink
	shuffleBase int

	mu     sync.Mutex
	bounds map[int]arrow.RecordBatch // range bounds by stage ID, while the stage runs
	// readers counts the shuffle reads of each plan-local shuffle ID in the job's plans
	// (see releaseReads).
	readers map[int]int
	// plans are the adaptive plans of the stages re-planned before they ran, by stage ID.
	plans map[int]*stagePlan
	// shared are the broadcast joins' build sides of the running stage (shared_build.go).
	shared sharedBuilds
	// stages are the job's stages; finished, the map stages done, by shuffle ID (key_filter.go).
	stages   []*plan.Stage
	finished map[int]finishedStage
	// metrics are the job's, filled in as it runs.
	metrics *JobMetrics
}

// shuffleID maps a stage's plan-local shuffle ID to the session-wide one.
func (j *job) shuffleID(local int) int { return j.shuffleBase + local }

// JobSpec is a job to run: the action that asked for it, its stages in dependency order,
// and its plans as Explain prints them (kept in its metrics).
type JobSpec struct {
	Action string
	Stages []*plan.Stage
	Plan   string
}

// RunJob runs the stages of one job in dependency order, each as one task per partition
// on a pool of Env.Parallelism workers, and feeds the last stage's output to sink.
//
// A task that fails with a retryable cause (see Classify) is retried up to MaxAttempts
// times; a deterministic failure fails the job at once. The job's error is a *TaskError
// naming the stage, the partition, the attempts and the cause. Cancelling ctx stops every task;
// RunJob returns only after all its goroutines have ended, and the shuffle outputs of the
// job are freed before it returns, on success and on failure.
func RunJob(ctx context.Context, env *Env, spec JobSpec, sink ResultSink) (jm *JobMetrics, err error) {
	start := time.Now()
	action, stages := spec.Action, spec.Stages
	j := &job{env: env, sink: sink, readers: shuffleReaders(stages), plans: map[int]*stagePlan{},
		stages: stages, finished: map[int]finishedStage{}}
	j.shuffleBase = int(env.nextShuffle.Add(int64(len(stages)+1))) - len(stages) - 1
	defer func() {
		for _, s := range stages {
			if s.Output != nil {
				env.Shuffle.Remove(j.shuffleID(s.ShuffleID))
			}
		}
	}()
	jm = &JobMetrics{JobID: int(env.nextJob.Add(1)), Action: action, Start: start, Plan: spec.Plan}
	j.metrics = jm
	if env.Events.Active() {
		env.Events.Post(&JobStart{JobID: jm.JobID, Action: action, Time: start, Stages: stageInfos(stages)})
		defer func() { env.Events.Post(&JobEnd{JobID: jm.JobID, Time: time.Now(), Metrics: jm, Err: err}) }()
	}
	if env.Spill != nil {
		spillBefore := env.Spill.Stats()
		defer func() {
			after := env.Spill.Stats()
			jm.Spill = storage.SpillStats{Files: after.Files - spillBefore.Files, Bytes: after.Bytes - spillBefore.Bytes,
				RawBytes: after.RawBytes - spillBefore.RawBytes, Rows: after.Rows - spillBefore.Rows}
		}()
	}
	var peaks *kmemory.PeakWatch
	if env.Mem != nil {
		peaks = env.Mem.WatchPeaks()
		defer peaks.Stop()
	}
	var blocksBefore storage.BlockStats
	if env.Blocks != nil {
		blocksBefore = env.Blocks.Stats()
		defer func() { jm.Blocks = blockDelta(env.Blocks.Stats(), blocksBefore) }()
	}
	order := slices.Clone(stages)
	for i := range order {
		j.runSmallSideFirst(order, i)
		s := order[i]
		sm, err := j.runStage(ctx, s)
		jm.Stages = append(jm.Stages, sm)
		if err != nil {
			jm.Duration, jm.Err = time.Since(start), err
			return jm, err
		}
		if s.Output != nil {
			j.finish(s, sm.Totals())
		}
	}
	jm.Duration = time.Since(start)
	if env.Mem != nil {
		jm.Memory = env.Mem.Stats()
		jm.Memory.PeakExecution, jm.Memory.PeakStorage = peaks.Peaks()
	}
	return jm, nil
}

// stageInfos describes the planned stages for JobStart.
func stageInfos(stages []*plan.Stage) []StageInfo {
	out := make([]StageInfo, len(stages))
	for i, s := range stages {
		out[i] = StageInfo{StageID: s.ID, Kind: stageKind(s), Tasks: s.NumPartitions(), Parents: slices.Clone(s.Parents),
			Operators: stageOperators(s)}
	}
	return out
}

func stageKind(s *plan.Stage) string {
	if s.Output != nil {
		return "map"
	}
	return "result"
}

// StageOperators lists the operators of stage s's pipeline, one per line from the top
// (indented as Explain prints them): the order of StageMetrics.OperatorRows and of
// StageTask.OperatorRows.
func StageOperators(s *plan.Stage) []string { return stageOperators(s) }

func stageOperators(s *plan.Stage) []string {
	return strings.Split(strings.TrimSuffix(plan.FormatStage(s), "\n"), "\n")
}

// sampleMemory appends the session's memory now to the job's timeline. Called with the
// stage's task lock held (stages run one at a time).
func (j *job) sampleMemory() {
	env := j.env
	if env.Mem == nil {
		return
	}
	st := env.Mem.Stats()
	ms := MemorySample{Time: time.Now(), Execution: st.ExecutionUsed, Storage: st.StorageUsed, Limit: st.Limit}
	if env.Spill != nil {
		sp := env.Spill.Stats()
		ms.SpilledBytes, ms.SpilledInMemory = sp.Bytes, sp.RawBytes
	}
	j.metrics.MemoryTimeline = append(j.metrics.MemoryTimeline, ms)
}

func (j *job) runStage(ctx context.Context, s *plan.Stage) (sm StageMetrics, err error) {
	start := time.Now()
	sm = StageMetrics{StageID: s.ID, Kind: stageKind(s), Start: start, Parents: slices.Clone(s.Parents)}
	var retries retryCounter
	if bus := j.env.Events; bus.Active() {
		defer func() {
			bus.Post(&StageEnd{JobID: j.metrics.JobID, Time: time.Now(), Metrics: &sm, Err: err})
		}()
	}
	sp := j.planStage(s)
	if f := j.keyFilterFor(s, j.stages); f != nil {
		s, sp = f.apply(s, sp)
	}
	if sp != nil {
		j.plans[s.ID] = sp
		sm.Adaptive = sp.decisions
	}
	if s.Output != nil && s.Output.Kind == plan.RangePartitioning {
		// Range bounds come from a sample of the stage's own output, computed by a first
		// pass over the stage (as Spark's RangePartitioner runs a sampling job).
		if err := j.sampleRangeBounds(ctx, s, &retries); err != nil {
			sm.Retries, sm.RetriesByCause = retries.total, retries.byCause
			sm.Duration = time.Since(start)
			return sm, err
		}
		defer j.releaseBounds(s.ID)
	}
	defer j.releaseShared()
	sm.Operators = stageOperators(s) // the stage as it runs, after the key filter
	opIndex := operatorIndex(s.Root)
	sm.OperatorRows = make([]int64, len(sm.Operators))
	sm.Tasks = make([]TaskMetrics, j.numTasks(s))
	if bus := j.env.Events; bus.Active() {
		bus.Post(&StageStart{JobID: j.metrics.JobID, StageID: s.ID, Tasks: len(sm.Tasks), Adaptive: sm.Adaptive, Time: time.Now()})
	}
	err = j.runTasks(ctx, s, func(t *task, m TaskMetrics) {
		sm.Tasks[t.partition] = m
		for i, r := range t.opRows {
			sm.OperatorRows[i] += r
		}
		j.releaseReads(t)
		j.sampleMemory()
	}, &retries, func(t *task) {
		t.opIndex, t.opRows = opIndex, make([]int64, len(sm.OperatorRows))
	})
	sm.Retries, sm.RetriesByCause = retries.total, retries.byCause
	if err == nil && s.Output != nil {
		st := j.env.Shuffle.Stats(j.shuffleID(s.ShuffleID))
		sm.ShufflePartitionBytes, sm.ShufflePartitionRows = st.Bytes, st.Rows
		sm.Skew = findSkew(st, skewReportFactor)
	}
	sm.Duration = time.Since(start)
	return sm, err
}

// numTasks is the number of tasks stage s runs: one per partition, unless adaptive
// execution re-planned it.
func (j *job) numTasks(s *plan.Stage) int {
	if sp := j.plans[s.ID]; sp != nil {
		return len(sp.reads)
	}
	return s.NumPartitions()
}

// shuffleReaders counts, per plan-local shuffle ID, the shuffle-read nodes of the
// stages' plans (a node reached twice through a shared subtree counts twice).
func shuffleReaders(stages []*plan.Stage) map[int]int {
	counts := map[int]int{}
	var walk func(n plan.PhysNode)
	walk = func(n plan.PhysNode) {
		if r, ok := n.(*plan.PShuffleRead); ok {
			counts[r.ShuffleID]++
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	for _, s := range stages {
		walk(s.Root)
	}
	return counts
}

// releaseReads frees the shuffle partitions a successful task read, once nothing else
// will read them: a shuffle with one reading node in the whole job has each reduce
// partition read by exactly one task (a union or coalesce maps partitions one to one or
// many to one), which has just succeeded and will not run again. The reduce side's
// input then shrinks as its output grows, instead of both peaking together at the end
// of the job. Broadcasts (read by every task) and shuffles read twice wait for the end
// of the job.
func (j *job) releaseReads(t *task) {
	for _, r := range t.reads {
		if j.readers[r[0]] == 1 {
			j.env.Shuffle.RemovePartition(j.shuffleID(r[0]), r[1])
		}
	}
}

// runTasks runs one task per partition of s on the worker pool, retrying each failed
// attempt whose cause is retryable up to MaxAttempts. done receives each successful attempt; configure, if not
// nil, adjusts every attempt before it runs.
func (j *job) runTasks(ctx context.Context, s *plan.Stage, done func(*task, TaskMetrics), retries *retryCounter, configure func(*task)) error {
	parallelism := j.env.Parallelism
	if parallelism <= 0 {
		parallelism = runtime.GOMAXPROCS(0)
	}
	maxAttempts := j.env.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism)
	var mu sync.Mutex
	// alone admits the stage's attempts: shared by first attempts, held exclusively by an
	// attempt retried after a memory refusal. That refusal came from the memory the tasks
	// beside it held; rerun beside the same tasks it would fail the same way as often as
	// the timing repeats, so it waits for them to finish and runs with the whole budget,
	// which makes the outcome depend on the budget rather than on timing.
	var alone sync.RWMutex
	sp := j.plans[s.ID]
	bus := j.env.Events
	for p := range j.numTasks(s) {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			exclusive := false
			for attempt := 1; ; attempt++ {
				t := &task{job: j, stage: s, partition: p, attempt: attempt, alloc: kmemory.NewAllocator(j.env.Alloc)}
				if sp != nil {
					t.spec = sp.reads[p]
				}
				if configure != nil {
					configure(t)
				}
				if exclusive {
					alone.Lock()
				} else {
					alone.RLock()
				}
				if bus.Active() {
					bus.Post(&TaskStart{JobID: j.metrics.JobID, StageID: s.ID, Partition: p, Attempt: attempt, Time: time.Now()})
				}
				m, err := t.run(gctx)
				if exclusive {
					alone.Unlock()
				} else {
					alone.RUnlock()
				}
				if bus.Active() {
					j.postTaskEnd(gctx, s, p, attempt, m, err, maxAttempts)
				}
				if err == nil {
					mu.Lock()
					done(t, m)
					mu.Unlock()
					return nil
				}
				if gctx.Err() != nil {
					// Cancelled, by the caller or because a sibling failed: no retry.
					if ctx.Err() != nil {
						return fmt.Errorf("exec: stage %d partition %d: %w", s.ID, p, context.Cause(ctx))
					}
					return err // errgroup reports the sibling's error, which came first
				}
				cause := Classify(err)
				if !cause.Retryable() || attempt >= maxAttempts {
					return &TaskError{Stage: s.ID, Partition: p, Attempts: attempt, Cause: cause, Err: err}
				}
				mu.Lock()
				retries.add(cause)
				mu.Unlock()
				if j.env.Logger != nil {
					j.env.Logger.Warn("exec: task attempt failed; retrying", "stage", s.ID, "partition", p,
						"attempt", attempt, "of", maxAttempts, "cause", cause.String(), "error", err)
				}
				exclusive = cause == CauseMemory
			}
		})
	}
	err := g.Wait()
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("exec: stage %d: %w", s.ID, context.Cause(ctx))
	}
	return err
}

// postTaskEnd posts the end of attempt attempt of partition p: its metrics if it
// succeeded, its error and whether it will be retried (as runTasks decides) if not.
func (j *job) postTaskEnd(ctx context.Context, s *plan.Stage, p, attempt int, m TaskMetrics, err error, maxAttempts int) {
	e := &TaskEnd{JobID: j.metrics.JobID, StageID: s.ID, Partition: p, Attempt: attempt, Time: time.Now(), Err: err}
	if err == nil {
		e.Metrics = &m
	} else if ctx.Err() == nil {
		e.Cause = Classify(err)
		e.Retry = e.Cause.Retryable() && attempt < maxAttempts
	}
	j.env.Events.Post(e)
}

// retryCounter counts a stage's retried attempts by cause.
type retryCounter struct {
	total   int
	byCause map[FailureCause]int
}

func (r *retryCounter) add(c FailureCause) {
	r.total++
	if r.byCause == nil {
		r.byCause = make(map[FailureCause]int)
	}
	r.byCause[c]++
}

// blockDelta is what the block manager did between two snapshots; the current byte
// totals are kept as they are at the end.
func blockDelta(after, before storage.BlockStats) storage.BlockStats {
	d := after
	d.EvictedBlocks -= before.EvictedBlocks
	d.EvictedToDisk -= before.EvictedToDisk
	d.Dropped -= before.Dropped
	d.DiskWrites -= before.DiskWrites
	d.DiskReads -= before.DiskReads
	d.DiskBytesWritten -= before.DiskBytesWritten
	d.DiskBytesRead -= before.DiskBytesRead
	d.DiskErrors -= before.DiskErrors
	d.MemoryHits -= before.MemoryHits
	d.DiskHits -= before.DiskHits
	d.Misses -= before.Misses
	return d
}
