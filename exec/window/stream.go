package window

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/plan"
)

// Streaming. When every function of the window can be computed from the rows before
// a row (and, for peers, its peer group), the operator does not wait for a window
// partition's end: each input batch's rows whose frames are complete are computed and
// emitted at once, and what is kept between batches is small:
//
//   - the context: a copy of the narrow projection (keys and arguments) of the last
//     rows emitted in the current partition, as many as the deepest look-back (lag's
//     offset, a ROWS frame's n PRECEDING), at least one (it tells whether the next row
//     continues the partition);
//   - the running state: rows emitted in the partition (row_number, rank), the last
//     dense rank, and each running aggregate's sum and count;
//   - the rows not yet complete: with a function that reads peers (rank, dense_rank, a
//     RANGE frame ending at CURRENT ROW) the current peer group, else none.
//
// Each step computes the functions over context + complete rows with the same code as
// a whole partition (frames clamp to the chunk's start, which the context makes
// exact), and emits the complete rows' slice. A running aggregate is not recomputed from
// the chunk's start: it continues from its state. Functions that need the partition's
// end (UNBOUNDED FOLLOWING or any FOLLOWING frame, lead, ntile, percent_rank, cume_dist,
// running min/max/first and the other aggregates, RANGE offsets) make the whole window
// buffer its partitions, as before, since one of them holds the partition anyway.

// maxLookback is the deepest look-back (lag offset, n PRECEDING) that streams: the
// context holds that many rows' keys and arguments.
const maxLookback = 4096

// streamState is the state a streaming window keeps between batches.
type streamState struct {
	on        bool
	needPeers bool // a function reads peers: cut batches only at peer group ends
	lookback  int  // rows of context to keep (>= 1)

	ctx      arrow.RecordBatch // narrow rows: the end of the partition emitted so far
	ctxBytes int64
	partRows int64 // rows of the current partition emitted
	dense    int32 // dense rank of the last row emitted
	run      []runState
}

// runState is a running aggregate's value over the rows of the partition emitted.
type runState struct {
	isum int64
	fw   floatWindow
	cnt  int64
}

// planStream decides, once the columns are bound, whether every function streams.
func (o *Op) planStream() {
	s := &o.stream
	s.lookback = 1
	for _, e := range o.node.Exprs {
		fn := e.Fn
		switch fn.Func {
		case plan.WinRowNumber:
		case plan.WinRank, plan.WinDenseRank:
			s.needPeers = true
		case plan.WinLag:
			if fn.Offset < 0 || fn.Offset > maxLookback {
				return
			}
			s.lookback = max(s.lookback, int(fn.Offset))
		case plan.WinFirstValue, plan.WinLastValue, plan.WinNthValue, plan.WinAgg:
			f := e.Frame
			switch {
			case fn.Func == plan.WinAgg && f.Start == plan.UnboundedPreceding && f.End == 0 && runningAgg(fn.Agg.Func, e.ArgType):
				if f.Kind == plan.FrameRange {
					s.needPeers = true
				}
			case f.Kind == plan.FrameRows && f.Start != plan.UnboundedPreceding && f.Start >= -maxLookback && f.End <= 0:
				s.lookback = max(s.lookback, int(-f.Start))
			default:
				return
			}
		default:
			return
		}
	}
	if s.needPeers && len(o.node.OrderBy) == 0 {
		return // every row's peer group is its partition: hold it, and spill it if need be
	}
	s.on = true
	s.run = make([]runState, len(o.node.Exprs))
}

// runningAgg reports whether f over an argument of type t has a running form here:
// counts, and sum and mean of integers and floats.
func runningAgg(f plan.AggFunc, t arrow.DataType) bool {
	switch f {
	case plan.AggCountAll:
		return true
	case plan.AggCount, plan.AggSum, plan.AggMean:
		if t == nil {
			return false
		}
		switch t.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16,
			arrow.UINT32, arrow.UINT64, arrow.FLOAT32, arrow.FLOAT64:
			return true
		}
	}
	return false
}

