package hashagg

import (
	"fmt"
	"math"
	"strings"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// aggModeKey is how mode keys a value: int64 for integers, the canonical bits of a
// float64 (one +0 for both zeros, one NaN), or a string.
type aggModeKey interface{ int64 | uint64 | string }

// aggModeGroup counts one group's distinct values: vals and counts side by side, and
// past aggModeSmall values idx maps a value to its position (the map is only written for
// new values, so a string key, once cloned, never aliases an input buffer).
type aggModeGroup[K aggModeKey] struct {
	idx    map[K]int32
	vals   []K
	counts []int64
}

// aggModeAcc is Spark's mode: the most frequent non-NULL value of each group. Spark
// returns any of the values tied for most frequent; here the smallest (NaN above every
// number), so that the result does not depend on the input order or the partitioning.
type aggModeAcc[K aggModeKey] struct {
	groups []*aggModeGroup[K]
	used   int64 // bytes of the groups' maps and slices, estimated
	keys   []K
	ints   []int64
	floats []float64
	less   func(a, b K) bool
}

// aggModeEntryBytes estimates what one distinct value costs a group (map slot, value
// and count slices, with their growth slack), besides a string's bytes.
const aggModeEntryBytes = 96

// aggModeGroupBytes is a group's fixed cost: its struct and pointer.
const aggModeGroupBytes = 64

func newAggModeAcc(a plan.AggExpr, argType arrow.DataType) (aggAccumulator, error) {
	switch plan.ModeValueType(argType).ID() {
	case arrow.INT64:
		return &aggModeAcc[int64]{less: func(x, y int64) bool { return x < y }}, nil
	case arrow.FLOAT64:
		return &aggModeAcc[uint64]{less: func(x, y uint64) bool {
			return aggCompareNaNLast(math.Float64frombits(x), math.Float64frombits(y)) < 0
		}}, nil
	}
	if argType.ID() != arrow.STRING {
		return nil, fmt.Errorf("exec: hash aggregate: %s over %s is not supported", a, argType)
	}
	return &aggModeAcc[string]{less: func(x, y string) bool { return x < y }}, nil
}

func (m *aggModeAcc[K]) grow(n int) { m.groups = aggGrowTo(m.groups, n) }
func (m *aggModeAcc[K]) bytes() int64 {
	return int64(cap(m.groups))*8 + m.used + int64(cap(m.keys))*16 + int64(cap(m.ints)+cap(m.floats))*8
}

func (m *aggModeAcc[K]) growthBound(rows int, inputs []arrow.Array) int64 {
	bound := int64(rows) * 64
	for _, in := range inputs {
		bound += int64(in.Len())*aggModeEntryBytes + aggDataBytes(in.Data())
	}
	return bound
}

// aggDataBytes is the size of an array's buffers and its children's.
func aggDataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += aggDataBytes(c)
	}
	return n
}

// keysOf returns arr's values as mode keys (valid where arr is valid).
func (m *aggModeAcc[K]) keysOf(arr arrow.Array) ([]K, error) {
	n := arr.Len()
	m.keys = kernel.Resize(m.keys, n)
	switch keys := any(m.keys).(type) {
	case []int64:
		xs, err := aggAsInt64(arr, m.ints)
		if err != nil {
			return nil, err
		}
		m.ints = xs
		copy(keys, xs)
	case []uint64:
		xs, scratch, err := aggAsFloat64(arr, m.floats)
		m.floats = scratch
		if err != nil {
			return nil, err
		}
		for i, x := range xs {
			keys[i] = aggCanonicalFloatBits(x)
		}
	case []string:
		s, ok := arr.(*array.String)
		if !ok {
			return nil, fmt.Errorf("exec: hash aggregate: mode over strings got %s", arr.DataType())
		}
		for i := range keys {
			keys[i] = s.Value(i) // aliases the input: cloned before it is kept
		}
	}
	return m.keys, nil
}

// aggCanonicalFloatBits keys a float: both zeros alike, every NaN alike.
func aggCanonicalFloatBits(x float64) uint64 {
	switch {
	case x == 0:
		return 0
	case x != x:
		return 0x7ff8000000000001
	}
	return math.Float64bits(x)
}

