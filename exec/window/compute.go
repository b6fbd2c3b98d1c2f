package window

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// layout is where the window partitions and peer groups of a chunk of complete
// partitions start and end.
type layout struct {
	n     int
	parts []int   // start of each partition, then n
	gs    []int32 // start of each row's peer group
	ge    []int32 // end of each row's peer group
}

// layout finds the partitions and peer groups of rec.
func (o *Op) layout(rec arrow.RecordBatch) (*layout, error) {
	n := int(rec.NumRows())
	pc, err := o.partComparator(rec, o.cur)
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, len(o.cur.order))
	orders := make([]kernel.SortOrder, len(o.cur.order))
	for i, c := range o.cur.order {
		cols[i] = rec.Column(c)
		k := o.node.OrderBy[i]
		orders[i] = kernel.SortOrder{Descending: k.Descending, NullsFirst: k.NullsFirst}
	}
	oc, err := kernel.NewRowComparator(cols, orders)
	if err != nil {
		return nil, fmt.Errorf("exec: window %s: %w", o.describe(), err)
	}
	l := &layout{n: n, gs: make([]int32, n), ge: make([]int32, n)}
	g := 0
	for i := 0; i < n; i++ {
		newPart := i == 0 || len(o.cur.part) > 0 && pc.Compare(i, i-1) != 0
		if newPart {
			l.parts = append(l.parts, i)
		}
		if newPart || len(o.cur.order) > 0 && oc.Compare(i, i-1) != 0 {
			for j := g; j < i; j++ {
				l.ge[j] = int32(i)
			}
			g = i
		}
		l.gs[i] = int32(g)
	}
	for j := g; j < n; j++ {
		l.ge[j] = int32(n)
	}
	l.parts = append(l.parts, n)
	return l, nil
}

// columns computes every window column over rec.
func (o *Op) columns(rec arrow.RecordBatch) ([]arrow.Array, error) {
	l, err := o.layout(rec)
	if err != nil {
		return nil, err
	}
	frames := map[plan.WindowFrame]*bounds{}
	out := make([]arrow.Array, 0, len(o.node.Exprs))
	for i, e := range o.node.Exprs {
		if err := o.ctx.Err(); err != nil {
			releaseArrays(out)
			return nil, err
		}
		arr, err := o.column(rec, l, i, e, frames)
		if err != nil {
			releaseArrays(out)
			return nil, fmt.Errorf("exec: window %s: %s: %w", o.describe(), e.Fn, err)
		}
		out = append(out, arr)
	}
	return out, nil
}

func releaseArrays(as []arrow.Array) {
	for _, a := range as {
		a.Release()
	}
}

// column computes window function i over rec.
func (o *Op) column(rec arrow.RecordBatch, l *layout, i int, e plan.WindowExpr, frames map[plan.WindowFrame]*bounds) (arrow.Array, error) {
	fn := e.Fn
	switch fn.Func {
	case plan.WinRowNumber, plan.WinRank, plan.WinDenseRank, plan.WinNTile:
		return ranks(o.mem, l, fn.Func, fn.Offset), nil
	case plan.WinPercentRank, plan.WinCumeDist:
		return distribution(o.mem, l, fn.Func), nil
	case plan.WinLag, plan.WinLead:
		return o.lagLead(rec, l, i, fn)
	}
	b := frames[e.Frame]
	if b == nil {
		var err error
		if b, err = o.frameBounds(rec, l, e.Frame); err != nil {
			return nil, err
		}
		frames[e.Frame] = b
	}
	arg := arrow.Array(nil)
	if c := o.cur.args[i][0]; c >= 0 {
		arg = rec.Column(c)
	}
	switch fn.Func {
	case plan.WinFirstValue:
		return kernel.GatherArrayOrNull(arg, nthInFrame(arg, b, 1, fn.IgnoreNulls, false), o.mem)
	case plan.WinLastValue:
		return kernel.GatherArrayOrNull(arg, nthInFrame(arg, b, 1, fn.IgnoreNulls, true), o.mem)
	case plan.WinNthValue:
		return kernel.GatherArrayOrNull(arg, nthInFrame(arg, b, fn.Offset, fn.IgnoreNulls, false), o.mem)
	case plan.WinAgg:
		return frameAgg(o.mem, fn.Agg.Func, arg, o.node.OutSchema.Field(o.inSchema.NumFields()+i).Type, l, b)
	}
	return nil, fmt.Errorf("unknown window function %d", fn.Func)
}

