package hashagg

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

var aggCollSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "t", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
}, nil)

// aggCollAllNull is a group whose every value is NULL.
const aggCollAllNull = 999

// aggCollRows makes n rows over groups keys (and a NULL key), with NULLs, many ties, NaN
// and -0.0, and floats in quarters so that sums are exact in any order.
func aggCollRows(n, groups int, seed uint64) [][]any {
	r := rand.New(rand.NewPCG(seed, 5))
	maybe := func(v any) any {
		if r.IntN(6) == 0 {
			return nil
		}
		return v
	}
	strs := []string{"", "a", "b", "ab", "zz", "\xffx"}
	rows := make([][]any, 0, n+4)
	for j := 0; j < n; j++ {
		var k any = int64(r.IntN(groups))
		if r.IntN(40) == 0 {
			k = nil
		}
		f := float64(r.IntN(40)-20) / 4
		switch r.IntN(50) {
		case 0:
			f = math.NaN()
		case 1:
			f = math.Copysign(0, -1)
		}
		rows = append(rows, []any{k, maybe(int64(r.IntN(30) - 10)), maybe(f), maybe(strs[r.IntN(len(strs))]),
			maybe(strs[r.IntN(len(strs))]), maybe(r.IntN(4) != 0), maybe(arrow.Date32(19000 + r.IntN(5)))})
	}
	for j := 0; j < 4; j++ {
		rows = append(rows, []any{int64(aggCollAllNull), nil, nil, nil, nil, nil, nil})
	}
	r.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
	return rows
}

func aggCollAggs() []plan.AggExpr {
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	return []plan.AggExpr{
		{Func: plan.AggCollectList, Arg: col("i"), Name: "list_i"},
		{Func: plan.AggCollectList, Arg: col("s"), Name: "list_s"},
		{Func: plan.AggCollectList, Arg: col("d"), Name: "list_d"},
		{Func: plan.AggCollectSet, Arg: col("i"), Name: "set_i"},
		{Func: plan.AggCollectSet, Arg: col("f"), Name: "set_f"},
		{Func: plan.AggCollectSet, Arg: col("d"), Name: "set_d"},
		{Func: plan.AggCollectSet, Arg: col("t"), Name: "set_t"},
		{Func: plan.AggLast, Arg: col("i"), Name: "last_i"},
		{Func: plan.AggLast, Arg: col("i"), Name: "last_i_nn", IgnoreNulls: true},
		{Func: plan.AggLast, Arg: col("s"), Name: "last_s"},
		{Func: plan.AggLast, Arg: col("s"), Name: "last_s_nn", IgnoreNulls: true},
		{Func: plan.AggLast, Arg: col("b"), Name: "last_b"},
		{Func: plan.AggLast, Arg: col("f"), Name: "last_f_nn", IgnoreNulls: true},
		{Func: plan.AggLast, Arg: col("t"), Name: "last_t"},
		{Func: plan.AggAnyValue, Arg: col("s"), Name: "any_s"},
		{Func: plan.AggBoolAnd, Arg: col("b"), Name: "and_b"},
		{Func: plan.AggBoolOr, Arg: col("b"), Name: "or_b"},
		{Func: plan.AggSumDistinct, Arg: col("i"), Name: "sumd_i"},
		{Func: plan.AggSumDistinct, Arg: col("f"), Name: "sumd_f"},
	}
}

