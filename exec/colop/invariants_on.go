//go:build invariants

package colop

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Invariants reports whether this build checks batches as they pass between operators
// (the invariants build tag). The checks are linear in the batch, so they are for tests
// and debugging runs, never for production builds.
const Invariants = true

// CheckBatch validates rec, a batch that an operator produced at where: its schema and
// columns agree in number, type and length, non-nullable fields hold no NULL, and every
// column passes arrow's full validation (buffer sizes, offsets, dictionary indices in
// range of their dictionary).
func CheckBatch(rec arrow.RecordBatch, where string) error {
	if rec == nil {
		return fmt.Errorf("%s: nil batch", where)
	}
	schema := rec.Schema()
	if schema == nil {
		return fmt.Errorf("%s: batch without a schema", where)
	}
	cols := rec.Columns()
	if schema.NumFields() != len(cols) || int64(len(cols)) != rec.NumCols() {
		return fmt.Errorf("%s: schema has %d fields, batch %d columns", where, schema.NumFields(), len(cols))
	}
	if rec.NumRows() < 0 {
		return fmt.Errorf("%s: negative row count %d", where, rec.NumRows())
	}
	for i, col := range cols {
		f := schema.Field(i)
		if col == nil {
			return fmt.Errorf("%s: column %d (%s) is nil", where, i, f.Name)
		}
		if int64(col.Len()) != rec.NumRows() {
			return fmt.Errorf("%s: column %d (%s) has %d rows, batch %d", where, i, f.Name, col.Len(), rec.NumRows())
		}
		if !arrow.TypeEqual(col.DataType(), f.Type) {
			return fmt.Errorf("%s: column %d (%s) is %s, schema says %s", where, i, f.Name, col.DataType(), f.Type)
		}
		if !f.Nullable && col.NullN() > 0 {
			return fmt.Errorf("%s: column %d (%s) is not nullable but holds %d NULLs", where, i, f.Name, col.NullN())
		}
		if err := array.ValidateFull(col); err != nil {
			return fmt.Errorf("%s: column %d (%s): %w", where, i, f.Name, err)
		}
	}
	return nil
}
