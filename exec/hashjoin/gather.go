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

// hjTake returns arr's rows idx as a new array; with orNull a negative index is a NULL
// row. The caller knows whether a batch's indices can be negative (only an outer join's
// unmatched rows are), and telling the gather spares it a pass over the indices per column.
func hjTake(mem memory.Allocator, arr arrow.Array, idx []int32, orNull bool) (arrow.Array, error) {
	gather := kernel.GatherArray
	if orNull {
		gather = kernel.GatherArrayOrNull
	}
	out, err := gather(arr, idx, mem)
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
	return hjTake(mem, arr, idx, false)
}

// hjAnyNegative reports whether some index is negative (an unmatched row's).
func hjAnyNegative(idx []int32) bool {
	for _, i := range idx {
		if i < 0 {
			return true
		}
	}
	return false
}

func hjConsecutive(idx []int32) bool {
	for k, j := range idx {
		if j != idx[0]+int32(k) {
			return false
		}
	}
	return true
}
