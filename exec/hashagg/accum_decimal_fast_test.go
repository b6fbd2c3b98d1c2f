package hashagg

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// TestDecimalSumNearLimit starts groups' running sums next to the sum type's limit (and
// next to the high-word window the NULL-free loop trusts) and adds positive and negative
// values, with and without NULLs, checking each group's sum and sticky overflow flag
// against math/big: Spark's non-ANSI sum is NULL once it leaves the sum type.
func TestDecimalSumNearLimit(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	for _, p := range []int32{28, 20, 12, 9, 1} {
		dt := &arrow.Decimal128Type{Precision: p, Scale: 2}
		acc := newAggDecimalAccumulator(plan.AggExpr{Func: plan.AggSum}, dt).(*aggDecSumAcc)
		limit := acc.limit.BigInt()
		safeEdge := new(big.Int).Lsh(big.NewInt(acc.limit.HighBits()), 64) // |sum| below this needs no check
		starts := []*big.Int{
			big.NewInt(0), new(big.Int).Neg(big.NewInt(1)), limit, new(big.Int).Neg(limit),
			new(big.Int).Sub(limit, big.NewInt(5)), new(big.Int).Add(new(big.Int).Neg(limit), big.NewInt(5)),
			new(big.Int).Sub(safeEdge, big.NewInt(1)), new(big.Int).Neg(safeEdge), safeEdge,
		}
		const groups = 9
		acc.grow(groups)
		want := make([]*big.Int, groups)
		over := make([]bool, groups)
		for g := range groups {
			st := starts[g]
			if st.CmpAbs(limit) > 0 {
				st = limit
			}
			acc.sums[g], acc.counts[g] = decimal128.FromBigInt(st), 1
			want[g] = new(big.Int).Set(st)
		}
		maxV := new(big.Int).Sub(aggDecPow10(p), big.NewInt(1))
		rng := rand.New(rand.NewPCG(uint64(p), 5))
		for _, withNulls := range []bool{false, true} {
			b := array.NewDecimal128Builder(mem, dt)
			var gids []int32
			for i := range 400 {
				g := int32(rng.IntN(groups))
				gids = append(gids, g)
				if withNulls && i%7 == 0 {
					b.AppendNull()
					continue
				}
				v := new(big.Int).Mul(maxV, big.NewInt(rng.Int64N(1000)))
				v.Quo(v, big.NewInt(1000))
				switch rng.IntN(4) {
				case 0:
					v.Neg(v)
				case 1:
					v.Set(maxV)
				case 2:
					v.Neg(maxV)
				}
				b.Append(decimal128.FromBigInt(v))
				if !over[g] {
					want[g].Add(want[g], v)
					over[g] = want[g].CmpAbs(limit) > 0
				}
			}
			arr := b.NewArray()
			b.Release()
			if err := acc.update(arr, gids); err != nil {
				t.Fatal(err)
			}
			arr.Release()
			for g := range groups {
				if acc.over[g] != over[g] {
					t.Fatalf("p %d nulls %v group %d: overflow %v, want %v", p, withNulls, g, acc.over[g], over[g])
				}
				if !over[g] && acc.sums[g].BigInt().Cmp(want[g]) != 0 {
					t.Fatalf("p %d nulls %v group %d: sum %v, want %v", p, withNulls, g, acc.sums[g].BigInt(), want[g])
				}
			}
		}
	}
}
