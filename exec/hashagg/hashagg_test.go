package hashagg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

var aggTestSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "kf", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "ks", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "kd", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	{Name: "k32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "kb", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "kdate", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "u", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
}, nil)

// aggTestRows makes n rows over small domains, with NULLs, NaN, -0.0, empty strings and
// bytes above 0x7f.
func aggTestRows(n int, seed uint64) [][]any {
	r := rand.New(rand.NewPCG(seed, 7))
	floats := []any{nil, 1.5, -2.0, 0.0, math.Copysign(0, -1), math.NaN(), 3.25, 1e300,
		math.Float64frombits(0x7ff8000000000001), math.Float64frombits(0xfff0000000000002)}
	strs := []any{nil, "", "a", "b", "ab", "zz", "\xffx", "a longer string value"}
	maybe := func(v any) any {
		if r.IntN(8) == 0 {
			return nil
		}
		return v
	}
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{
			maybe(int64(r.IntN(9) - 4)),
			floats[r.IntN(len(floats))],
			strs[r.IntN(len(strs))],
			strs[r.IntN(len(strs))],
			maybe(int32(r.IntN(3))),
			maybe(r.IntN(2) == 0),
			maybe(arrow.Date32(19000 + r.IntN(3))),
			maybe(int64(r.IntN(2001) - 1000)),
			floats[r.IntN(len(floats))],
			strs[r.IntN(len(strs))],
			maybe(uint32(r.Uint32())),
		}
	}
	return rows
}

// aggSplitRows cuts rows into batches of varied sizes, including empty and one-row ones.
func aggSplitRows(rows [][]any) [][][]any {
	sizes := []int{0, 1, 37, 0, 100, 1, 64}
	var out [][][]any
	for i := 0; len(rows) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(rows))
		out = append(out, rows[:n])
		rows = rows[n:]
	}
	return append(out, nil)
}

func aggAllTestAggs() []plan.AggExpr {
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	return []plan.AggExpr{
		{Func: plan.AggSum, Arg: col("i"), Name: "sum_i"},
		{Func: plan.AggSum, Arg: col("f"), Name: "sum_f"},
		{Func: plan.AggSum, Arg: col("u"), Name: "sum_u"},
		{Func: plan.AggCount, Arg: col("i"), Name: "count_i"},
		{Func: plan.AggCount, Arg: col("s"), Name: "count_s"},
		{Func: plan.AggCountAll, Name: "count_all"},
		{Func: plan.AggCountDistinct, Arg: col("i"), Name: "cd_i"},
		{Func: plan.AggCountDistinct, Arg: col("f"), Name: "cd_f"},
		{Func: plan.AggCountDistinct, Arg: col("s"), Name: "cd_s"},
		{Func: plan.AggCountDistinct, Arg: col("kd"), Name: "cd_kd"},
		{Func: plan.AggMean, Arg: col("i"), Name: "mean_i"},
		{Func: plan.AggMean, Arg: col("f"), Name: "mean_f"},
		{Func: plan.AggMin, Arg: col("i"), Name: "min_i"},
		{Func: plan.AggMax, Arg: col("i"), Name: "max_i"},
		{Func: plan.AggMin, Arg: col("f"), Name: "min_f"},
		{Func: plan.AggMax, Arg: col("f"), Name: "max_f"},
		{Func: plan.AggMin, Arg: col("u"), Name: "min_u"},
		{Func: plan.AggMax, Arg: col("u"), Name: "max_u"},
		{Func: plan.AggMin, Arg: col("s"), Name: "min_s"},
		{Func: plan.AggMax, Arg: col("s"), Name: "max_s"},
		{Func: plan.AggMin, Arg: col("kd"), Name: "min_kd"},
		{Func: plan.AggMax, Arg: col("kd"), Name: "max_kd"},
		{Func: plan.AggMin, Arg: col("kb"), Name: "min_kb"},
		{Func: plan.AggMax, Arg: col("kdate"), Name: "max_kdate"},
		{Func: plan.AggFirst, Arg: col("i"), Name: "first_i"},
		{Func: plan.AggFirst, Arg: col("f"), Name: "first_f"},
		{Func: plan.AggFirst, Arg: col("s"), Name: "first_s"},
	}
}

func aggNewBatches(t testing.TB, mem memory.Allocator, schema *arrow.Schema, parts [][][]any) []arrow.RecordBatch {
	out := make([]arrow.RecordBatch, len(parts))
	for i, p := range parts {
		out[i] = exectest.BuildBatch(t, mem, schema, p)
	}
	return out
}

