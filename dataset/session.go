package dataset

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/exec"
	"github.com/kindling-data/kindling/internal/vfs"
	"github.com/kindling-data/kindling/internal/webui"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

// Session is an embedded kindling engine: a memory budget, a worker pool and a block
// store, shared by the jobs that the actions of its datasets run. It needs no server.
// A Session is safe for concurrent use; Close it when done.
type Session struct {
	// gateIDs numbers the session's Expect stages: per session, so that a job built
	// alike in two fresh sessions (a distributed runner's driver and worker) names its
	// stages alike and plans to the same fingerprint.
	gateIDs atomic.Int64
	cfg     Config
	fs      vfs.FS // what output and checkpoints are written through
	mem     *kmemory.Manager
	spill   *storage.SpillManager
	blocks  *storage.BlockManager
	env     *exec.Env
	// goLimit is the session's share of the Go soft memory limit.
	goLimit *kmemory.GoLimitHold

	// ctx ends when Close begins; every job's context ends with it (cause ErrSessionClosed).
	ctx    context.Context
	cancel context.CancelCauseFunc
	// running counts the jobs started and not yet ended; Close waits for it to drain
	// before it frees what they use.
	running sync.WaitGroup
	// closeDone is closed when the first Close has freed everything; later calls wait
	// for it.
	closeDone chan struct{}

	mu       sync.Mutex
	jobs     []*JobMetrics
	lineages []jobLineage             // each job's lineage as the user built it, in job order
	owned    []interface{ Release() } // in-memory sources whose batches the session retains
	caches   []*cacheState            // persisted datasets, in order
	udfs     map[string]*UDF          // RegisterUDF's registry, by lower-case name
	views    map[string]plan.Node     // CreateOrReplaceTempView's catalog, by lower-case name
	closed   bool

	nextDataset int

	// bus delivers the session's events to Config.Listeners and the UI's tracker; ui
	// serves the live UI (nil unless Config.UIAddr is set).
	bus      *exec.Bus
	progress *progressBar
	tracker  *webui.Tracker
	ui       *webui.Server
}

// ErrSessionClosed is the error of an action on a dataset whose session is closed, and of
// a job that Session.Close cancelled while it ran. Test for it with errors.Is.
var ErrSessionClosed = errors.New("dataset: session closed")

// JobMetrics are the counters of one job: per stage and task, rows and bytes in and out,
// batches, durations and shuffle bytes.
type JobMetrics = exec.JobMetrics

// StageMetrics are the counters of one stage of a job.
type StageMetrics = exec.StageMetrics

// TaskMetrics are the counters of one task.
type TaskMetrics = exec.TaskMetrics

// NewSession starts an embedded engine. Zero fields of cfg take their defaults.
func NewSession(cfg Config) (*Session, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mc := cfg.memoryConfig()
	if err := mc.Validate(); err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if err := prepareCheckpointDir(cfg.TestingKnobs.FS, cfg.CheckpointDir); err != nil {
		return nil, err
	}
	// Config reports the budget in force, not the zero that asked for the default.
	cfg.MemoryLimit, cfg.StorageFraction = mc.Limit, mc.StorageFraction
	// The spill manager also removes the spill directories of dead sessions under SpillDir.
	spill, err := storage.NewSpillManager(cfg.SpillDir, storage.WithFS(cfg.TestingKnobs.FS))
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if cfg.TestingKnobs.SpillDiskLimit > 0 {
		spill.SetWriteLimit(cfg.TestingKnobs.SpillDiskLimit)
	}
	mem := kmemory.NewManager(mc)
	blocks := storage.NewBlockManager(mem, spill)
	s := &Session{cfg: cfg, fs: cfg.TestingKnobs.FS, mem: mem, spill: spill, blocks: blocks}
	s.goLimit = cfg.holdGoMemoryLimit()
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	s.closeDone = make(chan struct{})
	s.env = exec.NewEnv(cfg.Allocator, mem, blocks, spill, cfg.Parallelism, cfg.MaxTaskAttempts)
	s.env.Shuffle.SetBatchRows(cfg.BatchRows)
	s.env.BatchRows = cfg.BatchRows
	s.env.Adaptive = cfg.adaptive()
	if err := s.startObserving(); err != nil {
		s.goLimit.Release()
		return nil, errors.Join(err, s.env.Close(), blocks.Close(), spill.Close(), mem.Close())
	}
	return s, nil
}

