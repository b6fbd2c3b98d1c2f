package shuffle

import (
	"fmt"
	"math/bits"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// dictPiece builds a dictionary array over values (nil: a NULL entry) with indices (-1: a
// NULL index).
func dictPiece(t *testing.T, mem memory.Allocator, values []*string, indices []int32) *array.Dictionary {
	t.Helper()
	vb := array.NewStringBuilder(mem)
	defer vb.Release()
	for _, v := range values {
		if v == nil {
			vb.AppendNull()
		} else {
			vb.Append(*v)
		}
	}
	dict := vb.NewArray()
	defer dict.Release()
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	for _, ix := range indices {
		if ix < 0 {
			ib.AppendNull()
		} else {
			ib.Append(ix)
		}
	}
	idx := ib.NewArray()
	defer idx.Release()
	return array.NewDictionaryArray(dictType, idx, dict)
}

func strp(s string) *string { return &s }

// TestConcatDictionariesUnifiesUsedValues concatenates pieces of three dictionaries (one
// of them twice, once as a slice): every row keeps its value or NULL (NULL indices and
// NULL dictionary entries alike), and the new dictionary holds each used value once and
// no unused one.
func TestConcatDictionariesUnifiesUsedValues(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	a := dictPiece(t, mem, []*string{strp("x"), strp("y"), nil, strp("z"), strp("unused")}, []int32{0, 1, 2, 3, -1, 0})
	defer a.Release()
	b := dictPiece(t, mem, []*string{strp("z"), strp("x"), strp("w")}, []int32{2, 0, 1, -1})
	defer b.Release()
	c := dictPiece(t, mem, []*string{strp("")}, []int32{0, 0})
	defer c.Release()
	aSlice := array.NewSlice(a, 1, 4)
	defer aSlice.Release()
	parts := []arrow.Array{a, b, aSlice, c}
	var want []*string
	for _, p := range parts {
		d := p.(*array.Dictionary)
		for i := 0; i < d.Len(); i++ {
			if d.IsNull(i) || d.Dictionary().IsNull(d.GetValueIndex(i)) {
				want = append(want, nil)
			} else {
				want = append(want, strp(d.Dictionary().(*array.String).Value(d.GetValueIndex(i))))
			}
		}
	}
	// Twice through one merger (as a writer reuses it across flushes), then fresh.
	m := new(dictMerger)
	for _, merger := range []*dictMerger{m, m, nil} {
		checkConcatDictionaries(t, parts, want, 5, mem, merger) // x y z w ""
	}
}

func checkConcatDictionaries(t *testing.T, parts []arrow.Array, want []*string, wantValues int, mem memory.Allocator, m *dictMerger) {
	t.Helper()
	got, err := concatDictionaries(parts, mem, m)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	d := got.(*array.Dictionary)
	if d.Len() != len(want) {
		t.Fatalf("%d rows, want %d", d.Len(), len(want))
	}
	for i, w := range want {
		switch {
		case w == nil && d.IsValid(i):
			t.Errorf("row %d: %q, want NULL", i, d.Dictionary().(*array.String).Value(d.GetValueIndex(i)))
		case w != nil && (d.IsNull(i) || d.Dictionary().(*array.String).Value(d.GetValueIndex(i)) != *w):
			t.Errorf("row %d: want %q", i, *w)
		}
	}
	seen := map[string]bool{}
	dv := d.Dictionary().(*array.String)
	for i := 0; i < dv.Len(); i++ {
		if seen[dv.Value(i)] || dv.Value(i) == "unused" {
			t.Errorf("dictionary %v: %q twice or unused", dv, dv.Value(i))
		}
		seen[dv.Value(i)] = true
	}
	if dv.Len() != wantValues {
		t.Errorf("dictionary of %d values, want the %d used", dv.Len(), wantValues)
	}
}

// TestHashPartitionSharedDictionaryCached partitions batches that share one dictionary
// (and one with a different dictionary whose buffers hold other values) through one
// partitioner, whose dictionary hash cache must never hand one dictionary's hashes to
// another: every row lands where the uncached hash of its value puts it.
func TestHashPartitionSharedDictionaryCached(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	values := []*string{strp("a"), strp("b"), nil, strp("c"), strp("d")}
	shared := dictPiece(t, mem, values, []int32{0, 1, 2, 3, 4, -1})
	defer shared.Release()
	other := dictPiece(t, mem, []*string{strp("d"), strp("c"), strp("b"), strp("a"), strp("e")}, []int32{4, 3, 2, 1, 0, 0})
	defer other.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "d", Type: dictType, Nullable: true}}, nil)
	p := NewHashPartitioner([]int{0}, 7)
	for _, col := range []arrow.Array{shared, array.NewSlice(shared, 1, 5), other, array.NewSlice(shared, 2, 6)} {
		rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
		got := make([]int32, col.Len())
		if err := p.Assign(rec, got); err != nil {
			t.Fatal(err)
		}
		plain := make([]uint64, col.Len())
		if err := HashColumns([]arrow.Array{col}, plain); err != nil {
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

// TestConcatDictionariesManyValues merges two overlapping dictionaries of thousands of
// values (the merger's table grows several times): 4500 distinct values, every row kept.
func TestConcatDictionariesManyValues(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	var parts []arrow.Array
	var want []*string
	for _, lo := range []int{0, 1500} {
		var values []*string
		var indices []int32
		for i := 0; i < 3000; i++ {
			values = append(values, strp(fmt.Sprintf("v%d", lo+i)))
			indices = append(indices, int32((i*7)%3000))
		}
		d := dictPiece(t, mem, values, indices)
		defer d.Release()
		parts = append(parts, d)
		for _, ix := range indices {
			want = append(want, values[ix])
		}
	}
	checkConcatDictionaries(t, parts, want, 4500, mem, new(dictMerger))
}