// aggCollRender renders a value for comparison: NULL, a list as [e, ...] of normalized
// elements, else the normalized value.
func aggCollRender(v any, isNull bool) string {
	if isNull {
		return "NULL"
	}
	if l, ok := v.([]any); ok {
		parts := make([]string, len(l))
		for i, e := range l {
			parts[i] = aggCollRender(e, e == nil)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return exectest.NormKey(v)
}

// aggCollOracle computes a over a group's rows, in order, plainly.
func aggCollOracle(a plan.AggExpr, rows [][]any) string {
	c := aggCollSchema.FieldIndices(a.Arg.(*plan.ColumnRef).Name)[0]
	var nn []any
	for _, r := range rows {
		if r[c] != nil {
			nn = append(nn, r[c])
		}
	}
	distinct := func() []any {
		seen := map[string]bool{}
		var out []any
		for _, v := range nn {
			if k := exectest.NormKey(v); !seen[k] {
				seen[k] = true
				out = append(out, v)
			}
		}
		return out
	}
	switch a.Func {
	case plan.AggCollectList:
		return aggCollRender(append([]any{}, nn...), false)
	case plan.AggCollectSet:
		return aggCollRender(append([]any{}, distinct()...), false)
	case plan.AggLast:
		if a.IgnoreNulls {
			if len(nn) == 0 {
				return "NULL"
			}
			return aggCollRender(nn[len(nn)-1], false)
		}
		if len(rows) == 0 {
			return "NULL"
		}
		v := rows[len(rows)-1][c]
		return aggCollRender(v, v == nil)
	}
	if len(nn) == 0 {
		return "NULL"
	}
	switch a.Func {
	case plan.AggAnyValue:
		return aggCollRender(nn[0], false)
	case plan.AggBoolAnd, plan.AggBoolOr:
		res := a.Func == plan.AggBoolAnd
		for _, v := range nn {
			if v.(bool) != res {
				res = !res
				break
			}
		}
		return aggCollRender(res, false)
	case plan.AggSumDistinct:
		if _, ok := nn[0].(float64); ok {
			var s float64
			for _, v := range distinct() {
				s += v.(float64)
			}
			return aggCollRender(s, false)
		}
		var s int64
		for _, v := range distinct() {
			s += v.(int64)
		}
		return aggCollRender(s, false)
	}
	panic("aggCollOracle: " + a.String())
}

// aggCollRowsOf renders result batches as rows of strings, releasing them.
func aggCollRowsOf(t *testing.T, batches []arrow.RecordBatch) [][]string {
	var out [][]string
	for _, b := range batches {
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]string, b.NumCols())
			for c, col := range b.Columns() {
				var v any
				if !col.IsNull(i) {
					v = exectest.GoValue(t, col, i)
				}
				row[c] = aggCollRender(v, col.IsNull(i))
			}
			out = append(out, row)
		}
		b.Release()
	}
	return out
}

// aggCollCheck compares rendered result rows (the key, then the aggregates) with the
// oracle over the rows in the order the operator met them.
func aggCollCheck(t *testing.T, ordered [][]any, keyed bool, aggs []plan.AggExpr, got [][]string) {
	t.Helper()
	groups := map[string][][]any{}
	for _, r := range ordered {
		k := ""
		if keyed {
			k = aggCollRender(r[0], r[0] == nil)
		}
		groups[k] = append(groups[k], r)
	}
	if !keyed && len(groups) == 0 {
		groups[""] = nil
	}
	if len(got) != len(groups) {
		t.Fatalf("%d groups, want %d", len(got), len(groups))
	}
	nk := 0
	if keyed {
		nk = 1
	}
	bad := 0
	for _, row := range got {
		rows, ok := groups[strings.Join(row[:nk], "")]
		if !ok {
			t.Fatalf("unexpected group %v", row[:nk])
		}
		for i, a := range aggs {
			if want := aggCollOracle(a, rows); row[nk+i] != want {
				if bad++; bad <= 10 {
					t.Errorf("group %v: %s = %s, want %s", row[:nk], a, row[nk+i], want)
				}
			}
		}
	}
}

// aggCollRun runs node over parts (in order) and returns the rendered result.
func aggCollRun(t *testing.T, mem memory.Allocator, parts [][][]any, node *plan.PHashAggregate, outRows int) [][]string {
	t.Helper()
	op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggCollSchema, parts)}, node, colop.Options{Mem: mem})
	op.outRows = outRows
	defer op.Close()
	out, err := exectest.Drain(t, op)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range out {
		if !b.Schema().Equal(node.OutSchema) {
			t.Fatalf("schema %s, want %s", b.Schema(), node.OutSchema)
		}
	}
	return aggCollRowsOf(t, out)
}

