package kernel_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/kernel/kerneltest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

func TestRowComparatorAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		layout := kerneltest.RandomKeySet(rng, 1+iter%3)
		if iter < len(kerneltest.SortTypes) { // every type alone at least once, both directions
			layout.Types = []arrow.DataType{kerneltest.SortTypes[iter]}
			layout.Orders = []kernel.SortOrder{{Descending: iter%2 == 0, NullsFirst: iter%4 < 2}}
		}
		n := []int{0, 1, 7, 60}[rng.IntN(4)]
		a := layout.Fill(rng, n)
		b := layout.Fill(rng, 1+rng.IntN(20))
		aCols := a.Arrays(t, mem, rng, rng.IntN(2)*3)
		bCols := b.Arrays(t, mem, rng, rng.IntN(2)*5)
		ca, err := kernel.NewRowComparator(aCols, layout.Orders)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := kernel.NewRowComparator(bCols, layout.Orders)
		if err != nil {
			t.Fatal(err)
		}
		if err := ca.Compatible(cb); err != nil {
			t.Fatal(err)
		}
		what := fmt.Sprintf("iter %d types %v orders %v", iter, layout.Types, layout.Orders)
		for i := range n {
			for j := range n {
				if got, want := kerneltest.Sign(ca.Compare(i, j)), a.Oracle(i, a, j); got != want {
					t.Fatalf("%s: Compare(%d, %d) = %d, want %d (%v vs %v)", what, i, j, got, want, kerneltest.RowCells(a, i), kerneltest.RowCells(a, j))
				}
			}
			for j := range cb.Len() {
				if got, want := kerneltest.Sign(ca.CompareWith(i, cb, j)), a.Oracle(i, b, j); got != want {
					t.Fatalf("%s: CompareWith(%d, %d) = %d, want %d (%v vs %v)", what, i, j, got, want, kerneltest.RowCells(a, i), kerneltest.RowCells(b, j))
				}
			}
		}
		kerneltest.ReleaseArrays(aCols)
		kerneltest.ReleaseArrays(bCols)
	}
}

// TestRowComparatorDictionary checks that a dictionary column orders by value whatever its
// dictionary's order, including a dictionary with repeated and NULL values and the
// branch that ranks rows rather than the dictionary (a dictionary larger than the column).
func TestRowComparatorDictionary(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dictVals := []kerneltest.Cell{{S: "zeta"}, {S: "alpha"}, {Null: true}, {S: "alpha"}, {S: "beta"}, {S: "al"}, {S: ""}}
	for _, rows := range [][]int32{{0, 1, 2, 3, 4, 5, 6, 1, 3}, {4, 3}} {
		dict := kerneltest.BuildArray(t, mem, arrow.BinaryTypes.String, dictVals)
		ib := array.NewInt32Builder(mem)
		ib.AppendValues(rows, nil)
		ib.AppendNull()
		ind := ib.NewArray()
		ib.Release()
		arr := array.NewDictionaryArray(kerneltest.DictType, ind, dict)
		ind.Release()
		dict.Release()
		cells := make([]kerneltest.Cell, len(rows)+1)
		for i, r := range rows {
			cells[i] = dictVals[r]
		}
		cells[len(rows)] = kerneltest.Cell{Null: true}
		for _, o := range []kernel.SortOrder{{}, {Descending: true}, {NullsFirst: true}, {Descending: true, NullsFirst: true}} {
			c, err := kernel.NewRowComparator([]arrow.Array{arr}, []kernel.SortOrder{o})
			if err != nil {
				t.Fatal(err)
			}
			plain := kerneltest.BuildArray(t, mem, arrow.BinaryTypes.String, cells)
			cp, err := kernel.NewRowComparator([]arrow.Array{plain}, []kernel.SortOrder{o})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Compatible(cp); err != nil {
				t.Fatalf("dictionary and plain strings should be compatible: %v", err)
			}
			for i := range cells {
				for j := range cells {
					want := kerneltest.OracleCell(kerneltest.DictType, cells[i], cells[j], o)
					if got := kerneltest.Sign(c.Compare(i, j)); got != want {
						t.Fatalf("rows %v order %+v: Compare(%d, %d) = %d, want %d", rows, o, i, j, got, want)
					}
					if got := kerneltest.Sign(c.CompareWith(i, cp, j)); got != want {
						t.Fatalf("rows %v order %+v: CompareWith plain (%d, %d) = %d, want %d", rows, o, i, j, got, want)
					}
				}
			}
			plain.Release()
		}
		arr.Release()
	}
}

