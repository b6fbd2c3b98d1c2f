package plan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

func exprList(es []Expr) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}

func aggList(as []AggExpr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// Describe renders the node on one line.
func (n *Scan) Describe() string {
	s := "Scan " + n.Source.String()
	if n.Columns != nil {
		s += " columns=[" + strings.Join(n.Columns, ", ") + "]"
	}
	if len(n.Filters) > 0 {
		s += " pushed=[" + exprList(n.Filters) + "]"
	}
	return s
}

// Describe renders the node on one line.
func (n *Project) Describe() string { return "Project [" + exprList(n.Exprs) + "]" }

// Describe renders the node on one line.
func (n *Filter) Describe() string { return "Filter " + n.Cond.String() }

// Describe renders the node on one line.
func (n *Aggregate) Describe() string {
	if len(n.Aggs) == 0 {
		return "Distinct [" + strings.Join(n.Keys, ", ") + "]"
	}
	return "Aggregate keys=[" + strings.Join(n.Keys, ", ") + "] aggs=[" + aggList(n.Aggs) + "]"
}

// Describe renders the node on one line.
func (n *Limit) Describe() string { return fmt.Sprintf("Limit %d", n.N) }

// Describe renders the node on one line.
func (n *Union) Describe() string { return fmt.Sprintf("Union (%d inputs)", len(n.Inputs)) }

// Describe renders the node on one line.
func (n *Repartition) Describe() string {
	if len(n.Keys) == 0 {
		return fmt.Sprintf("Repartition %d round-robin", n.N)
	}
	return fmt.Sprintf("Repartition %d hash[%s]", n.N, strings.Join(n.Keys, ", "))
}

// Describe renders the node on one line.
func (n *Coalesce) Describe() string { return fmt.Sprintf("Coalesce %d", n.N) }

// Describe renders the node on one line.
func (n *MapBatches) Describe() string { return "MapBatches " + n.Name }

// String renders the partitioning, e.g. hash[region, day] x 8.
func (p Partitioning) String() string {
	switch p.Kind {
	case HashPartitioning:
		return fmt.Sprintf("hash[%s] x %d", strings.Join(p.Keys, ", "), p.N)
	case RoundRobinPartitioning:
		return fmt.Sprintf("round-robin x %d", p.N)
	case UnknownPartitioning:
		return fmt.Sprintf("unknown x %d", p.N)
	case BroadcastPartitioning:
		return "broadcast"
	case RangePartitioning:
		return fmt.Sprintf("range[%s] x %d", sortKeyList(p.SortKeys), p.N)
	}
	return "single"
}

var aggModeNames = [...]string{"partial", "final", "complete"}

// String returns the mode's lower-case name, as Explain prints it: partial, final or
// complete.
func (m AggMode) String() string { return aggModeNames[m] }

// Children returns nil: a scan is a leaf.
func (n *PScan) Children() []PhysNode { return nil }

// Schema returns the scanned columns' schema, after projection pruning.
func (n *PScan) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions returns the number of scan partitions, one task each.
func (n *PScan) NumPartitions() int { return len(n.Parts) }

// Describe renders the scan with its source, partition count, pruned columns and pushed
// filters.
func (n *PScan) Describe() string {
	s := fmt.Sprintf("Scan %s partitions=%d", n.Source, len(n.Parts))
	if n.Columns != nil {
		s += " columns=[" + strings.Join(n.Columns, ", ") + "]"
	}
	if len(n.Filters) > 0 {
		s += " pushed=[" + exprList(n.Filters) + "]"
	}
	if n.Note != "" {
		s += " (" + n.Note + ")"
	}
	return s
}

// Children returns the filter's one input.
func (n *PFilter) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema returns the input's schema, or its Keep columns: a filter drops rows, and
// columns only those its consumer does not read.
func (n *PFilter) Schema() *arrow.Schema { return cacheSchema(n.Input.Schema(), n.Keep) }

// NumPartitions returns the input's partition count: a filter works partition by
// partition.
func (n *PFilter) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the filter with its condition.
func (n *PFilter) Describe() string {
	if n.Keep != nil {
		return "Filter " + n.Cond.String() + " keep=[" + strings.Join(n.Keep, ", ") + "]"
	}
	return "Filter " + n.Cond.String()
}

// Children returns the projection's one input.
func (n *PProject) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema returns the schema of the projected columns, one per expression.
func (n *PProject) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions returns the input's partition count: a projection works partition by
// partition.
func (n *PProject) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the projection with its expressions.
func (n *PProject) Describe() string { return "Project [" + exprList(n.Exprs) + "]" }

// Children returns the aggregate's one input.
func (n *PHashAggregate) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema returns the keys followed by the aggregate columns: state columns in partial
// mode, results otherwise.
func (n *PHashAggregate) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions returns the input's partition count: each partition is aggregated on its
// own, the exchange below a final aggregate having brought each key's rows together.
func (n *PHashAggregate) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the aggregate with its mode, keys and aggregates.
func (n *PHashAggregate) Describe() string {
	return fmt.Sprintf("HashAggregate(%s) keys=[%s] aggs=[%s]", n.Mode, strings.Join(n.Keys, ", "), aggList(n.Aggs))
}

// Children returns the input whose rows the exchange redistributes.
func (n *PExchange) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema returns the input's schema: an exchange moves rows, it does not change them.
func (n *PExchange) Schema() *arrow.Schema { return n.Input.Schema() }

// NumPartitions returns the partition count of the target partitioning: 1 for a single
// or broadcast exchange, N otherwise.
func (n *PExchange) NumPartitions() int {
	if n.Partitioning.Kind == SinglePartition || n.Partitioning.Kind == BroadcastPartitioning {
		return 1
	}
	return n.Partitioning.N
}

// Describe renders the exchange with its partitioning.
func (n *PExchange) Describe() string { return "Exchange " + n.Partitioning.String() }

// Children returns nil: a shuffle read is a leaf, its rows written by an earlier stage.
func (n *PShuffleRead) Children() []PhysNode { return nil }

// Schema returns the schema of the shuffled rows.
func (n *PShuffleRead) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions returns the partition count of the exchange it replaces: 1 for a single
// or broadcast exchange, N otherwise.
func (n *PShuffleRead) NumPartitions() int {
	if n.Partitioning.Kind == SinglePartition || n.Partitioning.Kind == BroadcastPartitioning {
		return 1
	}
	return n.Partitioning.N
}

// Describe renders the shuffle read with its shuffle ID and partitioning.
func (n *PShuffleRead) Describe() string {
	if n.Reused {
		return fmt.Sprintf("ShuffleRead shuffle=%d %s (reused)", n.ShuffleID, n.Partitioning)
	}
	return fmt.Sprintf("ShuffleRead shuffle=%d %s", n.ShuffleID, n.Partitioning)
}

// Children returns the limit's one input.
func (n *PLimit) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema returns the input's schema: a limit drops rows, never columns.
func (n *PLimit) Schema() *arrow.Schema { return n.Input.Schema() }

// NumPartitions returns the input's partition count, since the limit applies to each
// partition on its own.
func (n *PLimit) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the limit with its row count.
func (n *PLimit) Describe() string { return fmt.Sprintf("Limit %d", n.N) }

// Children returns the union's inputs, in output partition order.
func (n *PUnion) Children() []PhysNode { return n.Inputs }

// Schema returns the union's schema, with the first input's column order.
func (n *PUnion) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions returns the sum of the inputs' partition counts: a union places its
// inputs' partitions one after another.
func (n *PUnion) NumPartitions() int {
	total := 0
	for _, in := range n.Inputs {
		total += in.NumPartitions()
	}
	return total
}

// Describe renders the union with its number of inputs.
func (n *PUnion) Describe() string { return fmt.Sprintf("Union (%d inputs)", len(n.Inputs)) }

// Children returns the input whose partitions are merged.
func (n *PCoalesce) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema returns the input's schema: coalescing regroups partitions, not columns.
func (n *PCoalesce) Schema() *arrow.Schema { return n.Input.Schema() }

// NumPartitions returns N, or the input's partition count when that is smaller: a
// coalesce never splits partitions.
func (n *PCoalesce) NumPartitions() int { return min(n.N, n.Input.NumPartitions()) }

// Describe renders the coalesce with its target partition count.
func (n *PCoalesce) Describe() string { return fmt.Sprintf("Coalesce %d", n.N) }

// Children returns the input whose batches the function maps.
func (n *PMapBatches) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema returns the schema the user function declared for its output batches.
func (n *PMapBatches) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions returns the input's partition count: the function maps batches within a
// partition.
func (n *PMapBatches) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the node with the user function's name.
func (n *PMapBatches) Describe() string { return "MapBatches " + n.Name }
