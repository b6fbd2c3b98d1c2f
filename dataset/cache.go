package dataset

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sync"

	"github.com/kindling-data/kindling/exec"
	kmemory "github.com/kindling-data/kindling/memory"
	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

// StorageLevel says where a persisted dataset's partitions live (Spark's storage levels):
// MemoryOnly, MemoryAndDisk, DiskOnly, MemoryOnlySer, MemoryAndDiskSer, or None.
type StorageLevel = storage.Level

// The storage levels.
const (
	// None: not persisted.
	None StorageLevel = storage.None
	// MemoryOnly keeps partitions in memory; a partition evicted (or too big) is
	// recomputed from lineage by the next job that needs it.
	MemoryOnly StorageLevel = storage.MemoryOnly
	// MemoryAndDisk keeps partitions in memory and moves them to disk when memory is
	// needed: they are read back from disk, never recomputed.
	MemoryAndDisk StorageLevel = storage.MemoryAndDisk
	// DiskOnly keeps partitions on disk (compressed Arrow IPC).
	DiskOnly StorageLevel = storage.DiskOnly
	// MemoryOnlySer keeps partitions in memory as compressed IPC bytes: smaller, and
	// slower to read.
	MemoryOnlySer StorageLevel = storage.MemoryOnlySer
	// MemoryAndDiskSer is MemoryOnlySer that moves to disk under pressure.
	MemoryAndDiskSer StorageLevel = storage.MemoryAndDiskSer
)

// cacheState is what the session knows of one persisted dataset; the planner and the
// engine ask it (plan.CacheStatus, exec.CacheRecorder, exec.CacheLevel).
type cacheState struct {
	s     *Session
	id    int
	level storage.Level
	site  string

	mu         sync.Mutex
	partitions int // -1 until a job computed the dataset
	computed   map[int]bool
	active     bool
	// notCached holds why each partition the last job to compute it could not store
	// was not stored.
	notCached map[int]string
	// unreported counts the partitions not stored since the last warning, the first of
	// them being firstPartition.
	unreported     int
	firstPartition int
	// hits counts partitions read from the cache, recomputed partitions computed again
	// after a job had computed them (evicted, or never stored), evictions blocks evicted
	// for execution memory (Session.Advise and StorageInfo report them).
	hits, recomputed, evictions int64
}

func (c *cacheState) Materialized() (int, bool) {
	c.mu.Lock()
	n, active := c.partitions, c.active
	c.mu.Unlock()
	if !active || n < 0 {
		return 0, false
	}
	return n, c.s.blocks.DatasetInfo(c.id).Partitions == n
}

// EstimatedBytes is the size of the stored partitions (memory and disk copies), which
// the planner weighs when it decides whether to broadcast a join side; -1 until every
// partition is stored.
func (c *cacheState) EstimatedBytes() int64 {
	n, ok := c.Materialized()
	if !ok {
		return -1
	}
	info := c.s.blocks.DatasetInfo(c.id)
	if info.Partitions != n {
		return -1
	}
	return info.MemoryBytes + info.DiskBytes
}

func (c *cacheState) Level() string               { return c.level.String() }
func (c *cacheState) StorageLevel() storage.Level { return c.level }

func (c *cacheState) Active() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.active
}

// ReadFromCache counts a partition read from the cache.
func (c *cacheState) ReadFromCache(int) {
	c.mu.Lock()
	c.hits++
	c.mu.Unlock()
}

func (c *cacheState) Computed(partition, partitions int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.computed[partition] {
		c.recomputed++
	}
	c.partitions = partitions
	c.computed[partition] = true
}

func (c *cacheState) WasComputed(partition int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.computed[partition]
}

// NotCached records why a partition was not stored; the job's end reports it (warnNotCached).
func (c *cacheState) NotCached(partition int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.notCached == nil {
		c.notCached = make(map[int]string)
	}
	c.notCached[partition] = reason
	if c.unreported == 0 {
		c.firstPartition = partition
	}
	c.unreported++
}

func (c *cacheState) Cached(partition int) {
	c.mu.Lock()
	delete(c.notCached, partition)
	c.mu.Unlock()
}

