package dataset

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Rows runs the job and returns its result row by row for a range loop, in the order
// Collect would give them:
//
//	for row, err := range d.Rows(ctx) {
//		if err != nil { ... }
//		name, qty := row.String(0), row.Int64(1)
//	}
//
// It is Batches seen one row at a time, so it streams the same way (partition 0's rows
// come while later partitions are still computed), a failed job ends the loop with one
// (Row{}, error) pair, and breaking out early cancels the job, waits for its tasks and
// releases every batch not yet seen. Each range over the sequence runs the job again.
//
// A Row is a view of the batch the loop is in, not a copy: it and what it returns
// (strings included, which share the batch's bytes) are valid only until the loop body
// returns, after which the batch is released. Copy what must outlive the step
// (strings.Clone for a string). Reading a row allocates nothing; only Get boxes its value
// into an interface, as any such accessor must.
func (d *Dataset) Rows(ctx context.Context) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for rec, err := range d.Batches(ctx) {
			if err != nil {
				yield(Row{}, err)
				return
			}
			for i, n := 0, int(rec.NumRows()); i < n; i++ {
				if !yield(Row{rec: rec, i: i}, nil) {
					return // Batches' loop ends too: the job is cancelled
				}
			}
		}
	}
}

// Row is one row of a result during a Rows loop: a read-only view by column index, valid
// only during the loop step that received it (see Rows). Its getters return the zero
// value for NULL (IsNull tells them apart) and panic when the column's type cannot give
// the asked kind of value, as a wrong type assertion would: the schema is known before
// the loop, so that is a program error, not a data error.
type Row struct {
	rec arrow.RecordBatch
	i   int
}

// Schema returns the schema of the row's columns (the result's, with its encodings).
func (r Row) Schema() *arrow.Schema { return r.rec.Schema() }

// Len returns the number of columns.
func (r Row) Len() int { return int(r.rec.NumCols()) }

// IsNull reports whether column c is NULL in this row.
func (r Row) IsNull(c int) bool { return r.rec.Column(c).IsNull(r.i) }

// Int64 returns column c as an int64, from any signed or unsigned integer column of at
// most 32 bits or an int64 one; 0 for NULL.
func (r Row) Int64(c int) int64 {
	a := r.rec.Column(c)
	if a.IsNull(r.i) {
		r.typed(c, a, "Int64", isIntegral)
		return 0
	}
	if v, ok := intAt(a, r.i); ok {
		return v
	}
	panic(r.wrongType(c, a, "Int64"))
}

// Float64 returns column c as a float64, from a float or an integer column; 0 for NULL.
func (r Row) Float64(c int) float64 {
	a := r.rec.Column(c)
	if a.IsNull(r.i) {
		r.typed(c, a, "Float64", func(t arrow.DataType) bool { return isIntegral(t) || isFloating(t) })
		return 0
	}
	switch a := a.(type) {
	case *array.Float64:
		return a.Value(r.i)
	case *array.Float32:
		return float64(a.Value(r.i))
	}
	if v, ok := intAt(a, r.i); ok {
		return float64(v)
	}
	panic(r.wrongType(c, a, "Float64"))
}

// String returns column c as a string, from a string column plain or dictionary-encoded;
// "" for NULL. The string shares the batch's bytes: valid only during the loop step.
func (r Row) String(c int) string {
	a := r.rec.Column(c)
	if v, ok := stringAt(a, r.i); ok {
		return v
	}
	panic(r.wrongType(c, a, "String"))
}

// Get returns column c as a Go value: nil for NULL, int64 for signed integers and
// unsigned ones of at most 32 bits, uint64, float64, string (sharing the batch's bytes),
// bool, time.Time for dates (midnight UTC) and timestamps (in UTC), and for other types
// (decimals, lists, structs, maps) the value arrow's GetOneForMarshal gives.
func (r Row) Get(c int) any {
	a := r.rec.Column(c)
	if a.IsNull(r.i) {
		return nil
	}
	if v, ok := intAt(a, r.i); ok {
		return v
	}
	if v, ok := stringAt(a, r.i); ok {
		return v
	}
	switch a := a.(type) {
	case *array.Uint64:
		return a.Value(r.i)
	case *array.Float64:
		return a.Value(r.i)
	case *array.Float32:
		return float64(a.Value(r.i))
	case *array.Boolean:
		return a.Value(r.i)
	case *array.Date32:
		return a.Value(r.i).ToTime()
	case *array.Date64:
		return a.Value(r.i).ToTime()
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(r.i).ToTime(unit).In(time.UTC)
	}
	return a.GetOneForMarshal(r.i)
}

// intAt returns row i of an integer column that fits an int64.
func intAt(a arrow.Array, i int) (int64, bool) {
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i), true
	case *array.Int32:
		return int64(a.Value(i)), true
	case *array.Int16:
		return int64(a.Value(i)), true
	case *array.Int8:
		return int64(a.Value(i)), true
	case *array.Uint32:
		return int64(a.Value(i)), true
	case *array.Uint16:
		return int64(a.Value(i)), true
	case *array.Uint8:
		return int64(a.Value(i)), true
	}
	return 0, false
}

// stringAt returns row i of a string column ("" for NULL), plain or dictionary-encoded.
func stringAt(a arrow.Array, i int) (string, bool) {
	switch a := a.(type) {
	case *array.String:
		if a.IsNull(i) {
			return "", true
		}
		return a.Value(i), true
	case *array.LargeString:
		if a.IsNull(i) {
			return "", true
		}
		return a.Value(i), true
	case *array.Dictionary:
		if !isStringType(a.Dictionary().DataType()) {
			return "", false
		}
		if a.IsNull(i) {
			return "", true
		}
		return stringAt(a.Dictionary(), a.GetValueIndex(i))
	}
	return "", false
}

func isIntegral(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return true
	}
	return false
}

func isFloating(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64
}

// typed panics unless column c's type passes ok: a NULL must not hide a wrong getter
// until the first non-NULL row.
func (r Row) typed(c int, a arrow.Array, getter string, ok func(arrow.DataType) bool) {
	if !ok(a.DataType()) {
		panic(r.wrongType(c, a, getter))
	}
}

// wrongType is the panic message of getter used on column c of a type it cannot read.
func (r Row) wrongType(c int, a arrow.Array, getter string) string {
	return fmt.Sprintf("dataset: Row: column %d (%q) is %s, which %s cannot read",
		c, r.rec.ColumnName(c), a.DataType(), getter)
}
