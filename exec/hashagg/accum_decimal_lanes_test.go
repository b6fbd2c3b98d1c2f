package hashagg

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/plan"
)

// TestDecimalSumLanes checks the few-groups sum against math/big over batches of every
// length around the lanes' unrolling, values of both signs up to 2^63 in magnitude (or
// the type's bound, which then stands for the values'), and that it declines (changing nothing) a batch with a wider value or a group whose sum
// could leave the sum type, which the row loop then handles.
func TestDecimalSumLanes(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tc := range []struct {
		precision int32
		groups    int
	}{{38, 1}, {38, 4}, {38, aggLaneGroups}, {15, 4}, {18, aggLaneGroups}} {
		dt := &arrow.Decimal128Type{Precision: tc.precision, Scale: 2}
		groups := tc.groups
		top := int64(math.MaxInt64)
		if tc.precision <= 18 { // values within the type: below 10^p
			top = int64(decimal128.GetScaleMultiplier(int(tc.precision)).LowBits()) - 1
		}
		acc := newAggDecimalAccumulator(plan.AggExpr{Func: plan.AggMean}, dt).(*aggDecSumAcc)
		acc.grow(groups)
		want := make([]*big.Int, groups)
		counts := make([]int64, groups)
		for g := range want {
			want[g] = new(big.Int)
		}
		for _, rows := range []int{64, 65, 66, 67, 1000} {
			vals := make([]decimal128.Num, rows)
			gids := make([]int32, rows)
			for i := range vals {
				v := rng.Int64N(top)
				switch rng.IntN(4) {
				case 0:
					v = -v
				case 1:
					v = -top
					if top == math.MaxInt64 {
						v = math.MinInt64
					}
				}
				vals[i], gids[i] = decimal128.FromI64(v), int32(rng.IntN(groups))
				want[gids[i]].Add(want[gids[i]], big.NewInt(v))
				counts[gids[i]]++
			}
			if !acc.updateLanes(vals, gids) {
				t.Fatalf("%d groups, %d rows: declined", groups, rows)
			}
			for g := range groups {
				if acc.over[g] || acc.counts[g] != counts[g] || acc.sums[g].BigInt().Cmp(want[g]) != 0 {
					t.Fatalf("%d groups, %d rows, group %d: sum %v count %d over %v, want %v %d", groups, rows, g,
						acc.sums[g].BigInt(), acc.counts[g], acc.over[g], want[g], counts[g])
				}
			}
		}
		// (A type of at most 18 digits holds no wider value: its bound is trusted.)
		wide := []decimal128.Num{decimal128.New(1, 0)}
		wide = append(wide, make([]decimal128.Num, 63)...)
		if tc.precision > 18 && acc.updateLanes(wide, make([]int32, 64)) {
			t.Errorf("a value wider than 64 bits: not declined")
		}
		acc.sums[0] = acc.limit.Sub(decimal128.FromI64(10))
		hundreds := make([]decimal128.Num, 64)
		for i := range hundreds {
			hundreds[i] = decimal128.FromI64(100)
		}
		if acc.updateLanes(hundreds, make([]int32, 64)) {
			t.Errorf("a sum within the batch's bound of the limit: not declined")
		}
		if acc.counts[0] != counts[0] {
			t.Errorf("a declined batch changed the counts")
		}
	}
}
