package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec"
	"github.com/kindling-data/kindling/plan"
)

// This file is the contract for distributed runners (the beam module). A runner does not
// ship plans: every machine builds the same Dataset by calling the same registered job
// builder with the same arguments, plans it with PlanUnits at the driver's instant, and
// checks the plan's Fingerprint against the driver's. The runner then schedules the
// stages itself and runs each task with Units.RunTask, moving the blocks it emits.

// JobBuilder builds the Dataset of a job in session s from its arguments. Distributed
// runners call it on every machine, so it must build the same Dataset each time for the
// same arguments and session configuration (the same files, the same in-memory data).
type JobBuilder func(s *Session, args []string) (*Dataset, error)

var (
	jobsMu sync.RWMutex
	jobs   = map[string]JobBuilder{}
)

// RegisterJob makes builder known under name to the distributed runners in this binary
// (typically from an init function, so that worker processes know it too). It panics if
// the name is empty or taken.
func RegisterJob(name string, builder JobBuilder) {
	jobsMu.Lock()
	defer jobsMu.Unlock()
	if name == "" || builder == nil {
		panic("dataset: RegisterJob needs a name and a builder")
	}
	if _, dup := jobs[name]; dup {
		panic(fmt.Sprintf("dataset: job %q registered twice", name))
	}
	jobs[name] = builder
}

// LookupJob returns the builder registered under name.
func LookupJob(name string) (JobBuilder, bool) {
	jobsMu.RLock()
	defer jobsMu.RUnlock()
	b, ok := jobs[name]
	return b, ok
}

// Job builds, in s, the Dataset of the job registered as name with args. The Dataset
// remembers the job (JobOrigin), so that a distributed runner can build it again on other
// machines: the same Dataset then runs locally through its actions or on a cluster
// (beam.RunDataset). A Dataset derived from it by a transform does not remember the job,
// since only the builder's own Dataset can be rebuilt elsewhere.
func (s *Session) Job(name string, args ...string) (*Dataset, error) {
	b, ok := LookupJob(name)
	if !ok {
		return nil, fmt.Errorf("dataset: no job %q is registered in this binary (RegisterJob, from an init function)", name)
	}
	d, err := b(s, args)
	if err != nil {
		return nil, fmt.Errorf("dataset: building job %q: %w", name, err)
	}
	if d == nil || d.s != s {
		return nil, fmt.Errorf("dataset: job %q did not build its Dataset in the session it was given", name)
	}
	out := *d
	out.origin = &jobOrigin{name: name, args: slices.Clone(args)}
	return &out, nil
}

// jobOrigin is the registered job and arguments a Dataset was built by.
type jobOrigin struct {
	name string
	args []string
}

// JobOrigin returns the registered job and arguments d was built by (Session.Job); ok is
// false for any other Dataset.
func (d *Dataset) JobOrigin() (name string, args []string, ok bool) {
	if d.origin == nil {
		return "", nil, false
	}
	return d.origin.name, slices.Clone(d.origin.args), true
}

// ShufflePart is one shuffle partition a task reads (see exec.TaskReads).
type ShufflePart = exec.ShufflePart

// StageInput gives a task the shuffle partitions it reads (see exec.StageInput).
type StageInput = exec.StageInput

// Emit receives a task's output (see exec.Emit).
type Emit = exec.Emit

// OutputKind is how a map stage partitions its shuffle.
type OutputKind string

// The output kinds of a stage.
const (
	OutputResult     OutputKind = "result"      // the job's result stage
	OutputHash       OutputKind = "hash"        // hash partitioning on keys
	OutputRoundRobin OutputKind = "round-robin" // round robin
	OutputRange      OutputKind = "range"       // range partitioning: needs a sampling pass
	OutputBroadcast  OutputKind = "broadcast"   // one partition every reading task reads whole
	OutputSingle     OutputKind = "single"      // one partition
)

// UnitStage is one stage of a planned job as a runner schedules it.
type UnitStage struct {
	// ID identifies the stage; a map stage's shuffle has the same ID.
	ID int
	// Tasks is the number of tasks (partitions) of the stage.
	Tasks int
	// Parents are the stages whose shuffles this stage reads.
	Parents []int
	// Output is how the stage's output is partitioned, and OutputPartitions into how many
	// reduce partitions (0 for the result stage).
	Output           OutputKind
	OutputPartitions int
	// Reads lists, per task, the shuffle partitions the task reads.
	Reads [][]ShufflePart
}

