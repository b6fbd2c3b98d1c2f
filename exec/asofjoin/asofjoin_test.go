package asofjoin

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/plan"
)

var dictString = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// genSorted makes n rows (sym, ts, payload) with NULL syms and times and repeated times,
// sorted by (sym, ts) ascending with NULLs first, stably.
func genSorted(rng *rand.Rand, n int, tag string) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		var sym, ts any
		if rng.IntN(10) > 0 {
			sym = fmt.Sprintf("s%d", rng.IntN(4))
		}
		if rng.IntN(10) > 0 {
			ts = int64(rng.IntN(40))
		}
		rows[i] = []any{sym, ts, fmt.Sprintf("%s%d", tag, i)}
	}
	nullsFirst := func(a, b any, c func() int) int {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		case b == nil:
			return 1
		}
		return c()
	}
	slices.SortStableFunc(rows, func(a, b []any) int {
		if c := nullsFirst(a[0], b[0], func() int { return cmp.Compare(a[0].(string), b[0].(string)) }); c != 0 {
			return c
		}
		return nullsFirst(a[1], b[1], func() int { return cmp.Compare(a[1].(int64), b[1].(int64)) })
	})
	return rows
}

// oracle matches each left row by nested loops: same non-NULL sym, the latest right time
// at or before (forward: earliest at or after) the left one within tol, the last (first)
// of equal times.
func oracle(left, right [][]any, forward bool, tol float64) [][]any {
	var out [][]any
	for _, l := range left {
		best := -1
		for j, r := range right {
			if l[0] == nil || l[1] == nil || r[0] == nil || r[1] == nil || l[0] != r[0] {
				continue
			}
			lt, rt := l[1].(int64), r[1].(int64)
			if math.Abs(float64(lt-rt)) > tol {
				continue
			}
			switch {
			case !forward && rt <= lt && (best < 0 || rt >= right[best][1].(int64)):
				best = j
			case forward && rt >= lt && (best < 0 || rt < right[best][1].(int64)):
				best = j
			}
		}
		row := append(append([]any(nil), l...), nil)
		if best >= 0 {
			row[3] = right[best][2]
		}
		out = append(out, row)
	}
	return out
}

// TestConformanceAsOfJoin puts the merge through exectest.RunTests: a dictionary sym on
// the left against a plain one on the right, NULL keys and times, ties, backward and
// forward, with and without a tolerance.
func TestConformanceAsOfJoin(t *testing.T) {
	f := func(name string, dt arrow.DataType) arrow.Field {
		return arrow.Field{Name: name, Type: dt, Nullable: true}
	}
	ls := arrow.NewSchema([]arrow.Field{f("sym", dictString), f("ts", arrow.PrimitiveTypes.Int64), f("lv", arrow.BinaryTypes.String)}, nil)
	rs := arrow.NewSchema([]arrow.Field{f("sym", arrow.BinaryTypes.String), f("ts", arrow.PrimitiveTypes.Int64), f("rv", arrow.BinaryTypes.String)}, nil)
	out := arrow.NewSchema(append(ls.Fields(), f("rv", arrow.BinaryTypes.String)), nil)
	rng := rand.New(rand.NewPCG(3, 4))
	left, right := genSorted(rng, 70, "l"), genSorted(rng, 50, "r")
	for _, forward := range []bool{false, true} {
		for _, tol := range []float64{math.Inf(1), 0, 3} {
			node := &plan.PAsOfJoin{On: "ts", By: []string{"sym"}, Forward: forward, Tolerance: tol, RightCols: []int{2}, OutSchema: out}
			want := oracle(left, right, forward, tol)
			inputs := []exectest.Input{exectest.Rows(ls, left), exectest.Rows(rs, right)}
			t.Run(fmt.Sprintf("forward=%v/tolerance=%v", forward, tol), func(t *testing.T) {
				exectest.RunTests(t, inputs, want, func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
					return New(ins[0], ins[1], node, colop.Options{Mem: mem}), nil
				})
			})
		}
	}
	// An empty right side leaves every left row unmatched.
	node := &plan.PAsOfJoin{On: "ts", By: []string{"sym"}, Tolerance: math.Inf(1), RightCols: []int{2}, OutSchema: out}
	exectest.RunTests(t, []exectest.Input{exectest.Rows(ls, left), exectest.Rows(rs, nil)}, oracle(left, nil, false, math.Inf(1)),
		func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
			return New(ins[0], ins[1], node, colop.Options{Mem: mem}), nil
		})
}