// aggCollTwoPhase runs three map tasks' Partial over parts dealt round-robin, then Final
// over their outputs in the order aggRunTwoPhase uses (task 2, 1, 0); it returns the
// rendered result and the rows in the order Final meets them.
func aggCollTwoPhase(t *testing.T, mem memory.Allocator, parts [][][]any, partial, final *plan.PHashAggregate) ([][]string, [][]any) {
	t.Helper()
	var shuffled []arrow.RecordBatch
	var ordered [][]any
	for task := 2; task >= 0; task-- {
		var mine [][][]any
		for i := task; i < len(parts); i += 3 {
			mine = append(mine, parts[i])
			ordered = append(ordered, parts[i]...)
		}
		op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggCollSchema, mine)}, partial, colop.Options{Mem: mem})
		op.outRows = 7
		out, err := exectest.Drain(t, op)
		op.Close()
		if err != nil {
			t.Fatal(err)
		}
		shuffled = append(shuffled, out...)
	}
	op := NewHashAggregate(&exectest.Source{Batches: shuffled}, final, colop.Options{Mem: mem})
	op.outRows = 5
	defer op.Close()
	out, err := exectest.Drain(t, op)
	if err != nil {
		t.Fatal(err)
	}
	return aggCollRowsOf(t, out), ordered
}

func TestHashAggCollectLastBoolSumDistinct(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rows := aggCollRows(3000, 40, 1)
	parts := aggSplitRows(rows)
	aggs := aggCollAggs()
	for _, keys := range [][]string{{"k"}, nil} {
		t.Run(fmt.Sprintf("keys=%v", keys), func(t *testing.T) {
			partial, final, complete := aggNodes(t, aggCollSchema, keys, aggs)
			for _, outRows := range []int{0, 1, 7} {
				aggCollCheck(t, rows, keys != nil, aggs, aggCollRun(t, mem, parts, complete, outRows))
			}
			got, ordered := aggCollTwoPhase(t, mem, parts, partial, final)
			aggCollCheck(t, ordered, keys != nil, aggs, got)
		})
	}
	// No input: the global row has empty lists, NULL values.
	_, final, complete := aggNodes(t, aggCollSchema, nil, aggs)
	for _, node := range []*plan.PHashAggregate{complete, final} {
		aggCollCheck(t, nil, false, aggs, aggCollRun(t, mem, nil, node, 0))
	}
}

// The lists are accounted: a budget far below what they need makes Complete spill them,
// and the merged partitions give what an unlimited run gives, order of the lists included
// (spill files are merged in the order they were written).
func TestHashAggCollectSpill(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rows := aggCollRows(40000/aggSpillTestScale, 4000/aggSpillTestScale, 2)
	var parts [][][]any
	for len(rows) > 0 {
		n := min(1000, len(rows))
		parts, rows = append(parts, rows[:n]), rows[n:]
	}
	aggs := aggCollAggs()
	_, _, complete := aggNodes(t, aggCollSchema, []string{"k"}, aggs)
	res := &aggLimitRes{}
	op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggCollSchema, parts)}, complete, colop.Options{Mem: mem}.WithReservation(res))
	out, err := exectest.Drain(t, op)
	op.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := aggCollRowsOf(t, out)
	limit := res.peak / 8
	run := newAggSpillRun(t, &exectest.Source{Batches: aggNewBatches(t, mem, aggCollSchema, parts)}, complete, mem, limit)
	out, err = exectest.Drain(t, run.op)
	if err != nil {
		t.Fatal(err)
	}
	got := aggCollRowsOf(t, out)
	if run.op.SpillCount() == 0 {
		t.Fatalf("no spill under a limit of %d (unlimited peak %d)", limit, res.peak)
	}
	run.finish(t)
	index := map[string][]string{}
	for _, r := range want {
		index[r[0]] = r
	}
	if len(got) != len(want) {
		t.Fatalf("%d groups, want %d", len(got), len(want))
	}
	for _, r := range got {
		w := index[r[0]]
		for c := range r {
			if r[c] != w[c] {
				t.Fatalf("group %s column %s: %s, want %s", r[0], complete.OutSchema.Field(c).Name, r[c], w[c])
			}
		}
	}
}

