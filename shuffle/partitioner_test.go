package shuffle

import (
	"math/bits"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/kernel/kerneltest"
	"github.com/kindling-data/kindling/internal/memtest"
)

// TestHashPartitionSharedDictionaryCached partitions batches that share one dictionary
// (and one with a different dictionary whose buffers hold other values) through one
// partitioner, whose dictionary hash cache must never hand one dictionary's hashes to
// another: every row lands where the uncached hash of its value puts it.
func TestHashPartitionSharedDictionaryCached(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	values := []*string{kerneltest.Strp("a"), kerneltest.Strp("b"), nil, kerneltest.Strp("c"), kerneltest.Strp("d")}
	shared := kerneltest.DictPiece(t, mem, values, []int32{0, 1, 2, 3, 4, -1})
	defer shared.Release()
	other := kerneltest.DictPiece(t, mem, []*string{kerneltest.Strp("d"), kerneltest.Strp("c"), kerneltest.Strp("b"), kerneltest.Strp("a"), kerneltest.Strp("e")}, []int32{4, 3, 2, 1, 0, 0})
	defer other.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "d", Type: DictType, Nullable: true}}, nil)
	p := NewHashPartitioner([]int{0}, 7)
	for _, col := range []arrow.Array{shared, array.NewSlice(shared, 1, 5), other, array.NewSlice(shared, 2, 6)} {
		rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
		got := make([]int32, col.Len())
		if err := p.Assign(rec, got); err != nil {
			t.Fatal(err)
		}
		plain := make([]uint64, col.Len())
		if err := kernel.HashColumns([]arrow.Array{col}, plain); err != nil {
			t.Fatal(err)
		}
		for i, h := range plain {
			hi, _ := bits.Mul64(h, 7)
			if got[i] != int32(hi) {
				t.Fatalf("row %d of %v: partition %d, uncached hash says %d", i, col, got[i], hi)
			}
		}
		rec.Release()
		if col != shared && col != other {
			col.Release()
		}
	}
}

func TestHashDistribution(t *testing.T) {
	const n, parts = 100000, 16
	vals := make([]int64, n)
	for i := range vals {
		vals[i] = int64(i)
	}
	b := array.NewInt64Builder(memory.DefaultAllocator)
	b.AppendValues(vals, nil)
	arr := b.NewArray()
	defer arr.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{arr}, n)
	defer rec.Release()
	out := make([]int32, n)
	if err := NewHashPartitioner([]int{0}, parts).Assign(rec, out); err != nil {
		t.Fatal(err)
	}
	var counts [parts]int
	for _, p := range out {
		counts[p]++
	}
	for p, c := range counts {
		if c < n/parts*9/10 || c > n/parts*11/10 {
			t.Errorf("partition %d got %d of %d rows", p, c, n)
		}
	}
}
