package beam

import (
	"context"
	"fmt"
	"strings"
	"time"

	abeam "github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/kindling-data/kindling/dataset"
)

// Metrics split a job's time between Beam and kindling.
type Metrics struct {
	// Wall is the time from submission to the result read back.
	Wall time.Duration
	// Plan is the time the driver took to build and plan the job.
	Plan time.Duration
	// TaskTime is the sum over tasks of the time spent in kindling (RunTask).
	TaskTime time.Duration
	// Stages are the counters of each stage, by stage ID order.
	Stages []StageMetrics
}

// StageMetrics are one stage's counters: the kindling StageMetrics totals Beam's
// counters can carry.
type StageMetrics struct {
	StageID                  int
	Tasks                    int64
	RowsIn, RowsOut          int64
	BlocksOut, BlockBytesOut int64
	SpilledBytes             int64
	TaskTime                 time.Duration
}

const metricsNamespace = "kindling"

// taskCounters are the additive per-task figures a stage function reports, one Beam
// counter each, named "stage<S>/task<T>/<name>": Beam only aggregates metrics by name, so
// keying the name by task index is what lets the driver rebuild one TaskMetrics per task
// (a per-stage counter would only give the stage's sums). Peaks and start times are not
// additive: they are distributions (min and max), see taskDistributions.
var taskCounters = []struct {
	name string
	get  func(*dataset.TaskMetrics) *int64
}{
	{"rows_in", func(m *dataset.TaskMetrics) *int64 { return &m.RowsIn }},
	{"bytes_in", func(m *dataset.TaskMetrics) *int64 { return &m.BytesIn }},
	{"rows_out", func(m *dataset.TaskMetrics) *int64 { return &m.RowsOut }},
	{"bytes_out", func(m *dataset.TaskMetrics) *int64 { return &m.BytesOut }},
	{"batches_in", func(m *dataset.TaskMetrics) *int64 { return &m.BatchesIn }},
	{"batches_out", func(m *dataset.TaskMetrics) *int64 { return &m.BatchesOut }},
	{"malformed_rows", func(m *dataset.TaskMetrics) *int64 { return &m.MalformedRows }},
	{"row_groups_pruned", func(m *dataset.TaskMetrics) *int64 { return &m.RowGroupsPruned }},
	{"shuffle_bytes_read", func(m *dataset.TaskMetrics) *int64 { return &m.ShuffleBytesRead }},
	{"shuffle_bytes_written", func(m *dataset.TaskMetrics) *int64 { return &m.ShuffleBytesWritten }},
	{"spilled_bytes", func(m *dataset.TaskMetrics) *int64 { return &m.SpilledBytes }},
	{"spill_count", func(m *dataset.TaskMetrics) *int64 { return &m.SpillCount }},
	{"cache_misses", func(m *dataset.TaskMetrics) *int64 { return &m.CacheMisses }},
	{"cache_put_failures", func(m *dataset.TaskMetrics) *int64 { return &m.CachePutFailures }},
	{"nanos", func(m *dataset.TaskMetrics) *int64 { return (*int64)(&m.Duration) }},
}

// Non-additive per-task figures, reported as distributions: the driver reads their Min
// (start) or Max (peaks), which stay right when a runner reports a retried bundle twice.
const (
	distStart      = "start_unix_nanos"
	distPeak       = "peak_memory"
	distPeakExec   = "peak_execution_memory"
	blocksOutName  = "blocks_out"      // Beam elements a task emitted
	blockBytesName = "block_bytes_out" // their encoded size
)

// taskIO is what a task moved through Beam, counted by the stage function.
type taskIO struct {
	bytesIn             int64 // encoded blocks received (shuffle reads and broadcasts)
	blocksOut, bytesOut int64 // encoded blocks emitted
}

// operatorRowsName names the counter of the rows operator i of a task's pipeline output.
func operatorRowsName(i int) string { return fmt.Sprintf("op%d_rows", i) }

