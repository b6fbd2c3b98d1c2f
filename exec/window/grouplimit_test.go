package window

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/plan"
)

// groupLimitOracle keeps, per partition key of rows, the rows whose rank (or dense rank)
// by o is at most limit, computed in plain Go by a stable sort and a walk.
func groupLimitOracle(rows [][]any, desc bool, dense bool, limit int64) [][]any {
	in := slices.Clone(rows)
	slices.SortStableFunc(in, func(a, b []any) int {
		if c := cmpKey(a[cP], b[cP], false, true); c != 0 {
			return c
		}
		return cmpKey(a[cO], b[cO], desc, !desc)
	})
	var out [][]any
	var n, rank, dr int64
	for i, r := range in {
		if i == 0 || cmpKey(in[i-1][cP], r[cP], false, true) != 0 {
			n, rank, dr = 1, 1, 1
		} else {
			n++
			if cmpKey(in[i-1][cO], r[cO], desc, !desc) != 0 {
				rank, dr = n, dr+1
			}
		}
		if (dense && dr <= limit) || (!dense && rank <= limit) {
			out = append(out, r)
		}
	}
	return out
}

// TestGroupLimitOracle checks rank and dense_rank limits (whose kept rows are exact, ties
// of the limit-th value included) against plain Go through the conformance harness,
// over batch cuts that split keys anywhere, with NULL keys and NULL order values.
// minCompactRows is far above these inputs, so one compaction at the end does the work;
// TestGroupLimitCompacts covers repeated compactions.
func TestGroupLimitOracle(t *testing.T) {
	for _, fn := range []plan.WindowFuncKind{plan.WinRank, plan.WinDenseRank} {
		for _, desc := range []bool{false, true} {
			for _, limit := range []int64{1, 3} {
				t.Run(fmt.Sprintf("%s/desc=%v/limit=%d", fn, desc, limit), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(5, uint64(limit)))
					in := genWinRows(rng, 300)
					order := []plan.SortKey{{Column: "o", NullsFirst: !desc, Descending: desc}}
					node := &plan.PWindowGroupLimit{PartitionBy: []string{"p"}, OrderBy: order, Func: fn, Limit: limit}
					want := groupLimitOracle(in, desc, fn == plan.WinDenseRank, limit)
					exectest.RunTests(t, []exectest.Input{exectest.Rows(winSchema, in)}, want,
						func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
							return NewGroupLimit(ins[0], node, colop.Options{Mem: mem, BatchRows: 16}), nil
						}, exectest.Unordered())
				})
			}
		}
	}
}

// TestGroupLimitCompacts feeds enough rows for several compactions and checks that
// row_number keeps exactly min(limit, rows) rows per key, each ranking within the limit
// among its key's rows (no row is kept that a better row of its key outranks limit times).
func TestGroupLimitCompacts(t *testing.T) {
	for _, limit := range []int{1, 2} { // 1 takes the thresholds' one-pass selection
		t.Run(fmt.Sprint(limit), func(t *testing.T) { testGroupLimitCompacts(t, limit) })
	}
}

func testGroupLimitCompacts(t *testing.T, limit int) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "p", Type: arrow.PrimitiveTypes.Int64}, {Name: "o", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	const keys, rows = 500, 3 * minCompactRows
	var batches []arrow.RecordBatch
	seen := map[int64][]int64{} // each key's order values
	for lo := 0; lo < rows; lo += 4096 {
		var rs [][]any
		for range 4096 {
			k, o := int64(rng.IntN(keys)), int64(rng.IntN(1000))
			rs = append(rs, []any{k, o})
			seen[k] = append(seen[k], o)
		}
		batches = append(batches, exectest.BuildBatch(t, mem, schema, rs))
	}
	node := &plan.PWindowGroupLimit{PartitionBy: []string{"p"}, OrderBy: []plan.SortKey{{Column: "o", Descending: true}}, Func: plan.WinRowNumber, Limit: int64(limit)}
	op := NewGroupLimit(&exectest.Source{Batches: batches}, node, colop.Options{Mem: mem})
	out, err := exectest.Drain(t, op)
	if err != nil {
		op.Close()
		t.Fatal(err)
	}
	got := exectest.RowsOf(t, out)
	op.Close()
	kept := map[int64][]int64{}
	for _, r := range got {
		kept[r[0].(int64)] = append(kept[r[0].(int64)], r[1].(int64))
	}
	// Descending order: a key's kept values are its limit largest (ties with the last
	// kept value may be any of the tied rows, which have equal values).
	for k, vs := range seen {
		slices.SortFunc(vs, func(a, b int64) int { return cmp.Compare(b, a) })
		got := kept[k]
		slices.SortFunc(got, func(a, b int64) int { return cmp.Compare(b, a) })
		if want := vs[:min(len(vs), limit)]; !slices.Equal(got, want) {
			t.Fatalf("key %d: kept %v, want %v", k, got, want)
		}
	}
}

