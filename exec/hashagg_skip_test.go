package exec

import (
	"context"
	"fmt"
	"testing"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// aggMostlyUniqueRows is aggTestRows with the keys k and kd nearly unique (every 7th key
// repeats an earlier one, every 11th is NULL), so that partial aggregation reduces little.
func aggMostlyUniqueRows(n int) [][]any {
	rows := aggTestRows(n, 9)
	for i, r := range rows {
		k := int64(i)
		if i%7 == 6 {
			k = int64(i / 2)
		}
		r[0] = k
		r[3] = fmt.Sprintf("key-%d", k)
		if i%11 == 10 {
			r[0], r[3] = nil, nil
		}
	}
	return rows
}

// TestHashAggSkippedPartialConvertsRows runs Partial over mostly unique keys: after the
// probe it must stop hashing and convert rows straight to states (one output row per
// input row, a dictionary key passing through as it is), and Final must still get every
// aggregate right.
func TestHashAggSkippedPartialConvertsRows(t *testing.T) {
	const n = 3 * aggSkipProbeRows / 2
	rows := aggMostlyUniqueRows(n)
	tbl := aggTable{schema: aggTestSchema, rows: rows}
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	rowWise := []plan.AggExpr{
		{Func: plan.AggSum, Arg: col("i"), Name: "sum_i"},
		{Func: plan.AggSum, Arg: col("f"), Name: "sum_f"},
		{Func: plan.AggSum, Arg: col("u"), Name: "sum_u"},
		{Func: plan.AggCount, Arg: col("s"), Name: "count_s"},
		{Func: plan.AggCountAll, Name: "count_all"},
		{Func: plan.AggMean, Arg: col("i"), Name: "mean_i"},
		{Func: plan.AggMean, Arg: col("f"), Name: "mean_f"},
		{Func: plan.AggMin, Arg: col("f"), Name: "min_f"},
		{Func: plan.AggMax, Arg: col("u"), Name: "max_u"},
		{Func: plan.AggMin, Arg: col("s"), Name: "min_s"},
		{Func: plan.AggMax, Arg: col("kb"), Name: "max_kb"},
		{Func: plan.AggMax, Arg: col("kdate"), Name: "max_kdate"},
	}
	withDistinct := append(append([]plan.AggExpr(nil), rowWise...),
		plan.AggExpr{Func: plan.AggCountDistinct, Arg: col("s"), Name: "cd_s"})
	cases := []struct {
		name     string
		keys     []string
		aggs     []plan.AggExpr
		wantPass bool
	}{
		{"int key", []string{"k"}, rowWise, true},
		{"dictionary key with int", []string{"kd", "k32"}, rowWise, true},
		{"count distinct keeps hashing", []string{"k"}, withDistinct, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			partial, final, _ := aggNodes(t, aggTestSchema, c.keys, c.aggs)
			var batches [][][]any
			for lo := 0; lo < n; lo += 4096 {
				batches = append(batches, rows[lo:min(lo+4096, n)])
			}
			op := NewHashAggregate(&aggTestSource{batches: aggNewBatches(t, mem, aggTestSchema, batches)}, partial, mem, nil)
			if err := op.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			states, err := aggDrain(t, op)
			op.Close()
			if err != nil {
				t.Fatal(err)
			}
			if op.passing != c.wantPass {
				t.Errorf("partial converted rows to states: %v, want %v", op.passing, c.wantPass)
			}
			var stateRows int64
			for _, b := range states {
				stateRows += b.NumRows()
				if !b.Schema().Equal(partial.OutSchema) {
					t.Errorf("partial schema %s, want %s", b.Schema(), partial.OutSchema)
				}
			}
			// The probe's rows were hashed; every row after it (the probe ends within a
			// batch of aggSkipProbeRows) must come out as its own state row.
			if c.wantPass && stateRows < n-aggSkipProbeRows {
				t.Errorf("partial emitted %d rows for %d input rows; after the probe it should keep one per row", stateRows, n)
			}
			fin := NewHashAggregate(&aggTestSource{batches: states}, final, mem, nil)
			defer fin.Close()
			out, err := aggDrain(t, fin)
			if err != nil {
				t.Fatal(err)
			}
			aggCheck(t, tbl, c.keys, c.aggs, aggRowsOf(t, out))
		})
	}
}
