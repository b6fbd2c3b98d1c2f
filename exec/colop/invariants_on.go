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
// column passes arrow's validation (buffer sizes, offsets, dictionary indices in range of
// their dictionary; strings need not be UTF-8).
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
		if err := checkArray(col); err != nil {
			return fmt.Errorf("%s: column %d (%s): %w", where, i, f.Name, err)
		}
	}
	return nil
}

// checkArray runs arrow's full validation on col, except where it holds strings: kindling's
// strings are bytes, as Spark's are, and arrow's full check rejects the ones that are not
// UTF-8. Those get arrow's structural check, and their offsets and dictionary indices are
// checked here.
func checkArray(col arrow.Array) error {
	if !holdsStrings(col.DataType()) {
		return array.ValidateFull(col)
	}
	if err := array.Validate(col); err != nil {
		return err
	}
	switch a := col.(type) {
	case *array.String:
		return checkOffsets(a.ValueOffsets(), a.Data().Buffers()[2])
	case *array.LargeString:
		return checkOffsets(a.ValueOffsets(), a.Data().Buffers()[2])
	case *array.Dictionary:
		n := a.Dictionary().Len()
		for i := 0; i < a.Len(); i++ {
			if a.IsValid(i) {
				if k := a.GetValueIndex(i); k < 0 || k >= n {
					return fmt.Errorf("dictionary index %d at row %d is out of range of %d entries", k, i, n)
				}
			}
		}
		if err := checkArray(a.Dictionary()); err != nil {
			return fmt.Errorf("dictionary: %w", err)
		}
	}
	return nil
}

// checkOffsets checks that a string array's offsets do not decrease and stay in its data.
func checkOffsets[T int32 | int64](offs []T, data interface{ Len() int }) error {
	size := 0
	if data != nil {
		size = data.Len()
	}
	for i := 1; i < len(offs); i++ {
		if offs[i] < offs[i-1] {
			return fmt.Errorf("string offsets decrease at row %d: %d after %d", i-1, offs[i], offs[i-1])
		}
	}
	if len(offs) > 0 && (offs[0] < 0 || int(offs[len(offs)-1]) > size) {
		return fmt.Errorf("string offsets [%d, %d] outside the %d bytes of data", offs[0], offs[len(offs)-1], size)
	}
	return nil
}

// holdsStrings reports whether dt has a string type anywhere inside.
func holdsStrings(dt arrow.DataType) bool {
	switch dt := dt.(type) {
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return true
	case *arrow.DictionaryType:
		return holdsStrings(dt.ValueType)
	case arrow.NestedType:
		for _, f := range dt.Fields() {
			if holdsStrings(f.Type) {
				return true
			}
		}
	}
	return false
}