// addStream takes rec while streaming: the rows before its last peer group (all of
// them when no function reads peers) complete the held rows and are emitted; the rest
// is held.
func (o *Op) addStream(rec arrow.RecordBatch) error {
	size := int64(colop.HeldBytes(rec))
	if err := o.reserve(o.heldBytes+size+o.outBytes+o.stream.ctxBytes, "an input batch"); err != nil {
		rec.Release()
		return err
	}
	n := int(rec.NumRows())
	cut := n
	if o.stream.needPeers {
		cmp, err := o.peerComparator(rec)
		if err != nil {
			rec.Release()
			return err
		}
		cut = lastStart(cmp)
		if cut < 0 {
			cut = -1
			if o.tailCmp != nil && o.tailCmp.CompareWith(o.tailCmp.Len()-1, cmp, 0) != 0 {
				cut = 0
			}
		}
		o.tailCmp = cmp // its last row is the last held row from here on
		if cut < 0 {
			o.held = append(o.held, rec)
			o.heldBytes += size
			return nil
		}
	}
	emit := o.held
	if cut > 0 {
		emit = append(emit, rec.NewSlice(0, int64(cut)))
	}
	o.held, o.heldBytes = nil, 0
	if cut < n {
		o.held, o.heldBytes = []arrow.RecordBatch{rec.NewSlice(int64(cut), int64(n))}, size
	}
	rec.Release()
	if len(emit) == 0 {
		return nil
	}
	return o.emitStream(emit)
}

// peerComparator compares rows of rec by the partition and order keys.
func (o *Op) peerComparator(rec arrow.RecordBatch) (*kernel.RowComparator, error) {
	keys := append(append([]int(nil), o.full.part...), o.full.order...)
	cols := make([]arrow.Array, len(keys))
	orders := make([]kernel.SortOrder, len(keys))
	for i, c := range keys {
		cols[i] = rec.Column(c)
		orders[i] = kernel.SortOrder{NullsFirst: true}
	}
	c, err := kernel.NewRowComparator(cols, orders)
	if err != nil {
		return nil, fmt.Errorf("exec: window %s: %w", o.describe(), err)
	}
	return c, nil
}

// emitStream computes the window columns of complete rows (taking ownership of the
// batches) from the context and the running state, makes them the batch to emit and
// keeps the new context.
func (o *Op) emitStream(batches []arrow.RecordBatch) error {
	var size, narrowSize, rows int64
	for _, b := range batches {
		size += int64(colop.HeldBytes(b))
		p := o.project(b)
		narrowSize += int64(colop.HeldBytes(p))
		p.Release()
		rows += b.NumRows()
	}
	// The rows (concatenated when several), their narrow copy with the context, and the
	// window columns.
	o.outBytes = size + narrowSize + 16*(rows+int64(o.stream.lookback))*int64(len(o.node.Exprs))
	if err := o.reserve(o.heldBytes+o.stream.ctxBytes+o.outBytes, "the window columns of a batch"); err != nil {
		o.outBytes = 0
		releaseAll(batches)
		return err
	}
	full, err := concatRecords(o.inSchema, batches, o.mem)
	if err != nil {
		return fmt.Errorf("exec: window %s: %w", o.describe(), err)
	}
	defer full.Release()
	parts := make([]arrow.RecordBatch, 0, 2)
	if o.stream.ctx != nil {
		parts = append(parts, o.stream.ctx)
	}
	parts = append(parts, o.project(full))
	chunk, err := copyRecords(o.narrowSch, parts, o.mem)
	parts[len(parts)-1].Release()
	if err != nil {
		return fmt.Errorf("exec: window %s: %w", o.describe(), err)
	}
	defer chunk.Release()
	from := 0
	if o.stream.ctx != nil {
		from = int(o.stream.ctx.NumRows())
	}
	o.cur = &o.narrow
	cols, lastPart, err := o.streamColumns(chunk, from)
	o.cur = &o.full
	if err != nil {
		return err
	}
	out := append(append([]arrow.Array(nil), full.Columns()...), cols...)
	o.out = array.NewRecordBatch(o.node.OutSchema, out, full.NumRows())
	releaseArrays(cols)
	o.outPos = 0

	// The new context: the last rows of the chunk, within its last partition.
	n := int(chunk.NumRows())
	start := max(n-o.stream.lookback, lastPart)
	tail := chunk.NewSlice(int64(start), int64(n))
	ctx, err := copyRecords(o.narrowSch, []arrow.RecordBatch{tail}, o.mem)
	tail.Release()
	if err != nil {
		return fmt.Errorf("exec: window %s: %w", o.describe(), err)
	}
	o.releaseContext()
	o.stream.ctx = ctx
	o.stream.ctxBytes = int64(colop.HeldBytes(ctx))
	return nil
}

