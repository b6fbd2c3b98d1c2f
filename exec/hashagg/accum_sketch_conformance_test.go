package hashagg

import (
	"fmt"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// TestConformanceStatisticalAggs puts the deterministic statistical aggregates (exact
// percentiles, percentile_approx below its sketch's capacity, mode) through
// exectest.RunTests in Complete mode and Partial feeding Final: batch sizes, empty
// batches, early Close and the checked allocator.
func TestConformanceStatisticalAggs(t *testing.T) {
	var aggs []plan.AggExpr
	for _, a := range aggSketchAggs() {
		if a.Func != plan.AggApproxCountDistinct {
			aggs = append(aggs, a)
		}
	}
	var rows [][]any
	for _, p := range aggSketchRows(150, 6, 9) {
		rows = append(rows, p...)
	}
	for _, keys := range [][]string{nil, {"k"}} {
		partial, final, complete := aggSketchNodes(t, keys, aggs)
		want := aggSketchConfWant(rows, keys, aggs)
		empty := exectest.EmptyWant(aggSketchConfWant(nil, keys, aggs))
		input := []exectest.Input{exectest.Rows(aggSketchSchema, rows)}
		name := fmt.Sprintf("keys=%v", keys)
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
	}
}

// aggSketchConfWant groups rows by the key (the first column) and computes aggs with
// aggSketchOracle; without keys there is one group even over no rows.
func aggSketchConfWant(rows [][]any, keys []string, aggs []plan.AggExpr) [][]any {
	var order []string
	groups := map[string][][]any{}
	keyOf := map[string][]any{}
	if len(keys) == 0 {
		order = append(order, "")
		groups[""] = nil
	}
	for _, r := range rows {
		var kv []any
		if len(keys) > 0 {
			kv = []any{r[0]}
		}
		gk := aggGroupKeyOf(kv)
		if _, ok := groups[gk]; !ok {
			order = append(order, gk)
			keyOf[gk] = kv
		}
		groups[gk] = append(groups[gk], r)
	}
	var out [][]any
	for _, gk := range order {
		row := append([]any(nil), keyOf[gk]...)
		for _, a := range aggs {
			row = append(row, aggSketchOracle(a, groups[gk]))
		}
		out = append(out, row)
	}
	return out
}