// warnNotCached writes one warning line through the session's logger for each persisted
// dataset that had partitions it could not store since the last warning, as Spark's block
// manager warns "Not enough space to cache ...": one line per dataset and job rather than
// per partition, naming the first partition and its reason (StorageInfo has them all).
func (s *Session) warnNotCached() {
	s.mu.Lock()
	caches := append([]*cacheState(nil), s.caches...)
	s.mu.Unlock()
	for _, c := range caches {
		c.mu.Lock()
		n, p := c.unreported, c.firstPartition
		reason := c.notCached[p]
		c.unreported = 0
		c.mu.Unlock()
		if n > 0 {
			s.cfg.Logger.Warn("dataset: persisted partitions not cached; jobs recompute them from lineage",
				"dataset", c.id, "site", c.site, "level", c.level.String(), "partitions", n,
				"partition", p, "reason", reason)
		}
	}
}

var (
	_ plan.CacheStatus       = (*cacheState)(nil)
	_ exec.CacheRecorder     = (*cacheState)(nil)
	_ exec.CacheReadRecorder = (*cacheState)(nil)
	_ exec.CacheLevel        = (*cacheState)(nil)
	_ exec.CacheNotices      = (*cacheState)(nil)
)

// Persist returns a dataset that keeps its partitions at the given level once a job has
// computed them, so that later jobs read them instead of recomputing the lineage. Use the
// returned dataset (datasets are immutable): d.Persist(...) changes nothing about d.
//
// Persist after a shuffle, not before: the cached partitions then spare the later jobs the
// scan, the partial aggregation and the shuffle. Under MemoryOnly a partition that
// execution memory evicts is recomputed from lineage when next needed; under
// MemoryAndDisk it is written to disk and read back. Persisting with None returns d.
func (d *Dataset) Persist(level StorageLevel) *Dataset {
	site := callSite("persist")
	if level == storage.None || d.err != nil {
		return d
	}
	st := &cacheState{s: d.s, level: level, site: site, partitions: -1, computed: map[int]bool{}, active: true}
	d.s.mu.Lock()
	d.s.nextDataset++
	st.id = d.s.nextDataset
	d.s.caches = append(d.s.caches, st)
	d.s.mu.Unlock()
	return d.derive(&plan.Cache{Meta: plan.Meta{CallSite: site}, Input: d.node, DatasetID: st.id, Status: st})
}

// Cache is Persist(MemoryAndDisk), the default of Spark's DataFrame cache.
func (d *Dataset) Cache() *Dataset { return d.Persist(storage.MemoryAndDisk) }

// Unpersist frees the dataset's cached partitions at once, in memory and on disk. The
// dataset stays usable and is recomputed from its lineage by later jobs, uncached. It is
// a no-op for a dataset that is not persisted.
func (d *Dataset) Unpersist() {
	c, ok := d.node.(*plan.Cache)
	if !ok {
		return
	}
	st := c.Status.(*cacheState)
	st.mu.Lock()
	st.active = false
	st.mu.Unlock()
	d.s.blocks.RemoveDataset(st.id)
}

// StorageLevel returns the level the dataset is persisted at, or None.
func (d *Dataset) StorageLevel() StorageLevel {
	if c, ok := d.node.(*plan.Cache); ok && c.Status.Active() {
		return c.Status.(*cacheState).level
	}
	return storage.None
}

// CachedDataset describes one persisted dataset, as Spark's Storage tab does.
type CachedDataset struct {
	ID    int
	Site  string // where Persist or Cache was called
	Level StorageLevel
	// Partitions is the dataset's partition count (-1 until a job computed it); Cached
	// how many of them are stored, InMemory and OnDisk where.
	Partitions, Cached, InMemory, OnDisk int
	MemoryBytes, DiskBytes               int64
	// NotCached says, for each partition that a job computed but could not store, why
	// (for example "not enough memory: 12.0 MiB computed so far, more than the 8.0 MiB
	// execution leaves free"). Such partitions are recomputed from lineage by every job
	// that reads them; a later job that stores one removes its entry.
	NotCached map[int]string
	// Hits counts partitions jobs read from the cache; Recomputed partitions jobs computed
	// again after one had computed them (evicted or never stored); Evictions blocks
	// evicted for execution memory (to disk, or dropped).
	Hits, Recomputed, Evictions int64
}

