package exec

import (
	"context"
	"fmt"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// explodeInput builds a batch (s utf8, d dictionary, n int64, l list<elem>) whose list
// column has the given spans; valid[i] false makes row i's list NULL (keeping its span,
// which may be non-empty, as Arrow allows). elems are the child's values (nil: NULL).
func explodeInput(t *testing.T, mem memory.Allocator, elem arrow.DataType, offs []int32, valid []bool, elems []any) arrow.RecordBatch {
	t.Helper()
	rows := len(offs) - 1
	lt := arrow.ListOf(elem)
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: dt, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "l", Type: lt, Nullable: true},
	}, nil)
	sb := array.NewStringBuilder(mem)
	ib := array.NewInt32Builder(mem)
	nb := array.NewInt64Builder(mem)
	for i := 0; i < rows; i++ {
		if i%4 == 1 {
			sb.AppendNull()
			nb.AppendNull()
		} else {
			sb.Append(fmt.Sprintf("row%d", i))
			nb.Append(int64(i * 10))
		}
		ib.Append(int32(i % 2))
	}
	s, idx, n := sb.NewArray(), ib.NewArray(), nb.NewArray()
	sb.Release()
	ib.Release()
	nb.Release()
	dictVals := exectest.BuildColumn(t, mem, arrow.BinaryTypes.String, [][]any{{"even"}, {"odd"}}, 0)
	d := array.NewDictionaryArray(dt, idx, dictVals)
	idx.Release()
	dictVals.Release()
	var rowsOfElems [][]any
	for _, e := range elems {
		rowsOfElems = append(rowsOfElems, []any{e})
	}
	child := exectest.BuildColumn(t, mem, elem, rowsOfElems, 0)
	ob, o := kernel.NewFixedBuffer[int32](mem, len(offs))
	copy(o, offs)
	vb, nulls := kernel.ValidityBuffer(mem, func(i int) bool { return valid[i] }, rows)
	l := kernel.MakeArray(lt, rows, nulls, []*memory.Buffer{vb, ob}, []arrow.ArrayData{child.Data()})
	child.Release()
	cols := []arrow.Array{s, d, n, l}
	rec := array.NewRecordBatch(schema, cols, int64(rows))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// explodeOracle explodes rows of Go values (the last column a list) plainly.
func explodeOracle(rows [][]any) [][]any {
	var out [][]any
	for _, r := range rows {
		l, _ := r[len(r)-1].([]any)
		for _, e := range l {
			o := append([]any(nil), r[:len(r)-1]...)
			out = append(out, append(o, e))
		}
	}
	return out
}

func TestTopKExplodeOp(t *testing.T) {
	cases := []struct {
		name  string
		elem  arrow.DataType
		offs  []int32
		valid []bool
		elems []any
	}{
		{"float64", arrow.PrimitiveTypes.Float64, []int32{0, 2, 2, 4, 6, 7}, []bool{true, true, true, true, false},
			[]any{3.5, 1.0, nil, 5.0, 2.0, 2.0, 9.0}},
		{"int64 null list with a span", arrow.PrimitiveTypes.Int64, []int32{0, 1, 3, 3, 6}, []bool{true, false, true, true},
			[]any{int64(7), int64(8), int64(9), int64(1), nil, int64(3)}},
		{"one element each", arrow.PrimitiveTypes.Int64, []int32{0, 1, 2, 3}, []bool{true, true, true},
			[]any{int64(1), int64(2), int64(3)}},
		{"int32 nothing", arrow.PrimitiveTypes.Int32, []int32{0, 0, 0, 2}, []bool{true, true, false},
			[]any{int32(1), int32(2)}},
		{"string elements", arrow.BinaryTypes.String, []int32{0, 2, 3, 3}, []bool{true, true, true},
			[]any{"x", nil, "zz"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			in := explodeInput(t, mem, c.elem, c.offs, c.valid, c.elems)
			want := explodeOracle(exectest.RowsOf(t, []arrow.RecordBatch{in}))
			in = explodeInput(t, mem, c.elem, c.offs, c.valid, c.elems)
			fields := append([]arrow.Field(nil), in.Schema().Fields()...)
			fields[3] = arrow.Field{Name: "l", Type: c.elem, Nullable: true}
			node := &plan.PExplode{Column: "l", OutSchema: arrow.NewSchema(fields, nil)}
			empty := explodeInput(t, mem, c.elem, []int32{0}, nil, nil)
			op := NewExplode(&exectest.Source{Batches: []arrow.RecordBatch{empty, in}}, node, colop.Options{Mem: mem})
			if err := op.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			out, err := exectest.Drain(t, op)
			op.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range out {
				if !b.Schema().Equal(node.OutSchema) {
					t.Fatalf("schema %s, want %s", b.Schema(), node.OutSchema)
				}
			}
			got := exectest.RowsOf(t, out)
			if len(got) != len(want) {
				t.Fatalf("%d rows %v, want %d %v", len(got), got, len(want), want)
			}
			for i := range want {
				for j := range want[i] {
					if !exectest.SameValue(got[i][j], want[i][j]) {
						t.Fatalf("row %d: %v, want %v", i, got[i], want[i])
					}
				}
			}
		})
	}
}

