package dataset

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec"
	"github.com/kindling-data/kindling/internal/vfs"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
)

// Defaults of Config. Each is what Spark or DataFusion uses unless a benchmark of ours
// says otherwise.
const (
	// DefaultMaxPartitionBytes bounds the input bytes of one file-scan partition
	// (spark.sql.files.maxPartitionBytes).
	DefaultMaxPartitionBytes = 128 << 20
	// DefaultBatchRows is the rows per record batch. DataFusion's batch_size is 8192;
	// on kindling's engine 65 536 rows ran TPC-H SF 1 about a fifth faster on two cores,
	// and db-benchmark's small questions faster, with the large ones unchanged (the bench
	// report's batch-size measurements): per-batch costs (dictionary translation, kernel
	// set-up, hash table growth checks) amortize over eight times the rows.
	DefaultBatchRows = 65536
	// DefaultBroadcastThreshold is the largest estimated join side that is broadcast
	// (spark.sql.autoBroadcastJoinThreshold).
	DefaultBroadcastThreshold = 10 << 20
	// DefaultMaxTaskAttempts is the attempts of a task before the job fails
	// (spark.task.maxFailures).
	DefaultMaxTaskAttempts = 4
)

// Config configures a Session. The zero value is a working embedded engine: every field
// left zero takes its default.
type Config struct {
	// MemoryLimit is the budget in bytes of the unified memory manager, shared by
	// execution (hash tables, buffered batches) and storage (shuffle blocks, cache).
	// Zero derives it from physical memory (60% of RAM less 300 MiB, as Spark does).
	//
	// While the session is open it also holds a share of the Go runtime's soft memory
	// limit (runtime/debug.SetMemoryLimit): MemoryLimit × 1.25 + 96 MiB, the quarter
	// being for what the budget does not count (garbage not yet collected, readers'
	// buffers) and the 96 MiB for the Go runtime. With several sessions open the soft
	// limit is the sum of their shares; closing the last restores the limit in force
	// before the first opened; the batches a session holds for FromRecords and
	// FromPartitions, which the budget does not count, raise its share until released. So
	// the collector works harder before garbage takes the process far over its budget. A
	// limit the program set itself (GOMEMLIMIT, or debug.SetMemoryLimit) is left as it is.
	MemoryLimit int64
	// PlanningMemory, when positive, is the budget the planner sizes partitions for (a
	// group-by's shuffle gets more partitions when its input would overflow a task's share)
	// instead of MemoryLimit. Distributed runners pin it to the driver's budget, so that
	// machines with other defaults plan the job alike.
	PlanningMemory int64
	// StorageFraction is the share of MemoryLimit below which cached data is safe from
	// eviction by execution (default 0.5).
	StorageFraction float64
	// Parallelism bounds the tasks that run at once (default GOMAXPROCS).
	Parallelism int
	// ShufflePartitions is the partition count of shuffles (group-by, distinct, joins,
	// sorts, repartition without a count). Default: 4 × Parallelism, at least 8, which
	// adaptive execution then coalesces to what the data needs (as Spark's AQE starts from
	// a fixed high count); with DisableAdaptive, 2 × Parallelism, at least 4, so that a
	// laptop-sized job does not drown in tiny tasks. Coalescing saves the reduce side's
	// tasks but not the map side's cost per partition (each map task fills a buffer per
	// partition and column): on 2 cores, 16 took db-benchmark's ten group-by questions
	// 15% longer than 8 (the bench report's partition sweep). A group-by's shuffle takes
	// more when its input's estimated size would give a reduce partition more than a
	// quarter of a task's share of MemoryLimit (doubling, to at most 4 times as many,
	// partitions of no less than 1 MiB): each final aggregation's table then fits its
	// task's share, so that the reduce tasks run side by side in memory.
	ShufflePartitions int
	// DisableAdaptive turns off adaptive execution (Spark's spark.sql.adaptive.enabled,
	// on by default): before a stage reading shuffles runs, the sizes of their map
	// outputs re-plan it. Adjacent small reduce partitions are coalesced into tasks of
	// about AdvisoryPartitionBytes (keeping at least 2 × Parallelism tasks when the data
	// allows, Spark's parallelismFirst); a shuffled join whose build side turns out no larger than
	// BroadcastThreshold reads that side whole in every task, as a broadcast join; and a
	// skewed partition of a shuffled join is split into tasks each reading part of it
	// (by map output) with the other side's partition whole. JobMetrics lists each
	// decision (StageMetrics.Adaptive). Also, a group-by's map stage over in-memory
	// partitions (FromPartitions, FromRecords) reads more of them than Parallelism as
	// Parallelism tasks of consecutive partitions, so that fewer partial aggregates
	// cross the shuffle (Explain notes it on the scan).
	DisableAdaptive bool
	// AdvisoryPartitionBytes is the shuffle input a coalesced task aims at, and the least
	// a piece of a split skewed partition holds (default 64 MiB, Spark's
	// spark.sql.adaptive.advisoryPartitionSizeInBytes).
	AdvisoryPartitionBytes int64
	// SkewedPartitionFactor and SkewedPartitionBytes say when a reduce partition of a
	// shuffled join is skewed: larger than SkewedPartitionFactor × the median partition
	// and than SkewedPartitionBytes (defaults 5 and 256 MiB, Spark's
	// spark.sql.adaptive.skewJoin.skewedPartitionFactor and ThresholdInBytes).
	SkewedPartitionFactor float64
	SkewedPartitionBytes  int64
	// MaxPartitionBytes bounds the input bytes of one file-scan partition (default 128 MiB).
	MaxPartitionBytes int64
	// BatchRows bounds the rows of the record batches sources produce (default 65 536).
	BatchRows int
	// BroadcastThreshold is the estimated size up to which a join side is broadcast to
	// every task instead of shuffling both sides (default 10 MiB, as Spark's
	// autoBroadcastJoinThreshold; negative: only when hinted with Broadcast).
	BroadcastThreshold int64
	// MaxTaskAttempts is how many times a task failing with a retryable cause (an error
	// or panic from user code, a transient I/O error, memory other tasks held) runs before
	// its job fails (default 4). Deterministic failures (a malformed row, a batch of the
	// wrong schema, a request larger than the budget) fail the job at the first attempt.
	MaxTaskAttempts int
	// SpillDir is where the session makes its spill directory (spilled operator state,
	// cached partitions on disk, shuffle blocks moved out of memory); default: the system
	// temp directory. The session's directory is removed by Close; the directories that
	// killed sessions left in SpillDir (their lock file no live process holds) are removed
	// when a session starts.
	SpillDir string
	// CheckpointDir is where Checkpoint writes; Checkpoint fails while it is empty.
	// NewSession fails if it is set and not writable, and recovers what killed
	// Checkpoint jobs left in it.
	CheckpointDir string
	// TestingKnobs change the engine's behaviour for tests; leave them zero.
	TestingKnobs TestingKnobs
	// Logger receives the session's warnings, such as a persisted partition that could
	// not be cached or a task attempt that failed and is retried, and at debug level each
	// spill file and each cached block evicted (default slog.Default()). Tests pass a
	// logger over a buffer to read them; slog.New(slog.DiscardHandler) silences them.
	Logger *slog.Logger
	// Listeners receive the session's events (JobStart, StageEnd, TaskEnd, Spill,
	// Eviction, …) on a goroutine of their own, in order; a listener that falls far behind
	// loses events rather than slow a job. None by default, and then jobs build no events.
	Listeners []Listener
	// Lineage says where the OpenLineage events of the session's writes go besides the
	// listeners (which receive them as *LineageEvent), and how their jobs are named.
	// Writes build no lineage when it has no File and there are no listeners.
	Lineage LineageConfig
	// Progress says when a one-line progress bar of the running job (its stage, tasks
	// done, rows per second, bytes spilled) is drawn on ProgressWriter: by default
	// (ProgressAuto) when that is a terminal, for jobs running longer than half a second.
	Progress ProgressMode
	// ProgressWriter is where the progress bar is drawn (default os.Stderr).
	ProgressWriter io.Writer
	// UIAddr, when set, serves the session's live web UI at that address (such as
	// "localhost:4040"; port 0 picks a free one, Session.UIAddr says which) until Close:
	// jobs with their stage DAGs, task timelines and stage summaries, storage, memory over
	// time, plans and this configuration. Off by default. NewSession fails if it cannot
	// listen.
	UIAddr string
	// TimeZone is the session time zone, an IANA name such as "Europe/Berlin" (default
	// "UTC"; Spark's spark.sql.session.timeZone). Timestamps are instants; the functions
	// that read or write a wall clock (date parts, DateFormat, DateTrunc, parsing text
	// without an offset, casts between timestamps and dates or strings, CurrentDate,
	// interval arithmetic in days and months) use this zone. NewSession fails on an
	// unknown zone.
	TimeZone string
	// Allocator is where every Arrow buffer comes from (default: NewPoolAllocator's,
	// which recycles released buffers). Tests pass arrow's CheckedAllocator to prove that
	// nothing leaks.
	Allocator memory.Allocator
}

