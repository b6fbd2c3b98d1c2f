package eval

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// decRoundMode rounds x to scale digits (possibly negative) with halves away from zero
// or, when even, to the even neighbour, returning x rounded as a rational.
func decRoundMode(x *big.Rat, scale int64, even bool) *big.Rat {
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(abs64(scale)), nil))
	scaled := new(big.Rat).Set(x)
	if scale >= 0 {
		scaled.Mul(scaled, p)
	} else {
		scaled.Quo(scaled, p)
	}
	fl := new(big.Int).Div(scaled.Num(), scaled.Denom()) // Euclidean: floor for a positive denominator
	frac := new(big.Rat).Sub(scaled, new(big.Rat).SetInt(fl))
	switch frac.Cmp(big.NewRat(1, 2)) {
	case 1:
		fl.Add(fl, big.NewInt(1))
	case 0:
		if even {
			if fl.Bit(0) == 1 {
				fl.Add(fl, big.NewInt(1))
			}
		} else if x.Sign() > 0 {
			fl.Add(fl, big.NewInt(1))
		}
	}
	r := new(big.Rat).SetInt(fl)
	if scale >= 0 {
		return r.Quo(r, p)
	}
	return r.Mul(r, p)
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestDecimalMathFunctions(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	for _, dt := range []*arrow.Decimal128Type{decT(10, 2), decT(38, 0), decT(38, 10), decT(5, 5), decT(7, 3)} {
		vals := decValues(dt.Precision, uint64(dt.Precision))
		vals = append(vals, big.NewInt(125), big.NewInt(-125), big.NewInt(135), big.NewInt(-135), big.NewInt(250), big.NewInt(-250))
		col := decColumn(mem, dt, vals)
		rec := oneColumn("x", col)
		col.Release()
		rat := func(i int) *big.Rat {
			if vals[i] == nil {
				return nil
			}
			return decRat(vals[i].(*big.Int), dt.Scale)
		}
		check := func(name string, e plan.Expr, out *arrow.Decimal128Type, want func(*big.Rat) *big.Rat) {
			got := decEval(t, mem, e, rec, out)
			defer got.Release()
			for i := range vals {
				var w *big.Int
				if r := rat(i); r != nil {
					w = decRound(want(r), out.Precision, out.Scale)
				}
				decSame(t, name, i, decGot(got, i), w)
			}
		}
		check("abs "+dt.String(), exectest.Call("abs", exectest.Col("x")), dt, func(r *big.Rat) *big.Rat { return new(big.Rat).Abs(r) })
		fc := plan.DecimalFloorCeilType(dt)
		check("floor "+dt.String(), exectest.Call("floor", exectest.Col("x")), fc, func(r *big.Rat) *big.Rat {
			return new(big.Rat).SetInt(new(big.Int).Div(r.Num(), r.Denom()))
		})
		check("ceil "+dt.String(), exectest.Call("ceil", exectest.Col("x")), fc, func(r *big.Rat) *big.Rat {
			neg := new(big.Rat).Neg(r)
			return new(big.Rat).SetInt(new(big.Int).Neg(new(big.Int).Div(neg.Num(), neg.Denom())))
		})
		for _, scale := range []int64{0, 1, 2, 5, 40, -1, -2, -37, -40, -100} {
			out := plan.DecimalRoundType(dt, scale)
			for _, fn := range []string{"round", "bround"} {
				check(fmt.Sprintf("%s(%v, %d)", fn, dt, scale), exectest.Call(fn, exectest.Col("x"), exectest.Int(scale)), out,
					func(r *big.Rat) *big.Rat { return decRoundMode(r, scale, fn == "bround") })
			}
		}
		rec.Release()
	}
	// The result types, as Spark's.
	for _, tc := range []struct {
		got, want arrow.DataType
	}{
		{plan.DecimalFloorCeilType(decT(10, 2)), decT(9, 0)},
		{plan.DecimalFloorCeilType(decT(20, 0)), decT(20, 0)},
		{plan.DecimalRoundType(decT(10, 2), 1), decT(10, 1)},
		{plan.DecimalRoundType(decT(10, 2), 5), decT(11, 2)},
		{plan.DecimalRoundType(decT(10, 2), -2), decT(9, 0)},
		{plan.DecimalRoundType(decT(3, 0), -5), decT(6, 0)},
		{plan.DecimalRoundType(decT(38, 0), 0), decT(38, 0)},
	} {
		if !arrow.TypeEqual(tc.got, tc.want) {
			t.Errorf("type %v, want %v", tc.got, tc.want)
		}
	}
}
