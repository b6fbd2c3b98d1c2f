package eval

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// Decimal kernels against math/big.Rat: every expected value is the exact rational
// result, rounded HALF_UP to the result scale here, and NULL when it has more digits
// than the result precision.

func decT(p, s int32) *arrow.Decimal128Type { return &arrow.Decimal128Type{Precision: p, Scale: s} }

// decUnscaled parses an unscaled integer in base 10.
func decUnscaled(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return v
}

// decValues returns unscaled values (nil for NULL) for decimal(p, _): zero, ±1, the
// largest and smallest, ±half of it, a few fixed ones and random ones of every length.
func decValues(p int32, seed uint64) []any {
	maxV := new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil), big.NewInt(1))
	half := new(big.Int).Quo(maxV, big.NewInt(2))
	out := []any{big.NewInt(0), big.NewInt(1), big.NewInt(-1), maxV, new(big.Int).Neg(maxV), half,
		new(big.Int).Neg(half), nil, big.NewInt(5), big.NewInt(-5), big.NewInt(15), big.NewInt(-250)}
	r := rand.New(rand.NewPCG(seed, 7))
	for range 40 {
		n := 1 + r.IntN(int(p))
		var sb strings.Builder
		if r.IntN(2) == 0 {
			sb.WriteByte('-')
		}
		for range n {
			sb.WriteByte(byte('0' + r.IntN(10)))
		}
		out = append(out, decUnscaled(sb.String()))
	}
	for i, v := range out { // keep within p digits
		if b, ok := v.(*big.Int); ok && b.CmpAbs(maxV) > 0 {
			out[i] = new(big.Int).Set(maxV)
		}
	}
	return out
}

// decColumn builds a decimal column of type dt from unscaled values.
func decColumn(mem memory.Allocator, dt *arrow.Decimal128Type, vals []any) arrow.Array {
	b := array.NewDecimal128Builder(mem, dt)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		b.Append(decimal128.FromBigInt(v.(*big.Int)))
	}
	return b.NewArray()
}

// decRat is unscaled/10^scale.
func decRat(unscaled *big.Int, scale int32) *big.Rat {
	return new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
}

// decRound rounds x to scale digits HALF_UP and returns the unscaled value, or nil when
// it needs more than p digits.
func decRound(x *big.Rat, p, scale int32) *big.Int {
	scaled := new(big.Rat).Mul(x, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	num, den := scaled.Num(), scaled.Denom() // den > 0
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	twice := new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2))
	if twice.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
	if q.CmpAbs(limit) >= 0 {
		return nil
	}
	return q
}

// decGot reads row i of a decimal array as an unscaled big.Int, nil for NULL.
func decGot(arr arrow.Array, i int) *big.Int {
	if arr.IsNull(i) {
		return nil
	}
	return arr.(*array.Decimal128).Value(i).BigInt()
}

// decOracle is the exact value of a op b, or nil for NULL (a zero divisor).
func decOracle(op plan.BinaryOp, a, b *big.Rat) *big.Rat {
	switch op {
	case plan.OpAdd:
		return new(big.Rat).Add(a, b)
	case plan.OpSub:
		return new(big.Rat).Sub(a, b)
	case plan.OpMul:
		return new(big.Rat).Mul(a, b)
	case plan.OpDiv:
		if b.Sign() == 0 {
			return nil
		}
		return new(big.Rat).Quo(a, b)
	case plan.OpMod:
		if b.Sign() == 0 {
			return nil
		}
		q := new(big.Rat).Quo(a, b)
		tq := new(big.Int).Quo(q.Num(), q.Denom()) // toward zero
		return new(big.Rat).Sub(a, new(big.Rat).Mul(b, new(big.Rat).SetInt(tq)))
	}
	panic(op)
}