// aggAsInt64 returns an integer (or date or time) column's values widened to int64, in
// buf.
func aggAsInt64(arr arrow.Array, buf []int64) ([]int64, error) {
	n := arr.Len()
	buf = kernel.Resize(buf, n)
	switch arr.DataType().ID() {
	case arrow.INT8:
		aggWidenInt(buf, kernel.FixedValues[int8](arr))
	case arrow.UINT8:
		aggWidenInt(buf, kernel.FixedValues[uint8](arr))
	case arrow.INT16:
		aggWidenInt(buf, kernel.FixedValues[int16](arr))
	case arrow.UINT16:
		aggWidenInt(buf, kernel.FixedValues[uint16](arr))
	case arrow.INT32, arrow.DATE32, arrow.TIME32:
		aggWidenInt(buf, kernel.FixedValues[int32](arr))
	case arrow.UINT32:
		aggWidenInt(buf, kernel.FixedValues[uint32](arr))
	case arrow.INT64, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME64, arrow.DURATION:
		copy(buf, kernel.FixedValues[int64](arr))
	case arrow.UINT64:
		aggWidenInt(buf, kernel.FixedValues[uint64](arr))
	default:
		return nil, fmt.Errorf("exec: hash aggregate: integer argument expected, got %s", arr.DataType())
	}
	return buf, nil
}

func aggWidenInt[T kernel.FixedWidth](dst []int64, src []T) {
	for i, v := range src {
		dst[i] = int64(v)
	}
}

// aggModeSmall is the count of distinct values a group scans linearly before it builds
// its map: most groups of a fine-grained grouping stay under it, with no map at all.
const aggModeSmall = 8

// find returns the position of k among the group's values, or -1.
func (grp *aggModeGroup[K]) find(k K) int {
	if grp.idx == nil {
		for j, v := range grp.vals {
			if v == k {
				return j
			}
		}
		return -1
	}
	if j, ok := grp.idx[k]; ok {
		return int(j)
	}
	return -1
}

// add counts c more occurrences of k in group g.
func (m *aggModeAcc[K]) add(g int32, k K, c int64) {
	grp := m.groups[g]
	if grp == nil {
		grp = &aggModeGroup[K]{}
		m.groups[g] = grp
		m.used += aggModeGroupBytes
	}
	if j := grp.find(k); j >= 0 {
		grp.counts[j] += c
		return
	}
	if s, ok := any(k).(string); ok {
		k = any(strings.Clone(s)).(K)
		m.used += int64(len(s))
	}
	if grp.idx == nil && len(grp.vals) == aggModeSmall {
		grp.idx = make(map[K]int32, 2*aggModeSmall)
		for j, v := range grp.vals {
			grp.idx[v] = int32(j)
		}
	}
	if grp.idx != nil {
		grp.idx[k] = int32(len(grp.vals))
	}
	grp.vals = append(grp.vals, k)
	grp.counts = append(grp.counts, c)
	m.used += aggModeEntryBytes
}

func (m *aggModeAcc[K]) update(arg arrow.Array, gids []int32) error {
	keys, err := m.keysOf(arg)
	if err != nil {
		return err
	}
	bm, off := kernel.Validity(arg)
	for i, g := range gids {
		if kernel.IsSet(bm, off, i) {
			m.add(g, keys[i], 1)
		}
	}
	m.dropKeys()
	return nil
}

// dropKeys forgets the batch's string keys, which point into its buffers: the scratch
// slice must not keep a released batch's memory alive.
func (m *aggModeAcc[K]) dropKeys() {
	if _, ok := any(m.keys).([]string); ok {
		clear(m.keys)
	}
}

