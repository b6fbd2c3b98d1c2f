package exectest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BuildBatch builds rows as a record batch of schema.
func BuildBatch(t testing.TB, mem memory.Allocator, schema *arrow.Schema, rows [][]any) arrow.RecordBatch {
	t.Helper()
	cols := make([]arrow.Array, schema.NumFields())
	for c, f := range schema.Fields() {
		cols[c] = BuildColumn(t, mem, f.Type, rows, c)
	}
	rec := array.NewRecordBatch(schema, cols, int64(len(rows)))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// BuildColumn builds column c of rows (plain Go values, nil for NULL) as an array of dt.
func BuildColumn(t testing.TB, mem memory.Allocator, dt arrow.DataType, rows [][]any, c int) arrow.Array {
	t.Helper()
	if dict, ok := dt.(*arrow.DictionaryType); ok {
		// A per-batch dictionary in reverse order of first appearance, so ids differ
		// between batches.
		var entries []string
		pos := map[string]int{}
		for _, r := range rows {
			if s, ok := r[c].(string); ok {
				if _, seen := pos[s]; !seen {
					pos[s] = len(entries)
					entries = append(entries, s)
				}
			}
		}
		vb := array.NewStringBuilder(mem)
		for i := len(entries) - 1; i >= 0; i-- {
			vb.Append(entries[i])
		}
		values := vb.NewArray()
		vb.Release()
		ib := array.NewInt32Builder(mem)
		for _, r := range rows {
			if s, ok := r[c].(string); ok {
				ib.Append(int32(len(entries) - 1 - pos[s]))
			} else {
				ib.AppendNull()
			}
		}
		indices := ib.NewArray()
		ib.Release()
		out := array.NewDictionaryArray(dict, indices, values)
		values.Release()
		indices.Release()
		return out
	}
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for _, r := range rows {
		v := r[c]
		if v == nil {
			b.AppendNull()
			continue
		}
		switch b := b.(type) {
		case *array.Int64Builder:
			b.Append(v.(int64))
		case *array.Int32Builder:
			b.Append(v.(int32))
		case *array.Uint32Builder:
			b.Append(v.(uint32))
		case *array.Float64Builder:
			b.Append(v.(float64))
		case *array.StringBuilder:
			b.Append(v.(string))
		case *array.BooleanBuilder:
			b.Append(v.(bool))
		case *array.Date32Builder:
			b.Append(v.(arrow.Date32))
		default:
			t.Fatalf("aggBuildColumn: unsupported type %s", dt)
		}
	}
	return b.NewArray()
}

// GoValue reads row i of arr as a Go value (nil for NULL); lists read as []any.
// It marks itself a helper only on failure: t.Helper walks the stack, and called per cell
// it was a quarter of a 100 000-row check.
func GoValue(t testing.TB, arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Uint32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return strings.Clone(a.Value(i)) // outlives the batch's buffers
	case *array.Boolean:
		return a.Value(i)
	case *array.Date32:
		return a.Value(i)
	case *array.Timestamp:
		return a.Value(i)
	case *array.Int8:
		return a.Value(i)
	case *array.Int16:
		return a.Value(i)
	case *array.Uint8:
		return a.Value(i)
	case *array.Uint16:
		return a.Value(i)
	case *array.Uint64:
		return a.Value(i)
	case *array.Float32:
		return a.Value(i)
	case *array.Binary:
		return string(a.Value(i)) // a copy: outlives the batch's buffers
	case *array.LargeString:
		return strings.Clone(a.Value(i))
	case *array.Dictionary:
		return GoValue(t, a.Dictionary(), a.GetValueIndex(i))
	case *array.List:
		lo, hi := a.ValueOffsets(i)
		var out []any
		for j := lo; j < hi; j++ {
			out = append(out, GoValue(t, a.ListValues(), int(j)))
		}
		return out
	}
	t.Helper()
	t.Fatalf("aggGoValue: unsupported type %s", arr.DataType())
	return nil
}

// NormKey renders a value for grouping as Spark does: NaNs equal, -0.0 = 0.0.
func NormKey(v any) string {
	if f, ok := v.(float64); ok {
		if math.IsNaN(f) {
			return "f:NaN"
		}
		if f == 0 {
			return "f:0"
		}
	}
	// The common types by strconv: fmt per value was most of a large group check's time.
	switch v := v.(type) {
	case nil:
		return "<nil>"
	case int64:
		return "int64:" + strconv.FormatInt(v, 10)
	case string:
		return "string:" + v
	case float64:
		return "float64:" + strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprintf("%T:%v", v, v)
}

// ToInt64 widens an integer-like value read by GoValue to int64.
func ToInt64(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case uint32:
		return int64(v)
	case arrow.Date32:
		return int64(v)
	}
	panic(fmt.Sprintf("ToInt64: %T", v))
}

// CompareValues orders two non-NULL values of one type; NaN is the greatest float.
func CompareValues(a, b any) int {
	switch a := a.(type) {
	case float64:
		b := b.(float64)
		switch {
		case math.IsNaN(a) && math.IsNaN(b):
			return 0
		case math.IsNaN(a):
			return 1
		case math.IsNaN(b):
			return -1
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	case string:
		return bytes.Compare([]byte(a), []byte(b.(string)))
	case bool:
		ai, bi := 0, 0
		if a {
			ai = 1
		}
		if b.(bool) {
			bi = 1
		}
		return ai - bi
	case uint32:
		b := b.(uint32)
		if a < b {
			return -1
		} else if a > b {
			return 1
		}
		return 0
	}
	x, y := ToInt64(a), ToInt64(b)
	if x < y {
		return -1
	} else if x > y {
		return 1
	}
	return 0
}

// SameValue compares a result with the oracle's; floats to a relative 1e-9 (sums depend on
// the order of addition), NaN equal to NaN.
func SameValue(got, want any) bool {
	if gf, ok := got.(float64); ok {
		wf, ok := want.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(gf) || math.IsNaN(wf) {
			return math.IsNaN(gf) && math.IsNaN(wf)
		}
		if gf == wf { // infinities: their difference is NaN
			return true
		}
		return math.Abs(gf-wf) <= 1e-9*math.Max(1, math.Abs(wf))
	}
	return got == want
}

// Drain runs op to the end and returns its batches.
func Drain(t testing.TB, op colop.Operator) ([]arrow.RecordBatch, error) {
	t.Helper()
	if err := op.Open(context.Background()); err != nil {
		return nil, err
	}
	var out []arrow.RecordBatch
	for {
		b, err := op.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			for _, b := range out {
				b.Release()
			}
			return nil, err
		}
		out = append(out, b)
	}
}

// RowsOf converts batches to Go rows and releases them.
func RowsOf(t testing.TB, batches []arrow.RecordBatch) [][]any {
	t.Helper()
	var rows [][]any
	for _, b := range batches {
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]any, b.NumCols())
			for c := range row {
				row[c] = GoValue(t, b.Column(c), i)
			}
			rows = append(rows, row)
		}
		b.Release()
	}
	return rows
}

// ManyGroupRows is n rows of (id, key) with n distinct string keys: a group-by or join
// input with one group per row.
func ManyGroupRows(n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{int64(i), fmt.Sprintf("key-%07d", i)}
	}
	return rows
}