// TestGroupLimitPassThrough: when its memory is refused the operator emits its input
// unchanged (the window above does the exact work), with nothing leaked.
func TestGroupLimitPassThrough(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	in := genWinRows(rng, 200)
	node := &plan.PWindowGroupLimit{PartitionBy: []string{"p"}, OrderBy: []plan.SortKey{{Column: "o"}}, Func: plan.WinRowNumber, Limit: 1}
	exectest.RunTests(t, []exectest.Input{exectest.Rows(winSchema, in)}, in,
		func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
			res := &exectest.LimitReservation{Limit: 0}
			return NewGroupLimit(ins[0], node, colop.Options{Mem: mem, BatchRows: 16}.WithReservation(res)), nil
		}, exectest.Unordered())
}

// TestGroupLimitFastPathOracle feeds enough int64 rows for several compactions, so the
// per-key thresholds drop rows before they are buffered, and checks rank and dense_rank
// (exact kept rows) against plain Go, with NULL keys, NULL order values and many ties.
func TestGroupLimitFastPathOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "p", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "o", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	rng := rand.New(rand.NewPCG(3, 4))
	var nulls, noNulls [][]any
	for range 3 * minCompactRows {
		var k, o any = int64(rng.IntN(300)), int64(rng.IntN(40))
		noNulls = append(noNulls, []any{k, o})
		if rng.IntN(50) == 0 {
			k = nil
		}
		if rng.IntN(30) == 0 {
			o = nil
		}
		nulls = append(nulls, []any{k, o})
	}
	// Without NULLs the compactions take the typed sort.
	for _, rows := range [][][]any{nulls, noNulls} {
		for _, fn := range []plan.WindowFuncKind{plan.WinRank, plan.WinDenseRank} {
			for _, desc := range []bool{false, true} {
				for _, limit := range []int64{1, 3} {
					t.Run(fmt.Sprintf("%s/desc=%v/limit=%d", fn, desc, limit), func(t *testing.T) {
						mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
						defer mem.AssertSize(t, 0)
						var batches []arrow.RecordBatch
						for lo := 0; lo < len(rows); lo += 5000 {
							batches = append(batches, exectest.BuildBatch(t, mem, schema, rows[lo:min(lo+5000, len(rows))]))
						}
						order := []plan.SortKey{{Column: "o", NullsFirst: !desc, Descending: desc}}
						node := &plan.PWindowGroupLimit{PartitionBy: []string{"p"}, OrderBy: order, Func: fn, Limit: limit}
						op := NewGroupLimit(&exectest.Source{Batches: batches}, node, colop.Options{Mem: mem})
						out, err := exectest.Drain(t, op)
						if err != nil {
							op.Close()
							t.Fatal(err)
						}
						got := exectest.RowsOf(t, out)
						// Ascending with NULLs first, a key's best rows are often NULL: no
						// threshold then, and nothing to check.
						if desc && op.thresholds.len() == 0 {
							t.Error("the fast path never ran")
						}
						op.Close()
						want := groupLimitOracle(rows, desc, fn == plan.WinDenseRank, limit)
						key := func(r []any) string { return fmt.Sprint(r) }
						g, w := make([]string, len(got)), make([]string, len(want))
						for i, r := range got {
							g[i] = key(r)
						}
						for i, r := range want {
							w[i] = key(r)
						}
						slices.Sort(g)
						slices.Sort(w)
						if !slices.Equal(g, w) {
							t.Fatalf("%d rows kept, want %d", len(g), len(w))
						}
					})
				}
			}
		}
	}
}