// aggRunComplete aggregates parts in one Complete operator.
func aggRunComplete(t *testing.T, mem memory.Allocator, schema *arrow.Schema, parts [][][]any, node *plan.PHashAggregate, batchRows int) ([][]any, error) {
	op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, schema, parts)}, node, colop.Options{Mem: mem})
	op.outRows = batchRows
	defer op.Close()
	out, err := exectest.Drain(t, op)
	if err != nil {
		return nil, err
	}
	for _, b := range out {
		if b.NumRows() > int64(max(batchRows, 1)) && batchRows > 0 {
			t.Errorf("output batch of %d rows, BatchRows %d", b.NumRows(), batchRows)
		}
		if !b.Schema().Equal(node.OutSchema) {
			t.Fatalf("output schema %s, want %s", b.Schema(), node.OutSchema)
		}
	}
	return exectest.RowsOf(t, out), nil
}

// aggRunTwoPhase deals parts round-robin to three map tasks running Partial, then feeds all
// their outputs, as if shuffled to one reducer, to Final.
func aggRunTwoPhase(t *testing.T, mem memory.Allocator, schema *arrow.Schema, parts [][][]any, partial, final *plan.PHashAggregate) ([][]any, error) {
	const tasks = 3
	var shuffled []arrow.RecordBatch
	defer func() {
		for _, b := range shuffled {
			if b != nil {
				b.Release()
			}
		}
	}()
	for task := tasks - 1; task >= 0; task-- {
		var mine [][][]any
		for i := task; i < len(parts); i += tasks {
			mine = append(mine, parts[i])
		}
		op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, schema, mine)}, partial, colop.Options{Mem: mem})
		op.outRows = 7
		out, err := exectest.Drain(t, op)
		op.Close()
		if err != nil {
			return nil, fmt.Errorf("map task %d: %w", task, err)
		}
		for _, b := range out {
			if !b.Schema().Equal(partial.OutSchema) {
				t.Fatalf("partial schema %s, want %s", b.Schema(), partial.OutSchema)
			}
		}
		shuffled = append(shuffled, out...)
	}
	src := &exectest.Source{Batches: shuffled}
	shuffled = nil
	op := NewHashAggregate(src, final, colop.Options{Mem: mem})
	op.outRows = 5
	defer op.Close()
	out, err := exectest.Drain(t, op)
	if err != nil {
		return nil, err
	}
	return exectest.RowsOf(t, out), nil
}

func TestHashAggKeysAndAggregates(t *testing.T) {
	cases := []struct {
		name string
		keys []string
	}{
		{"int64", []string{"k"}},
		{"float64", []string{"kf"}},
		{"string", []string{"ks"}},
		{"dictionary", []string{"kd"}},
		{"int32", []string{"k32"}},
		{"bool", []string{"kb"}},
		{"date32", []string{"kdate"}},
		{"string+int64", []string{"ks", "k"}},
		{"dict+float+int32", []string{"kd", "kf", "k32"}},
		{"global", nil},
	}
	rows := aggTestRows(700, 1)
	parts := aggSplitRows(rows)
	tbl := aggTable{schema: aggTestSchema, rows: rows}
	aggs := aggAllTestAggs()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			partial, final, complete := aggNodes(t, aggTestSchema, c.keys, aggs)
			got, err := aggRunComplete(t, mem, aggTestSchema, parts, complete, 0)
			if err != nil {
				t.Fatal(err)
			}
			aggCheck(t, tbl, c.keys, aggs, got)
			got, err = aggRunComplete(t, mem, aggTestSchema, parts, complete, 3)
			if err != nil {
				t.Fatal(err)
			}
			aggCheck(t, tbl, c.keys, aggs, got)
			got, err = aggRunTwoPhase(t, mem, aggTestSchema, parts, partial, final)
			if err != nil {
				t.Fatal(err)
			}
			aggCheck(t, tbl, c.keys, aggs, got)
		})
	}
}

// TestHashAggDictionaryKeyAsString emits a dictionary-encoded key as utf8 when the output
// schema says so.
func TestHashAggDictionaryKeyAsString(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rows := aggTestRows(300, 2)
	aggs := []plan.AggExpr{{Func: plan.AggCountAll, Name: "n"}, {Func: plan.AggSum, Arg: &plan.ColumnRef{Name: "i"}, Name: "sum_i"}}
	_, _, complete := aggNodes(t, aggTestSchema, []string{"kd"}, aggs)
	fields := complete.OutSchema.Fields()
	fields[0].Type = arrow.BinaryTypes.String
	complete.OutSchema = arrow.NewSchema(fields, nil)
	got, err := aggRunComplete(t, mem, aggTestSchema, aggSplitRows(rows), complete, 0)
	if err != nil {
		t.Fatal(err)
	}
	aggCheck(t, aggTable{schema: aggTestSchema, rows: rows}, []string{"kd"}, aggs, got)
}