// String renders the entry on one line.
func (c CachedDataset) String() string {
	s := fmt.Sprintf("dataset %d (%s) %s: %d/%d partitions cached, %d in memory (%s), %d on disk (%s)",
		c.ID, c.Site, c.Level, c.Cached, c.Partitions, c.InMemory, formatBytes(c.MemoryBytes), c.OnDisk, formatBytes(c.DiskBytes))
	if len(c.NotCached) > 0 {
		parts := slices.Sorted(maps.Keys(c.NotCached))
		s += fmt.Sprintf("; %d not cached (partition %d: %s)", len(parts), parts[0], c.NotCached[parts[0]])
	}
	return s
}

// StorageInfo lists the persisted datasets that have not been unpersisted, with the
// partitions that could not be stored and why.
func (s *Session) StorageInfo() []CachedDataset {
	s.mu.Lock()
	caches := append([]*cacheState(nil), s.caches...)
	s.mu.Unlock()
	var out []CachedDataset
	for _, c := range caches {
		if !c.Active() {
			continue
		}
		info := s.blocks.DatasetInfo(c.id)
		c.mu.Lock()
		parts := c.partitions
		notCached := maps.Clone(c.notCached)
		hits, recomputed, evictions := c.hits, c.recomputed, c.evictions
		c.mu.Unlock()
		out = append(out, CachedDataset{ID: c.id, Site: c.site, Level: c.level, Partitions: parts,
			Cached: info.Partitions, InMemory: info.InMemory, OnDisk: info.OnDisk,
			MemoryBytes: info.MemoryBytes, DiskBytes: info.DiskBytes, NotCached: notCached,
			Hits: hits, Recomputed: recomputed, Evictions: evictions})
	}
	return out
}

// Checkpoint computes the dataset and writes it under Config.CheckpointDir/name, one
// part file per partition in kindling's checksummed spill format (compressed Arrow IPC
// with a CRC-32C: a damaged file is reported, never read as wrong values), then returns a dataset that reads those files: its lineage is cut, and the
// files outlive the session — a new Session reads them with ReadCheckpoint(name).
// Writing over an existing checkpoint of that name replaces it.
func (d *Dataset) Checkpoint(ctx context.Context, name string) (*Dataset, error) {
	if d.s.cfg.CheckpointDir == "" {
		return nil, errors.New("dataset: Checkpoint: Config.CheckpointDir is not set")
	}
	dir := d.s.checkpointPath(name)
	if err := d.write(ctx, "checkpoint", dir, "checkpoint", []WriteOption{Overwrite()}); err != nil {
		return nil, err
	}
	return d.s.ReadCheckpoint(name), nil
}

// ReadCheckpoint reads a checkpoint written by Checkpoint, by this or an earlier session.
// Each part file's checksum is verified before its rows are used: a corrupt or truncated
// part fails the action with an error naming the file.
func (s *Session) ReadCheckpoint(name string) *Dataset {
	return s.scan("readCheckpoint", exec.NewCheckpointSource(s.fs, s.checkpointPath(name)))
}

func (s *Session) checkpointPath(name string) string {
	return filepath.Join(s.cfg.CheckpointDir, filepath.Clean("/" + name)[1:])
}

func formatBytes(n int64) string { return kmemory.FormatBytes(n) }

// LocalCheckpoint computes the dataset, keeps its partitions in the block manager
// (MemoryAndDisk) and returns a dataset that reads them with no lineage: fast, but not
// fault tolerant (the partitions are lost with the session) — Spark's localCheckpoint, for
// cutting long lineages.
func (d *Dataset) LocalCheckpoint(ctx context.Context) (*Dataset, error) {
	cached := d.Persist(storage.MemoryAndDisk)
	if _, err := cached.count(ctx, "localCheckpoint"); err != nil {
		return nil, err
	}
	c := cached.node.(*plan.Cache)
	st := c.Status.(*cacheState)
	n, ok := st.Materialized()
	if !ok {
		return nil, fmt.Errorf("dataset: local checkpoint: the dataset could not be stored")
	}
	schema, err := d.Schema()
	if err != nil {
		return nil, err
	}
	src := exec.NewBlockSource(fmt.Sprintf("checkpoint[dataset %d]", st.id), d.s.env, st.id, n, schema)
	return d.s.scan("localCheckpoint", src), nil
}