func TestDecimalArithmeticAgainstBigRat(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	pairs := []struct{ l, r *arrow.Decimal128Type }{
		{decT(10, 2), decT(5, 3)},
		{decT(12, 2), decT(12, 2)},
		{decT(38, 0), decT(38, 0)},   // overflow at precision 38
		{decT(38, 18), decT(20, 10)}, // adjusted scale
		{decT(20, 0), decT(3, 0)},    // a long and a small literal
		{decT(38, 37), decT(38, 0)},  // wide scale gap
		{decT(18, 6), decT(1, 0)},
		{decT(9, 9), decT(38, 2)},
	}
	ops := []plan.BinaryOp{plan.OpAdd, plan.OpSub, plan.OpMul, plan.OpDiv, plan.OpMod}
	for pi, pr := range pairs {
		lv, rv := decValues(pr.l.Precision, uint64(pi)), decValues(pr.r.Precision, uint64(pi+100))
		rv = append(rv[len(rv)/2:], rv[:len(rv)/2]...) // pair different values, zero divisors too
		lcol, rcol := decColumn(mem, pr.l, lv), decColumn(mem, pr.r, rv)
		schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: pr.l, Nullable: true}, {Name: "b", Type: pr.r, Nullable: true}}, nil)
		rec := array.NewRecordBatch(schema, []arrow.Array{lcol, rcol}, int64(len(lv)))
		lcol.Release()
		rcol.Release()
		for _, op := range ops {
			out, _ := plan.DecimalBinaryType(op, pr.l, pr.r)
			want := func(a, b any) *big.Int {
				if a == nil || b == nil {
					return nil
				}
				x := decOracle(op, decRat(a.(*big.Int), pr.l.Scale), decRat(b.(*big.Int), pr.r.Scale))
				if x == nil {
					return nil
				}
				return decRound(x, out.Precision, out.Scale)
			}
			name := fmt.Sprintf("%v %v %v", pr.l, op, pr.r)
			// Column op column, over the batch and a slice of it.
			for _, r := range []arrow.RecordBatch{rec, rec.NewSlice(3, rec.NumRows()-1)} {
				off := 0
				if r != rec {
					off = 3
				}
				got := decEval(t, mem, exectest.Bin(op, exectest.Col("a"), exectest.Col("b")), r, out)
				for i := 0; i < got.Len(); i++ {
					decSame(t, name, i, decGot(got, i), want(lv[i+off], rv[i+off]))
				}
				got.Release()
				if r != rec {
					r.Release()
				}
			}
			// Column op scalar and scalar op column, for a few scalars.
			for _, k := range []int{0, 1, 3, 7, 9, 20} {
				got := decEval(t, mem, exectest.Bin(op, exectest.Col("a"), decLit(rv[k], pr.r)), rec, out)
				for i := 0; i < got.Len(); i++ {
					decSame(t, name+" scalar right", i, decGot(got, i), want(lv[i], rv[k]))
				}
				got.Release()
				got = decEval(t, mem, exectest.Bin(op, decLit(lv[k], pr.l), exectest.Col("b")), rec, out)
				for i := 0; i < got.Len(); i++ {
					decSame(t, name+" scalar left", i, decGot(got, i), want(lv[k], rv[i]))
				}
				got.Release()
				// Scalar op scalar.
				got = decEval(t, mem, exectest.Bin(op, decLit(lv[k], pr.l), decLit(rv[k+1], pr.r)), rec, out)
				for i := 0; i < got.Len(); i++ {
					decSame(t, name+" scalars", i, decGot(got, i), want(lv[k], rv[k+1]))
				}
				got.Release()
			}
		}
		// Unary minus keeps the type.
		got := decEval(t, mem, exectest.Un(plan.OpNeg, exectest.Col("a")), rec, pr.l)
		for i := 0; i < got.Len(); i++ {
			var w *big.Int
			if lv[i] != nil {
				w = new(big.Int).Neg(lv[i].(*big.Int))
			}
			decSame(t, "-a", i, decGot(got, i), w)
		}
		got.Release()
		rec.Release()
	}
}

// decLit is a decimal literal of an unscaled value (nil for NULL).
func decLit(v any, dt *arrow.Decimal128Type) plan.Expr {
	if v == nil {
		return exectest.Null(dt)
	}
	return &plan.Literal{Value: decimal128.FromBigInt(v.(*big.Int)), Type: dt}
}

func decEval(t *testing.T, mem memory.Allocator, e plan.Expr, rec arrow.RecordBatch, want arrow.DataType) arrow.Array {
	t.Helper()
	got, err := Eval(context.Background(), e, rec, mem)
	if err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	if !arrow.TypeEqual(got.DataType(), want) {
		got.Release()
		t.Fatalf("%s: type %v, want %v", e, got.DataType(), want)
	}
	return got
}

func decSame(t *testing.T, what string, i int, got, want *big.Int) {
	t.Helper()
	if (got == nil) != (want == nil) || (got != nil && got.Cmp(want) != 0) {
		t.Errorf("%s row %d: got %v, want %v", what, i, got, want)
	}
}

