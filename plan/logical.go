package plan

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Node is a logical plan node: one step of a dataset's lineage. Nodes are immutable;
// the analyzer and the optimizer return new trees.
//
// Schema is nil until Analyze has resolved the node; every node of an analyzed tree
// has its schema.
type Node interface {
	// Children returns the inputs of the node.
	Children() []Node
	// WithChildren returns a copy with the inputs replaced (the schema is kept: the
	// caller re-analyzes when the change can alter it).
	WithChildren(children []Node) Node
	// Describe renders the node on one line for Explain, e.g. Filter (amount > 0).
	Describe() string
	// Schema returns the output schema, or nil before analysis.
	Schema() *arrow.Schema
	// Site is the user's call site that created the node, e.g. filter@etl.go:17.
	Site() string
}

// Meta holds what every node carries: the output schema (set by the analyzer) and the
// user's call site. Node types embed it.
type Meta struct {
	OutSchema *arrow.Schema
	CallSite  string
}

// Schema returns the output schema, or nil before analysis.
func (m Meta) Schema() *arrow.Schema { return m.OutSchema }

// Site is the user's call site that created the node.
func (m Meta) Site() string { return m.CallSite }

// Scan reads a Source. Columns (nil for all) and Filters are filled in by the optimizer
// (projection pruning and filter pushdown).
type Scan struct {
	Meta
	Source  Source
	Columns []string
	Filters []Expr
}

// Project computes one output column per expression, named by OutputName. Select,
// WithColumn, Drop and Rename all become projections.
type Project struct {
	Meta
	Input Node
	Exprs []Expr
}

// Filter keeps the rows where Cond is true (NULL counts as false).
type Filter struct {
	Meta
	Input Node
	Cond  Expr
}

// Aggregate groups by the key columns and computes Aggs per group. With no Aggs it is a
// distinct over the keys; with no Keys it is a global aggregate that yields one row.
type Aggregate struct {
	Meta
	Input Node
	Keys  []string
	Aggs  []AggExpr
}

// Limit keeps the first N rows.
type Limit struct {
	Meta
	Input Node
	N     int64
}

// Union concatenates its inputs, matching columns by name. Every input has the same
// column names and types; the output has the first input's column order.
type Union struct {
	Meta
	Inputs []Node
}

// Repartition redistributes rows into N partitions: by the hash of Keys, or round robin
// when Keys is empty. It always shuffles.
type Repartition struct {
	Meta
	Input Node
	N     int
	Keys  []string
}

// Coalesce merges the input's partitions into at most N without a shuffle: output
// partition i reads a contiguous range of input partitions.
type Coalesce struct {
	Meta
	Input Node
	N     int
}

// BatchFunc is a user function over one record batch. It borrows in (the engine releases
// it afterwards) and returns a batch the engine owns: a new one built with mem, or in
// itself after Retain. It must return batches of the declared output schema.
type BatchFunc func(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error)

// MapBatches applies a user function to every batch. OutputSchema nil means the function
// keeps the input schema.
type MapBatches struct {
	Meta
	Input        Node
	Fn           BatchFunc
	OutputSchema *arrow.Schema
	Name         string
}

// Children returns nil: a scan is a leaf.
func (n *Scan) Children() []Node { return nil }

// WithChildren returns a copy of the scan; a leaf has no inputs to replace, but callers
// still get a node of their own.
func (n *Scan) WithChildren([]Node) Node { c := *n; return &c }

// Children returns the projection's one input.
func (n *Project) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy projecting c[0] with the same expressions.
func (n *Project) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Children returns the filter's one input.
func (n *Filter) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy filtering c[0] with the same condition.
func (n *Filter) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Children returns the aggregate's one input.
func (n *Aggregate) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy aggregating c[0] by the same keys.
func (n *Aggregate) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Children returns the limit's one input.
func (n *Limit) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy limiting c[0] to the same row count.
func (n *Limit) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Children returns the union's inputs, in order.
func (n *Union) Children() []Node { return n.Inputs }

// WithChildren returns a union of a copy of c, so that the caller may reuse its slice.
func (n *Union) WithChildren(c []Node) Node {
	m := *n
	m.Inputs = append([]Node(nil), c...)
	return &m
}

// Children returns the repartitioned input.
func (n *Repartition) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy repartitioning c[0] the same way.
func (n *Repartition) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Children returns the input whose partitions are merged.
func (n *Coalesce) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy coalescing c[0] to the same partition count.
func (n *Coalesce) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Children returns the input whose batches the function maps.
func (n *MapBatches) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy applying the same function to c[0].
func (n *MapBatches) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }
