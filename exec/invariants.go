package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/plan"
)

// checkedOp validates every batch an operator returns (colop.CheckBatch) and that its
// columns have the types of the plan node's schema, which is what the next operator was
// planned against. Only builds with the invariants tag insert it.
type checkedOp struct {
	colop.Operator
	node  plan.PhysNode
	where string
}

func (c *checkedOp) Next() (arrow.RecordBatch, error) {
	rec, err := c.Operator.Next()
	if err != nil {
		return rec, err
	}
	if err := colop.CheckBatch(rec, c.where); err != nil {
		rec.Release()
		return nil, err
	}
	if err := schemaMatches(rec.Schema(), c.node.Schema()); err != nil {
		rec.Release()
		return nil, fmt.Errorf("%s: %w", c.where, err)
	}
	return rec, nil
}

// schemaMatches reports how got differs from the planned schema want in column count or
// types (names and nullability may differ: a projection renames, a join's outer side
// becomes nullable in the plan before its batches say so).
func schemaMatches(got, want *arrow.Schema) error {
	if want == nil {
		return nil
	}
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("batch has %d columns, the plan %d (%s)", got.NumFields(), want.NumFields(), want)
	}
	for i := range got.NumFields() {
		if !arrow.TypeEqual(got.Field(i).Type, want.Field(i).Type) {
			return fmt.Errorf("column %d (%s) is %s, the plan says %s", i, want.Field(i).Name, got.Field(i).Type, want.Field(i).Type)
		}
	}
	return nil
}
