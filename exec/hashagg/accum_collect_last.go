package hashagg

import (
	"fmt"
	"unsafe"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// last(x) keeps, per group, the value of the last row met (with IgnoreNulls, of the last
// row whose value is not NULL). Its state is the value and a seen flag, so that merging a
// partial state whose last value was NULL can still overwrite what came before. Which
// row is last follows the input's order within a task; across the shuffle it is the
// order the reducer reads the map outputs in, which is not deterministic (as in Spark).

// aggLastFlags is the bookkeeping every last accumulator shares.
type aggLastFlags struct {
	ignoreNulls bool
	valid, seen []bool  // the kept value is not NULL; some row was met
	seenIn      []uint8 // scratch: a merged state's seen column as bytes
}

func (f *aggLastFlags) growFlags(n int) {
	f.valid = aggGrowTo(f.valid, n)
	f.seen = aggGrowTo(f.seen, n)
}
func (f *aggLastFlags) flagBytes() int64 {
	return int64(cap(f.valid)+cap(f.seen)) + int64(cap(f.seenIn))
}

// take records a row of group g whose value is (or is not) valid, and reports whether its
// value must be stored.
func (f *aggLastFlags) take(g int32, valid bool) bool {
	if valid {
		f.valid[g], f.seen[g] = true, true
		return true
	}
	if !f.ignoreNulls {
		f.valid[g], f.seen[g] = false, true
	}
	return false
}

// seenColumn returns the merged state's seen column as one byte per row.
func (f *aggLastFlags) seenColumn(states []arrow.Array) ([]uint8, error) {
	if len(states) != 2 {
		return nil, fmt.Errorf("exec: hash aggregate: last wants two state columns, got %d", len(states))
	}
	s, ok := states[1].(*array.Boolean)
	if !ok {
		return nil, fmt.Errorf("exec: hash aggregate: last's seen state is %s, not boolean", states[1].DataType())
	}
	f.seenIn = kernel.BoolsAsBytes(s, f.seenIn)
	bm, off := kernel.Validity(s)
	for i := range f.seenIn {
		if !kernel.IsSet(bm, off, i) {
			f.seenIn[i] = 0
		}
	}
	return f.seenIn, nil
}

func (f *aggLastFlags) seenArray(mem memory.Allocator, lo, hi int) arrow.Array {
	seen := f.seen[lo:hi]
	return aggBuildBool(mem, len(seen), func(i int) bool { return seen[i] }, kernel.AllValid)
}

// newAggLastAcc returns the last accumulator over argType's storage.
func newAggLastAcc(a plan.AggExpr, argType arrow.DataType) (aggAccumulator, error) {
	f := aggLastFlags{ignoreNulls: a.IgnoreNulls}
	switch {
	case argType.ID() == arrow.BOOL:
		return &aggLastAcc[uint8]{aggLastFlags: f, isBool: true}, nil
	case kernel.IsBytesLike(argType) && argType.ID() != arrow.DICTIONARY:
		return &aggLastBytesAcc{aggLastFlags: f}, nil
	case argType.ID() == arrow.DECIMAL128:
		return &aggLastAcc[decimal128.Num]{aggLastFlags: f}, nil
	}
	fw, ok := argType.(arrow.FixedWidthDataType)
	if ok && argType.ID() != arrow.FLOAT16 {
		switch fw.BitWidth() {
		case 8:
			return &aggLastAcc[uint8]{aggLastFlags: f}, nil
		case 16:
			return &aggLastAcc[uint16]{aggLastFlags: f}, nil
		case 32:
			return &aggLastAcc[uint32]{aggLastFlags: f}, nil
		case 64:
			return &aggLastAcc[uint64]{aggLastFlags: f}, nil
		}
	}
	return nil, fmt.Errorf("exec: hash aggregate: %s over %s is not supported", a, argType)
}

// aggLastAcc computes last over fixed-width values stored as their bits T (one byte per
// boolean).
type aggLastAcc[T uint8 | uint16 | uint32 | uint64 | decimal128.Num] struct {
	aggLastFlags
	isBool bool
	vals   []T
	bools  []uint8 // scratch for unpacked booleans
}

func (l *aggLastAcc[T]) grow(n int) { l.vals = aggGrowTo(l.vals, n); l.growFlags(n) }
func (l *aggLastAcc[T]) bytes() int64 {
	var z T
	return int64(cap(l.vals))*int64(unsafe.Sizeof(z)) + l.flagBytes() + int64(cap(l.bools))
}
func (l *aggLastAcc[T]) growthBound(rows int, _ []arrow.Array) int64 {
	var z T
	return int64(rows) * (int64(unsafe.Sizeof(z)) + 4)
}

// values views arr's values as T.
func (l *aggLastAcc[T]) values(arr arrow.Array) ([]T, error) {
	if l.isBool {
		b, ok := arr.(*array.Boolean)
		if !ok {
			return nil, fmt.Errorf("exec: hash aggregate: boolean last got %s", arr.DataType())
		}
		l.bools = kernel.BoolsAsBytes(b, l.bools)
		return any(l.bools).([]T), nil
	}
	var z T
	fw, ok := arr.DataType().(arrow.FixedWidthDataType)
	if !ok || fw.BitWidth() != 8*int(unsafe.Sizeof(z)) || arr.DataType().ID() == arrow.BOOL {
		return nil, fmt.Errorf("exec: hash aggregate: last over %d-byte values got %s", unsafe.Sizeof(z), arr.DataType())
	}
	if arr.Len() == 0 {
		return nil, nil
	}
	d := arr.Data()
	return kernel.View[T](d.Buffers()[1].Bytes())[d.Offset() : d.Offset()+d.Len()], nil
}

func (l *aggLastAcc[T]) update(arg arrow.Array, gids []int32) error {
	in, err := l.values(arg)
	if err != nil {
		return err
	}
	l.fold(in, arg, nil, gids)
	return nil
}

// fold takes row i of in (valid per arr's bitmap) into group gids[i], skipping the rows
// whose seen byte is 0 when seen is set.
func (l *aggLastAcc[T]) fold(in []T, arr arrow.Array, seen []uint8, gids []int32) {
	bm, off := kernel.Validity(arr)
	vals := l.vals
	for i, g := range gids {
		if seen != nil && seen[i] == 0 {
			continue
		}
		if l.take(g, kernel.IsSet(bm, off, i)) {
			vals[g] = in[i]
		}
	}
}

func (l *aggLastAcc[T]) merge(states []arrow.Array, gids []int32) error {
	seen, err := l.seenColumn(states)
	if err != nil {
		return err
	}
	in, err := l.values(states[0])
	if err != nil {
		return err
	}
	l.fold(in, states[0], seen, gids)
	return nil
}

func (l *aggLastAcc[T]) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	vals, valid := l.vals[lo:hi], l.valid[lo:hi]
	n := len(vals)
	isValid := func(i int) bool { return valid[i] }
	if l.isBool {
		return aggBuildBool(mem, n, func(i int) bool { return any(vals[i]).(uint8) != 0 }, isValid), nil
	}
	var z T
	nb, nulls := kernel.ValidityBuffer(mem, isValid, n)
	vb := kernel.NewBuffer(mem, n*int(unsafe.Sizeof(z)))
	copy(kernel.View[T](vb.Bytes()), vals)
	return kernel.MakeArray(dt, n, nulls, []*memory.Buffer{nb, vb}, nil), nil
}