// taskName is the Beam metric name of one figure of one task.
func taskName(stage, task int, name string) string {
	return fmt.Sprintf("stage%d/task%d/%s", stage, task, name)
}

// reportTask reports the metrics of a successful task to Beam. The shuffle bytes are
// what crossed Beam (the encoded blocks), not kindling's in-memory shuffle sizes: on Beam
// the shuffle is the runner's GroupByKey, and its bytes are the ones a user pays for.
func reportTask(ctx context.Context, stage, task int, shuffleOut bool, m dataset.TaskMetrics, opRows []int64, start time.Time, took time.Duration, io taskIO) {
	m.Duration, m.ShuffleBytesRead, m.ShuffleBytesWritten = took, io.bytesIn, 0
	if shuffleOut {
		m.ShuffleBytesWritten = io.bytesOut
	}
	for _, c := range taskCounters {
		if v := *c.get(&m); v != 0 {
			abeam.NewCounter(metricsNamespace, taskName(stage, task, c.name)).Inc(ctx, v)
		}
	}
	for i, rows := range opRows {
		if rows != 0 {
			abeam.NewCounter(metricsNamespace, taskName(stage, task, operatorRowsName(i))).Inc(ctx, rows)
		}
	}
	abeam.NewCounter(metricsNamespace, taskName(stage, task, blocksOutName)).Inc(ctx, io.blocksOut)
	abeam.NewCounter(metricsNamespace, taskName(stage, task, blockBytesName)).Inc(ctx, io.bytesOut)
	abeam.NewDistribution(metricsNamespace, taskName(stage, task, distStart)).Update(ctx, start.UnixNano())
	abeam.NewDistribution(metricsNamespace, taskName(stage, task, distPeak)).Update(ctx, m.PeakMemory)
	abeam.NewDistribution(metricsNamespace, taskName(stage, task, distPeakExec)).Update(ctx, m.PeakExecutionMemory)
}

// setMetrics fills res's metrics from what the pipeline reported: the job's, planned at
// start, submitted at planned.
func setMetrics(res *Result, pr abeam.PipelineResult, u *dataset.Units, action string, start, planned time.Time) {
	bm := readBeamMetrics(pr)
	res.Job = bm.job(u, action)
	res.Metrics = bm.summary(res.Job)
	res.Metrics.Plan, res.Metrics.Wall = planned.Sub(start), time.Since(start)
	res.Job.Start, res.Job.Duration = start, res.Metrics.Wall
}

// beamMetrics are the kindling metrics a pipeline reported, by name, summed over steps.
type beamMetrics struct {
	counters map[string]int64
	dists    map[string]abeamDist
}

// abeamDist is the part of a Beam distribution the driver uses.
type abeamDist struct {
	n, min, max int64
}

func readBeamMetrics(pr abeam.PipelineResult) beamMetrics {
	bm := beamMetrics{counters: map[string]int64{}, dists: map[string]abeamDist{}}
	if pr == nil {
		return bm
	}
	all := pr.Metrics().AllMetrics()
	for _, c := range all.Counters() {
		if c.Key.Namespace == metricsNamespace {
			bm.counters[c.Key.Name] += c.Result()
		}
	}
	for _, d := range all.Distributions() {
		if d.Key.Namespace != metricsNamespace {
			continue
		}
		v := d.Result()
		if v.Count == 0 {
			continue
		}
		o, seen := bm.dists[d.Key.Name]
		if seen {
			v.Min, v.Max = min(v.Min, o.min), max(v.Max, o.max)
		}
		bm.dists[d.Key.Name] = abeamDist{n: o.n + v.Count, min: v.Min, max: v.Max}
	}
	return bm
}

