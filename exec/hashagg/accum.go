package hashagg

import (
	"fmt"
	"unsafe"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// Accumulators hold one aggregate's state for every group, in plain slices indexed by
// group id, and update them a whole column at a time from a vector of group ids. The
// choice of typed loop is made once per batch; there is no per-row dispatch. Because the
// state is indexed by group, any range of groups can be emitted as state columns at any
// time (what spilling will need).
type aggAccumulator interface {
	// grow makes room for n groups; new groups start empty.
	grow(n int)
	// update folds raw argument values into the groups in gids. arg is nil for count(*).
	update(arg arrow.Array, gids []int32) error
	// merge folds state columns (the layout of plan.AggStateFields) into the groups in gids.
	merge(states []arrow.Array, gids []int32) error
	// states returns groups [lo, hi) as state columns of the given types.
	states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error)
	// result returns the final values of groups [lo, hi) as an array of type dt.
	result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error)
	// bytes estimates the memory the state holds.
	bytes() int64
	// growthBound bounds the bytes one batch of rows with these inputs can add.
	growthBound(rows int, inputs []arrow.Array) int64
}

// aggReleaser is an accumulator holding pooled memory (slabs), given back when its table
// is dropped.
type aggReleaser interface{ release() }

// newAggAccumulator returns the accumulator of a over arguments of type argType.
func newAggAccumulator(a plan.AggExpr, argType arrow.DataType) (aggAccumulator, error) {
	if a.Func == plan.AggCountAll {
		return &aggCountAcc{all: true}, nil
	}
	if argType == nil {
		return nil, fmt.Errorf("exec: hash aggregate: %s has no argument type", a)
	}
	if acc, ok, err := newAggMoreAccumulator(&a, argType); ok {
		return acc, err
	}
	if dt, ok := argType.(*arrow.Decimal128Type); ok {
		if acc := newAggDecimalAccumulator(a, dt); acc != nil {
			return acc, nil
		}
	}
	switch a.Func {
	case plan.AggCount:
		return &aggCountAcc{}, nil
	case plan.AggSum:
		switch {
		case plan.IsInteger(argType):
			return &aggSumAcc[int64]{}, nil
		case kernel.IsFloat(argType):
			return &aggSumAcc[float64]{}, nil
		}
	case plan.AggMean:
		if plan.IsInteger(argType) || kernel.IsFloat(argType) {
			return &aggMeanAcc{}, nil
		}
	case plan.AggMedian, plan.AggStddev, plan.AggVariance, plan.AggCorr, plan.AggTopK:
		return newAggStatAccumulator(a, argType)
	case plan.AggApproxCountDistinct, plan.AggApproxPercentile, plan.AggPercentile, plan.AggStatMode:
		return newAggSketchAccumulator(a, argType)
	case plan.AggCountDistinct:
		t, err := newAggKeyTable(argType)
		if err != nil {
			return nil, fmt.Errorf("exec: hash aggregate: %s: %w", a, err)
		}
		return &aggDistinctAcc{values: t}, nil
	case plan.AggMin, plan.AggMax, plan.AggFirst:
		k := aggValueKind(a.Func)
		switch argType.ID() {
		case arrow.BOOL:
			return &aggValueAcc[uint8]{kind: k, isBool: true}, nil
		case arrow.UINT8:
			return &aggValueAcc[uint8]{kind: k}, nil
		case arrow.UINT16:
			return &aggValueAcc[uint16]{kind: k}, nil
		case arrow.UINT32:
			return &aggValueAcc[uint32]{kind: k}, nil
		case arrow.UINT64:
			return &aggValueAcc[uint64]{kind: k}, nil
		}
		switch kernel.ByteWidth(argType) {
		case 1:
			return &aggValueAcc[int8]{kind: k}, nil
		case 2:
			return &aggValueAcc[int16]{kind: k}, nil
		case 4:
			return &aggValueAcc[int32]{kind: k}, nil
		case 8:
			return &aggValueAcc[int64]{kind: k}, nil
		}
		switch {
		case argType.ID() == arrow.FLOAT32:
			return &aggValueAcc[float32]{kind: k}, nil
		case argType.ID() == arrow.FLOAT64:
			return &aggValueAcc[float64]{kind: k}, nil
		case kernel.IsBytesLike(argType):
			return &aggBytesAcc{kind: k}, nil
		}
	}
	return nil, fmt.Errorf("exec: hash aggregate: %s over %s is not supported", a, argType)
}