func (l *aggLastAcc[T]) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	v, err := l.result(mem, types[0], lo, hi)
	if err != nil {
		return nil, err
	}
	return []arrow.Array{v, l.seenArray(mem, lo, hi)}, nil
}

// aggLastBytesAcc computes last over strings or binary. Each group owns a buffer that a
// later value overwrites in place (allocating only when it outgrows it).
type aggLastBytesAcc struct {
	aggLastFlags
	vals     [][]byte
	capBytes int64
}

func (l *aggLastBytesAcc) grow(n int) { l.vals = aggGrowTo(l.vals, n); l.growFlags(n) }
func (l *aggLastBytesAcc) bytes() int64 {
	return int64(cap(l.vals))*24 + l.capBytes + l.flagBytes()
}
func (l *aggLastBytesAcc) growthBound(rows int, inputs []arrow.Array) int64 {
	bound := int64(rows) * 28
	for _, in := range inputs {
		bound += aggValueBytes(in)
	}
	return bound
}

func (l *aggLastBytesAcc) update(arg arrow.Array, gids []int32) error {
	return l.fold(arg, nil, gids)
}

func (l *aggLastBytesAcc) fold(arr arrow.Array, seen []uint8, gids []int32) error {
	switch arr.DataType().ID() {
	case arrow.STRING, arrow.BINARY:
		offs, data := kernel.OffsetsAndData[int32](arr)
		aggLastBytesInto(l, offs, data, arr, seen, gids)
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		offs, data := kernel.OffsetsAndData[int64](arr)
		aggLastBytesInto(l, offs, data, arr, seen, gids)
	default:
		return fmt.Errorf("exec: hash aggregate: last over bytes got %s", arr.DataType())
	}
	return nil
}

func aggLastBytesInto[O int32 | int64](l *aggLastBytesAcc, offs []O, data []byte, arr arrow.Array, seen []uint8, gids []int32) {
	bm, off := kernel.Validity(arr)
	for i, g := range gids {
		if seen != nil && seen[i] == 0 {
			continue
		}
		if !l.take(g, kernel.IsSet(bm, off, i)) {
			continue
		}
		old := cap(l.vals[g])
		l.vals[g] = append(l.vals[g][:0], data[offs[i]:offs[i+1]]...)
		l.capBytes += int64(cap(l.vals[g]) - old)
	}
}

func (l *aggLastBytesAcc) merge(states []arrow.Array, gids []int32) error {
	seen, err := l.seenColumn(states)
	if err != nil {
		return err
	}
	return l.fold(states[0], seen, gids)
}

func (l *aggLastBytesAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	vals, valid := l.vals[lo:hi], l.valid[lo:hi]
	return aggBuildBytes(mem, dt, len(vals), func(i int) []byte { return vals[i] }, func(i int) bool { return valid[i] })
}

func (l *aggLastBytesAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	v, err := l.result(mem, types[0], lo, hi)
	if err != nil {
		return nil, err
	}
	return []arrow.Array{v, l.seenArray(mem, lo, hi)}, nil
}