// posExplodeOracle is explodeOracle with the flags of plan.Explode: pos inserts each
// element's 0-based position (int32) before it; outer keeps a NULL or empty list's row
// with NULLs.
func posExplodeOracle(rows [][]any, pos, outer bool) [][]any {
	var out [][]any
	emit := func(r []any, p, e any) {
		o := append([]any(nil), r[:len(r)-1]...)
		if pos {
			o = append(o, p)
		}
		out = append(out, append(o, e))
	}
	for _, r := range rows {
		l, _ := r[len(r)-1].([]any)
		if len(l) == 0 && outer {
			emit(r, nil, nil)
		}
		for i, e := range l {
			emit(r, int32(i), e)
		}
	}
	return out
}

func TestPosExplodeOp(t *testing.T) {
	cases := []struct {
		name  string
		elem  arrow.DataType
		offs  []int32
		valid []bool
		elems []any
	}{
		{"float64 empty and null lists", arrow.PrimitiveTypes.Float64, []int32{0, 2, 2, 4, 6, 7}, []bool{true, true, true, true, false},
			[]any{3.5, 1.0, nil, 5.0, 2.0, 2.0, 9.0}},
		{"int64 null list with a span", arrow.PrimitiveTypes.Int64, []int32{0, 1, 3, 3, 6}, []bool{true, false, true, true},
			[]any{int64(7), int64(8), int64(9), int64(1), nil, int64(3)}},
		{"one element each", arrow.PrimitiveTypes.Int64, []int32{0, 1, 2, 3}, []bool{true, true, true},
			[]any{int64(1), int64(2), int64(3)}},
		{"nothing but empty and null", arrow.PrimitiveTypes.Int32, []int32{0, 0, 0, 2}, []bool{true, true, false},
			[]any{int32(1), int32(2)}},
		{"utf-8 string elements", arrow.BinaryTypes.String, []int32{0, 3, 4, 4}, []bool{true, true, true},
			[]any{"crème", nil, "", "Zoë"}},
	}
	for _, c := range cases {
		for _, flags := range []struct{ pos, outer bool }{{true, false}, {true, true}, {false, true}} {
			name := fmt.Sprintf("%s/pos=%v/outer=%v", c.name, flags.pos, flags.outer)
			t.Run(name, func(t *testing.T) {
				mem := memtest.Checked()
				defer mem.AssertSize(t, 0)
				in := explodeInput(t, mem, c.elem, c.offs, c.valid, c.elems)
				want := posExplodeOracle(exectest.RowsOf(t, []arrow.RecordBatch{in}), flags.pos, flags.outer)
				in = explodeInput(t, mem, c.elem, c.offs, c.valid, c.elems)
				fields := append([]arrow.Field(nil), in.Schema().Fields()[:3]...)
				if flags.pos {
					fields = append(fields, arrow.Field{Name: plan.PosColumn, Type: arrow.PrimitiveTypes.Int32, Nullable: flags.outer})
				}
				fields = append(fields, arrow.Field{Name: "l", Type: c.elem, Nullable: true})
				node := &plan.PExplode{Column: "l", Pos: flags.pos, Outer: flags.outer, OutSchema: arrow.NewSchema(fields, nil)}
				empty := explodeInput(t, mem, c.elem, []int32{0}, nil, nil)
				op := NewExplode(&exectest.Source{Batches: []arrow.RecordBatch{empty, in}}, node, colop.Options{Mem: mem})
				if err := op.Open(context.Background()); err != nil {
					t.Fatal(err)
				}
				out, err := exectest.Drain(t, op)
				op.Close()
				if err != nil {
					t.Fatal(err)
				}
				for _, b := range out {
					if !b.Schema().Equal(node.OutSchema) {
						t.Fatalf("schema %s, want %s", b.Schema(), node.OutSchema)
					}
				}
				got := exectest.RowsOf(t, out)
				if len(got) != len(want) {
					t.Fatalf("%d rows %v, want %d %v", len(got), got, len(want), want)
				}
				for i := range want {
					for j := range want[i] {
						if !exectest.SameValue(got[i][j], want[i][j]) {
							t.Fatalf("row %d: %v, want %v", i, got[i], want[i])
						}
					}
				}
			})
		}
	}
}
