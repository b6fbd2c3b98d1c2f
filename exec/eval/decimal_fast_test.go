package eval

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// decBoundaryValues returns unscaled values of at most p digits around the edges of the
// typed loops: the int64 limits and one past them (the 64-bit product's fallback), ±2^32
// (cross-word carries), the precision's largest value, NULLs and small ones.
func decBoundaryValues(p int32) []any {
	maxP := new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil), big.NewInt(1))
	cands := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(-1), big.NewInt(7), big.NewInt(-93),
		big.NewInt(math.MaxInt64), big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64 - 1),
		new(big.Int).Add(big.NewInt(math.MaxInt64), big.NewInt(1)), new(big.Int).Sub(big.NewInt(math.MinInt64), big.NewInt(1)),
		big.NewInt(1 << 32), big.NewInt(-(1 << 32)), big.NewInt(math.MaxUint32), big.NewInt(3037000499), big.NewInt(-3037000500),
		maxP, new(big.Int).Neg(maxP), new(big.Int).Quo(maxP, big.NewInt(3)),
	}
	var out []any
	for i, c := range cands {
		if c.CmpAbs(maxP) <= 0 {
			out = append(out, c)
		}
		if i%5 == 4 {
			out = append(out, nil)
		}
	}
	return out
}

// TestDecimalFastPathsAgainstBigRat checks the typed product, sum, difference and
// comparison loops at their boundaries (every pair of boundary values, as columns and
// against literals) against exact rational arithmetic: TPC-H's types, products whose
// declared precision exceeds 38 but whose values fit, results that overflow the
// precision (NULL), negative values and scale changes.
func TestDecimalFastPathsAgainstBigRat(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	pairs := []struct{ l, r *arrow.Decimal128Type }{
		{decT(15, 2), decT(15, 2)},  // price × discount
		{decT(32, 4), decT(16, 2)},  // (price × (1 − discount)) × (1 + tax): declared 49 digits
		{decT(1, 0), decT(15, 2)},   // 1 − discount
		{decT(38, 0), decT(38, 0)},  // overflow at 38 digits
		{decT(20, 0), decT(19, 0)},  // products beyond 38 digits
		{decT(38, 10), decT(18, 0)}, // adjusted scale: the general path
		{decT(12, 2), decT(18, 7)},  // different scales
	}
	for _, pr := range pairs {
		lb, rb := decBoundaryValues(pr.l.Precision), decBoundaryValues(pr.r.Precision)
		var lv, rv []any
		for _, a := range lb {
			for _, b := range rb {
				lv, rv = append(lv, a), append(rv, b)
			}
		}
		lcol, rcol := decColumn(mem, pr.l, lv), decColumn(mem, pr.r, rv)
		schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: pr.l, Nullable: true}, {Name: "b", Type: pr.r, Nullable: true}}, nil)
		rec := array.NewRecordBatch(schema, []arrow.Array{lcol, rcol}, int64(len(lv)))
		lcol.Release()
		rcol.Release()
		for _, op := range []plan.BinaryOp{plan.OpAdd, plan.OpSub, plan.OpMul} {
			out, _ := plan.DecimalBinaryType(op, pr.l, pr.r)
			want := func(a, b any) *big.Int {
				if a == nil || b == nil {
					return nil
				}
				return decRound(decOracle(op, decRat(a.(*big.Int), pr.l.Scale), decRat(b.(*big.Int), pr.r.Scale)), out.Precision, out.Scale)
			}
			name := fmt.Sprintf("%v %v %v", pr.l, op, pr.r)
			got := decEval(t, mem, exectest.Bin(op, exectest.Col("a"), exectest.Col("b")), rec, out)
			for i := 0; i < got.Len(); i++ {
				decSame(t, name, i, decGot(got, i), want(lv[i], rv[i]))
			}
			got.Release()
			for k := range rb {
				got := decEval(t, mem, exectest.Bin(op, exectest.Col("a"), decLit(rb[k], pr.r)), rec, out)
				for i := 0; i < got.Len(); i++ {
					decSame(t, name+" literal right", i, decGot(got, i), want(lv[i], rb[k]))
				}
				got.Release()
			}
			for k := range lb {
				got := decEval(t, mem, exectest.Bin(op, decLit(lb[k], pr.l), exectest.Col("b")), rec, out)
				for i := 0; i < got.Len(); i++ {
					decSame(t, name+" literal left", i, decGot(got, i), want(lb[k], rv[i]))
				}
				got.Release()
			}
		}
		decCheckCompare(t, rec, pr.l, pr.r, lv, rv, rb)
		rec.Release()
	}
}

