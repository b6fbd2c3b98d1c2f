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

func (m AggMode) String() string { return aggModeNames[m] }

func (n *PScan) Children() []PhysNode  { return nil }
func (n *PScan) Schema() *arrow.Schema { return n.OutSchema }
func (n *PScan) NumPartitions() int    { return len(n.Parts) }
func (n *PScan) Describe() string {
	s := fmt.Sprintf("Scan %s partitions=%d", n.Source, len(n.Parts))
	if n.Columns != nil {
		s += " columns=[" + strings.Join(n.Columns, ", ") + "]"
	}
	if len(n.Filters) > 0 {
		s += " pushed=[" + exprList(n.Filters) + "]"
	}
	return s
}

func (n *PFilter) Children() []PhysNode  { return []PhysNode{n.Input} }
func (n *PFilter) Schema() *arrow.Schema { return n.Input.Schema() }
func (n *PFilter) NumPartitions() int    { return n.Input.NumPartitions() }
func (n *PFilter) Describe() string      { return "Filter " + n.Cond.String() }

func (n *PProject) Children() []PhysNode  { return []PhysNode{n.Input} }
func (n *PProject) Schema() *arrow.Schema { return n.OutSchema }
func (n *PProject) NumPartitions() int    { return n.Input.NumPartitions() }
func (n *PProject) Describe() string      { return "Project [" + exprList(n.Exprs) + "]" }

func (n *PHashAggregate) Children() []PhysNode  { return []PhysNode{n.Input} }
func (n *PHashAggregate) Schema() *arrow.Schema { return n.OutSchema }
func (n *PHashAggregate) NumPartitions() int    { return n.Input.NumPartitions() }
func (n *PHashAggregate) Describe() string {
	return fmt.Sprintf("HashAggregate(%s) keys=[%s] aggs=[%s]", n.Mode, strings.Join(n.Keys, ", "), aggList(n.Aggs))
}

func (n *PExchange) Children() []PhysNode  { return []PhysNode{n.Input} }
func (n *PExchange) Schema() *arrow.Schema { return n.Input.Schema() }
func (n *PExchange) NumPartitions() int {
	if n.Partitioning.Kind == SinglePartition || n.Partitioning.Kind == BroadcastPartitioning {
		return 1
	}
	return n.Partitioning.N
}
func (n *PExchange) Describe() string { return "Exchange " + n.Partitioning.String() }

func (n *PShuffleRead) Children() []PhysNode  { return nil }
func (n *PShuffleRead) Schema() *arrow.Schema { return n.OutSchema }
func (n *PShuffleRead) NumPartitions() int {
	if n.Partitioning.Kind == SinglePartition || n.Partitioning.Kind == BroadcastPartitioning {
		return 1
	}
	return n.Partitioning.N
}
func (n *PShuffleRead) Describe() string {
	return fmt.Sprintf("ShuffleRead shuffle=%d %s", n.ShuffleID, n.Partitioning)
}

func (n *PLimit) Children() []PhysNode  { return []PhysNode{n.Input} }
func (n *PLimit) Schema() *arrow.Schema { return n.Input.Schema() }
func (n *PLimit) NumPartitions() int    { return n.Input.NumPartitions() }
func (n *PLimit) Describe() string      { return fmt.Sprintf("Limit %d", n.N) }

func (n *PUnion) Children() []PhysNode  { return n.Inputs }
func (n *PUnion) Schema() *arrow.Schema { return n.OutSchema }
func (n *PUnion) NumPartitions() int {
	total := 0
	for _, in := range n.Inputs {
		total += in.NumPartitions()
	}
	return total
}
func (n *PUnion) Describe() string { return fmt.Sprintf("Union (%d inputs)", len(n.Inputs)) }

func (n *PCoalesce) Children() []PhysNode  { return []PhysNode{n.Input} }
func (n *PCoalesce) Schema() *arrow.Schema { return n.Input.Schema() }
func (n *PCoalesce) NumPartitions() int    { return min(n.N, n.Input.NumPartitions()) }
func (n *PCoalesce) Describe() string      { return fmt.Sprintf("Coalesce %d", n.N) }

func (n *PMapBatches) Children() []PhysNode  { return []PhysNode{n.Input} }
func (n *PMapBatches) Schema() *arrow.Schema { return n.OutSchema }
func (n *PMapBatches) NumPartitions() int    { return n.Input.NumPartitions() }
func (n *PMapBatches) Describe() string      { return "MapBatches " + n.Name }