// aggGrowTo extends s with zero values to length n, at least doubling its capacity when
// it must reallocate (see aggReserve).
func aggGrowTo[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	s = aggReserve(s, n-len(s))
	old := len(s)
	s = s[:n]
	clear(s[old:])
	return s
}

// aggSlabGrowTo is aggGrowTo for the state of the common aggregates (sum, count, mean),
// kept in slabs (colop.SlabAlloc) that the accumulator's release gives back: a Final
// table of millions of groups sized per task left its state as garbage when the task
// ended, which a process with a large live heap collects rarely, so every task's state
// added to the resident set (db-benchmark q10); recycled, the next task reuses it.
func aggSlabGrowTo[T int64 | float64](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	s = colop.SlabReserve(s, n-len(s))
	old := len(s)
	s = s[:n]
	clear(s[old:])
	return s
}

// aggCheckState returns the state column as type id, or an error naming the mismatch.
func aggCheckState(states []arrow.Array, i int, id arrow.Type) (arrow.Array, error) {
	if i >= len(states) || states[i].DataType().ID() != id {
		return nil, fmt.Errorf("exec: hash aggregate: state column %d is not %s", i, id)
	}
	return states[i], nil
}

// aggCountAcc counts rows (count(*)) or non-NULL values (count(x)).
type aggCountAcc struct {
	all    bool
	counts []int64
}

func (c *aggCountAcc) grow(n int)                                  { c.counts = aggSlabGrowTo(c.counts, n) }
func (c *aggCountAcc) release()                                    { colop.SlabFree(c.counts); c.counts = nil }
func (c *aggCountAcc) bytes() int64                                { return int64(cap(c.counts)) * 8 }
func (c *aggCountAcc) growthBound(rows int, _ []arrow.Array) int64 { return int64(rows) * 8 }

func (c *aggCountAcc) update(arg arrow.Array, gids []int32) error {
	counts := c.counts
	var bm []byte
	off := 0
	if !c.all {
		bm, off = kernel.Validity(arg)
	}
	if bm == nil {
		for _, g := range gids {
			counts[g]++
		}
		return nil
	}
	for i, g := range gids {
		if bitutil.BitIsSet(bm, off+i) {
			counts[g]++
		}
	}
	return nil
}

func (c *aggCountAcc) merge(states []arrow.Array, gids []int32) error {
	s, err := aggCheckState(states, 0, arrow.INT64)
	if err != nil {
		return err
	}
	vals := kernel.FixedValues[int64](s)
	bm, off := kernel.Validity(s)
	for i, g := range gids {
		if kernel.IsSet(bm, off, i) {
			c.counts[g] += vals[i]
		}
	}
	return nil
}

func (c *aggCountAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	counts := c.counts[lo:hi]
	return kernel.BuildFixed(mem, dt, len(counts), func(i int) int64 { return counts[i] }, kernel.AllValid), nil
}

func (c *aggCountAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	a, err := c.result(mem, types[0], lo, hi)
	return []arrow.Array{a}, err
}

// aggSumAcc sums integers exactly into int64 (wrapping on overflow) or floats into float64.
// has marks groups that saw a non-NULL value; the others sum to NULL.
type aggSumAcc[S int64 | float64] struct {
	sums []S
	has  []bool
}

