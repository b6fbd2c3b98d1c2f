package kernel_test

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/kernel/kerneltest"
	"github.com/kindling-data/kindling/internal/memtest"
)

// TestConcatDictionariesUnifiesUsedValues concatenates pieces of three dictionaries (one
// of them twice, once as a slice): every row keeps its value or NULL (NULL indices and
// NULL dictionary entries alike), and the new dictionary holds each used value once and
// no unused one.
func TestConcatDictionariesUnifiesUsedValues(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	a := kerneltest.DictPiece(t, mem, []*string{kerneltest.Strp("x"), kerneltest.Strp("y"), nil, kerneltest.Strp("z"), kerneltest.Strp("unused")}, []int32{0, 1, 2, 3, -1, 0})
	defer a.Release()
	b := kerneltest.DictPiece(t, mem, []*string{kerneltest.Strp("z"), kerneltest.Strp("x"), kerneltest.Strp("w")}, []int32{2, 0, 1, -1})
	defer b.Release()
	c := kerneltest.DictPiece(t, mem, []*string{kerneltest.Strp("")}, []int32{0, 0})
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
				want = append(want, kerneltest.Strp(d.Dictionary().(*array.String).Value(d.GetValueIndex(i))))
			}
		}
	}
	// Twice through one merger (as a writer reuses it across flushes), then fresh.
	m := new(kernel.DictMerger)
	for _, merger := range []*kernel.DictMerger{m, m, nil} {
		checkConcatDictionaries(t, parts, want, 5, mem, merger) // x y z w ""
	}
}

func checkConcatDictionaries(t *testing.T, parts []arrow.Array, want []*string, wantValues int, mem memory.Allocator, m *kernel.DictMerger) {
	t.Helper()
	got, err := kernel.ConcatColumn(parts, mem, m)
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
			values = append(values, kerneltest.Strp(fmt.Sprintf("v%d", lo+i)))
			indices = append(indices, int32((i*7)%3000))
		}
		d := kerneltest.DictPiece(t, mem, values, indices)
		defer d.Release()
		parts = append(parts, d)
		for _, ix := range indices {
			want = append(want, values[ix])
		}
	}
	checkConcatDictionaries(t, parts, want, 4500, mem, new(kernel.DictMerger))
}
