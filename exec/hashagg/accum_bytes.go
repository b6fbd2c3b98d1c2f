package hashagg

import (
	"bytes"
	"fmt"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// aggBytesAcc computes min, max or first over strings or binary (plain or dictionary-encoded),
// comparing by bytes. Each group owns a buffer that a better value overwrites in place, so
// replacing a value allocates only when it outgrows the buffer.
type aggBytesAcc struct {
	kind     aggKind
	vals     [][]byte
	has      []bool
	capBytes int64
	dictIdx  []int32 // scratch: a dictionary batch's row -> entry (-1 for NULL)
}

func (b *aggBytesAcc) grow(n int) { b.vals = aggGrowTo(b.vals, n); b.has = aggGrowTo(b.has, n) }
func (b *aggBytesAcc) bytes() int64 {
	return int64(cap(b.vals))*25 + b.capBytes + int64(cap(b.dictIdx))*4
}

func (b *aggBytesAcc) growthBound(rows int, inputs []arrow.Array) int64 {
	bound := int64(rows) * 25
	for _, in := range inputs {
		bound += aggValueBytes(in) + int64(in.Len())*4
	}
	return bound
}

func (b *aggBytesAcc) name() string { return [...]string{"min", "max", "first"}[b.kind] }

func (b *aggBytesAcc) update(arg arrow.Array, gids []int32) error {
	switch arg.DataType().ID() {
	case arrow.STRING, arrow.BINARY:
		offs, data := kernel.OffsetsAndData[int32](arg)
		bm, off := kernel.Validity(arg)
		aggBytesInto(b, offs, data, nil, bm, off, gids)
	case arrow.LARGE_STRING, arrow.LARGE_BINARY:
		offs, data := kernel.OffsetsAndData[int64](arg)
		bm, off := kernel.Validity(arg)
		aggBytesInto(b, offs, data, nil, bm, off, gids)
	case arrow.DICTIONARY:
		d := arg.(*array.Dictionary)
		dict := d.Dictionary()
		var err error
		b.dictIdx, err = kernel.DictIndices(d, b.dictIdx)
		if err != nil {
			return err
		}
		switch dict.DataType().ID() {
		case arrow.STRING, arrow.BINARY:
			offs, data := kernel.OffsetsAndData[int32](dict)
			aggBytesInto(b, offs, data, b.dictIdx, nil, 0, gids)
		case arrow.LARGE_STRING, arrow.LARGE_BINARY:
			offs, data := kernel.OffsetsAndData[int64](dict)
			aggBytesInto(b, offs, data, b.dictIdx, nil, 0, gids)
		default:
			return fmt.Errorf("exec: hash aggregate: %s over %s", b.name(), arg.DataType())
		}
	default:
		return fmt.Errorf("exec: hash aggregate: %s over %s", b.name(), arg.DataType())
	}
	return nil
}

// aggBytesInto folds rows into the groups; with idx, row i's value is dictionary entry
// idx[i] (skipped when negative), otherwise it is row i itself.
func aggBytesInto[O int32 | int64](b *aggBytesAcc, offs []O, data []byte, idx []int32, bm []byte, off int, gids []int32) {
	for i, g := range gids {
		r := i
		if idx != nil {
			if r = int(idx[i]); r < 0 {
				continue
			}
		} else if bm != nil && !bitutil.BitIsSet(bm, off+i) {
			continue
		}
		v := data[offs[r]:offs[r+1]]
		if b.has[g] {
			switch b.kind {
			case aggKindFirst:
				continue
			case aggKindMin:
				if bytes.Compare(v, b.vals[g]) >= 0 {
					continue
				}
			case aggKindMax:
				if bytes.Compare(v, b.vals[g]) <= 0 {
					continue
				}
			}
		}
		old := cap(b.vals[g])
		b.vals[g] = append(b.vals[g][:0], v...)
		b.capBytes += int64(cap(b.vals[g]) - old)
		b.has[g] = true
	}
}

func (b *aggBytesAcc) merge(states []arrow.Array, gids []int32) error {
	if len(states) != 1 {
		return fmt.Errorf("exec: hash aggregate: %s wants one state column, got %d", b.name(), len(states))
	}
	return b.update(states[0], gids)
}

func (b *aggBytesAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	vals, has := b.vals[lo:hi], b.has[lo:hi]
	return aggBuildBytes(mem, dt, len(vals), func(i int) []byte { return vals[i] }, func(i int) bool { return has[i] })
}

func (b *aggBytesAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	a, err := b.result(mem, types[0], lo, hi)
	if err != nil {
		return nil, err
	}
	return []arrow.Array{a}, nil
}

// aggDistinctAcc computes count(DISTINCT x). The argument's values get dense ids from a key
// table (so NaNs are one value and -0.0 = 0.0, as for grouping), and the set of (group,
// value id) pairs seen is kept in an open-addressing set and, in insertion order, in
// pairG/pairV; the
// partial state of a group lists its values.
type aggDistinctAcc struct {
	values aggKeyTable
	seen   aggPairSet
	pairG  []int32
	pairV  []int32
	counts []int64
	vids   []int32 // scratch: value ids of a batch
	egids  []int32 // scratch: group id of each list element when merging
	// byGroup and starts order the value ids by group for emitting states; nil until
	// needed, and dropped by any update.
	byGroup []int32
	starts  []int64
}

func (d *aggDistinctAcc) grow(n int) { d.counts = aggGrowTo(d.counts, n) }
func (d *aggDistinctAcc) bytes() int64 {
	return d.values.bytes() + d.seen.bytes() + int64(cap(d.pairG)+cap(d.pairV))*4 +
		int64(cap(d.counts))*8 + int64(cap(d.vids)+cap(d.egids)+cap(d.byGroup))*4 + int64(cap(d.starts))*8
}

func (d *aggDistinctAcc) growthBound(rows int, inputs []arrow.Array) int64 {
	bound := int64(rows) * 8
	for _, in := range inputs {
		if l, ok := in.(*array.List); ok {
			in = l.ListValues()
		}
		n := int64(in.Len())
		bound += d.values.growthBound(in) + n*(pairEntryBytes+16)
	}
	return bound
}

func (d *aggDistinctAcc) update(arg arrow.Array, gids []int32) error {
	return d.add(arg, gids)
}

// add inserts the (group, value) pairs of vals's rows; a negative group skips the row.
func (d *aggDistinctAcc) add(vals arrow.Array, gids []int32) error {
	d.byGroup, d.starts = nil, nil
	n := vals.Len()
	if cap(d.vids) < n {
		d.vids = make([]int32, n)
	}
	vids := d.vids[:n]
	if err := d.values.assign(vals, vids); err != nil {
		return fmt.Errorf("exec: hash aggregate: count distinct: %w", err)
	}
	null := d.values.nullID()
	for i, g := range gids {
		v := vids[i]
		if g < 0 || v == null {
			continue
		}
		if !d.seen.insert(aggPairKey(g, v)) {
			continue
		}
		d.pairG = append(d.pairG, g)
		d.pairV = append(d.pairV, v)
		d.counts[g]++
	}
	return nil
}

func (d *aggDistinctAcc) merge(states []arrow.Array, gids []int32) error {
	if len(states) != 1 {
		return fmt.Errorf("exec: hash aggregate: count distinct wants one state column, got %d", len(states))
	}
	l, ok := states[0].(*array.List)
	if !ok {
		return fmt.Errorf("exec: hash aggregate: count distinct state is %s, not a list", states[0].DataType())
	}
	rows := l.Len()
	if rows == 0 {
		return nil
	}
	offs := l.Offsets()[l.Data().Offset() : l.Data().Offset()+rows+1]
	first, last := int(offs[0]), int(offs[rows])
	if cap(d.egids) < last-first {
		d.egids = make([]int32, last-first)
	}
	egids := d.egids[:last-first]
	bm, off := kernel.Validity(l)
	for i := 0; i < rows; i++ {
		g := gids[i]
		if !kernel.IsSet(bm, off, i) {
			g = -1
		}
		for j := offs[i]; j < offs[i+1]; j++ {
			egids[int(j)-first] = g
		}
	}
	elems := array.NewSlice(l.ListValues(), int64(first), int64(last))
	defer elems.Release()
	return d.add(elems, egids)
}

func (d *aggDistinctAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	counts := d.counts[lo:hi]
	return kernel.BuildFixed(mem, dt, len(counts), func(i int) int64 { return counts[i] }, kernel.AllValid), nil
}

func (d *aggDistinctAcc) states(mem memory.Allocator, types []arrow.DataType, lo, hi int) ([]arrow.Array, error) {
	lt, ok := types[0].(*arrow.ListType)
	if !ok {
		return nil, fmt.Errorf("exec: hash aggregate: count distinct state type %s is not a list", types[0])
	}
	if d.starts == nil {
		d.sortByGroup()
	}
	n := hi - lo
	base := d.starts[lo]
	if d.starts[hi]-base > 1<<31-1 {
		return nil, fmt.Errorf("exec: hash aggregate: count distinct state of %d values overflows a list", d.starts[hi]-base)
	}
	ob, offs := kernel.NewFixedBuffer[int32](mem, n+1)
	for i := 0; i <= n; i++ {
		offs[i] = int32(d.starts[lo+i] - base)
	}
	child, err := d.values.build(mem, lt.Elem(), d.byGroup[base:d.starts[hi]])
	if err != nil {
		ob.Release()
		return nil, err
	}
	defer child.Release()
	return []arrow.Array{kernel.MakeArray(lt, n, 0, []*memory.Buffer{nil, ob}, []arrow.ArrayData{child.Data()})}, nil
}

// sortByGroup orders the value ids by group with a counting sort (counts[g] is exactly
// the number of pairs of group g).
func (d *aggDistinctAcc) sortByGroup() {
	ng := len(d.counts)
	d.starts = make([]int64, ng+1)
	for g, c := range d.counts {
		d.starts[g+1] = d.starts[g] + c
	}
	next := make([]int64, ng)
	copy(next, d.starts[:ng])
	d.byGroup = make([]int32, len(d.pairV))
	for i, g := range d.pairG {
		d.byGroup[next[g]] = d.pairV[i]
		next[g]++
	}
}
