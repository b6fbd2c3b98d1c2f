package exec

import (
	"fmt"
	"strings"
	"time"

	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/storage"
)

// TaskMetrics are the counters of one successful task attempt.
type TaskMetrics struct {
	Partition int
	Attempt   int // 1-based attempt that succeeded
	// RowsIn and BytesIn count what the task read from its sources or shuffle reads.
	RowsIn, BytesIn int64
	// RowsOut and BytesOut count what the task wrote to its shuffle or result sink.
	RowsOut, BytesOut     int64
	BatchesIn, BatchesOut int64
	// MalformedRows counts input rows a permissive or drop-malformed CSV scan nulled or dropped.
	MalformedRows int64
	// RowGroupsPruned counts Parquet row groups skipped by their statistics.
	RowGroupsPruned int64
	// ShuffleBytesRead and ShuffleBytesWritten count shuffle block bytes.
	ShuffleBytesRead, ShuffleBytesWritten int64
	// PeakMemory is the peak of Arrow bytes the task's allocator held.
	PeakMemory int64
	// PeakExecutionMemory is the peak execution memory the task reserved from the budget.
	PeakExecutionMemory int64
	// SpilledBytes and SpillCount count what the task's operators wrote to spill files.
	SpilledBytes, SpillCount int64
	// CacheHits counts cached partitions read (CacheDiskHits of them from disk),
	// CacheMisses partitions of a persisted dataset that had to be computed, and
	// RecomputedPartitions those misses that had been cached before (evicted, then
	// recomputed from lineage). CachePutFailures counts partitions of a persisted dataset
	// that were computed but could not be stored (Session.StorageInfo says why).
	CacheHits, CacheDiskHits, CacheMisses, RecomputedPartitions, CachePutFailures int64
	// Start is when the successful attempt started, Duration how long it ran.
	Start    time.Time
	Duration time.Duration
}

// StageMetrics aggregate a stage's tasks.
type StageMetrics struct {
	StageID int
	// Kind is "map" for a stage that writes a shuffle, "result" for the last stage.
	Kind  string
	Tasks []TaskMetrics
	// Retries counts failed task attempts that were run again, and RetriesByCause splits
	// them by the cause of the failure (nil when there were none). Deterministic failures
	// and cancellations are never retried, so they do not appear here.
	Retries        int
	RetriesByCause map[FailureCause]int
	// ShufflePartitionBytes and ShufflePartitionRows are the sizes of each reduce
	// partition of the shuffle a map stage wrote (what skew handling looks at).
	ShufflePartitionBytes []int64
	ShufflePartitionRows  []int64
	// Skew names the reduce partitions of that shuffle far above the median, and the keys
	// a sample of the map tasks' rows found behind them (empty: none).
	Skew []Skew
	// Adaptive lists what adaptive execution changed in the stage before it ran, from the
	// sizes of the shuffles it reads: reduce partitions coalesced into fewer tasks, a
	// shuffled join switched to broadcast, skewed partitions split (empty: run as planned,
	// one task per partition).
	Adaptive []string
	// Parents are the stages whose shuffles the stage reads; Operators its pipeline, one
	// operator per line from the top (indented as Explain prints it).
	Parents   []int
	Operators []string
	// OperatorRows[i] are the rows operator Operators[i] output, over the successful task
	// attempts (the rows a filter selected, a join matched, an aggregate's groups).
	OperatorRows []int64
	Start        time.Time
	Duration     time.Duration
}

// Totals sums the stage's task counters (Partition, Attempt and Start are left zero; the
// peaks are the largest of any task).
func (s *StageMetrics) Totals() TaskMetrics {
	var t TaskMetrics
	for i := range s.Tasks {
		t.add(&s.Tasks[i])
	}
	return t
}

// add accumulates o into t: counters and durations add up, peaks take the larger value.
// Every field of TaskMetrics must appear here (TestTotalsCoverEveryField checks it), so
// that stage and job totals never silently drop one.
func (t *TaskMetrics) add(o *TaskMetrics) {
	t.RowsIn += o.RowsIn
	t.BytesIn += o.BytesIn
	t.RowsOut += o.RowsOut
	t.BytesOut += o.BytesOut
	t.BatchesIn += o.BatchesIn
	t.BatchesOut += o.BatchesOut
	t.MalformedRows += o.MalformedRows
	t.RowGroupsPruned += o.RowGroupsPruned
	t.ShuffleBytesRead += o.ShuffleBytesRead
	t.ShuffleBytesWritten += o.ShuffleBytesWritten
	t.PeakMemory = max(t.PeakMemory, o.PeakMemory)
	t.PeakExecutionMemory = max(t.PeakExecutionMemory, o.PeakExecutionMemory)
	t.SpilledBytes += o.SpilledBytes
	t.SpillCount += o.SpillCount
	t.CacheHits += o.CacheHits
	t.CacheDiskHits += o.CacheDiskHits
	t.CacheMisses += o.CacheMisses
	t.RecomputedPartitions += o.RecomputedPartitions
	t.CachePutFailures += o.CachePutFailures
	t.Duration += o.Duration
}

// JobMetrics are the counters of one job (one action).
type JobMetrics struct {
	JobID  int
	Action string
	Stages []StageMetrics
	// Start is when the job began; Err is its failure (nil: it succeeded).
	Start    time.Time
	Duration time.Duration
	Err      error
	// Plan is the job's plans as Explain prints them (set by the dataset that ran it).
	Plan string
	// MemoryTimeline samples the session's memory each time a task of the job ended.
	MemoryTimeline []MemorySample
	// Memory is the memory manager's state at the end of the job, except its peaks,
	// which are the job's: the most execution and storage memory in use at once while it
	// ran (other jobs' memory at the time included).
	Memory kmemory.Stats
	// Blocks is what the block manager did during the job: evictions (to disk or dropped),
	// disk reads and writes, hits and misses.
	Blocks storage.BlockStats
	// Spill counts the files the job wrote to the spill directory (operator spills, cached
	// partitions and shuffle blocks moved to disk): Bytes on disk, RawBytes their size in
	// memory (Spark's "spill (disk)" and "spill (memory)").
	Spill storage.SpillStats
}

