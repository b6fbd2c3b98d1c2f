package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// PhysNode is a node of the physical plan: an operator the engine runs, with a known
// number of output partitions. Exchanges (shuffles) are the only nodes that move rows
// between partitions; every other node works on each partition independently.
type PhysNode interface {
	// Children returns the inputs of the node, nil for a leaf.
	Children() []PhysNode
	// WithChildren returns a copy of the node reading children instead of its inputs,
	// everything else kept; a leaf returns itself. len(children) must equal
	// len(Children()): any other length is a programming error and panics.
	WithChildren(children []PhysNode) PhysNode
	// Describe renders the node on one line for Explain.
	Describe() string
	// Schema is the output schema.
	Schema() *arrow.Schema
	// NumPartitions is the number of output partitions.
	NumPartitions() int
}

// PartitioningKind says how an exchange distributes rows.
type PartitioningKind int

// The partitioning schemes of an exchange.
const (
	// HashPartitioning sends a row to hash(keys) mod N. NULL keys hash to one value.
	HashPartitioning PartitioningKind = iota
	// RoundRobinPartitioning deals rows evenly over N partitions.
	RoundRobinPartitioning
	// SinglePartition gathers everything into one partition.
	SinglePartition
	// UnknownPartitioning describes rows spread over N partitions in no known way. Only
	// OutputPartitioning reports it; exchanges never use it.
	UnknownPartitioning
	// BroadcastPartitioning copies all rows to every task of the consuming stage: the
	// map side writes one partition, and each consumer task reads it whole.
	BroadcastPartitioning
	// RangePartitioning sends a row to the partition whose key range holds it, so that
	// partition i's rows sort before partition i+1's. The range bounds are computed when
	// the job runs, from a sample of the keys (SortKeys say the order).
	RangePartitioning
)

// Partitioning describes an exchange's output.
type Partitioning struct {
	Kind PartitioningKind
	Keys []string // column names, for HashPartitioning
	N    int
	// SortKeys give the order of a RangePartitioning.
	SortKeys []SortKey
	// Fixed says the user asked for exactly N partitions (Repartition): adaptive execution
	// does not coalesce or split them.
	Fixed bool
}

// AggMode says which half of a two-phase aggregation a PHashAggregate runs.
type AggMode int

// The aggregation phases. Partial runs before the shuffle and emits keys plus the state
// columns of AggStateFields; Final runs after it and merges states into results;
// Complete does both in one step (input already partitioned by the keys).
const (
	AggPartial AggMode = iota
	AggFinal
	AggComplete
)

// PScan reads the partitions of a source, one task each.
type PScan struct {
	Source    Source
	Parts     []ScanPartition
	Columns   []string // nil: all
	Filters   []Expr   // pushed to the source as pruning hints
	OutSchema *arrow.Schema
	Note      string // why the source made fewer partitions than cores, for Explain
}

// PFilter keeps rows whose condition is true.
type PFilter struct {
	Input PhysNode
	Cond  Expr
	// Keep, when not nil, names the input columns passed on (in input order): the
	// condition reads any input column, and only the kept ones are gathered.
	Keep []string
}

// PProject evaluates expressions into new columns.
type PProject struct {
	Input     PhysNode
	Exprs     []Expr
	OutSchema *arrow.Schema
}

// PHashAggregate groups by Keys (column names of the input) and aggregates. In AggFinal
// mode its input columns are the keys followed by the state columns of each aggregate
// (AggStateFields), in the order of Aggs; Aggs[i].Arg and Arg2 are then ignored.
type PHashAggregate struct {
	Input     PhysNode
	Keys      []string
	Aggs      []AggExpr
	ArgTypes  []arrow.DataType // type of each aggregate's argument (nil for count(*))
	Mode      AggMode
	OutSchema *arrow.Schema
}

// PExchange redistributes its input's rows by Partitioning. The stage graph is cut here:
// the input side writes shuffle blocks, the output side reads them.
type PExchange struct {
	Input        PhysNode
	Partitioning Partitioning
}

// PShuffleRead is the leaf that replaces an exchange in the stage that consumes it.
type PShuffleRead struct {
	ShuffleID    int
	Partitioning Partitioning
	OutSchema    *arrow.Schema
	// Reused says another read of the same shuffle came first: the exchange was shared
	// (see ReuseExchanges), and its map stage runs once for both.
	Reused bool
}

// PLimit keeps the first N rows of each partition. A global limit is a PLimit over a
// single-partition exchange of PLimits.
type PLimit struct {
	Input PhysNode
	N     int64
}

// PUnion concatenates the partitions of its inputs: its partitions are those of
// Inputs[0], then those of Inputs[1], and so on. Columns are reordered to OutSchema.
type PUnion struct {
	Inputs    []PhysNode
	OutSchema *arrow.Schema
}

// PCoalesce merges contiguous ranges of input partitions into N partitions.
type PCoalesce struct {
	Input PhysNode
	N     int
}

// PMapBatches applies a user function to each batch.
type PMapBatches struct {
	Input     PhysNode
	Fn        BatchFunc
	Name      string
	OutSchema *arrow.Schema
}
