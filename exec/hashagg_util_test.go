package exec

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

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// aggTestSource feeds a fixed slice of batches as an Operator, passing ownership on.
type aggTestSource struct {
	batches []arrow.RecordBatch
	pos     int
	opened  bool
	closed  bool
	err     error // returned after the batches, if set
}

func (s *aggTestSource) Open(context.Context) error { s.opened = true; return nil }

func (s *aggTestSource) Next() (arrow.RecordBatch, error) {
	if s.pos < len(s.batches) {
		b := s.batches[s.pos]
		s.batches[s.pos] = nil
		s.pos++
		return b, nil
	}
	if s.err != nil {
		return nil, s.err
	}
	return nil, io.EOF
}

func (s *aggTestSource) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	for _, b := range s.batches[s.pos:] {
		if b != nil {
			b.Release()
		}
	}
	return nil
}

// aggTable is test data as Go values by row; nil is NULL. Column types: int64, int32,
// uint32, float64, string, bool, arrow.Date32 values; dictionary columns hold strings.
type aggTable struct {
	schema *arrow.Schema
	rows   [][]any
}

// aggBuildBatch builds rows as a record batch of schema.
func aggBuildBatch(t testing.TB, mem memory.Allocator, schema *arrow.Schema, rows [][]any) arrow.RecordBatch {
	t.Helper()
	cols := make([]arrow.Array, schema.NumFields())
	for c, f := range schema.Fields() {
		cols[c] = aggBuildColumn(t, mem, f.Type, rows, c)
	}
	rec := array.NewRecordBatch(schema, cols, int64(len(rows)))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

func aggBuildColumn(t testing.TB, mem memory.Allocator, dt arrow.DataType, rows [][]any, c int) arrow.Array {
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

// aggGoValue reads row i of arr as a Go value (nil for NULL); lists read as []any.
// It marks itself a helper only on failure: t.Helper walks the stack, and called per cell
// it was a quarter of a 100 000-row check.
func aggGoValue(t testing.TB, arr arrow.Array, i int) any {
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
	case *array.Dictionary:
		return aggGoValue(t, a.Dictionary(), a.GetValueIndex(i))
	case *array.List:
		lo, hi := a.ValueOffsets(i)
		var out []any
		for j := lo; j < hi; j++ {
			out = append(out, aggGoValue(t, a.ListValues(), int(j)))
		}
		return out
	}
	t.Helper()
	t.Fatalf("aggGoValue: unsupported type %s", arr.DataType())
	return nil
}

// aggNormKey renders a value for grouping as Spark does: NaNs equal, -0.0 = 0.0.
func aggNormKey(v any) string {
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

func aggGroupKeyOf(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = aggNormKey(v)
	}
	return strings.Join(parts, "|")
}

// aggOracle computes one aggregate over a group's argument values (nil entries are
// NULL); rows is the group's row count.
func aggOracle(f plan.AggFunc, argType arrow.DataType, vals []any, rows int) any {
	var nn []any
	for _, v := range vals {
		if v != nil {
			nn = append(nn, v)
		}
	}
	switch f {
	case plan.AggCountAll:
		return int64(rows)
	case plan.AggCount:
		return int64(len(nn))
	case plan.AggCountDistinct:
		seen := map[string]bool{}
		for _, v := range nn {
			seen[aggNormKey(v)] = true
		}
		return int64(len(seen))
	}
	if len(nn) == 0 {
		return nil
	}
	switch f {
	case plan.AggSum:
		if plan.IsInteger(argType) {
			var s int64
			for _, v := range nn {
				s += aggToInt64(v)
			}
			return s
		}
		var s float64
		for _, v := range nn {
			s += v.(float64)
		}
		return s
	case plan.AggMean:
		var s float64
		for _, v := range nn {
			if fv, ok := v.(float64); ok {
				s += fv
			} else {
				s += float64(aggToInt64(v))
			}
		}
		return s / float64(len(nn))
	case plan.AggMin, plan.AggMax:
		best := nn[0]
		for _, v := range nn[1:] {
			c := aggCompareValues(v, best)
			if (f == plan.AggMin && c < 0) || (f == plan.AggMax && c > 0) {
				best = v
			}
		}
		return best
	case plan.AggFirst:
		return nn // any of them; checked by membership
	}
	panic("aggOracle: unknown function")
}

func aggToInt64(v any) int64 {
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
	panic(fmt.Sprintf("aggToInt64: %T", v))
}

// aggCompareValues orders two non-NULL values of one type; NaN is the greatest float.
func aggCompareValues(a, b any) int {
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
	x, y := aggToInt64(a), aggToInt64(b)
	if x < y {
		return -1
	} else if x > y {
		return 1
	}
	return 0
}

// aggSameValue compares a result with the oracle's; floats to a relative 1e-9 (sums depend on
// the order of addition), NaN equal to NaN.
func aggSameValue(got, want any) bool {
	if gf, ok := got.(float64); ok {
		wf, ok := want.(float64)
		if !ok {
			return false
		}
		if math.IsNaN(gf) || math.IsNaN(wf) {
			return math.IsNaN(gf) && math.IsNaN(wf)
		}
		return math.Abs(gf-wf) <= 1e-9*math.Max(1, math.Abs(wf))
	}
	return got == want
}

// aggDrain runs op to the end and returns its batches.
func aggDrain(t testing.TB, op Operator) ([]arrow.RecordBatch, error) {
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

// aggRowsOf converts batches to Go rows and releases them.
func aggRowsOf(t testing.TB, batches []arrow.RecordBatch) [][]any {
	t.Helper()
	var rows [][]any
	for _, b := range batches {
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]any, b.NumCols())
			for c := range row {
				row[c] = aggGoValue(t, b.Column(c), i)
			}
			rows = append(rows, row)
		}
		b.Release()
	}
	return rows
}

