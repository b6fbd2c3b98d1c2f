package window

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// bounds is each row's frame: rows [lo, hi) of the chunk, inside the row's partition. In
// a partition both lo and hi never decrease from row to row and lo <= hi (the analyzer
// checked that frames start before they end), which lets the aggregates slide.
type bounds struct{ lo, hi []int32 }

// frameBounds computes the frame of every row of rec.
func (o *Op) frameBounds(rec arrow.RecordBatch, l *layout, f plan.WindowFrame) (*bounds, error) {
	b := &bounds{lo: make([]int32, l.n), hi: make([]int32, l.n)}
	if f.Kind == plan.FrameRows {
		rowBounds(l, f, b)
		return b, nil
	}
	offsets := f.Start != plan.UnboundedPreceding && f.Start != 0 || f.End != plan.UnboundedFollowing && f.End != 0
	if !offsets {
		for p := 0; p+1 < len(l.parts); p++ {
			ps, pe := int32(l.parts[p]), int32(l.parts[p+1])
			for i := ps; i < pe; i++ {
				b.lo[i], b.hi[i] = ps, pe
				if f.Start == 0 {
					b.lo[i] = l.gs[i]
				}
				if f.End == 0 {
					b.hi[i] = l.ge[i]
				}
			}
		}
		return b, nil
	}
	if len(o.cur.order) != 1 {
		return nil, fmt.Errorf("a RANGE frame with offsets needs one order key, got %d", len(o.cur.order))
	}
	key := rec.Column(o.cur.order[0])
	desc := o.node.OrderBy[0].Descending
	switch {
	case kernel.IsFloat(key.DataType()):
		rangeBounds(l, f, b, key, floatValues(key), desc, addFloat, lessFloat)
	default:
		v, err := intValues(key)
		if err != nil {
			return nil, err
		}
		rangeBounds(l, f, b, key, v, desc, addSat, func(x, y int64) bool { return x < y })
	}
	return b, nil
}

// rowBounds computes ROWS frames: offsets from the row, clamped to its partition.
func rowBounds(l *layout, f plan.WindowFrame, b *bounds) {
	n := int64(l.n)
	for p := 0; p+1 < len(l.parts); p++ {
		ps, pe := int64(l.parts[p]), int64(l.parts[p+1])
		for i := ps; i < pe; i++ {
			lo, hi := ps, pe
			if f.Start != plan.UnboundedPreceding {
				lo = min(max(i+max(f.Start, -n), ps), pe)
			}
			if f.End != plan.UnboundedFollowing {
				hi = min(max(i+min(f.End, n)+1, ps), pe)
			}
			b.lo[i], b.hi[i] = int32(lo), int32(hi)
		}
	}
}

// rangeBounds computes RANGE frames with value offsets over the one order key v: the rows
// whose key lies within [v+start, v+end] of the row's (mirrored for a descending order),
// found by two pointers that only move forward. Rows with a NULL key (contiguous at one
// end of the partition) frame the NULL rows, as in Spark.
func rangeBounds[T int64 | float64](l *layout, f plan.WindowFrame, b *bounds, key arrow.Array, v []T, desc bool, add func(T, int64) T, lt func(x, y T) bool) {
	bm, off := kernel.Validity(key)
	for p := 0; p+1 < len(l.parts); p++ {
		ps, pe := l.parts[p], l.parts[p+1]
		vs, ve := ps, pe // the non-NULL keys
		for vs < pe && !kernel.IsSet(bm, off, vs) {
			vs++
		}
		for ve > vs && !kernel.IsSet(bm, off, ve-1) {
			ve--
		}
		lo, hi := vs, vs
		for i := ps; i < pe; i++ {
			if i < vs || i >= ve { // a NULL key: its peers are the NULL rows
				b.lo[i], b.hi[i] = l.gs[i], l.ge[i]
			} else {
				b.lo[i], b.hi[i] = l.gs[i], l.ge[i]
				if f.Start != 0 && f.Start != plan.UnboundedPreceding {
					t := add(v[i], f.Start)
					if desc {
						t = add(v[i], -f.Start)
					}
					for lo < ve && (!desc && lt(v[lo], t) || desc && lt(t, v[lo])) {
						lo++
					}
					b.lo[i] = int32(lo)
				}
				if f.End != 0 && f.End != plan.UnboundedFollowing {
					t := add(v[i], f.End)
					if desc {
						t = add(v[i], -f.End)
					}
					for hi < ve && (!desc && !lt(t, v[hi]) || desc && !lt(v[hi], t)) {
						hi++
					}
					b.hi[i] = int32(hi)
				}
			}
			if f.Start == plan.UnboundedPreceding {
				b.lo[i] = int32(ps)
			}
			if f.End == plan.UnboundedFollowing {
				b.hi[i] = int32(pe)
			}
		}
	}
}

