package hashjoin

import (
	"fmt"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The join's output is gathered with the kernel's typed gathers: build-side indices are
// random row numbers into the concatenated build columns, where arrow's Take is slow. A
// negative index yields NULL (an unmatched row of an outer join).

// hjTake returns arr's rows idx (NULL where an index is negative) as a new array.
func hjTake(mem memory.Allocator, arr arrow.Array, idx []int32) (arrow.Array, error) {
	out, err := kernel.GatherArrayOrNull(arr, idx, mem)
	if err != nil {
		return nil, fmt.Errorf("exec: hash join: %w", err)
	}
	return out, nil
}

// hjProbeColumn returns arr's rows idx, ascending probe rows with repeats: a zero-copy
// slice when they are consecutive (every row matched once), a gather otherwise.
func hjProbeColumn(mem memory.Allocator, arr arrow.Array, idx []int32) (arrow.Array, error) {
	if hjConsecutive(idx) {
		if len(idx) == 0 {
			return array.NewSlice(arr, 0, 0), nil
		}
		lo := int64(idx[0])
		return array.NewSlice(arr, lo, lo+int64(len(idx))), nil
	}
	return hjTake(mem, arr, idx)
}

func hjConsecutive(idx []int32) bool {
	for k, j := range idx {
		if j != idx[0]+int32(k) {
			return false
		}
	}
	return true
}
