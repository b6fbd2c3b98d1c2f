package kernel_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/kernel/kerneltest"
	"github.com/kindling-data/kindling/internal/memtest"
)

// growingPieces returns batches whose dictionaries are prefixes of one dictionary of n
// values (as a CSV reader's growing dictionary is: the same buffers, longer and longer),
// each batch using only the entries its own dictionary holds, with the rows' values.
func growingPieces(t *testing.T, mem memory.Allocator, n int, lens []int) ([]arrow.Array, []*string) {
	t.Helper()
	values := make([]*string, n)
	for i := range values {
		if i != 3 {
			values[i] = kerneltest.Strp(fmt.Sprintf("v%d", i))
		}
	}
	full := kerneltest.DictPiece(t, mem, values, nil)
	defer full.Release()
	var parts []arrow.Array
	var want []*string
	for p, l := range lens {
		dict := array.NewSlice(full.Dictionary(), 0, int64(l))
		ib := array.NewInt32Builder(mem)
		for i := range 2 * l {
			ix := int32((i*7 + p) % l)
			if i%11 == 5 {
				ib.AppendNull()
				want = append(want, nil)
				continue
			}
			ib.Append(ix)
			want = append(want, values[ix])
		}
		idx := ib.NewArray()
		ib.Release()
		parts = append(parts, array.NewDictionaryArray(kerneltest.DictType, idx, dict))
		idx.Release()
		dict.Release()
	}
	return parts, want
}

// Pieces whose dictionaries are prefixes of the longest concatenate their indices over the
// longest dictionary, which the result shares; pieces mixed with an unrelated dictionary
// are merged with the merger's memo grown, not reset, across the prefixes.
func TestConcatGrowingDictionaries(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts, want := growingPieces(t, mem, 40, []int{5, 12, 12, 30, 7, 40})
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	got, err := kernel.ConcatColumn(parts, mem, nil)
	if err != nil {
		t.Fatal(err)
	}
	longest := parts[5].(*array.Dictionary).Dictionary().Data()
	if gd := got.(*array.Dictionary).Dictionary().Data(); gd.Len() != 40 || gd.Buffers()[1] != longest.Buffers()[1] || gd.Buffers()[2] != longest.Buffers()[2] {
		t.Errorf("concatenation did not keep the longest dictionary: %d values", gd.Len())
	}
	checkRows(t, got, want)
	got.Release()

	other := kerneltest.DictPiece(t, mem, []*string{kerneltest.Strp("w"), kerneltest.Strp("v1")}, []int32{1, 0, -1})
	defer other.Release()
	mixed := append(slices.Clone(parts[:3]), other, parts[3], parts[5])
	var mixedWant []*string
	for _, p := range mixed {
		d := p.(*array.Dictionary)
		for i := range d.Len() {
			if d.IsNull(i) || d.Dictionary().IsNull(d.GetValueIndex(i)) {
				mixedWant = append(mixedWant, nil)
			} else {
				mixedWant = append(mixedWant, kerneltest.Strp(d.Dictionary().(*array.String).Value(d.GetValueIndex(i))))
			}
		}
	}
	merged, err := kernel.ConcatColumn(mixed, mem, new(kernel.DictMerger))
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, merged, mixedWant)
	merged.Release()
}

func checkRows(t *testing.T, got arrow.Array, want []*string) {
	t.Helper()
	d := got.(*array.Dictionary)
	if d.Len() != len(want) {
		t.Fatalf("%d rows, want %d", d.Len(), len(want))
	}
	for i, w := range want {
		null := d.IsNull(i) || d.Dictionary().IsNull(d.GetValueIndex(i))
		switch {
		case w == nil && !null:
			t.Errorf("row %d: want NULL", i)
		case w != nil && (null || d.Dictionary().(*array.String).Value(d.GetValueIndex(i)) != *w):
			t.Errorf("row %d: want %q", i, *w)
		}
	}
}

// A hash cache that met a dictionary extends its hashes when a longer view of the same
// buffers arrives, and serves a shorter one from them: every batch hashes as without a
// cache.
func TestHashGrowingDictionaries(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	parts, _ := growingPieces(t, mem, 50, []int{5, 20, 20, 9, 50, 1})
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	var cache kernel.DictHashCache
	for i, p := range parts {
		want := make([]uint64, p.Len())
		if err := kernel.HashColumns([]arrow.Array{p}, want); err != nil {
			t.Fatal(err)
		}
		got := make([]uint64, p.Len())
		if err := kernel.HashColumnsCached([]arrow.Array{p}, got, &cache); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("batch %d: cached hashes differ", i)
		}
	}
}