// Units is a Dataset's job planned for a distributed runner.
type Units struct {
	// Action is the action the job computes: "collect" or "count" (whose result is one
	// int64 column of per-partition counts, to be summed).
	Action string
	// Now is the instant the job was planned at.
	Now time.Time
	// Stages are the job's stages in dependency order; the last is the result stage.
	Stages []UnitStage
	// Schema is the schema of the result stage's batches.
	Schema *arrow.Schema
	// Fingerprint identifies the plan: equal on every machine planning the same job.
	Fingerprint string
	// Explain is the job's plans as Explain prints them.
	Explain string

	s      *Session
	stages map[int]*plan.Stage
	// gates are the Expect stages of the job, in lineage order (the same on every
	// machine), and prepared the plan, which EvaluateExpectations reads.
	gates    []*expectGate
	own      []ownJobRef // the expectations among gates' that run jobs of their own
	prepared *prepared
}

// PlanUnits plans d's job for action ("collect" or "count") as started at now, and
// refuses with an error what a runner cannot run on other machines: reads of data that
// only this session holds (materialized caches, local checkpoints). Its expectations are
// counted by the tasks (ObserveExpectations) and evaluated by the driver
// (EvaluateExpectations), with the results of the jobs of their own that UniqueKey and
// RowCountEquals need (ExpectationJobs, PlanExpectationJob).
func PlanUnits(d *Dataset, action string, now time.Time) (*Units, error) {
	switch action {
	case "collect":
	case "count":
		// As Count does: a count per partition, summed by the caller, so no row crosses a shuffle.
		d = (&Grouped{d: d, site: callSite("count")}).Agg(Count())
	default:
		return nil, fmt.Errorf("dataset: PlanUnits: action %q is not supported by distributed runners (collect, count)", action)
	}
	var gates []*expectGate
	if d.err == nil {
		gates = gatesIn(d.node)
	}
	p, err := d.prepareAt(now)
	if err != nil {
		return nil, err
	}
	u := &Units{Action: action, Now: now, s: d.s, stages: map[int]*plan.Stage{},
		Explain: d.jobSpec(p, action).Plan, gates: gates, own: ownJobsOf(gates), prepared: p}
	h := sha256.New()
	io.WriteString(h, plan.FormatStages(p.stages))
	for _, s := range p.stages {
		if err := checkDistributable(s.Root); err != nil {
			return nil, fmt.Errorf("dataset: stage %d cannot run on a distributed runner: %w", s.ID, err)
		}
		us := UnitStage{ID: s.ID, Tasks: s.NumPartitions(), Parents: s.Parents, Output: OutputResult}
		if s.Output != nil {
			us.Output, us.OutputPartitions = outputKind(s.Output.Kind), s.Output.N
		}
		for t := range us.Tasks {
			us.Reads = append(us.Reads, exec.TaskReads(s, t))
		}
		writeScanParts(h, s.Root)
		u.Stages = append(u.Stages, us)
		u.stages[s.ID] = s
	}
	u.Schema = p.stages[len(p.stages)-1].Root.Schema()
	u.Fingerprint = hex.EncodeToString(h.Sum(nil))
	return u, nil
}

func outputKind(k plan.PartitioningKind) OutputKind {
	switch k {
	case plan.HashPartitioning:
		return OutputHash
	case plan.RoundRobinPartitioning:
		return OutputRoundRobin
	case plan.RangePartitioning:
		return OutputRange
	case plan.BroadcastPartitioning:
		return OutputBroadcast
	}
	return OutputSingle
}

// checkDistributable refuses the operators reading what only this session holds.
func checkDistributable(n plan.PhysNode) error {
	switch n := n.(type) {
	case *plan.PCacheRead:
		return fmt.Errorf("it reads a dataset materialized in this session's cache (%s); plan it before caching, or Unpersist it", plan.FormatPhysical(n))
	case *plan.PScan:
		if exec.SessionLocal(n.Source) {
			return fmt.Errorf("it reads a local checkpoint (%s), which only this session holds; use Checkpoint (files) instead", n.Source)
		}
	}
	for _, c := range n.Children() {
		if err := checkDistributable(c); err != nil {
			return err
		}
	}
	return nil
}