// releaseContext drops the streaming context.
func (o *Op) releaseContext() {
	if o.stream.ctx != nil {
		o.stream.ctx.Release()
		o.stream.ctx, o.stream.ctxBytes = nil, 0
	}
}

// project returns rec's narrow projection (sharing its columns).
func (o *Op) project(rec arrow.RecordBatch) arrow.RecordBatch {
	cols := make([]arrow.Array, len(o.narrowIdx))
	for i, c := range o.narrowIdx {
		cols[i] = rec.Column(c)
	}
	return array.NewRecordBatch(o.narrowSch, cols, rec.NumRows())
}

// copyRecords concatenates batches into new buffers (even a single batch, so that a
// kept slice does not pin the batch it was cut from).
func copyRecords(schema *arrow.Schema, recs []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	cols := make([]arrow.Array, schema.NumFields())
	parts := make([]arrow.Array, len(recs))
	for c := range cols {
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		arr, err := kernel.Concatenate(parts, mem)
		if err != nil {
			releaseArrays(cols[:c])
			return nil, fmt.Errorf("concatenate column %d (%s): %w", c, schema.Field(c).Name, err)
		}
		cols[c] = arr
	}
	out := array.NewRecordBatch(schema, cols, rows)
	releaseArrays(cols)
	return out, nil
}

// streamColumns computes the window columns of chunk's rows from row from on (the rows
// before are context), continuing the running state, and returns them with the start
// of the chunk's last partition; it updates the state to the chunk's end.
func (o *Op) streamColumns(chunk arrow.RecordBatch, from int) ([]arrow.Array, int, error) {
	l, err := o.layout(chunk)
	if err != nil {
		return nil, 0, err
	}
	lastPart := l.parts[len(l.parts)-2]
	frames := map[plan.WindowFrame]*bounds{}
	out := make([]arrow.Array, 0, len(o.node.Exprs))
	for i, e := range o.node.Exprs {
		if err := o.ctx.Err(); err != nil {
			releaseArrays(out)
			return nil, 0, err
		}
		var arr arrow.Array
		switch f := e.Fn.Func; {
		case f == plan.WinRowNumber || f == plan.WinRank || f == plan.WinDenseRank:
			arr = o.streamRanks(l, from, f)
		case f == plan.WinAgg && e.Frame.Start == plan.UnboundedPreceding:
			arr = o.running(chunk, l, from, i, e)
		default:
			whole, cerr := o.column(chunk, l, i, e, frames)
			if cerr != nil {
				err = cerr
				break
			}
			arr = array.NewSlice(whole, int64(from), int64(l.n))
			whole.Release()
		}
		if err != nil {
			releaseArrays(out)
			return nil, 0, fmt.Errorf("exec: window %s: %s: %w", o.describe(), e.Fn, err)
		}
		out = append(out, arr)
	}
	if lastPart == 0 {
		o.stream.partRows += int64(l.n - from)
	} else {
		o.stream.partRows = int64(l.n - lastPart)
	}
	return out, lastPart, nil
}

