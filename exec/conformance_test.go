package exec

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// The conformance tests put every operator of this package that runs without a job
// environment through exectest.RunTests. Scans, shuffle reads and the cache operators
// need blocks and sources of a job and are covered by their own tests.

var confSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// confRows returns n rows (k, s) starting at first, with a NULL every fifth k and
// every seventh s.
func confRows(first, n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		v := first + i
		var k, s any = int64(v), fmt.Sprintf("s%d", v)
		if v%5 == 4 {
			k = nil
		}
		if v%7 == 3 {
			s = nil
		}
		rows[i] = []any{k, s}
	}
	return rows
}

func nullRows(n, cols int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = make([]any, cols)
	}
	return rows
}

func TestConformanceLimit(t *testing.T) {
	for _, in := range []struct {
		name string
		rows [][]any
	}{{"values", confRows(0, 40)}, {"all-null", nullRows(40, 2)}} {
		for _, n := range []int64{0, 1, 5, 39, 40, 100} {
			t.Run(fmt.Sprintf("%s/limit=%d", in.name, n), func(t *testing.T) {
				want := in.rows[:min(int(n), len(in.rows))]
				exectest.RunTests(t, []exectest.Input{exectest.Rows(confSchema, in.rows)}, want,
					func(_ memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
						return NewLimit(ins[0], n), nil
					})
			})
		}
	}
}

func TestConformanceConcat(t *testing.T) {
	parts := [][][]any{confRows(0, 13), confRows(100, 1), confRows(200, 0), confRows(300, 21)}
	var inputs []exectest.Input
	var want [][]any
	for _, p := range parts {
		inputs = append(inputs, exectest.Rows(confSchema, p))
		want = append(want, p...)
	}
	build := func(_ memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
		return NewConcat(ins), nil
	}
	t.Run("inputs", func(t *testing.T) { exectest.RunTests(t, inputs, want, build) })
	t.Run("no-inputs", func(t *testing.T) { exectest.RunTests(t, nil, nil, build) })
	t.Run("all-null", func(t *testing.T) {
		in := exectest.Rows(confSchema, nullRows(9, 2))
		exectest.RunTests(t, []exectest.Input{in, in}, nullRows(18, 2), build)
	})
}

func TestConformanceMapBatches(t *testing.T) {
	out := arrow.NewSchema([]arrow.Field{
		{Name: "k2", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	// The user function doubles k into a column of its own and passes s on.
	double := func(_ context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		k := in.Column(0).(*array.Int64)
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for i := 0; i < k.Len(); i++ {
			if k.IsNull(i) {
				b.AppendNull()
			} else {
				b.Append(2 * k.Value(i))
			}
		}
		col := b.NewArray()
		defer col.Release()
		return array.NewRecordBatch(out, []arrow.Array{col, in.Column(1)}, in.NumRows()), nil
	}
	build := func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
		return NewMapBatches(ins[0], &plan.PMapBatches{Fn: double, Name: "double", OutSchema: out}, colop.Options{Mem: mem}), nil
	}
	for _, c := range []struct {
		name string
		rows [][]any
	}{{"values", confRows(0, 30)}, {"all-null", nullRows(12, 2)}} {
		t.Run(c.name, func(t *testing.T) {
			var want [][]any
			for _, r := range c.rows {
				k := r[0]
				if k != nil {
					k = 2 * k.(int64)
				}
				want = append(want, []any{k, r[1]})
			}
			exectest.RunTests(t, []exectest.Input{exectest.Rows(confSchema, c.rows)}, want, build)
		})
	}
}

// explodeConfInput builds (n int64, l list<int64>) rows from lists: a nil entry is a NULL
// list, a nil element a NULL element.
func explodeConfInput(t *testing.T, mem memory.Allocator, schema *arrow.Schema, lists [][]any, nullList []bool) arrow.RecordBatch {
	t.Helper()
	nb := array.NewInt64Builder(mem)
	defer nb.Release()
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	defer lb.Release()
	vb := lb.ValueBuilder().(*array.Int64Builder)
	for i, l := range lists {
		nb.Append(int64(i))
		if nullList[i] {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		for _, e := range l {
			if e == nil {
				vb.AppendNull()
			} else {
				vb.Append(e.(int64))
			}
		}
	}
	n, l := nb.NewArray(), lb.NewArray()
	defer n.Release()
	defer l.Release()
	return array.NewRecordBatch(schema, []arrow.Array{n, l}, int64(len(lists)))
}

func TestConformanceExplode(t *testing.T) {
	in := arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	}, nil)
	out := arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "l", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	var lists [][]any
	var nullList []bool
	for i := 0; i < 40; i++ {
		var l []any
		for j := 0; j < i%4; j++ { // lengths 0..3
			if (i+j)%6 == 5 {
				l = append(l, nil)
			} else {
				l = append(l, int64(i*10+j))
			}
		}
		lists = append(lists, l)
		nullList = append(nullList, i%9 == 2)
	}
	mem := memory.NewGoAllocator()
	rec := explodeConfInput(t, mem, in, lists, nullList)
	defer rec.Release()
	var want [][]any
	for i, l := range lists {
		if nullList[i] {
			continue
		}
		for _, e := range l {
			want = append(want, []any{int64(i), e})
		}
	}
	build := func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
		return NewExplode(ins[0], &plan.PExplode{Column: "l", OutSchema: out}, colop.Options{Mem: mem}), nil
	}
	exectest.RunTests(t, []exectest.Input{exectest.Batches(in, rec)}, want, build)

	// Every list NULL or empty: no rows, however the input is cut.
	t.Run("no-elements", func(t *testing.T) {
		none := make([][]any, 20)
		nulls := make([]bool, 20)
		for i := range nulls {
			nulls[i] = i%2 == 0
		}
		rec := explodeConfInput(t, mem, in, none, nulls)
		defer rec.Release()
		exectest.RunTests(t, []exectest.Input{exectest.Batches(in, rec)}, nil, build)
	})
}

// TestConformanceSourceHook checks the harness's source: its hook runs once, at the
// batch asked, and its error replaces io.EOF.
func TestConformanceSourceHook(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	src := &exectest.Source{Batches: make([]arrow.RecordBatch, 3), At: 2, Hook: func() { calls++ }, Err: boom}
	for i := 0; i < 3; i++ {
		if _, err := src.Next(); err != nil {
			t.Fatal(err)
		}
		if want := min(1, max(0, i-1)); calls != want {
			t.Fatalf("after batch %d the hook ran %d times, want %d", i, calls, want)
		}
	}
	if _, err := src.Next(); !errors.Is(err, boom) {
		t.Fatalf("at the end: %v, want %v", err, boom)
	}
	src.Close()
	src.Close()
	if !src.Closed || src.Closes != 2 {
		t.Errorf("Closed %v, Closes %d", src.Closed, src.Closes)
	}
}