func TestHashAggDistinct(t *testing.T) {
	rows := aggTestRows(500, 3)
	tbl := aggTable{schema: aggTestSchema, rows: rows}
	for _, keys := range [][]string{{"k"}, {"ks"}, {"kf", "kd"}, {"kb", "k32", "kdate"}} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			partial, final, complete := aggNodes(t, aggTestSchema, keys, nil)
			got, err := aggRunComplete(t, mem, aggTestSchema, aggSplitRows(rows), complete, 0)
			if err != nil {
				t.Fatal(err)
			}
			aggCheck(t, tbl, keys, nil, got)
			got, err = aggRunTwoPhase(t, mem, aggTestSchema, aggSplitRows(rows), partial, final)
			if err != nil {
				t.Fatal(err)
			}
			aggCheck(t, tbl, keys, nil, got)
		})
	}
}

func TestHashAggNoInput(t *testing.T) {
	aggs := aggAllTestAggs()
	for _, keys := range [][]string{nil, {"k"}, {"ks", "kf"}} {
		for _, parts := range [][][][]any{nil, {nil}, {nil, nil}} {
			t.Run(fmt.Sprintf("%v/%d", keys, len(parts)), func(t *testing.T) {
				mem := memtest.Checked()
				defer mem.AssertSize(t, 0)
				tbl := aggTable{schema: aggTestSchema}
				partial, final, complete := aggNodes(t, aggTestSchema, keys, aggs)
				got, err := aggRunComplete(t, mem, aggTestSchema, parts, complete, 0)
				if err != nil {
					t.Fatal(err)
				}
				aggCheck(t, tbl, keys, aggs, got) // one row for the global aggregate
				got, err = aggRunTwoPhase(t, mem, aggTestSchema, parts, partial, final)
				if err != nil {
					t.Fatal(err)
				}
				aggCheck(t, tbl, keys, aggs, got)
				// Final over no partial output at all.
				op := NewHashAggregate(&exectest.Source{}, final, colop.Options{Mem: mem})
				out, err := exectest.Drain(t, op)
				op.Close()
				if err != nil {
					t.Fatal(err)
				}
				aggCheck(t, tbl, keys, aggs, exectest.RowsOf(t, out))
			})
		}
	}
}

// TestHashAggPartialState checks the state columns of a Partial run directly.
func TestHashAggPartialState(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rows := [][]any{
		{int64(1), 2.5, "x"},
		{int64(1), nil, "y"},
		{int64(1), 2.5, "x"},
		{nil, math.NaN(), nil},
		{int64(2), nil, nil},
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	aggs := []plan.AggExpr{
		{Func: plan.AggMean, Arg: &plan.ColumnRef{Name: "f"}, Name: "m"},
		{Func: plan.AggCountDistinct, Arg: &plan.ColumnRef{Name: "s"}, Name: "cd"},
		{Func: plan.AggSum, Arg: &plan.ColumnRef{Name: "f"}, Name: "sf"},
	}
	partial, _, _ := aggNodes(t, schema, []string{"k"}, aggs)
	op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, schema, [][][]any{rows})}, partial, colop.Options{Mem: mem})
	out, err := exectest.Drain(t, op)
	op.Close()
	if err != nil {
		t.Fatal(err)
	}
	got := exectest.RowsOf(t, out)
	want := [][]any{
		{int64(1), 5.0, int64(2), []any{"x", "y"}, 5.0},
		{nil, math.NaN(), int64(1), []any(nil), math.NaN()},
		{int64(2), nil, int64(0), []any(nil), nil},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		for c := range want[i] {
			g, w := got[i][c], want[i][c]
			if wl, ok := w.([]any); ok {
				gl, _ := g.([]any)
				if fmt.Sprint(gl) != fmt.Sprint(wl) {
					t.Errorf("row %d col %d: %v, want %v", i, c, gl, wl)
				}
				continue
			}
			if !exectest.SameValue(g, w) {
				t.Errorf("row %d col %d: %#v, want %#v", i, c, g, w)
			}
		}
	}
}

var aggManyGroupSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "s", Type: arrow.BinaryTypes.String},
}, nil)

func TestHashAggReservationRefused(t *testing.T) {
	for _, key := range []string{"k", "s"} {
		t.Run(key, func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			rows := exectest.ManyGroupRows(20000)
			var parts [][][]any
			for len(rows) > 0 {
				n := min(1000, len(rows))
				parts = append(parts, rows[:n])
				rows = rows[n:]
			}
			aggs := []plan.AggExpr{{Func: plan.AggCountDistinct, Arg: &plan.ColumnRef{Name: "s"}, Name: "cd"}}
			_, _, complete := aggNodes(t, aggManyGroupSchema, []string{key}, aggs)
			res := &exectest.FakeReservation{Limit: 2 << 20}
			op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggManyGroupSchema, parts)}, complete, colop.Options{Mem: mem}.WithReservation(res))
			out, err := exectest.Drain(t, op)
			for _, b := range out {
				b.Release()
			}
			if !errors.Is(err, exectest.ErrFakeBudget) {
				t.Fatalf("err = %v, want one wrapping the reservation's", err)
			}
			if _, err2 := op.Next(); !errors.Is(err2, exectest.ErrFakeBudget) {
				t.Errorf("Next after failure: %v", err2)
			}
			op.Close()
			if !res.Freed || res.Held != 0 {
				t.Errorf("reservation not freed: held %d freed %v", res.Held, res.Freed)
			}
		})
	}
}

func TestHashAggReservationGrowsInChunks(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rows := exectest.ManyGroupRows(50000)
	var parts [][][]any
	for len(rows) > 0 {
		n := min(4096, len(rows))
		parts = append(parts, rows[:n])
		rows = rows[n:]
	}
	aggs := []plan.AggExpr{{Func: plan.AggMax, Arg: &plan.ColumnRef{Name: "s"}, Name: "m"}}
	_, _, complete := aggNodes(t, aggManyGroupSchema, []string{"s"}, aggs)
	res := &exectest.FakeReservation{Limit: 1 << 40}
	op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggManyGroupSchema, parts)}, complete, colop.Options{Mem: mem}.WithReservation(res))
	op.outRows = 10000
	if err := op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := op.Next()
	if err != nil {
		t.Fatal(err)
	}
	b.Release()
	if op.used <= 0 || op.budget.Held < op.used || res.Held != op.budget.Held {
		t.Errorf("used %d, reserved %d, held %d", op.used, op.budget.Held, res.Held)
	}
	if res.Grows > 20 {
		t.Errorf("%d reservation calls for 13 batches; want chunked growth", res.Grows)
	}
	n := b.NumRows()
	for {
		b, err := op.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n += b.NumRows()
		b.Release()
	}
	if n != 50000 {
		t.Errorf("%d groups, want 50000", n)
	}
	if res.Held != 0 {
		t.Errorf("after the last batch the reservation holds %d", res.Held)
	}
	op.Close()
	if !res.Freed {
		t.Error("Close did not free the reservation")
	}
}

func TestHashAggInputError(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	boom := errors.New("boom")
	_, _, complete := aggNodes(t, aggTestSchema, []string{"k"}, aggAllTestAggs())
	src := &exectest.Source{Batches: aggNewBatches(t, mem, aggTestSchema, aggSplitRows(aggTestRows(100, 4))), Err: boom}
	op := NewHashAggregate(src, complete, colop.Options{Mem: mem})
	defer op.Close()
	if _, err := exectest.Drain(t, op); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}

func TestHashAggBadPlan(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	aggs := []plan.AggExpr{{Func: plan.AggSum, Arg: &plan.ColumnRef{Name: "s"}, Name: "x"}}
	_, _, complete := aggNodes(t, aggTestSchema, []string{"k"}, aggs)
	op := NewHashAggregate(&exectest.Source{}, complete, colop.Options{Mem: mem})
	if err := op.Open(context.Background()); err == nil {
		t.Error("sum over strings: no error")
	}
	op.Close()
	// A key the input lacks.
	_, _, complete = aggNodes(t, aggTestSchema, []string{"k"}, nil)
	other := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	src := &exectest.Source{Batches: aggNewBatches(t, mem, other, [][][]any{{{int64(1)}}})}
	op = NewHashAggregate(src, complete, colop.Options{Mem: mem})
	defer op.Close()
	if _, err := exectest.Drain(t, op); err == nil {
		t.Error("missing key column: no error")
	}
}