// A dictionary argument's values are collected as its strings, and collect_list of a
// group with only NULLs is an empty list, not NULL.
func TestHashAggCollectDictionaryAndEmpty(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rows := [][]any{
		{int64(1), nil, nil, nil, "x", nil, nil},
		{int64(1), nil, nil, nil, "y", nil, nil},
		{int64(1), nil, nil, nil, "x", nil, nil},
		{int64(2), nil, nil, nil, nil, nil, nil},
	}
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	aggs := []plan.AggExpr{
		{Func: plan.AggCollectList, Arg: col("d"), Name: "l"},
		{Func: plan.AggCollectSet, Arg: col("d"), Name: "s"},
		{Func: plan.AggCollectList, Arg: col("i"), Name: "li"},
	}
	_, _, complete := aggNodes(t, aggCollSchema, []string{"k"}, aggs)
	got := aggCollRun(t, mem, [][][]any{rows}, complete, 0)
	want := [][]string{{"int64:1", "[string:x,string:y,string:x]", "[string:x,string:y]", "[]"}, {"int64:2", "[]", "[]", "[]"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// sum(DISTINCT) over decimals adds each distinct value once, exactly, in the sum type
// decimal(min(38,p+10),s); a sum that does not fit is NULL.
func TestHashAggSumDistinctDecimal(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	big6 := new(big.Int).Mul(big.NewInt(6), new(big.Int).Exp(big.NewInt(10), big.NewInt(37), nil))
	k := func(v int64) *int64 { return &v }
	var rows []aggDecRow
	add := func(key *int64, vs ...*big.Int) {
		for _, v := range vs {
			rows = append(rows, aggDecRow{k: key, v: v})
		}
	}
	add(k(1), big.NewInt(150), big.NewInt(150), big.NewInt(225), nil, big.NewInt(-75))
	add(k(2), nil, nil)
	add(k(3), big6, new(big.Int).Add(big6, big.NewInt(1))) // 1.2e38: over 38 digits
	add(k(4), big6, big6)
	add(nil, big.NewInt(5))
	want := map[string]string{"1": "300", "2": "NULL", "3": "NULL", "4": big6.String(), "NULL": "5"}
	schema := aggDecSchema(&arrow.Decimal128Type{Precision: 38, Scale: 2})
	aggs := []plan.AggExpr{{Func: plan.AggSumDistinct, Arg: &plan.ColumnRef{Name: "v"}, Name: "sd"}}
	partial, final, complete := aggNodes(t, schema, []string{"k"}, aggs)
	check := func(what string, out []arrow.RecordBatch) {
		t.Helper()
		got := map[string]string{}
		for _, b := range out {
			keys, sums := b.Column(0).(*array.Int64), b.Column(1).(*array.Decimal128)
			for i := 0; i < int(b.NumRows()); i++ {
				key, sum := "NULL", "NULL"
				if keys.IsValid(i) {
					key = fmt.Sprint(keys.Value(i))
				}
				if sums.IsValid(i) {
					sum = sums.Value(i).BigInt().String()
				}
				got[key] = sum
			}
			b.Release()
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	op := NewHashAggregate(&exectest.Source{Batches: aggDecBatches(t, mem, schema, rows, 3)}, complete, colop.Options{Mem: mem})
	out, err := exectest.Drain(t, op)
	op.Close()
	if err != nil {
		t.Fatal(err)
	}
	check("complete", out)
	var states []arrow.RecordBatch
	for task := range 2 {
		var mine []aggDecRow
		for i := task; i < len(rows); i += 2 {
			mine = append(mine, rows[i])
		}
		op := NewHashAggregate(&exectest.Source{Batches: aggDecBatches(t, mem, schema, mine, 2)}, partial, colop.Options{Mem: mem})
		out, err := exectest.Drain(t, op)
		op.Close()
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, out...)
	}
	op = NewHashAggregate(&exectest.Source{Batches: states}, final, colop.Options{Mem: mem})
	out, err = exectest.Drain(t, op)
	op.Close()
	if err != nil {
		t.Fatal(err)
	}
	check("partial-final", out)
}