// prepareCheckpointDir makes sure Checkpoint can write in dir, so that an unwritable
// directory fails the session's start, naming it, rather than a job later; and it
// recovers the checkpoints that killed processes were writing (datasource.RecoverOutput).
func prepareCheckpointDir(fsys vfs.FS, dir string) error {
	if dir == "" {
		return nil
	}
	fail := func(err error) error {
		return fmt.Errorf("dataset: checkpoint directory %s is not writable: %w", dir, err)
	}
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	probe := filepath.Join(dir, ".kindling-probe-"+hex.EncodeToString(b[:]))
	if err := vfs.WriteFile(fsys, probe, nil); err != nil {
		return fail(err)
	}
	if err := fsys.Remove(probe); err != nil {
		return fail(err)
	}
	entries, err := fsys.ReadDir(dir)
	if err != nil {
		return fail(err)
	}
	for _, e := range entries {
		name := e.Name()
		if i := strings.Index(name, ".kindling-"); strings.HasPrefix(name, ".") && i > 1 {
			// A stale job's leftovers waste space but break nothing: ignore the error.
			_ = datasource.RecoverOutput(fsys, filepath.Join(dir, name[1:i]))
		}
	}
	return nil
}

// Config returns the session's configuration with defaults filled in.
func (s *Session) Config() Config { return s.cfg }

// Close cancels the session's running jobs and waits for them to end, then frees the
// session's memory and blocks and removes its spill directory. A job it cancels fails
// with an error wrapping ErrSessionClosed (it never returns part of its result); a job
// that completed before the cancellation reached it returns its whole result. Actions on
// datasets of a closed session fail with ErrSessionClosed. Close is safe to call more than
// once and from several goroutines; every call returns once the first has freed
// everything (later calls return nil). It must not be called from a function a job runs
// (MapBatches, ForEachBatch): it would wait for that job.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.closeDone
		return nil
	}
	s.closed = true
	owned := s.owned
	s.owned = nil
	s.mu.Unlock()
	defer close(s.closeDone)
	s.cancel(ErrSessionClosed)
	s.running.Wait()
	for _, o := range owned {
		o.Release()
	}
	defer s.goLimit.Release()
	// Blocks first (they hold storage memory), then the spill directory, then the budget,
	// which reports any reservation still held; the events last, with the UI.
	return errors.Join(s.env.Close(), s.blocks.Close(), s.spill.Close(), s.mem.Close(), s.stopObserving())
}

// beginJob registers a job with the session and returns its context: ctx, also ended by
// Close with the cause ErrSessionClosed. end must be called when the job is over. It fails
// with ErrSessionClosed once Close has begun.
func (s *Session) beginJob(ctx context.Context) (jctx context.Context, end func(), err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, nil, ErrSessionClosed
	}
	s.running.Add(1)
	s.mu.Unlock()
	jctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(s.ctx, func() { cancel(ErrSessionClosed) })
	return jctx, func() {
		stop()
		cancel(nil)
		s.running.Done()
	}, nil
}

// LastJob returns the metrics of the most recent job that finished, or nil.
func (s *Session) LastJob() *JobMetrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.jobs) == 0 {
		return nil
	}
	return s.jobs[len(s.jobs)-1]
}

// Jobs returns the metrics of every job the session ran, oldest first.
func (s *Session) Jobs() []*JobMetrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*JobMetrics(nil), s.jobs...)
}

// MemoryStats reports the memory manager's current and peak usage.
func (s *Session) MemoryStats() kmemory.Stats { return s.mem.Stats() }

// recordJob keeps the metrics of a job and the lineage it ran (for Advise).
func (s *Session) recordJob(m *JobMetrics, lineage plan.Node) {
	if m == nil {
		return
	}
	s.mu.Lock()
	s.jobs = append(s.jobs, m)
	s.lineages = append(s.lineages, jobLineage{job: m, root: lineage})
	s.mu.Unlock()
}

func (s *Session) physicalConfig() plan.PhysicalConfig {
	return plan.PhysicalConfig{
		ShufflePartitions:  s.cfg.ShufflePartitions,
		MaxPartitionBytes:  s.cfg.MaxPartitionBytes,
		MinPartitions:      s.cfg.Parallelism,
		BatchRows:          s.cfg.BatchRows,
		BroadcastThreshold: s.cfg.BroadcastThreshold,
		NoWindowGroupLimit: s.cfg.TestingKnobs.NoWindowGroupLimit,
		WholeReads:         s.cfg.TestingKnobs.WholeReads,
		MapTasks:           s.mapTasks(),
		TaskMemory:         s.planningMemory() / int64(max(1, s.cfg.Parallelism)),
	}
}

// planningMemory is the budget plans are sized for: Config.PlanningMemory, else the
// session's MemoryLimit.
func (s *Session) planningMemory() int64 {
	if s.cfg.PlanningMemory > 0 {
		return s.cfg.PlanningMemory
	}
	return s.cfg.MemoryLimit
}

// mapTasks is how many tasks a map stage over in-memory partitions runs (0: one per
// partition): as many as run at once, with adaptive execution on.
func (s *Session) mapTasks() int {
	if s.cfg.DisableAdaptive {
		return 0
	}
	return s.cfg.Parallelism
}

func (s *Session) checkOpen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrSessionClosed
	}
	return nil
}

// SpillDir returns the session's spill directory (removed by Close).
func (s *Session) SpillDir() string { return s.spill.Dir() }