// decCheckCompare checks every comparison of columns a and b, of a against each literal
// in lits and of each literal in lits (at a's type, where it fits) against b, against the
// rationals' order.
func decCheckCompare(t *testing.T, rec arrow.RecordBatch, lt, rt *arrow.Decimal128Type, lv, rv, lits []any) {
	t.Helper()
	ops := map[plan.BinaryOp]func(int) bool{
		plan.OpEq: func(c int) bool { return c == 0 }, plan.OpNotEq: func(c int) bool { return c != 0 },
		plan.OpLt: func(c int) bool { return c < 0 }, plan.OpLtEq: func(c int) bool { return c <= 0 },
		plan.OpGt: func(c int) bool { return c > 0 }, plan.OpGtEq: func(c int) bool { return c >= 0 },
	}
	check := func(e plan.Expr, holds func(int) bool, a, b func(i int) any) {
		got, err := Eval(t.Context(), e, rec, memtest.Checked())
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		defer got.Release()
		for i := 0; i < got.Len(); i++ {
			x, y := a(i), b(i)
			if x == nil || y == nil {
				if got.IsValid(i) {
					t.Errorf("%s row %d: got %v, want NULL", e, i, got.ValueStr(i))
				}
				continue
			}
			w := holds(decRat(x.(*big.Int), lt.Scale).Cmp(decRat(y.(*big.Int), rt.Scale)))
			if got.IsNull(i) || got.(*array.Boolean).Value(i) != w {
				t.Errorf("%s row %d (%v, %v): got %v, want %v", e, i, x, y, got.ValueStr(i), w)
			}
		}
	}
	col := func(v []any) func(int) any { return func(i int) any { return v[i] } }
	for op, holds := range ops {
		check(exectest.Bin(op, exectest.Col("a"), exectest.Col("b")), holds, col(lv), col(rv))
		for _, lit := range lits {
			one := func(int) any { return lit }
			check(exectest.Bin(op, exectest.Col("a"), decLit(lit, rt)), holds, col(lv), one)
			if lit == nil || lit.(*big.Int).CmpAbs(decMaxUnscaled(lt.Precision)) <= 0 {
				check(exectest.Bin(op, decLit(lit, lt), exectest.Col("b")), holds, one, col(rv))
			}
		}
	}
}

// decMaxUnscaled is the largest unscaled value of p digits.
func decMaxUnscaled(p int32) *big.Int {
	return new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil), big.NewInt(1))
}

// TestDecMul64 checks the branch-free signed product against math/big at the extremes
// and on random values.
func TestDecMul64(t *testing.T) {
	edges := []int64{0, 1, -1, 2, -2, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1, 1 << 32, -1 << 32}
	rng := rand.New(rand.NewPCG(17, 18))
	for range 2000 {
		edges = append(edges, int64(rng.Uint64()))
	}
	for i, x := range edges {
		for _, y := range edges[:min(len(edges), i+40)] {
			want := new(big.Int).Mul(big.NewInt(x), big.NewInt(y))
			if got := evDecMul64(x, y).BigInt(); got.Cmp(want) != 0 {
				t.Fatalf("%d × %d = %v, want %v", x, y, got, want)
			}
		}
	}
}
