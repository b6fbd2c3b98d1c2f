package hashagg

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// aggTopKFlatMax is the largest k whose heaps live in one flat slice of k slots per
// group; larger k gives each group its own slice, grown only as values arrive, so that
// small groups do not pay for k slots.
const aggTopKFlatMax = 16

// aggTopKAcc keeps the k largest values of each group in a bounded min-heap (the
// smallest kept value at the root, so a value that cannot enter is rejected with one
// comparison). T is the argument's storage type; NaN is larger than every number, as
// for max. Equal values are kept with their multiplicity.
type aggTopKAcc[T aggValueType] struct {
	k int
	// flat holds group g's heap in flat[g*k : g*k+cnt[g]] when k <= aggTopKFlatMax.
	flat []T
	cnt  []int32
	// lists holds group g's heap otherwise.
	lists    [][]T
	capBytes int64
	sorted   []T // scratch for emitting a group in descending order
}

// newAggTopKAcc returns a top-k accumulator over argType's storage type.
func newAggTopKAcc(a plan.AggExpr, argType arrow.DataType) (aggAccumulator, error) {
	if a.K < 1 {
		return nil, fmt.Errorf("exec: hash aggregate: %s needs k >= 1", a)
	}
	switch argType.ID() {
	case arrow.INT8:
		return &aggTopKAcc[int8]{k: a.K}, nil
	case arrow.UINT8:
		return &aggTopKAcc[uint8]{k: a.K}, nil
	case arrow.INT16:
		return &aggTopKAcc[int16]{k: a.K}, nil
	case arrow.UINT16:
		return &aggTopKAcc[uint16]{k: a.K}, nil
	case arrow.INT32:
		return &aggTopKAcc[int32]{k: a.K}, nil
	case arrow.UINT32:
		return &aggTopKAcc[uint32]{k: a.K}, nil
	case arrow.INT64:
		return &aggTopKAcc[int64]{k: a.K}, nil
	case arrow.UINT64:
		return &aggTopKAcc[uint64]{k: a.K}, nil
	case arrow.FLOAT32:
		return &aggTopKAcc[float32]{k: a.K}, nil
	case arrow.FLOAT64:
		return &aggTopKAcc[float64]{k: a.K}, nil
	}
	return nil, fmt.Errorf("exec: hash aggregate: %s over %s is not supported", a, argType)
}

func (t *aggTopKAcc[T]) isFlat() bool { return t.k <= aggTopKFlatMax }

func (t *aggTopKAcc[T]) grow(n int) {
	if t.isFlat() {
		t.flat = aggGrowTo(t.flat, n*t.k)
		t.cnt = aggGrowTo(t.cnt, n)
		return
	}
	t.lists = aggGrowTo(t.lists, n)
}

func (t *aggTopKAcc[T]) bytes() int64 {
	var z T
	w := int64(unsafe.Sizeof(z))
	return int64(cap(t.flat)+cap(t.sorted))*w + int64(cap(t.cnt))*4 + int64(cap(t.lists))*24 + t.capBytes
}

func (t *aggTopKAcc[T]) growthBound(rows int, inputs []arrow.Array) int64 {
	var z T
	w := int64(unsafe.Sizeof(z))
	if t.isFlat() {
		return int64(rows) * (int64(t.k)*w + 4)
	}
	bound := int64(rows) * 24
	for _, in := range inputs {
		if l, ok := in.(*array.List); ok {
			in = l.ListValues()
		}
		bound += int64(in.Len()) * 2 * w
	}
	return bound
}

// aggTopKLess orders values with NaN above every number (x != x only for NaN).
func aggTopKLess[T aggValueType](a, b T) bool { return a < b || (b != b && a == a) }

// heap returns group g's heap.
func (t *aggTopKAcc[T]) heap(g int32) []T {
	if t.isFlat() {
		base := int(g) * t.k
		return t.flat[base : base+int(t.cnt[g]) : base+t.k]
	}
	return t.lists[g]
}

