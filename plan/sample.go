package plan

import (
	"context"
	"fmt"
	"iter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Sample keeps the rows whose uniform draw in [0, 1) falls in [Lower, Upper): a
// Bernoulli sample of probability Upper-Lower. The draws are a function of Seed, the
// partition and the row's position in it, so a rerun (or a retried task) keeps the same
// rows, and samples of the same Seed with disjoint ranges split the rows (RandomSplit).
// The optimizer moves no filter below a sample (that would change which rows are kept).
type Sample struct {
	Meta
	Input        Node
	Lower, Upper float64
	Seed         int64
}

// PartitionFunc is a user function over one partition's batch stream: it reads in (each
// batch borrowed for one step of the loop: the engine releases it when the loop moves
// on) and yields batches the engine owns (built with mem, or an input batch after Retain).
// Stopping early is allowed; the engine drains nothing it did not ask for.
type PartitionFunc func(ctx context.Context, partition int, in iter.Seq2[arrow.RecordBatch, error], mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error]

// MapPartitions applies a user function to each partition's stream of batches.
// OutputSchema nil means the function keeps the input schema.
type MapPartitions struct {
	Meta
	Input        Node
	Fn           PartitionFunc
	OutputSchema *arrow.Schema
	Name         string
	// RowWise says Fn's output for a row does not depend on the partition the row is in
	// nor on the partition index (a pass-through that only observes its rows): adaptive
	// execution may then re-plan its stage as it does around MapBatches, the index being
	// the task's.
	RowWise bool
}

// Children returns the sampled input.
func (n *Sample) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy sampling c[0] the same way.
func (n *Sample) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe renders the sample's range and seed.
func (n *Sample) Describe() string {
	return fmt.Sprintf("Sample [%g, %g) seed %d", n.Lower, n.Upper, n.Seed)
}

// Children returns the input whose partitions the function maps.
func (n *MapPartitions) Children() []Node { return []Node{n.Input} }

// WithChildren returns a copy applying the same function to c[0].
func (n *MapPartitions) WithChildren(c []Node) Node { m := *n; m.Input = c[0]; return &m }

// Describe names the function.
func (n *MapPartitions) Describe() string { return "MapPartitions " + n.Name }

func analyzeSample(n *Sample, site string) (Node, error) {
	if !(n.Lower >= 0 && n.Lower <= n.Upper && n.Upper <= 1) {
		return nil, failAt(site, ErrInvalidPlan, "sample range [%g, %g) is not within [0, 1]", n.Lower, n.Upper)
	}
	m := *n
	m.OutSchema = n.Input.Schema()
	return &m, nil
}

func analyzeMapPartitions(n *MapPartitions, site string) (Node, error) {
	if n.Fn == nil {
		return nil, failAt(site, ErrInvalidPlan, "map_partitions %q without a function", n.Name)
	}
	m := *n
	m.OutSchema = n.Input.Schema()
	if n.OutputSchema != nil {
		if err := checkUnique(schemaNames(n.OutputSchema)); err != nil {
			return nil, atSite(err, site)
		}
		m.OutSchema = n.OutputSchema
	}
	return &m, nil
}

// PSample keeps each partition's rows whose draw falls in [Lower, Upper).
type PSample struct {
	Input        PhysNode
	Lower, Upper float64
	Seed         int64
}

// PMapPartitions applies a user function to each partition's batch stream.
type PMapPartitions struct {
	Input     PhysNode
	Fn        PartitionFunc
	Name      string
	OutSchema *arrow.Schema
	RowWise   bool // see MapPartitions.RowWise
}

// Children returns the sampled input.
func (n *PSample) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema is the input's.
func (n *PSample) Schema() *arrow.Schema { return n.Input.Schema() }

// NumPartitions is the input's: a sample moves no row.
func (n *PSample) NumPartitions() int { return n.Input.NumPartitions() }

// Describe renders the range and seed.
func (n *PSample) Describe() string {
	return fmt.Sprintf("Sample [%g, %g) seed %d", n.Lower, n.Upper, n.Seed)
}

// WithChildren returns a copy reading children[0].
func (n *PSample) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}

// Children returns the mapped input.
func (n *PMapPartitions) Children() []PhysNode { return []PhysNode{n.Input} }

// Schema is the declared output schema.
func (n *PMapPartitions) Schema() *arrow.Schema { return n.OutSchema }

// NumPartitions is the input's.
func (n *PMapPartitions) NumPartitions() int { return n.Input.NumPartitions() }

// Describe names the function.
func (n *PMapPartitions) Describe() string { return "MapPartitions " + n.Name }

// WithChildren returns a copy reading children[0].
func (n *PMapPartitions) WithChildren(children []PhysNode) PhysNode {
	checkArity(n, children, 1)
	m := *n
	m.Input = children[0]
	return &m
}