// aggNodes builds the partial, final and complete nodes of keys and aggs over input.
func aggNodes(t testing.TB, input *arrow.Schema, keys []string, aggs []plan.AggExpr) (partial, final, complete *plan.PHashAggregate) {
	t.Helper()
	var keyFields []arrow.Field
	for _, k := range keys {
		idx := input.FieldIndices(k)
		if len(idx) == 0 {
			t.Fatalf("no key column %q", k)
		}
		keyFields = append(keyFields, input.Field(idx[0]))
	}
	argTypes := make([]arrow.DataType, len(aggs))
	stateFields := append([]arrow.Field(nil), keyFields...)
	resultFields := append([]arrow.Field(nil), keyFields...)
	for i, a := range aggs {
		if a.Arg != nil {
			argTypes[i] = input.Field(input.FieldIndices(a.Arg.(*plan.ColumnRef).Name)[0]).Type
		}
		stateFields = append(stateFields, plan.AggStateFields(a, argTypes[i])...)
		resultFields = append(resultFields, arrow.Field{Name: a.Name, Type: plan.AggResultType(a.Func, argTypes[i]), Nullable: true})
	}
	partial = &plan.PHashAggregate{Keys: keys, Aggs: aggs, ArgTypes: argTypes, Mode: plan.AggPartial, OutSchema: arrow.NewSchema(stateFields, nil)}
	final = &plan.PHashAggregate{Keys: keys, Aggs: aggs, ArgTypes: argTypes, Mode: plan.AggFinal, OutSchema: arrow.NewSchema(resultFields, nil)}
	complete = &plan.PHashAggregate{Keys: keys, Aggs: aggs, ArgTypes: argTypes, Mode: plan.AggComplete, OutSchema: arrow.NewSchema(resultFields, nil)}
	return partial, final, complete
}

// aggCheck compares result rows (keys then one column per aggregate) with the oracle
// computed row by row over tbl.
func aggCheck(t *testing.T, tbl aggTable, keys []string, aggs []plan.AggExpr, got [][]any) {
	t.Helper()
	keyCols := make([]int, len(keys))
	for i, k := range keys {
		keyCols[i] = tbl.schema.FieldIndices(k)[0]
	}
	type group struct {
		key  []any
		rows [][]any
	}
	groups := map[string]*group{}
	for _, r := range tbl.rows {
		kv := make([]any, len(keys))
		for i, c := range keyCols {
			kv[i] = r[c]
		}
		gk := aggGroupKeyOf(kv)
		g := groups[gk]
		if g == nil {
			g = &group{key: kv}
			groups[gk] = g
		}
		g.rows = append(g.rows, r)
	}
	if len(keys) == 0 && len(groups) == 0 {
		groups[""] = &group{}
	}
	if len(got) != len(groups) {
		t.Fatalf("got %d groups, want %d", len(got), len(groups))
	}
	argCols := make([]int, len(aggs))
	for i, a := range aggs {
		argCols[i] = -1
		if a.Arg != nil {
			argCols[i] = tbl.schema.FieldIndices(a.Arg.(*plan.ColumnRef).Name)[0]
		}
	}
	seen := map[string]bool{}
	var vals []any
	for _, row := range got {
		gk := aggGroupKeyOf(row[:len(keys)])
		g := groups[gk]
		if g == nil {
			t.Fatalf("unexpected group %s", gk)
		}
		if seen[gk] {
			t.Fatalf("group %s emitted twice", gk)
		}
		seen[gk] = true
		for i, a := range aggs {
			var argType arrow.DataType
			vals = vals[:0]
			if c := argCols[i]; c >= 0 {
				argType = tbl.schema.Field(c).Type
				for _, r := range g.rows {
					vals = append(vals, r[c])
				}
			}
			want := aggOracle(a.Func, argType, vals, len(g.rows))
			gotV := row[len(keys)+i]
			if a.Func == plan.AggFirst && want != nil {
				ok := false
				for _, w := range want.([]any) {
					ok = ok || aggSameValue(gotV, w)
				}
				if !ok {
					t.Errorf("group %s: %s = %v, not one of %v", gk, a, gotV, want)
				}
				continue
			}
			if !aggSameValue(gotV, want) {
				t.Errorf("group %s: %s = %#v, want %#v", gk, a, gotV, want)
			}
		}
	}
}

// The hash tables' slab pool is poisoned in tests too: a table read after it was
// released would show garbage groups.
func init() { tableSlabs.Poison = true }