// job maps what the pipeline reported onto kindling's JobMetrics, so that
// String and Explain print a Beam run as they print a local one. One TaskMetrics per
// task that reported (a task reports once it succeeded); Attempt is 1, as Beam does not
// say which attempt of a bundle counted, and Retries stay 0. What only a local session
// knows is left zero: shuffle partition sizes, skew, the memory timeline,
// block and spill-file statistics. Memory.PeakExecution is the largest execution memory
// one task reserved, a lower bound of any worker's peak (its concurrent tasks add up).
// Counters are committed values where the runner gives them, else attempted ones, which
// count a retried bundle's work twice.
func (bm beamMetrics) job(u *dataset.Units, action string) *dataset.JobMetrics {
	j := &dataset.JobMetrics{Action: action, Plan: u.Explain}
	for i, st := range u.Stages {
		sm := dataset.StageMetrics{StageID: st.ID, Kind: "map", Parents: st.Parents, Operators: u.StageOperators(st.ID)}
		if i == len(u.Stages)-1 {
			sm.Kind = "result"
		}
		sm.OperatorRows = make([]int64, len(sm.Operators))
		// A stage's span runs from its first task's start to its last task's end.
		var first, last time.Time
		for t := range st.Tasks {
			tm, opRows, ok := bm.task(st.ID, t, len(sm.Operators))
			if !ok {
				continue
			}
			for i, rows := range opRows {
				sm.OperatorRows[i] += rows
			}
			j.Memory.PeakExecution = max(j.Memory.PeakExecution, tm.PeakExecutionMemory)
			if first.IsZero() || tm.Start.Before(first) {
				first = tm.Start
			}
			if end := tm.Start.Add(tm.Duration); end.After(last) {
				last = end
			}
			sm.Tasks = append(sm.Tasks, tm)
		}
		if !first.IsZero() {
			sm.Start, sm.Duration = first, last.Sub(first)
		}
		j.Stages = append(j.Stages, sm)
	}
	return j
}

// task rebuilds the TaskMetrics of one task, and the rows each of the stage's ops
// operators output in it; false if the task reported nothing.
func (bm beamMetrics) task(stage, task, ops int) (dataset.TaskMetrics, []int64, bool) {
	st, ok := bm.dists[taskName(stage, task, distStart)]
	if !ok {
		return dataset.TaskMetrics{}, nil, false
	}
	m := dataset.TaskMetrics{Partition: task, Attempt: 1, Start: time.Unix(0, st.min)}
	for _, c := range taskCounters {
		*c.get(&m) = bm.counters[taskName(stage, task, c.name)]
	}
	opRows := make([]int64, ops)
	for i := range opRows {
		opRows[i] = bm.counters[taskName(stage, task, operatorRowsName(i))]
	}
	m.PeakMemory = bm.dists[taskName(stage, task, distPeak)].max
	m.PeakExecutionMemory = bm.dists[taskName(stage, task, distPeakExec)].max
	return m, opRows, true
}

// summary sums the job's metrics into the per-stage view of Metrics (TaskTime, blocks
// out), kept for callers that split a run's time between kindling and Beam.
func (bm beamMetrics) summary(j *dataset.JobMetrics) Metrics {
	var m Metrics
	for _, st := range j.Stages {
		tot := st.Totals()
		sm := StageMetrics{StageID: st.StageID, Tasks: int64(len(st.Tasks)), RowsIn: tot.RowsIn, RowsOut: tot.RowsOut,
			SpilledBytes: tot.SpilledBytes, TaskTime: tot.Duration}
		prefix := fmt.Sprintf("stage%d/", st.StageID)
		for name, v := range bm.counters {
			if rest, ok := strings.CutPrefix(name, prefix); ok {
				switch {
				case strings.HasSuffix(rest, "/"+blocksOutName):
					sm.BlocksOut += v
				case strings.HasSuffix(rest, "/"+blockBytesName):
					sm.BlockBytesOut += v
				}
			}
		}
		m.TaskTime += sm.TaskTime
		m.Stages = append(m.Stages, sm)
	}
	return m
}
