package plan

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// CacheStatus tells the planner what the block manager holds of a persisted dataset. The
// dataset layer implements it; plan only asks.
type CacheStatus interface {
	// Materialized reports whether every partition of the dataset is held (in memory or on
	// disk), and how many partitions it has. A dataset that was never computed, or lost a
	// MemoryOnly partition to eviction, is not materialized.
	Materialized() (partitions int, ok bool)
	// Level names the storage level, e.g. MEMORY_AND_DISK.
	Level() string
	// Active is false once the dataset was unpersisted: the Cache node then plans to
	// nothing, and its input is computed as if it had never been persisted.
	Active() bool
}

// Cache marks its input as persisted: the first job that computes a partition stores it in
// the block manager under DatasetID, later jobs read it from there. Optimizations never
// cross a Cache (filters are not pushed into it, columns are not pruned below it), so that
// what is stored is the whole dataset whoever reads it.
type Cache struct {
	Meta
	Input     Node
	DatasetID int
	Status    CacheStatus
}

// Children returns the cached input.
func (n *Cache) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy caching c[0] under the same dataset ID and status.
func (n *Cache) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the node as Cache with its dataset ID and, when the status is known,
// its storage level and whether it is materialized.
func (n *Cache) Describe() string { return cacheDescribe("Cache", n.DatasetID, n.Status) }

func cacheDescribe(op string, id int, st CacheStatus) string {
	if st == nil {
		return fmt.Sprintf("%s dataset=%d", op, id)
	}
	s := fmt.Sprintf("%s dataset=%d level=%s", op, id, st.Level())
	if n, ok := st.Materialized(); ok {
		s += fmt.Sprintf(" [materialized, %d partitions]", n)
	}
	return s
}

// PCache computes its input's partitions on a cache miss and stores them; on a hit it
// streams the stored partition. Concurrent readers of one missing partition compute it once.
type PCache struct {
	Input     PhysNode
	DatasetID int
	Status    CacheStatus
}

// PCacheRead reads a fully materialized cached dataset: a leaf, so the stages that
// computed it do not run again.
type PCacheRead struct {
	DatasetID  int
	Partitions int
	Status     CacheStatus
	OutSchema  *arrow.Schema
}

// Children returns the input computed on a cache miss.
func (n *PCache) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema returns the input's schema: caching stores rows as they are.
func (n *PCache) Schema() *arrow.Schema { return n.Input.Schema() }

// NumPartitions returns the input's partition count, since each partition is cached
// under its own index.
func (n *PCache) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the node as Cache with its dataset ID and cache status.
func (n *PCache) Describe() string { return cacheDescribe("Cache", n.DatasetID, n.Status) }

// Children returns nil: a cached read is a leaf, so its lineage does not run again.
func (n *PCacheRead) Children() []PhysNode { return nil }

// Schema returns the schema of the stored dataset.
func (n *PCacheRead) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions returns the number of stored partitions.
func (n *PCacheRead) NumPartitions() int { return n.Partitions }

// Describe renders the node as CachedScan with its dataset ID and cache status.
func (n *PCacheRead) Describe() string {
	return cacheDescribe("CachedScan", n.DatasetID, n.Status)
}