func (s *aggSumAcc[S]) grow(n int) { s.sums = aggSlabGrowTo(s.sums, n); s.has = aggGrowTo(s.has, n) }
func (s *aggSumAcc[S]) release()   { colop.SlabFree(s.sums); s.sums = nil }
func (s *aggSumAcc[S]) bytes() int64 {
	return int64(cap(s.sums))*8 + int64(cap(s.has))
}
func (s *aggSumAcc[S]) growthBound(rows int, _ []arrow.Array) int64 { return int64(rows) * 9 }

func (s *aggSumAcc[S]) update(arg arrow.Array, gids []int32) error {
	switch arg.DataType().ID() {
	case arrow.INT8:
		aggSumInto(s, kernel.FixedValues[int8](arg), arg, gids)
	case arrow.UINT8:
		aggSumInto(s, kernel.FixedValues[uint8](arg), arg, gids)
	case arrow.INT16:
		aggSumInto(s, kernel.FixedValues[int16](arg), arg, gids)
	case arrow.UINT16:
		aggSumInto(s, kernel.FixedValues[uint16](arg), arg, gids)
	case arrow.INT32:
		aggSumInto(s, kernel.FixedValues[int32](arg), arg, gids)
	case arrow.UINT32:
		aggSumInto(s, kernel.FixedValues[uint32](arg), arg, gids)
	case arrow.INT64:
		aggSumInto(s, kernel.FixedValues[int64](arg), arg, gids)
	case arrow.UINT64:
		aggSumInto(s, kernel.FixedValues[uint64](arg), arg, gids)
	case arrow.FLOAT32:
		aggSumInto(s, kernel.FixedValues[float32](arg), arg, gids)
	case arrow.FLOAT64:
		aggSumInto(s, kernel.FixedValues[float64](arg), arg, gids)
	default:
		return fmt.Errorf("exec: hash aggregate: sum over %s", arg.DataType())
	}
	return nil
}

func aggSumInto[S int64 | float64, T kernel.FixedWidth](s *aggSumAcc[S], vals []T, arr arrow.Array, gids []int32) {
	sums, has := s.sums, s.has
	bm, off := kernel.Validity(arr)
	if bm == nil {
		for i, g := range gids {
			sums[g] += S(vals[i])
			has[g] = true
		}
		return
	}
	for i, g := range gids {
		if bitutil.BitIsSet(bm, off+i) {
			sums[g] += S(vals[i])
			has[g] = true
		}
	}
}

func (s *aggSumAcc[S]) merge(states []arrow.Array, gids []int32) error {
	var z S
	id := arrow.FLOAT64
	if _, ok := any(z).(int64); ok {
		id = arrow.INT64
	}
	st, err := aggCheckState(states, 0, id)
	if err != nil {
		return err
	}
	return s.update(st, gids)
}

func (s *aggSumAcc[S]) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	sums, has := s.sums[lo:hi], s.has[lo:hi]
	return kernel.BuildFixed(mem, dt, len(sums), func(i int) S { return sums[i] }, func(i int) bool { return has[i] }), nil
}

func (s *aggSumAcc[S]) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	a, err := s.result(mem, types[0], lo, hi)
	return []arrow.Array{a}, err
}

// aggMeanAcc keeps a float64 sum and a count of non-NULL values.
type aggMeanAcc struct {
	sums   []float64
	counts []int64
}

func (m *aggMeanAcc) grow(n int) {
	m.sums, m.counts = aggSlabGrowTo(m.sums, n), aggSlabGrowTo(m.counts, n)
}
func (m *aggMeanAcc) release() {
	colop.SlabFree(m.sums)
	colop.SlabFree(m.counts)
	m.sums, m.counts = nil, nil
}
func (m *aggMeanAcc) bytes() int64 { return int64(cap(m.sums))*8 + int64(cap(m.counts))*8 }
func (m *aggMeanAcc) growthBound(rows int, _ []arrow.Array) int64 {
	return int64(rows) * 16
}

