package eval

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// TestCompareStringLitShort checks a string column = and <> one- and two-byte literals
// (the one-byte loop packs eight rows a byte) against a plain loop, on a sliced column
// with NULLs and row counts that are not multiples of eight.
func TestCompareStringLitShort(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(11, 12))
	pool := []string{"", "R", "A", "N", "RR", "RA", "R\x00"}
	for _, n := range []int{0, 1, 7, 8, 9, 100, 1003} {
		b := array.NewStringBuilder(mem)
		for range n + 5 {
			if rng.IntN(9) == 0 {
				b.AppendNull()
			} else {
				b.Append(pool[rng.IntN(len(pool))])
			}
		}
		full := b.NewArray()
		b.Release()
		col := array.NewSlice(full, 5, int64(n+5)).(*array.String)
		full.Release()
		for _, lit := range []string{"R", "RA", ""} {
			for _, op := range []plan.BinaryOp{plan.OpEq, plan.OpNotEq} {
				got, ok := evCompareStringLit(mem, op, evArray(col), evScalar(scalar.NewStringScalar(lit)))
				if !ok {
					t.Fatalf("%q: not taken", lit)
				}
				res := got.(*array.Boolean)
				for i := range n {
					if col.IsNull(i) {
						if res.IsValid(i) {
							t.Fatalf("n %d %v %q row %d: NULL input, valid result", n, op, lit, i)
						}
						continue
					}
					if want := (col.Value(i) == lit) == (op == plan.OpEq); !res.IsValid(i) || res.Value(i) != want {
						t.Fatalf("n %d %v %q row %d (%q): %v, want %v", n, op, lit, i, col.Value(i), res.Value(i), want)
					}
				}
				got.Release()
			}
		}
		col.Release()
	}
}