func TestDecimalComparisonsAgainstBigRat(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	for pi, pr := range []struct{ l, r *arrow.Decimal128Type }{
		{decT(12, 2), decT(12, 2)},
		{decT(38, 0), decT(38, 0)},
		{decT(10, 2), decT(12, 5)}, // different scales compare exactly
		{decT(38, 10), decT(38, 0)},
	} {
		lv, rv := decValues(pr.l.Precision, uint64(pi)), decValues(pr.r.Precision, uint64(pi))
		rv = append(rv[:5], rv[4:len(rv)-1]...) // equal values next to different ones
		lcol, rcol := decColumn(mem, pr.l, lv), decColumn(mem, pr.r, rv)
		schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: pr.l, Nullable: true}, {Name: "b", Type: pr.r, Nullable: true}}, nil)
		rec := array.NewRecordBatch(schema, []arrow.Array{lcol, rcol}, int64(len(lv)))
		lcol.Release()
		rcol.Release()
		for _, op := range []plan.BinaryOp{plan.OpEq, plan.OpNotEq, plan.OpLt, plan.OpLtEq, plan.OpGt, plan.OpGtEq} {
			holds := map[plan.BinaryOp]func(int) bool{
				plan.OpEq: func(c int) bool { return c == 0 }, plan.OpNotEq: func(c int) bool { return c != 0 },
				plan.OpLt: func(c int) bool { return c < 0 }, plan.OpLtEq: func(c int) bool { return c <= 0 },
				plan.OpGt: func(c int) bool { return c > 0 }, plan.OpGtEq: func(c int) bool { return c >= 0 },
			}[op]
			check := func(e plan.Expr, a, b func(i int) any) {
				got, err := Eval(context.Background(), e, rec, mem)
				if err != nil {
					t.Fatalf("%s: %v", e, err)
				}
				defer got.Release()
				for i := 0; i < got.Len(); i++ {
					x, y := a(i), b(i)
					if x == nil || y == nil {
						if got.IsValid(i) {
							t.Errorf("%s row %d: got %v, want NULL", e, i, got.(*array.Boolean).Value(i))
						}
						continue
					}
					w := holds(decRat(x.(*big.Int), pr.l.Scale).Cmp(decRat(y.(*big.Int), pr.r.Scale)))
					if got.IsNull(i) || got.(*array.Boolean).Value(i) != w {
						t.Errorf("%s row %d (%v, %v): got %v, want %v", e, i, x, y, got.ValueStr(i), w)
					}
				}
			}
			check(exectest.Bin(op, exectest.Col("a"), exectest.Col("b")),
				func(i int) any { return lv[i] }, func(i int) any { return rv[i] })
			for _, k := range []int{0, 3, 7, 12} {
				check(exectest.Bin(op, exectest.Col("a"), decLit(rv[k], pr.r)),
					func(i int) any { return lv[i] }, func(int) any { return rv[k] })
				check(exectest.Bin(op, decLit(lv[k], pr.l), exectest.Col("b")),
					func(int) any { return lv[k] }, func(i int) any { return rv[i] })
			}
		}
		rec.Release()
	}
}

func TestDecimalCoalesce(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dt := decT(20, 3)
	av := []any{nil, big.NewInt(-5), nil, nil, decUnscaled("99999999999999999999")}
	bv := []any{big.NewInt(7), big.NewInt(8), nil, big.NewInt(-9), nil}
	a, b := decColumn(mem, dt, av), decColumn(mem, dt, bv)
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: dt, Nullable: true}, {Name: "b", Type: dt, Nullable: true}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{a, b}, int64(len(av)))
	a.Release()
	b.Release()
	defer rec.Release()
	last := big.NewInt(42)
	for _, withLit := range []bool{false, true} {
		args := []plan.Expr{exectest.Col("a"), exectest.Col("b")}
		if withLit {
			args = append(args, decLit(last, dt))
		}
		got := decEval(t, mem, exectest.Call("coalesce", args...), rec, dt)
		for i := range av {
			var w *big.Int
			switch {
			case av[i] != nil:
				w = av[i].(*big.Int)
			case bv[i] != nil:
				w = bv[i].(*big.Int)
			case withLit:
				w = last
			}
			decSame(t, fmt.Sprintf("coalesce (literal %v)", withLit), i, decGot(got, i), w)
		}
		got.Release()
	}
}