func (m *aggMeanAcc) update(arg arrow.Array, gids []int32) error {
	switch arg.DataType().ID() {
	case arrow.INT8:
		aggMeanInto(m, kernel.FixedValues[int8](arg), arg, gids)
	case arrow.UINT8:
		aggMeanInto(m, kernel.FixedValues[uint8](arg), arg, gids)
	case arrow.INT16:
		aggMeanInto(m, kernel.FixedValues[int16](arg), arg, gids)
	case arrow.UINT16:
		aggMeanInto(m, kernel.FixedValues[uint16](arg), arg, gids)
	case arrow.INT32:
		aggMeanInto(m, kernel.FixedValues[int32](arg), arg, gids)
	case arrow.UINT32:
		aggMeanInto(m, kernel.FixedValues[uint32](arg), arg, gids)
	case arrow.INT64:
		aggMeanInto(m, kernel.FixedValues[int64](arg), arg, gids)
	case arrow.UINT64:
		aggMeanInto(m, kernel.FixedValues[uint64](arg), arg, gids)
	case arrow.FLOAT32:
		aggMeanInto(m, kernel.FixedValues[float32](arg), arg, gids)
	case arrow.FLOAT64:
		aggMeanInto(m, kernel.FixedValues[float64](arg), arg, gids)
	default:
		return fmt.Errorf("exec: hash aggregate: mean over %s", arg.DataType())
	}
	return nil
}

func aggMeanInto[T kernel.FixedWidth](m *aggMeanAcc, vals []T, arr arrow.Array, gids []int32) {
	sums, counts := m.sums, m.counts
	bm, off := kernel.Validity(arr)
	for i, g := range gids {
		if kernel.IsSet(bm, off, i) {
			sums[g] += float64(vals[i])
			counts[g]++
		}
	}
}

func (m *aggMeanAcc) merge(states []arrow.Array, gids []int32) error {
	ss, err := aggCheckState(states, 0, arrow.FLOAT64)
	if err != nil {
		return err
	}
	cs, err := aggCheckState(states, 1, arrow.INT64)
	if err != nil {
		return err
	}
	sums, counts := kernel.FixedValues[float64](ss), kernel.FixedValues[int64](cs)
	sbm, soff := kernel.Validity(ss)
	cbm, coff := kernel.Validity(cs)
	for i, g := range gids {
		if kernel.IsSet(sbm, soff, i) {
			m.sums[g] += sums[i]
		}
		if kernel.IsSet(cbm, coff, i) {
			m.counts[g] += counts[i]
		}
	}
	return nil
}

func (m *aggMeanAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	sums, counts := m.sums[lo:hi], m.counts[lo:hi]
	return kernel.BuildFixed(mem, dt, len(sums),
		func(i int) float64 { return sums[i] / float64(counts[i]) },
		func(i int) bool { return counts[i] > 0 }), nil
}

func (m *aggMeanAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	sums, counts := m.sums[lo:hi], m.counts[lo:hi]
	s := kernel.BuildFixed(mem, types[0], len(sums), func(i int) float64 { return sums[i] }, func(i int) bool { return counts[i] > 0 })
	c := kernel.BuildFixed(mem, types[1], len(counts), func(i int) int64 { return counts[i] }, kernel.AllValid)
	return []arrow.Array{s, c}, nil
}

// aggKind says which of min, max and first a value accumulator computes.
type aggKind uint8

const (
	aggKindMin aggKind = iota
	aggKindMax
	aggKindFirst
)

func aggValueKind(f plan.AggFunc) aggKind {
	switch f {
	case plan.AggMin:
		return aggKindMin
	case plan.AggMax:
		return aggKindMax
	}
	return aggKindFirst
}

// aggValueAcc computes min, max or first over fixed-width values stored as T, the storage
// type of the argument (one byte per boolean). NaN is greater than every number.
type aggValueAcc[T aggValueType] struct {
	kind   aggKind
	isBool bool
	vals   []T
	has    []bool
	bools  []uint8
}

