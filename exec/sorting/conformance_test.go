package sorting

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// TestConformanceSort puts the sort through exectest.RunTests, in full and as a top-N,
// over several key lists (NULLs first and last, descending, floats with NaN and -0,
// dictionaries), on random rows and on rows whose every nullable column is NULL. The
// expectation is a stable sort by sortRowCmp: the sort keeps the input order of equal
// keys, so the comparison is ordered.
func TestConformanceSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	nulls := make([]sortRow, 40)
	for i := range nulls {
		nulls[i] = sortRow{id: int64(i), u: int32(i % 3)}
	}
	mem := memory.NewGoAllocator()
	keyLists := [][]plan.SortKey{
		{{Column: "i"}, {Column: "f", Descending: true, NullsFirst: true}},
		{{Column: "d", NullsFirst: true}, {Column: "s", Descending: true}},
		{{Column: "f"}},
		{{Column: "u", Descending: true}, {Column: "s", NullsFirst: true}},
	}
	for _, data := range []struct {
		name string
		rows []sortRow
	}{{"values", genSortRows(rng, 0, 120)}, {"all-null", nulls}} {
		rec := buildSortBatch(t, mem, data.rows)
		defer rec.Release()
		input := []exectest.Input{exectest.Batches(sortSchema, rec)}
		for ki, keys := range keyLists {
			sorted := slices.Clone(data.rows)
			slices.SortStableFunc(sorted, func(a, b sortRow) int { return sortRowCmp(a, b, keys) })
			for _, limit := range []int64{0, 1, 10, 500} {
				t.Run(fmt.Sprintf("%s/keys=%d/limit=%d", data.name, ki, limit), func(t *testing.T) {
					want := sorted
					if limit > 0 {
						want = want[:min(int(limit), len(want))]
					}
					node := &plan.PSort{Keys: keys, Limit: limit}
					exectest.RunTests(t, input, sortConfRows(want), func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
						return NewSort(ins[0], node, colop.Options{Mem: mem}), nil
					})
				})
			}
		}
	}
}

// sortConfRows turns sortRows into the positional rows of sortSchema.
func sortConfRows(rows []sortRow) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		row := []any{r.id, nil, nil, nil, nil, r.u}
		if r.i != nil {
			row[1] = *r.i
		}
		if r.f != nil {
			row[2] = *r.f
		}
		if r.s != nil {
			row[3] = *r.s
		}
		if r.d != nil {
			row[4] = *r.d
		}
		out[i] = row
	}
	return out
}
