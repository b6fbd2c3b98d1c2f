package exec

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/plan"
)

// operatorIndex numbers the operators of a stage's pipeline as plan.FormatStage lists
// them (from the top, each node before its inputs, inputs in order), so that a task can
// count each operator's output rows into the line that names it.
func operatorIndex(root plan.PhysNode) map[plan.PhysNode]int {
	index := map[plan.PhysNode]int{}
	i := 0
	var walk func(n plan.PhysNode)
	walk = func(n plan.PhysNode) {
		if _, seen := index[n]; !seen {
			index[n] = i
		}
		i++
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(root)
	return index
}

// countRows wraps op to add the rows it outputs to *rows. The wrapper keeps what its
// consumers look for: a selection vector (colop.Selector) and a row estimate
// (colop.RowEstimator, 0 when op has none, as colop.EstimatedRows reads it).
func countRows(op colop.Operator, rows *int64) colop.Operator {
	c := &countedOp{Operator: op, rows: rows}
	if s, ok := op.(colop.Selector); ok {
		return &countedSelector{countedOp: c, sel: s}
	}
	return c
}

type countedOp struct {
	colop.Operator
	rows *int64
}

func (c *countedOp) Next() (arrow.RecordBatch, error) {
	rec, err := c.Operator.Next()
	if err == nil {
		*c.rows += rec.NumRows()
	}
	return rec, err
}

func (c *countedOp) EstimatedRows() int64 { return colop.EstimatedRows(c.Operator) }

type countedSelector struct {
	*countedOp
	sel colop.Selector
}

func (c *countedSelector) Selects() bool { return c.sel.Selects() }

func (c *countedSelector) NextSelected() (arrow.RecordBatch, []int32, error) {
	rec, pos, err := c.sel.NextSelected()
	if err == nil {
		if pos != nil {
			*c.rows += int64(len(pos))
		} else {
			*c.rows += rec.NumRows()
		}
	}
	return rec, pos, err
}