// MemorySample is the session's memory at one moment: execution and storage memory in
// use, the budget, and the bytes spilled so far by the session.
type MemorySample struct {
	Time                          time.Time
	Execution, Storage, Limit     int64
	SpilledBytes, SpilledInMemory int64
}

// Totals sums the task counters of every stage, as StageMetrics.Totals does for one:
// counters and task durations add up, peaks are the largest of any task.
func (j *JobMetrics) Totals() TaskMetrics {
	var t TaskMetrics
	for i := range j.Stages {
		s := j.Stages[i].Totals()
		t.add(&s)
	}
	return t
}

// RetriesByCause sums the stages' retried attempts by cause (nil when there were none).
func (j *JobMetrics) RetriesByCause() map[FailureCause]int {
	var out map[FailureCause]int
	for _, s := range j.Stages {
		for c, n := range s.RetriesByCause {
			if out == nil {
				out = make(map[FailureCause]int)
			}
			out[c] += n
		}
	}
	return out
}

// Stage returns the metrics of the stage with the given ID, or nil.
func (j *JobMetrics) Stage(id int) *StageMetrics {
	for i := range j.Stages {
		if j.Stages[i].StageID == id {
			return &j.Stages[i]
		}
	}
	return nil
}

// Explain renders the job's stages with their metrics, as EXPLAIN ANALYZE does: each
// stage's header (tasks, time, rows in and out, shuffle bytes), what adaptive execution
// changed and the skew it found, then its pipeline with the rows each operator output.
func (j *JobMetrics) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "job %d (%s) took %v\n", j.JobID, j.Action, j.Duration.Round(time.Microsecond))
	for _, s := range j.Stages {
		t := s.Totals()
		fmt.Fprintf(&b, "Stage %d (%s, %d tasks, %v): rows %d → %d", s.StageID, s.Kind, len(s.Tasks), s.Duration.Round(time.Microsecond), t.RowsIn, t.RowsOut)
		if t.ShuffleBytesRead > 0 || t.ShuffleBytesWritten > 0 {
			fmt.Fprintf(&b, ", shuffle read %s, write %s", kmemory.FormatBytes(t.ShuffleBytesRead), kmemory.FormatBytes(t.ShuffleBytesWritten))
		}
		if t.SpilledBytes > 0 {
			fmt.Fprintf(&b, ", spilled %s", kmemory.FormatBytes(t.SpilledBytes))
		}
		b.WriteString("\n")
		for _, d := range s.Adaptive {
			fmt.Fprintf(&b, "  adaptive: %s\n", d)
		}
		for _, k := range s.Skew {
			fmt.Fprintf(&b, "  skew: %s\n", k)
		}
		for i, op := range s.Operators {
			if i < len(s.OperatorRows) {
				fmt.Fprintf(&b, "  %s  [rows=%d]\n", op, s.OperatorRows[i])
			} else {
				fmt.Fprintf(&b, "  %s\n", op)
			}
		}
	}
	return b.String()
}

// String renders the metrics as a small table, one line per stage.
func (j *JobMetrics) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "job %d (%s) took %v; peak execution memory %s, storage %s",
		j.JobID, j.Action, j.Duration.Round(time.Microsecond), kmemory.FormatBytes(j.Memory.PeakExecution), kmemory.FormatBytes(j.Memory.StorageUsed))
	if j.Spill.Files > 0 {
		fmt.Fprintf(&b, "; spilled %s on disk (%s in memory) in %d files", kmemory.FormatBytes(j.Spill.Bytes), kmemory.FormatBytes(j.Spill.RawBytes), j.Spill.Files)
	}
	if j.Blocks.EvictedBlocks > 0 {
		fmt.Fprintf(&b, "; %d blocks evicted", j.Blocks.EvictedBlocks)
	}
	if n := j.Totals().CachePutFailures; n > 0 {
		fmt.Fprintf(&b, "; %d persisted partitions not cached", n)
	}
	if r := j.RetriesByCause(); len(r) > 0 {
		fmt.Fprintf(&b, "; retried attempts %v", r)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  %-6s %-6s %5s %10s %10s %10s %10s %10s %10s %10s\n",
		"stage", "kind", "tasks", "rows in", "rows out", "bytes in", "bytes out", "shuf write", "shuf read", "time")
	for _, s := range j.Stages {
		t := s.Totals()
		fmt.Fprintf(&b, "  %-6d %-6s %5d %10d %10d %10s %10s %10s %10s %10v\n",
			s.StageID, s.Kind, len(s.Tasks), t.RowsIn, t.RowsOut,
			kmemory.FormatBytes(t.BytesIn), kmemory.FormatBytes(t.BytesOut),
			kmemory.FormatBytes(t.ShuffleBytesWritten), kmemory.FormatBytes(t.ShuffleBytesRead),
			s.Duration.Round(time.Microsecond))
		for _, d := range s.Adaptive {
			fmt.Fprintf(&b, "         adaptive: %s\n", d)
		}
		for _, k := range s.Skew {
			fmt.Fprintf(&b, "         skew: %s\n", k)
		}
	}
	return b.String()
}
