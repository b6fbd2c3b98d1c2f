package plan

import (
	"fmt"
	"slices"
	"strings"

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
// what is stored is the whole dataset whoever reads it. Only the read is pruned: Columns,
// when not nil, names the input columns this reader passes on (in input order), sliced
// out of the stored batches without a copy.
type Cache struct {
	Meta
	Input     Node
	DatasetID int
	Status    CacheStatus
	Columns   []string
}

// Children returns the cached input.
func (n *Cache) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy caching c[0] under the same dataset ID and status.
func (n *Cache) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the node as Cache with its dataset ID and, when the status is known,
// its storage level and whether it is materialized.
func (n *Cache) Describe() string {
	return cacheDescribe("Cache", n.DatasetID, n.Status, n.Columns)
}

func cacheDescribe(op string, id int, st CacheStatus, cols []string) string {
	s := fmt.Sprintf("%s dataset=%d", op, id)
	if st != nil {
		s += fmt.Sprintf(" level=%s", st.Level())
		if n, ok := st.Materialized(); ok {
			s += fmt.Sprintf(" [materialized, %d partitions]", n)
		}
	}
	if cols != nil {
		s += fmt.Sprintf(" columns=[%s]", strings.Join(cols, ", "))
	}
	return s
}

// cacheSchema is the schema a cache read passes on: the stored schema, or the named
// columns of it.
func cacheSchema(stored *arrow.Schema, cols []string) *arrow.Schema {
	if cols == nil || stored == nil {
		return stored
	}
	return projectSchema(stored, cols)
}

// ColumnIndices returns the indices in stored of the columns cols (a cache read's Columns,
// a filter's Keep), or nil when cols is nil: every column is passed on.
func ColumnIndices(stored *arrow.Schema, cols []string) ([]int, error) {
	if cols == nil {
		return nil, nil
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		f := stored.FieldIndices(c)
		if len(f) != 1 {
			names := make([]string, stored.NumFields())
			for j, f := range stored.Fields() {
				names[j] = f.Name
			}
			return nil, fmt.Errorf("plan: no column %q among [%s]", c, strings.Join(names, ", "))
		}
		idx[i] = f[0]
	}
	return idx, nil
}

// PCache computes its input's partitions on a cache miss and stores them; on a hit it
// streams the stored partition. Concurrent readers of one missing partition compute it once.
type PCache struct {
	Input     PhysNode
	DatasetID int
	Status    CacheStatus
	// Columns, when not nil, names the input columns passed on; the stored block keeps
	// every column.
	Columns []string
}

// PCacheRead reads a fully materialized cached dataset: a leaf, so the stages that
// computed it do not run again.
type PCacheRead struct {
	DatasetID  int
	Partitions int
	Status     CacheStatus
	// Stored is the schema of the stored batches; OutSchema is Columns of it, or all of it
	// when Columns is nil.
	Stored    *arrow.Schema
	Columns   []string
	OutSchema *arrow.Schema
}

// Children returns the input computed on a cache miss.
func (n *PCache) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema returns the input's schema, or the Columns of it: caching stores rows as they
// are, and a reader passes on what it needs.
func (n *PCache) Schema() *arrow.Schema { return cacheSchema(n.Input.Schema(), n.Columns) }

// NumPartitions returns the input's partition count, since each partition is cached
// under its own index.
func (n *PCache) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the node as Cache with its dataset ID and cache status.
func (n *PCache) Describe() string {
	return cacheDescribe("Cache", n.DatasetID, n.Status, n.Columns)
}

// Children returns nil: a cached read is a leaf, so its lineage does not run again.
func (n *PCacheRead) Children() []PhysNode { return nil }

// Schema returns the schema of the stored dataset.
func (n *PCacheRead) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions returns the number of stored partitions.
func (n *PCacheRead) NumPartitions() int { return n.Partitions }

// Describe renders the node as CachedScan with its dataset ID and cache status.
func (n *PCacheRead) Describe() string {
	return cacheDescribe("CachedScan", n.DatasetID, n.Status, n.Columns)
}

func columnRefs(cols []string) []Expr {
	out := make([]Expr, len(cols))
	for i, c := range cols {
		out[i] = &ColumnRef{Name: c}
	}
	return out
}

// pruneCache prunes the read of a cached dataset to the columns needed above it. The
// input keeps every column: what is stored is the whole dataset, whoever reads it.
func (o *optimizer) pruneCache(n *Cache, need map[string]bool) Node {
	m := *n
	if n.Status != nil && !n.Status.Active() {
		// Unpersisted: nothing is stored, so the input is pruned like any other.
		m.Input = o.prune(n.Input, need)
	} else {
		m.Input = o.prune(n.Input, allColumns(n.Input.Schema()))
	}
	stored := m.Input.Schema()
	var cols []string
	for _, f := range stored.Fields() {
		if need[f.Name] && (n.Columns == nil || slices.Contains(n.Columns, f.Name)) {
			cols = append(cols, f.Name)
		}
	}
	if len(cols) == 0 && stored.NumFields() > 0 {
		cols = []string{stored.Field(0).Name} // row counts need one column to carry them
	}
	m.Columns = nil
	if len(cols) < stored.NumFields() {
		m.Columns = cols
	}
	return o.rebuild(&m)
}

// keptPartitioning is in, if a node passing on only the columns cols (nil: all) keeps
// every hash key; otherwise unknown.
func keptPartitioning(in Partitioning, cols []string, unknown Partitioning) Partitioning {
	if cols == nil || in.Kind != HashPartitioning {
		return in
	}
	for _, k := range in.Keys {
		if !slices.Contains(cols, k) {
			return unknown
		}
	}
	return in
}

// narrowFilter returns in, or when in is a filter whose output has columns its consumer
// does not read (need), a copy that gathers only the needed ones: the condition's
// columns are read, not copied.
func (p *planner) narrowFilter(in PhysNode, need map[string]bool) PhysNode {
	f, ok := in.(*PFilter)
	if !ok || p.cfg.WholeReads {
		return in
	}
	s := f.Schema()
	var keep []string
	for _, fl := range s.Fields() {
		if need[fl.Name] {
			keep = append(keep, fl.Name)
		}
	}
	if len(keep) == s.NumFields() {
		return in
	}
	if len(keep) == 0 {
		if s.NumFields() == 0 {
			return in
		}
		keep = []string{s.Field(0).Name} // row counts need one column to carry them
	}
	m := *f
	m.Keep = keep
	return &m
}

// exprColumns is the set of columns exprs read.
func exprColumns(exprs []Expr) map[string]bool {
	set := map[string]bool{}
	for _, e := range exprs {
		addColumns(e, set)
	}
	return set
}