// streamRanks computes row_number, rank or dense_rank of rows from on. The chunk's
// first partition continues the one emitted so far (when there is context), so its
// row positions count from the rows emitted before the chunk.
func (o *Op) streamRanks(l *layout, from int, f plan.WindowFuncKind) arrow.Array {
	buf, v := kernel.NewFixedBuffer[int32](o.mem, l.n-from)
	for p := 0; p+1 < len(l.parts); p++ {
		ps, pe := l.parts[p], l.parts[p+1]
		if pe <= from {
			continue
		}
		base, dense := int32(0), int32(0)
		if ps == 0 {
			base = int32(o.stream.partRows) - int32(from)
			dense = o.stream.dense
		}
		for i := max(ps, from); i < pe; i++ {
			switch f {
			case plan.WinRowNumber:
				v[i-from] = int32(i-ps+1) + base
			case plan.WinRank:
				v[i-from] = l.gs[i] - int32(ps) + 1 + base
			case plan.WinDenseRank:
				if int(l.gs[i]) == i {
					dense++
				}
				v[i-from] = dense
			}
		}
		if f == plan.WinDenseRank && p+2 == len(l.parts) {
			o.stream.dense = dense
		}
	}
	return kernel.MakeArray(arrow.PrimitiveTypes.Int32, l.n-from, 0, []*memory.Buffer{nil, buf}, nil)
}

// running computes a running count, sum or mean (frame UNBOUNDED PRECEDING to CURRENT
// ROW, or to the row's last peer for RANGE) of rows from on, continuing the partition's
// state, and leaves the state at the chunk's end.
func (o *Op) running(chunk arrow.RecordBatch, l *layout, from, i int, e plan.WindowExpr) arrow.Array {
	f := e.Fn.Agg.Func
	typ := o.node.OutSchema.Field(o.inSchema.NumFields() + i).Type
	var (
		bm    []byte
		off   int
		ivals []int64
		fvals []float64
		isF   bool
	)
	if c := o.cur.args[i][0]; c >= 0 {
		arg := chunk.Column(c)
		bm, off = kernel.Validity(arg)
		if isF = kernel.IsFloat(arg.DataType()); isF {
			fvals = floatValues(arg)
		} else if f != plan.AggCount && f != plan.AggCountAll {
			ivals, _ = intValues(arg) // planStream admitted integer types only
		}
	}
	n := l.n - from
	cnt := make([]int64, n)
	var isum []int64
	var fsum []float64
	if isF {
		fsum = make([]float64, n)
	} else {
		isum = make([]int64, n)
	}
	for p := 0; p+1 < len(l.parts); p++ {
		ps, pe := l.parts[p], l.parts[p+1]
		if pe <= from {
			continue
		}
		var s runState
		if ps == 0 {
			s = o.stream.run[i]
		}
		for g := max(ps, from); g < pe; {
			ge := g + 1
			if e.Frame.Kind == plan.FrameRange {
				ge = int(l.ge[g])
			}
			for r := g; r < ge; r++ {
				if f == plan.AggCountAll {
					s.cnt++
					continue
				}
				if !kernel.IsSet(bm, off, r) {
					continue
				}
				s.cnt++
				switch {
				case isF:
					s.fw.add(fvals[r], 1)
				case ivals != nil:
					s.isum += ivals[r]
				}
			}
			for r := g; r < ge; r++ {
				cnt[r-from] = s.cnt
				if isF {
					fsum[r-from] = s.fw.value()
				} else {
					isum[r-from] = s.isum
				}
			}
			g = ge
		}
		if p+2 == len(l.parts) {
			o.stream.run[i] = s
		}
	}
	valid := func(r int) bool { return cnt[r] > 0 }
	switch {
	case f == plan.AggCount || f == plan.AggCountAll:
		return kernel.BuildFixed(o.mem, arrow.PrimitiveTypes.Int64, n, func(r int) int64 { return cnt[r] }, func(int) bool { return true })
	case f == plan.AggSum && isF:
		return kernel.BuildFixed(o.mem, typ, n, func(r int) float64 { return fsum[r] }, valid)
	case f == plan.AggSum:
		return kernel.BuildFixed(o.mem, typ, n, func(r int) int64 { return isum[r] }, valid)
	case isF:
		return kernel.BuildFixed(o.mem, typ, n, func(r int) float64 { return fsum[r] / float64(max(cnt[r], 1)) }, valid)
	}
	return kernel.BuildFixed(o.mem, typ, n, func(r int) float64 { return float64(isum[r]) / float64(max(cnt[r], 1)) }, valid)
}