func (m *aggModeAcc[K]) merge(states []arrow.Array, gids []int32) error {
	if len(states) != 2 {
		return fmt.Errorf("exec: hash aggregate: mode wants 2 state columns, got %d", len(states))
	}
	vl, velems, err := aggListState(states[:1], "mode")
	if err != nil {
		return err
	}
	cl, celems, err := aggListState(states[1:], "mode")
	if err != nil {
		return err
	}
	if celems.DataType().ID() != arrow.INT64 {
		return fmt.Errorf("exec: hash aggregate: mode counts are %s, not int64", celems.DataType())
	}
	keys, err := m.keysOf(velems)
	if err != nil {
		return err
	}
	counts := kernel.FixedValues[int64](celems)
	voffs, coffs := kernel.ListSpan(vl), kernel.ListSpan(cl)
	bm, off := kernel.Validity(vl)
	for i, g := range gids {
		if !kernel.IsSet(bm, off, i) {
			continue
		}
		lo, hi := voffs[i], voffs[i+1]
		if coffs[i+1]-coffs[i] != hi-lo {
			return fmt.Errorf("exec: hash aggregate: mode state has %d values and %d counts", hi-lo, coffs[i+1]-coffs[i])
		}
		for j := lo; j < hi; j++ {
			m.add(g, keys[j], counts[coffs[i]+j-lo])
		}
	}
	m.dropKeys()
	return nil
}

// best returns group g's most frequent value, the smallest among ties.
func (m *aggModeAcc[K]) best(grp *aggModeGroup[K]) (K, bool) {
	var k K
	if grp == nil || len(grp.vals) == 0 {
		return k, false
	}
	j := 0
	for i := 1; i < len(grp.vals); i++ {
		c, cj := grp.counts[i], grp.counts[j]
		if c > cj || (c == cj && m.less(grp.vals[i], grp.vals[j])) {
			j = i
		}
	}
	return grp.vals[j], true
}

func (m *aggModeAcc[K]) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	n := hi - lo
	vals := make([]K, n)
	valid := make([]bool, n)
	for i := range vals {
		vals[i], valid[i] = m.best(m.groups[lo+i])
	}
	isValid := func(i int) bool { return valid[i] }
	switch vs := any(vals).(type) {
	case []int64:
		return aggBuildNumber(mem, dt, n, func(i int) int64 { return vs[i] }, isValid)
	case []uint64:
		return aggBuildNumber(mem, dt, n, func(i int) float64 { return math.Float64frombits(vs[i]) }, isValid)
	case []string:
		b := array.NewStringBuilder(mem)
		defer b.Release()
		b.AppendValues(vs, valid)
		return b.NewArray(), nil
	}
	return nil, fmt.Errorf("exec: hash aggregate: mode cannot build %s", dt)
}

func (m *aggModeAcc[K]) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	if len(types) != 2 {
		return nil, fmt.Errorf("exec: hash aggregate: mode has 2 state columns, not %d", len(types))
	}
	vt, ok1 := types[0].(*arrow.ListType)
	ct, ok2 := types[1].(*arrow.ListType)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("exec: hash aggregate: mode state types %v are not two lists", types)
	}
	vb := array.NewListBuilder(mem, vt.Elem())
	defer vb.Release()
	cb := array.NewListBuilder(mem, ct.Elem())
	defer cb.Release()
	cvals := cb.ValueBuilder().(*array.Int64Builder)
	for _, grp := range m.groups[lo:hi] {
		if grp == nil || len(grp.vals) == 0 {
			vb.AppendNull()
			cb.AppendNull()
			continue
		}
		vb.Append(true)
		cb.Append(true)
		cvals.AppendValues(grp.counts, nil)
		if err := aggAppendModeVals(vb.ValueBuilder(), grp.vals); err != nil {
			return nil, err
		}
	}
	va, ca := vb.NewArray(), cb.NewArray()
	return []arrow.Array{va, ca}, nil
}

// aggAppendModeVals appends a group's values to the state's value builder.
func aggAppendModeVals[K aggModeKey](b array.Builder, vals []K) error {
	switch vs := any(vals).(type) {
	case []int64:
		if ib, ok := b.(*array.Int64Builder); ok {
			ib.AppendValues(vs, nil)
			return nil
		}
	case []uint64:
		if fb, ok := b.(*array.Float64Builder); ok {
			for _, v := range vs {
				fb.Append(math.Float64frombits(v))
			}
			return nil
		}
	case []string:
		if sb, ok := b.(*array.StringBuilder); ok {
			sb.AppendValues(vs, nil)
			return nil
		}
	}
	return fmt.Errorf("exec: hash aggregate: mode state builder %s does not hold its values", b.Type())
}