// writeScanParts adds the scan partitions (file splits) to the fingerprint: two machines
// listing different files must not run each other's tasks.
func writeScanParts(w io.Writer, n plan.PhysNode) {
	if s, ok := n.(*plan.PScan); ok {
		for _, p := range s.Parts {
			fmt.Fprintln(w, p)
		}
	}
	for _, c := range n.Children() {
		writeScanParts(w, c)
	}
}

// InputFiles are the files the job's scans read, in stage order (each once): a runner
// whose workers share no file system with this machine checks that they reach them.
func (u *Units) InputFiles() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(plan.PhysNode)
	walk = func(n plan.PhysNode) {
		if s, ok := n.(*plan.PScan); ok {
			for _, p := range s.Parts {
				for _, f := range plan.InputFiles(p) {
					if !seen[f] {
						seen[f] = true
						out = append(out, f)
					}
				}
			}
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	for _, st := range u.Stages {
		walk(u.stages[st.ID].Root)
	}
	return out
}

// StageOperators lists the operators of stage id's pipeline as a local job's metrics
// list them (StageMetrics.Operators): RunTask's operator rows follow it.
func (u *Units) StageOperators(id int) []string {
	if s := u.stages[id]; s != nil {
		return exec.StageOperators(s)
	}
	return nil
}

// Stage returns the stage with the given ID.
func (u *Units) Stage(id int) (UnitStage, bool) {
	for _, s := range u.Stages {
		if s.ID == id {
			return s, true
		}
	}
	return UnitStage{}, false
}

// RunTask runs task partition of stage stageID in the session that planned u (its memory
// budget, spill directory and batch size) and hands its output to emit: a map stage's
// blocks by reduce partition, the result stage's batches with reduce -1. in delivers the
// task's shuffle reads (Stages[i].Reads); bounds, for a range-partitioned stage, are what
// RangeBounds computed from its samples. It returns the task's metrics and the rows each
// operator of the stage output (StageOperators order). It does not retry: the runner does.
func (u *Units) RunTask(ctx context.Context, stageID, partition int, in StageInput, bounds arrow.RecordBatch, emit Emit) (m TaskMetrics, operatorRows []int64, err error) {
	s := u.stages[stageID]
	if s == nil {
		return TaskMetrics{}, nil, fmt.Errorf("dataset: the job has no stage %d", stageID)
	}
	operatorRows = make([]int64, len(exec.StageOperators(s)))
	m, err = exec.RunStageTask(ctx, u.s.env, exec.StageTask{Stage: s, Partition: partition, Input: in, Bounds: bounds, OperatorRows: operatorRows}, emit)
	return m, operatorRows, err
}

// SampleTask runs the sampling pass of task partition of range-partitioned stage
// stageID: emit receives the task's sample of the sort keys (reduce -1).
func (u *Units) SampleTask(ctx context.Context, stageID, partition int, in StageInput, emit Emit) (TaskMetrics, error) {
	s := u.stages[stageID]
	if s == nil {
		return TaskMetrics{}, fmt.Errorf("dataset: the job has no stage %d", stageID)
	}
	return exec.RunStageTask(ctx, u.s.env, exec.StageTask{Stage: s, Partition: partition, Input: in, Sample: true}, emit)
}

// RangeBounds computes the bounds of range-partitioned stage stageID from the samples of
// its sampling pass (which stay the caller's); the caller releases the bounds.
func (u *Units) RangeBounds(stageID int, samples []arrow.RecordBatch) (arrow.RecordBatch, error) {
	s := u.stages[stageID]
	if s == nil {
		return nil, fmt.Errorf("dataset: the job has no stage %d", stageID)
	}
	return exec.RangeBounds(s, samples, u.Allocator())
}

// Allocator is the planning session's root allocator, for the batches a runner decodes
// outside a task (samples, range bounds).
func (u *Units) Allocator() memory.Allocator { return u.s.env.Alloc }