// aggValueType lists the storage types of values min, max and first keep.
type aggValueType interface {
	int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | float64
}

func (v *aggValueAcc[T]) grow(n int)   { v.vals = aggGrowTo(v.vals, n); v.has = aggGrowTo(v.has, n) }
func (v *aggValueAcc[T]) bytes() int64 { return int64(cap(v.vals))*9 + int64(cap(v.bools)) }
func (v *aggValueAcc[T]) growthBound(rows int, _ []arrow.Array) int64 {
	return int64(rows) * 10
}

func (v *aggValueAcc[T]) update(arg arrow.Array, gids []int32) error {
	var in []T
	if v.isBool {
		b, ok := arg.(*array.Boolean)
		if !ok {
			return fmt.Errorf("exec: hash aggregate: boolean %s got %s", v.name(), arg.DataType())
		}
		v.bools = kernel.BoolsAsBytes(b, v.bools)
		in = any(v.bools).([]T)
	} else {
		var z T
		fw, ok := arg.DataType().(arrow.FixedWidthDataType)
		if !ok || fw.BitWidth() != 8*int(unsafe.Sizeof(z)) {
			return fmt.Errorf("exec: hash aggregate: %s over %d-byte values got %s", v.name(), unsafe.Sizeof(z), arg.DataType())
		}
		in = kernel.FixedValues[T](arg)
	}
	bm, off := kernel.Validity(arg)
	switch {
	case v.kind == aggKindFirst:
		aggFirstInto(v.vals, v.has, in, bm, off, gids)
	case v.kind == aggKindMin:
		aggMinInto(v.vals, v.has, in, bm, off, gids)
	default:
		aggMaxInto(v.vals, v.has, in, bm, off, gids)
	}
	return nil
}

func (v *aggValueAcc[T]) name() string { return [...]string{"min", "max", "first"}[v.kind] }

func aggFirstInto[T comparable](vals []T, has []bool, in []T, bm []byte, off int, gids []int32) {
	for i, g := range gids {
		if !has[g] && kernel.IsSet(bm, off, i) {
			vals[g] = in[i]
			has[g] = true
		}
	}
}

// aggMinInto keeps the least value; a NaN gives way to any number (x != x only for NaN).
func aggMinInto[T aggValueType](vals []T, has []bool, in []T, bm []byte, off int, gids []int32) {
	for i, g := range gids {
		if !kernel.IsSet(bm, off, i) {
			continue
		}
		x := in[i]
		if !has[g] {
			vals[g], has[g] = x, true
			continue
		}
		if cur := vals[g]; x < cur || (cur != cur && x == x) {
			vals[g] = x
		}
	}
}

// aggMaxInto keeps the greatest value; a NaN beats every number.
func aggMaxInto[T aggValueType](vals []T, has []bool, in []T, bm []byte, off int, gids []int32) {
	for i, g := range gids {
		if !kernel.IsSet(bm, off, i) {
			continue
		}
		x := in[i]
		if !has[g] {
			vals[g], has[g] = x, true
			continue
		}
		if cur := vals[g]; x > cur || (x != x && cur == cur) {
			vals[g] = x
		}
	}
}

func (v *aggValueAcc[T]) merge(states []arrow.Array, gids []int32) error {
	if len(states) != 1 {
		return fmt.Errorf("exec: hash aggregate: %s wants one state column, got %d", v.name(), len(states))
	}
	return v.update(states[0], gids)
}

func (v *aggValueAcc[T]) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	vals, has := v.vals[lo:hi], v.has[lo:hi]
	valid := func(i int) bool { return has[i] }
	if v.isBool {
		return aggBuildBool(mem, len(has), func(i int) bool { return vals[i] != 0 }, valid), nil
	}
	return kernel.BuildFixed(mem, dt, len(vals), func(i int) T { return vals[i] }, valid), nil
}

func (v *aggValueAcc[T]) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	a, err := v.result(mem, types[0], lo, hi)
	return []arrow.Array{a}, err
}