// addSat is x+d without overflow.
func addSat(x, d int64) int64 {
	s := x + d
	if d > 0 && s < x {
		return math.MaxInt64
	}
	if d < 0 && s > x {
		return math.MinInt64
	}
	return s
}

func addFloat(x float64, d int64) float64 { return x + float64(d) }

// lessFloat orders floats as the sort does: NaN above every number and equal to NaN (a
// NaN key plus an offset is NaN, so a NaN row's offset frame is its NaN peers).
func lessFloat(x, y float64) bool {
	if math.IsNaN(x) || math.IsNaN(y) {
		return !math.IsNaN(x)
	}
	return x < y
}

// intValues widens an integer or date32 column to int64.
func intValues(a arrow.Array) ([]int64, error) {
	out := make([]int64, a.Len())
	switch a.DataType().ID() {
	case arrow.INT8:
		widen(out, kernel.FixedValues[int8](a))
	case arrow.INT16:
		widen(out, kernel.FixedValues[int16](a))
	case arrow.INT32, arrow.DATE32:
		widen(out, kernel.FixedValues[int32](a))
	case arrow.INT64:
		copy(out, kernel.FixedValues[int64](a))
	case arrow.UINT8:
		widen(out, kernel.FixedValues[uint8](a))
	case arrow.UINT16:
		widen(out, kernel.FixedValues[uint16](a))
	case arrow.UINT32:
		widen(out, kernel.FixedValues[uint32](a))
	case arrow.UINT64:
		widen(out, kernel.FixedValues[uint64](a))
	default:
		return nil, fmt.Errorf("a RANGE frame with offsets over %s", a.DataType())
	}
	return out, nil
}

func widen[T int8 | int16 | int32 | uint8 | uint16 | uint32 | uint64](dst []int64, src []T) {
	for i, x := range src {
		dst[i] = int64(x)
	}
}

// floatValues widens a float32 or float64 column to float64.
func floatValues(a arrow.Array) []float64 {
	if a.DataType().ID() == arrow.FLOAT64 {
		return kernel.FixedValues[float64](a)
	}
	src := kernel.FixedValues[float32](a)
	out := make([]float64, len(src))
	for i, x := range src {
		out[i] = float64(x)
	}
	return out
}

// frameAgg computes an aggregate over every row's frame.
func frameAgg(mem memory.Allocator, f plan.AggFunc, arg arrow.Array, typ arrow.DataType, l *layout, b *bounds) (arrow.Array, error) {
	n := l.n
	switch f {
	case plan.AggCountAll:
		buf, v := kernel.NewFixedBuffer[int64](mem, n)
		for i := range v {
			v[i] = int64(b.hi[i] - b.lo[i])
		}
		return kernel.MakeArray(arrow.PrimitiveTypes.Int64, n, 0, []*memory.Buffer{nil, buf}, nil), nil
	case plan.AggFirst:
		return kernel.GatherArrayOrNull(arg, nthInFrame(arg, b, 1, true, false), mem)
	case plan.AggMin, plan.AggMax:
		idx, err := slidingExtreme(arg, l, b, f == plan.AggMax)
		if err != nil {
			return nil, err
		}
		return kernel.GatherArrayOrNull(arg, idx, mem)
	}
	bm, off := kernel.Validity(arg)
	cnt := make([]int64, n+1) // non-NULL values before each row
	for r := 0; r < n; r++ {
		cnt[r+1] = cnt[r]
		if kernel.IsSet(bm, off, r) {
			cnt[r+1]++
		}
	}
	count := func(i int) int64 { return cnt[b.hi[i]] - cnt[b.lo[i]] }
	if f == plan.AggCount {
		buf, v := kernel.NewFixedBuffer[int64](mem, n)
		for i := range v {
			v[i] = count(i)
		}
		return kernel.MakeArray(arrow.PrimitiveTypes.Int64, n, 0, []*memory.Buffer{nil, buf}, nil), nil
	}
	valid := func(i int) bool { return count(i) > 0 }
	if !kernel.IsFloat(arg.DataType()) {
		vals, err := intValues(arg)
		if err != nil {
			return nil, err
		}
		// Prefix sums: exact in two's complement, so a frame's sum is a difference.
		pre := make([]int64, n+1)
		for r := 0; r < n; r++ {
			pre[r+1] = pre[r]
			if kernel.IsSet(bm, off, r) {
				pre[r+1] += vals[r]
			}
		}
		if f == plan.AggSum {
			return kernel.BuildFixed(mem, typ, n, func(i int) int64 { return pre[b.hi[i]] - pre[b.lo[i]] }, valid), nil
		}
		return kernel.BuildFixed(mem, typ, n, func(i int) float64 {
			return float64(pre[b.hi[i]]-pre[b.lo[i]]) / float64(max(count(i), 1))
		}, valid), nil
	}
	sums := slidingFloatSums(floatValues(arg), bm, off, l, b)
	if f == plan.AggMean {
		for i := range sums {
			sums[i] /= float64(max(count(i), 1))
		}
	}
	return kernel.BuildFixed(mem, typ, n, func(i int) float64 { return sums[i] }, valid), nil
}

