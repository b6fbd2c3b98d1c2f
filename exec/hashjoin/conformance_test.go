package hashjoin

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// TestConformanceHashJoin puts every join kind, with either side built, through
// exectest.RunTests: over an integer key, over two keys one of them a dictionary on one
// side, and over keys that are all NULL (no match at all). The expectation is the nested
// loop join of hjOracle; the output order is not part of the contract.
func TestConformanceHashJoin(t *testing.T) {
	cases := hjCases()
	for ci, c := range []hjCase{cases[0], cases[5]} {
		rng := rand.New(rand.NewPCG(uint64(ci), 99))
		lrows := hjGenRows(rng, c.left, c.lkeys, 60, c.lrange[0], c.lrange[1], "l")
		rrows := hjGenRows(rng, c.right, c.rkeys, 45, c.rrange[0], c.rrange[1], "r")
		lk, rk := hjKeyIndices(t, c.left, c.lkeys), hjKeyIndices(t, c.right, c.rkeys)
		for _, nullKeys := range []bool{false, true} {
			if nullKeys {
				if ci > 0 {
					continue
				}
				lrows, rrows = hjNullKeys(lrows, lk), hjNullKeys(rrows, rk)
			}
			for _, kind := range hjAllKinds {
				for _, build := range []plan.BuildSide{plan.BuildRight, plan.BuildLeft} {
					name := fmt.Sprintf("%s/null-keys=%v/%s/build=%d", c.name, nullKeys, kind, build)
					node := &plan.PHashJoin{LeftKeys: c.lkeys, RightKeys: c.rkeys, Kind: kind, Build: build,
						OutSchema: hjOutSchema(c.left, c.right, kind)}
					want := hjOracle(lrows, rrows, lk, rk, c.left.NumFields(), c.right.NumFields(), kind)
					inputs := []exectest.Input{exectest.Rows(c.left, lrows), exectest.Rows(c.right, rrows)}
					t.Run(name, func(t *testing.T) {
						exectest.RunTests(t, inputs, want, func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
							op := NewHashJoin(ins[0], ins[1], node, colop.Options{Mem: mem})
							op.batchRows = 16 // several output batches per probe batch
							return op, nil
						}, exectest.Unordered())
					})
				}
			}
		}
	}
}

// hjNullKeys returns a copy of rows with the key columns NULL.
func hjNullKeys(rows [][]any, keys []int) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = append([]any(nil), r...)
		for _, k := range keys {
			out[i][k] = nil
		}
	}
	return out
}
