package kernel

import (
	"math/big"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/internal/memtest"
)

// TestDecimalSortKey sorts decimal128 rows (negative, 128-bit wide, NULL) both ways and
// checks the order against math/big's, and CompareWith across two columns of the type.
func TestDecimalSortKey(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	max38, _ := new(big.Int).SetString("99999999999999999999999999999999999999", 10)
	vals := []*big.Int{big.NewInt(5), new(big.Int).Neg(max38), nil, big.NewInt(-1), max38,
		big.NewInt(0), new(big.Int).Lsh(big.NewInt(1), 64), nil, big.NewInt(-1 << 62), big.NewInt(5)}
	dt := &arrow.Decimal128Type{Precision: 38, Scale: 3}
	b := array.NewDecimal128Builder(mem, dt)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(decimal128.FromBigInt(v))
		}
	}
	col := b.NewArray()
	defer col.Release()
	for _, desc := range []bool{false, true} {
		c, err := NewRowComparator([]arrow.Array{col}, []SortOrder{{Descending: desc, NullsFirst: true}})
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int32, len(vals))
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(i, j int32) int {
			a, b := vals[i], vals[j]
			switch {
			case a == nil && b == nil:
				return 0
			case a == nil:
				return -1
			case b == nil:
				return 1
			}
			if desc {
				return b.Cmp(a)
			}
			return a.Cmp(b)
		})
		if got := SortIndices(c); !slices.Equal(got, want) {
			t.Errorf("descending %v: order %v, want %v", desc, got, want)
		}
		other, err := NewRowComparator([]arrow.Array{col}, []SortOrder{{Descending: desc, NullsFirst: true}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Compatible(other); err != nil {
			t.Fatal(err)
		}
		for i := range vals {
			for j := range vals {
				if got, want := c.CompareWith(i, other, j), c.Compare(i, j); got != want {
					t.Errorf("CompareWith(%d, %d) = %d, Compare %d", i, j, got, want)
				}
			}
		}
	}
}