// NewPoolAllocator returns the allocator sessions use by default: released Arrow buffers
// go back to a pool of size classes and are reused, so that a job's resident memory
// follows its live bytes rather than everything it ever allocated (see
// memory.PoolAllocator). Wrap it to count or trace allocations and pass the wrapper as
// Config.Allocator.
func NewPoolAllocator() memory.Allocator { return kmemory.NewPoolAllocator() }

// EnsureDefaults fills the zero fields with their defaults.
func (c *Config) EnsureDefaults() {
	if c.Parallelism <= 0 {
		c.Parallelism = runtime.GOMAXPROCS(0)
	}
	if c.ShufflePartitions <= 0 && c.DisableAdaptive {
		c.ShufflePartitions = max(4, 2*c.Parallelism)
	} else if c.ShufflePartitions <= 0 {
		c.ShufflePartitions = max(8, 4*c.Parallelism)
	}
	if c.AdvisoryPartitionBytes <= 0 {
		c.AdvisoryPartitionBytes = exec.DefaultAdvisoryPartitionBytes
	}
	if c.SkewedPartitionFactor <= 0 {
		c.SkewedPartitionFactor = exec.DefaultSkewedPartitionFactor
	}
	if c.SkewedPartitionBytes <= 0 {
		c.SkewedPartitionBytes = exec.DefaultSkewedPartitionBytes
	}
	if c.MaxPartitionBytes <= 0 {
		c.MaxPartitionBytes = DefaultMaxPartitionBytes
	}
	if c.BatchRows <= 0 {
		c.BatchRows = DefaultBatchRows
	}
	if c.BroadcastThreshold == 0 {
		c.BroadcastThreshold = DefaultBroadcastThreshold
	}
	if c.MaxTaskAttempts <= 0 {
		c.MaxTaskAttempts = DefaultMaxTaskAttempts
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Allocator == nil {
		c.Allocator = kmemory.NewPoolAllocator()
	}
	if c.TimeZone == "" {
		c.TimeZone = "UTC"
	}
	if c.TestingKnobs.FS == nil {
		c.TestingKnobs.FS = vfs.Default
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	if c.MemoryLimit < 0 {
		return fmt.Errorf("dataset: Config.MemoryLimit %d is negative", c.MemoryLimit)
	}
	if c.StorageFraction < 0 || c.StorageFraction >= 1 {
		return fmt.Errorf("dataset: Config.StorageFraction %v must be in [0, 1)", c.StorageFraction)
	}
	if _, err := plan.LoadTimeZone(c.TimeZone); err != nil {
		return fmt.Errorf("dataset: Config.TimeZone: %w", err)
	}
	return nil
}

// adaptive is the exec side of the adaptive execution settings.
func (c *Config) adaptive() exec.Adaptive {
	return exec.Adaptive{Enabled: !c.DisableAdaptive, AdvisoryPartitionBytes: c.AdvisoryPartitionBytes,
		MinPartitions: 2 * c.Parallelism, SkewedPartitionFactor: c.SkewedPartitionFactor,
		SkewedPartitionBytes: c.SkewedPartitionBytes, BroadcastBytes: c.BroadcastThreshold}
}

func (c *Config) memoryConfig() kmemory.Config {
	mc := kmemory.Config{Limit: c.MemoryLimit, StorageFraction: c.StorageFraction}
	mc.EnsureDefaults()
	return mc
}

// holdGoMemoryLimit raises the Go runtime's soft memory limit by the session's share while
// it is open (see MemoryLimit) and returns what gives it back.
func (c *Config) holdGoMemoryLimit() *kmemory.GoLimitHold {
	return kmemory.HoldGoMemoryLimit(c.MemoryLimit)
}

// inMemoryBytes is what an in-memory source (FromPartitions, FromRecords) holds outside
// the budget; 0 for other sources.
func inMemoryBytes(src plan.Source) int64 {
	rs, ok := src.(*exec.RecordsSource)
	if !ok {
		return 0
	}
	parts, err := rs.Partitions(plan.ScanRequest{})
	if err != nil {
		return 0
	}
	var n int64
	for _, p := range parts {
		if e, ok := p.(interface{ EstimatedBytes() int64 }); ok {
			n += e.EstimatedBytes()
		}
	}
	return n
}

// TestingKnobs are settings for tests of failure paths.
type TestingKnobs struct {
	// SpillDiskLimit, if positive, makes spill writes fail with ENOSPC ("no space left on
	// device") once the session has written that many bytes: a full disk. It is a capacity
	// set on the spill manager's fault-injecting file system.
	SpillDiskLimit int64
	// FS is the file system the session writes through: spill files, disk-cached blocks,
	// checkpoints and job output (default: the operating system's). Tests pass a
	// vfs.ErrorFS to inject faults.
	FS vfs.FS
	// KeepDistinctAggregates plans count and sum of DISTINCT with their set-based
	// accumulators instead of splitting them into two aggregations, so that tests and
	// benchmarks can compare the two plans.
	KeepDistinctAggregates bool
	// NoWindowGroupLimit plans a filter on a ranking window column without the partial
	// per-key limit below the shuffle (Spark's WindowGroupLimit), to compare the plans.
	NoWindowGroupLimit bool
	// WholeReads reads every column of a cached dataset and has filters gather every
	// column of their input, as before column pruning reached cached data, so that
	// benchmarks can compare the two plans.
	WholeReads bool
}