// push offers x to group g's heap.
func (t *aggTopKAcc[T]) push(g int32, x T) {
	if t.isFlat() {
		base := int(g) * t.k
		n := int(t.cnt[g])
		h := t.flat[base : base+t.k]
		if n == t.k {
			if aggTopKLess(h[0], x) {
				h[0] = x
				aggHeapDown(h, 0)
			}
			return
		}
		h[n] = x
		aggHeapUp(h[:n+1], n)
		t.cnt[g]++
		return
	}
	h := t.lists[g]
	if len(h) == t.k {
		if aggTopKLess(h[0], x) {
			h[0] = x
			aggHeapDown(h, 0)
		}
		return
	}
	c := cap(h)
	h = append(h, x)
	if cap(h) != c {
		var z T
		t.capBytes += int64(cap(h)-c) * int64(unsafe.Sizeof(z))
	}
	aggHeapUp(h, len(h)-1)
	t.lists[g] = h
}

// aggHeapUp restores the min-heap after h[i] was set.
func aggHeapUp[T aggValueType](h []T, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !aggTopKLess(h[i], h[p]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// aggHeapDown restores the min-heap after h[i] grew.
func aggHeapDown[T aggValueType](h []T, i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && aggTopKLess(h[r], h[l]) {
			m = r
		}
		if !aggTopKLess(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (t *aggTopKAcc[T]) update(arg arrow.Array, gids []int32) error {
	var z T
	fw, ok := arg.DataType().(arrow.FixedWidthDataType)
	if !ok || fw.BitWidth() != 8*int(unsafe.Sizeof(z)) || !plan.IsIntOrFloat(arg.DataType()) {
		return fmt.Errorf("exec: hash aggregate: top_k over %d-byte values got %s", unsafe.Sizeof(z), arg.DataType())
	}
	return t.add(kernel.FixedValues[T](arg), arg, gids, nil)
}

// add offers vals[i] to group gids[i] for the valid rows of arr; with spans, row i's
// values are vals[spans[i]:spans[i+1]] instead (merging list states).
func (t *aggTopKAcc[T]) add(vals []T, arr arrow.Array, gids []int32, spans []int32) error {
	bm, off := kernel.Validity(arr)
	if spans != nil {
		for i, g := range gids {
			if kernel.IsSet(bm, off, i) {
				for _, x := range vals[spans[i]:spans[i+1]] {
					t.push(g, x)
				}
			}
		}
		return nil
	}
	if t.isFlat() && t.k == 1 {
		// max with multiplicity one: no heap needed.
		for i, g := range gids {
			if !kernel.IsSet(bm, off, i) {
				continue
			}
			if x := vals[i]; t.cnt[g] == 0 {
				t.flat[g], t.cnt[g] = x, 1
			} else if aggTopKLess(t.flat[g], x) {
				t.flat[g] = x
			}
		}
		return nil
	}
	for i, g := range gids {
		if kernel.IsSet(bm, off, i) {
			t.push(g, vals[i])
		}
	}
	return nil
}

func (t *aggTopKAcc[T]) merge(states []arrow.Array, gids []int32) error {
	l, elems, err := aggListState(states, "top_k")
	if err != nil {
		return err
	}
	var z T
	fw, ok := elems.DataType().(arrow.FixedWidthDataType)
	if !ok || fw.BitWidth() != 8*int(unsafe.Sizeof(z)) {
		return fmt.Errorf("exec: hash aggregate: top_k state holds %s", elems.DataType())
	}
	if elems.NullN() > 0 {
		return fmt.Errorf("exec: hash aggregate: top_k state holds NULL values")
	}
	if l.Len() == 0 {
		return nil
	}
	// List offsets index the child array, which FixedValues views from its offset.
	return t.add(kernel.FixedValues[T](elems), l, gids, kernel.ListSpan(l))
}

// descending returns group g's values, largest first, in t.sorted.
func (t *aggTopKAcc[T]) descending(g int) []T {
	h := t.heap(int32(g))
	t.sorted = append(t.sorted[:0], h...)
	slices.SortFunc(t.sorted, func(a, b T) int {
		switch {
		case aggTopKLess(b, a):
			return -1
		case aggTopKLess(a, b):
			return 1
		}
		return 0
	})
	return t.sorted
}

func (t *aggTopKAcc[T]) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	lt, ok := dt.(*arrow.ListType)
	if !ok {
		return nil, fmt.Errorf("exec: hash aggregate: top_k type %s is not a list", dt)
	}
	return aggBuildList(mem, lt, hi-lo, func(i int) int { return len(t.heap(int32(lo + i))) },
		func(i int, dst []T) { copy(dst, t.descending(lo+i)) })
}

func (t *aggTopKAcc[T]) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	a, err := t.result(mem, types[0], lo, hi)
	if err != nil {
		return nil, err
	}
	return []arrow.Array{a}, nil
}