func TestRowComparatorErrors(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	ints := kerneltest.BuildArray(t, mem, arrow.PrimitiveTypes.Int64, []kerneltest.Cell{{I: 1}, {I: 2}})
	defer ints.Release()
	short := kerneltest.BuildArray(t, mem, arrow.PrimitiveTypes.Int64, []kerneltest.Cell{{I: 1}})
	defer short.Release()
	strs := kerneltest.BuildArray(t, mem, arrow.BinaryTypes.String, []kerneltest.Cell{{S: "a"}, {S: "b"}})
	defer strs.Release()
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	lb.AppendNull()
	list := lb.NewArray()
	lb.Release()
	defer list.Release()

	if _, err := kernel.NewRowComparator([]arrow.Array{ints}, nil); err == nil {
		t.Error("orders/columns mismatch: no error")
	}
	if _, err := kernel.NewRowComparator([]arrow.Array{ints, short}, make([]kernel.SortOrder, 2)); err == nil {
		t.Error("columns of different lengths: no error")
	}
	if _, err := kernel.NewRowComparator([]arrow.Array{list}, make([]kernel.SortOrder, 1)); err == nil || !strings.Contains(err.Error(), "cannot sort") {
		t.Errorf("list column: err = %v", err)
	}
	ci, _ := kernel.NewRowComparator([]arrow.Array{ints}, make([]kernel.SortOrder, 1))
	cs, _ := kernel.NewRowComparator([]arrow.Array{strs}, make([]kernel.SortOrder, 1))
	if err := ci.Compatible(cs); err == nil {
		t.Error("int64 vs string: Compatible returned nil")
	}
	c0, err := kernel.NewRowComparator(nil, nil)
	if err != nil || c0.Len() != 0 {
		t.Errorf("no columns: %v, len %d", err, c0.Len())
	}
}

func BenchmarkRowComparatorInt64(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 1 << 16
	bld := array.NewInt64Builder(memory.DefaultAllocator)
	for range n {
		bld.Append(rng.Int64())
	}
	arr := bld.NewArray()
	defer arr.Release()
	c, err := kernel.NewRowComparator([]arrow.Array{arr}, make([]kernel.SortOrder, 1))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		_ = kernel.SortIndices(c)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestSortIndicesAgainstOracle checks kernel.SortIndices (the radix path when every key is
// fixed-width or dictionary-encoded, the comparison path otherwise) against a stable
// plain-Go sort, over one key of each type and then random sets of two and three keys.
func TestSortIndicesAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(9, 10))
	for iter := range 8 * len(kerneltest.SortTypes) {
		layout := kerneltest.RandomKeySet(rng, 1)
		layout.Types[0] = kerneltest.SortTypes[iter%len(kerneltest.SortTypes)]
		layout.Orders[0] = kernel.SortOrder{Descending: iter%2 == 0, NullsFirst: (iter/2)%2 == 0}
		if iter >= 3*len(kerneltest.SortTypes) {
			layout = kerneltest.RandomKeySet(rng, 2+iter%2)
		}
		n := []int{0, 1, 100, 1000}[iter%4]
		if iter >= len(kerneltest.SortTypes) {
			n = 1000
		}
		ks := layout.Fill(rng, n)
		cols := ks.Arrays(t, mem, rng, rng.IntN(2)*9)
		c, err := kernel.NewRowComparator(cols, layout.Orders)
		if err != nil {
			t.Fatal(err)
		}
		got := kernel.SortIndices(c)
		want := make([]int32, n)
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(a, b int32) int { return ks.Oracle(int(a), ks, int(b)) })
		if !slices.Equal(got, want) {
			t.Fatalf("iter %d types %v orders %v n %d: kernel.SortIndices differs from the stable oracle sort", iter, layout.Types, layout.Orders, n)
		}
		kerneltest.ReleaseArrays(cols)
	}
}
