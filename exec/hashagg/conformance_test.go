package hashagg

import (
	"fmt"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// The conformance tests put the hash aggregate through exectest.RunTests in each mode:
// Complete, Partial feeding Final in one pipeline, and Final alone over states. The
// expected groups come from aggOracle, row by row; the order of groups is not part of
// the contract, so the comparison is unordered.

// aggConfAggs are the deterministic aggregates (first is not: any value of the group is
// right) over integers, floats, strings and dictionaries.
func aggConfAggs() []plan.AggExpr {
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	return []plan.AggExpr{
		{Func: plan.AggSum, Arg: col("i"), Name: "sum_i"},
		{Func: plan.AggSum, Arg: col("f"), Name: "sum_f"},
		{Func: plan.AggCount, Arg: col("s"), Name: "count_s"},
		{Func: plan.AggCountAll, Name: "count_all"},
		{Func: plan.AggCountDistinct, Arg: col("s"), Name: "cd_s"},
		{Func: plan.AggMean, Arg: col("i"), Name: "mean_i"},
		{Func: plan.AggMin, Arg: col("i"), Name: "min_i"},
		{Func: plan.AggMax, Arg: col("f"), Name: "max_f"},
		{Func: plan.AggMin, Arg: col("s"), Name: "min_s"},
		{Func: plan.AggMax, Arg: col("kd"), Name: "max_kd"},
	}
}

// aggConfWant groups rows by keys and computes aggs over each group with the oracle;
// without keys there is one group even over no rows.
func aggConfWant(schema *arrow.Schema, rows [][]any, keys []string, aggs []plan.AggExpr) [][]any {
	col := func(name string) int { return schema.FieldIndices(name)[0] }
	type group struct {
		key  []any
		rows [][]any
	}
	var order []string
	groups := map[string]*group{}
	if len(keys) == 0 {
		order = append(order, "")
		groups[""] = &group{}
	}
	for _, r := range rows {
		kv := make([]any, len(keys))
		for i, k := range keys {
			kv[i] = r[col(k)]
		}
		gk := aggGroupKeyOf(kv)
		g, ok := groups[gk]
		if !ok {
			g = &group{key: kv}
			groups[gk] = g
			order = append(order, gk)
		}
		g.rows = append(g.rows, r)
	}
	var out [][]any
	for _, gk := range order {
		g := groups[gk]
		row := append([]any(nil), g.key...)
		for _, a := range aggs {
			var argType arrow.DataType
			vals := make([]any, len(g.rows))
			if a.Arg != nil {
				c := col(a.Arg.(*plan.ColumnRef).Name)
				argType = schema.Field(c).Type
				for i, r := range g.rows {
					vals[i] = r[c]
				}
			}
			row = append(row, aggOracle(a.Func, argType, vals, len(g.rows)))
		}
		out = append(out, row)
	}
	return out
}

func TestConformanceHashAgg(t *testing.T) {
	aggs := aggConfAggs()
	nulls := make([][]any, 30)
	for i := range nulls {
		nulls[i] = make([]any, aggTestSchema.NumFields())
	}
	for _, data := range []struct {
		name string
		rows [][]any
	}{{"values", aggTestRows(150, 41)}, {"all-null", nulls}} {
		for _, keys := range [][]string{nil, {"k"}, {"ks", "kf"}} {
			partial, final, complete := aggNodes(t, aggTestSchema, keys, aggs)
			want := aggConfWant(aggTestSchema, data.rows, keys, aggs)
			// No rows in, no group out; but a global aggregate has its one row.
			empty := exectest.EmptyWant(aggConfWant(aggTestSchema, nil, keys, aggs))
			input := []exectest.Input{exectest.Rows(aggTestSchema, data.rows)}
			name := fmt.Sprintf("%s/keys=%v", data.name, keys)
			t.Run(name+"/complete", func(t *testing.T) {
				exectest.RunTests(t, input, want, func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
					return NewHashAggregate(ins[0], complete, colop.Options{Mem: mem}), nil
				}, exectest.Unordered(), empty)
			})
			t.Run(name+"/partial-final", func(t *testing.T) {
				exectest.RunTests(t, input, want, func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
					return NewHashAggregate(NewHashAggregate(ins[0], partial, colop.Options{Mem: mem}), final, colop.Options{Mem: mem}), nil
				}, exectest.Unordered(), empty)
			})
			t.Run(name+"/final", func(t *testing.T) {
				// The states of three partitions, so that keys meet again in Final.
				mem := memory.NewGoAllocator()
				var states []arrow.RecordBatch
				third := len(data.rows) / 3
				for _, part := range [][][]any{data.rows[:third], data.rows[third : 2*third], data.rows[2*third:]} {
					op := NewHashAggregate(&exectest.Source{Batches: aggNewBatches(t, mem, aggTestSchema, [][][]any{part})}, partial, colop.Options{Mem: mem})
					out, err := exectest.Drain(t, op)
					op.Close()
					if err != nil {
						t.Fatal(err)
					}
					states = append(states, out...)
				}
				defer func() {
					for _, s := range states {
						s.Release()
					}
				}()
				exectest.RunTests(t, []exectest.Input{exectest.Batches(partial.OutSchema, states...)}, want,
					func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
						return NewHashAggregate(ins[0], final, colop.Options{Mem: mem}), nil
					}, exectest.Unordered(), empty)
			})
		}
	}
}