// ranks computes row_number, rank, dense_rank or ntile(buckets) as int32.
func ranks(mem memory.Allocator, l *layout, f plan.WindowFuncKind, buckets int64) arrow.Array {
	buf, v := kernel.NewFixedBuffer[int32](mem, l.n)
	for p := 0; p+1 < len(l.parts); p++ {
		ps, pe := l.parts[p], l.parts[p+1]
		dense := int32(0)
		var q, r int64
		if f == plan.WinNTile {
			rows := int64(pe - ps)
			q, r = rows/buckets, rows%buckets
		}
		for i := ps; i < pe; i++ {
			switch f {
			case plan.WinRowNumber:
				v[i] = int32(i - ps + 1)
			case plan.WinRank:
				v[i] = l.gs[i] - int32(ps) + 1
			case plan.WinDenseRank:
				if int(l.gs[i]) == i {
					dense++
				}
				v[i] = dense
			case plan.WinNTile:
				j := int64(i - ps)
				if j < r*(q+1) {
					v[i] = int32(j/(q+1) + 1)
				} else {
					v[i] = int32(r + (j-r*(q+1))/q + 1)
				}
			}
		}
	}
	return kernel.MakeArray(arrow.PrimitiveTypes.Int32, l.n, 0, []*memory.Buffer{nil, buf}, nil)
}

// distribution computes percent_rank or cume_dist as float64.
func distribution(mem memory.Allocator, l *layout, f plan.WindowFuncKind) arrow.Array {
	buf, v := kernel.NewFixedBuffer[float64](mem, l.n)
	for p := 0; p+1 < len(l.parts); p++ {
		ps, pe := l.parts[p], l.parts[p+1]
		rows := float64(pe - ps)
		for i := ps; i < pe; i++ {
			if f == plan.WinCumeDist {
				v[i] = float64(int(l.ge[i])-ps) / rows
			} else if pe-ps > 1 {
				v[i] = float64(int(l.gs[i])-ps) / (rows - 1)
			}
		}
	}
	return kernel.MakeArray(arrow.PrimitiveTypes.Float64, l.n, 0, []*memory.Buffer{nil, buf}, nil)
}

// lagLead gathers the value offset rows before (lag) or after (lead) each row, or the
// default column's value at the row (NULL without one) when that row is outside the
// partition.
func (o *Op) lagLead(rec arrow.RecordBatch, l *layout, i int, fn *plan.WindowFunc) (arrow.Array, error) {
	arg := rec.Column(o.cur.args[i][0])
	off := fn.Offset
	if fn.Func == plan.WinLag {
		off = -off
	}
	src := arg
	hasDef := o.cur.args[i][1] >= 0
	if hasDef {
		all, err := kernel.Concatenate([]arrow.Array{arg, rec.Column(o.cur.args[i][1])}, o.mem)
		if err != nil {
			return nil, err
		}
		defer all.Release()
		src = all
	}
	idx := make([]int32, l.n)
	for p := 0; p+1 < len(l.parts); p++ {
		ps, pe := int64(l.parts[p]), int64(l.parts[p+1])
		for r := ps; r < pe; r++ {
			j := r + off
			switch {
			case j >= ps && j < pe:
				idx[r] = int32(j)
			case hasDef:
				idx[r] = int32(int64(l.n) + r)
			default:
				idx[r] = -1
			}
		}
	}
	return kernel.GatherArrayOrNull(src, idx, o.mem)
}

// nthInFrame returns, for each row, the position of the nth row of its frame (from the
// end with fromEnd), counting only non-NULL values of arg with ignoreNulls; -1 when the
// frame has fewer rows.
func nthInFrame(arg arrow.Array, b *bounds, nth int64, ignoreNulls, fromEnd bool) []int32 {
	n := len(b.lo)
	idx := make([]int32, n)
	bm, off := kernel.Validity(arg)
	if !ignoreNulls || bm == nil {
		for i := range idx {
			lo, hi := int64(b.lo[i]), int64(b.hi[i])
			j := lo + nth - 1
			if fromEnd {
				j = hi - nth
			}
			idx[i] = -1
			if j >= lo && j < hi {
				idx[i] = int32(j)
			}
		}
		return idx
	}
	// valid[k] is the position of the k-th non-NULL row; before[r] counts those before r.
	before := make([]int32, n+1)
	valid := make([]int32, 0, n)
	for r := 0; r < n; r++ {
		before[r] = int32(len(valid))
		if kernel.IsSet(bm, off, r) {
			valid = append(valid, int32(r))
		}
	}
	before[n] = int32(len(valid))
	for i := range idx {
		first, end := int64(before[b.lo[i]]), int64(before[b.hi[i]])
		k := first + nth - 1
		if fromEnd {
			k = end - nth
		}
		idx[i] = -1
		if k >= first && k < end {
			idx[i] = valid[k]
		}
	}
	return idx
}
