package eval

import (
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
)

// evCompactDictMin is the dictionary size from which evMapDict first narrows a dictionary
// far larger than its batch to the entries the batch uses.
const evCompactDictMin = 1024

// evCompactDict narrows d's dictionary to the entries its rows use, when it is far larger
// than the batch: a source's dictionary shared by all its batches (a CSV split's growing
// one, a Parquet column's) may hold many times more values than a batch has rows, and a
// function applied to every entry per batch would then cost more than one applied to every
// row. It returns the used entries in dictionary order and indices into them (NULL where
// d's index is NULL); ok is false when d is left as it is (a small dictionary, indices other
// than int32, or an index out of range, which the caller's path reports).
func evCompactDict(mem memory.Allocator, d *array.Dictionary) (dict, indices arrow.Array, ok bool, err error) {
	full := d.Dictionary()
	idx, isInt32 := d.Indices().(*array.Int32)
	if !isInt32 || full.Len() < evCompactDictMin || full.Len() <= 2*d.Len() {
		return nil, nil, false, nil
	}
	vals := idx.Int32Values()
	used := make([]int32, 0, len(vals))
	for i, v := range vals {
		if idx.IsValid(i) {
			if v < 0 || int(v) >= full.Len() {
				return nil, nil, false, nil
			}
			used = append(used, v)
		}
	}
	slices.Sort(used)
	used = slices.Compact(used)
	dict, err = kernel.GatherArray(full, used, mem)
	if err != nil {
		return nil, nil, false, err
	}
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.Reserve(len(vals))
	for i, v := range vals {
		if !idx.IsValid(i) {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		j, _ := slices.BinarySearch(used, v)
		b.UnsafeAppend(int32(j))
	}
	return dict, b.NewArray(), true, nil
}