// floatWindow is a sliding float sum: finite values in a compensated (Neumaier) sum, NaN
// and infinities counted, so that removing them leaves the sum clean.
type floatWindow struct {
	sum, comp       float64
	nan, pinf, ninf int
}

func (w *floatWindow) add(x float64, sign float64) {
	d := 1
	if sign < 0 {
		d = -1
	}
	switch {
	case math.IsNaN(x):
		w.nan += d
		return
	case math.IsInf(x, 1):
		w.pinf += d
		return
	case math.IsInf(x, -1):
		w.ninf += d
		return
	}
	x *= sign
	t := w.sum + x
	if math.Abs(w.sum) >= math.Abs(x) {
		w.comp += (w.sum - t) + x
	} else {
		w.comp += (x - t) + w.sum
	}
	w.sum = t
}

func (w *floatWindow) value() float64 {
	switch {
	case w.nan > 0 || w.pinf > 0 && w.ninf > 0:
		return math.NaN()
	case w.pinf > 0:
		return math.Inf(1)
	case w.ninf > 0:
		return math.Inf(-1)
	}
	return w.sum + w.comp
}

// slidingFloatSums sums each row's frame, adding the rows entering it and subtracting
// those leaving it.
func slidingFloatSums(v []float64, bm []byte, off int, l *layout, b *bounds) []float64 {
	out := make([]float64, l.n)
	for p := 0; p+1 < len(l.parts); p++ {
		ps, pe := l.parts[p], l.parts[p+1]
		var w floatWindow
		lo, hi := int32(ps), int32(ps)
		for i := ps; i < pe; i++ {
			for ; hi < b.hi[i]; hi++ {
				if kernel.IsSet(bm, off, int(hi)) {
					w.add(v[hi], 1)
				}
			}
			for ; lo < b.lo[i]; lo++ {
				if kernel.IsSet(bm, off, int(lo)) {
					w.add(v[lo], -1)
				}
			}
			if lo == hi { // empty: start afresh, dropping rounding residue
				w = floatWindow{}
			}
			out[i] = w.value()
		}
	}
	return out
}

// slidingExtreme returns the position of each frame's smallest (largest with max)
// non-NULL value, -1 for a frame without one: a monotonic deque of positions whose values
// increase (decrease) from front to back, so each position enters and leaves once.
func slidingExtreme(arg arrow.Array, l *layout, b *bounds, max bool) ([]int32, error) {
	cmp, err := kernel.NewRowComparator([]arrow.Array{arg}, []kernel.SortOrder{{Descending: max}})
	if err != nil {
		return nil, err
	}
	bm, off := kernel.Validity(arg)
	idx := make([]int32, l.n)
	dq := make([]int32, 0, 64)
	for p := 0; p+1 < len(l.parts); p++ {
		ps, pe := l.parts[p], l.parts[p+1]
		dq = dq[:0]
		head := 0
		hi := int32(ps)
		for i := ps; i < pe; i++ {
			for ; hi < b.hi[i]; hi++ {
				if !kernel.IsSet(bm, off, int(hi)) {
					continue
				}
				for len(dq) > head && cmp.Compare(int(dq[len(dq)-1]), int(hi)) > 0 {
					dq = dq[:len(dq)-1]
				}
				dq = append(dq, hi)
			}
			for len(dq) > head && dq[head] < b.lo[i] {
				head++
			}
			idx[i] = -1
			if len(dq) > head {
				idx[i] = dq[head]
			}
			if head > 1024 && head > len(dq)/2 { // reclaim the consumed front
				dq = append(dq[:0], dq[head:]...)
				head = 0
			}
		}
	}
	return idx, nil
}
