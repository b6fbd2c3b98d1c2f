package shuffle

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/kernel"
)

// directSchema reports whether every column of schema has a kernel.Appender, so that the
// writer can append each partition's rows straight into its column buffers.
func directSchema(schema *arrow.Schema) bool {
	for _, f := range schema.Fields() {
		if _, ok := kernel.NewAppender(f.Type, nil); !ok {
			return false
		}
	}
	return true
}

// hasLists reports whether schema has a list column, whose rows' sizes vary without bound.
func hasLists(schema *arrow.Schema) bool {
	for _, f := range schema.Fields() {
		switch f.Type.ID() {
		case arrow.LIST, arrow.LARGE_LIST:
			return true
		}
	}
	return false
}

const (
	// maxListBatchBytes bounds the bytes a partition's column buffers hold before they are
	// cut into a batch when the schema has list columns: batchRows rows of long lists
	// would grow the buffers by doubling to twice the map output's size.
	maxListBatchBytes = 4 << 20
	// listStepRows is how many rows at a time are appended to list columns' buffers, so
	// that they are cut near maxListBatchBytes.
	listStepRows = 256
)

// appendRows appends rows idx of rec to partition p's column buffers, cutting a batch
// each time they reach batchRows rows (or, with list columns, maxListBatchBytes).
func (w *Writer) appendRows(p int, rec arrow.RecordBatch, idx []int32) error {
	b := &w.parts[p]
	if b.cols == nil {
		b.cols = make([]*kernel.Appender, len(w.schema.Fields()))
		for c, f := range w.schema.Fields() {
			b.cols[c], _ = kernel.NewAppender(f.Type, w.mem)
		}
	}
	for len(idx) > 0 {
		k := min(len(idx), w.batchRows-b.rows)
		if w.lists {
			k = min(k, listStepRows)
			if b.rows > 0 && colBytes(b.cols) >= maxListBatchBytes/4 && !listsFit(b.cols, rec, idx[:k]) {
				// Growing would copy what the buffers hold into larger ones and leave the
				// old as garbage (a partial aggregate's few large state batches each
				// regrew every partition's buffers); cut the batch instead.
				if err := w.cut(p); err != nil {
					return err
				}
			}
		}
		if b.rows == 0 && w.stages == 0 && (b.full || w.rowsIn >= int64(len(w.parts))*int64(w.batchRows)/8) {
			// The partition filled a batch already, or the map output is large enough for
			// partitions to fill one: expect a full batch rather than grow to it
			// (each doubling copies what the buffers hold). Not once memory was short:
			// then the buffers grow with what they hold.
			for _, a := range b.cols {
				a.Reserve(w.batchRows)
			}
		}
		for c, a := range b.cols {
			if err := a.Append(rec.Column(c), idx[:k]); err != nil {
				return fmt.Errorf("shuffle: %s: reduce partition %d column %d (%s): %w", w.where(), p, c, w.schema.Field(c).Name, err)
			}
		}
		b.rows += k
		idx = idx[k:]
		if b.rows == w.batchRows {
			b.full = true
			if err := w.cut(p); err != nil {
				return err
			}
		} else if w.lists && colBytes(b.cols) >= maxListBatchBytes {
			if err := w.cut(p); err != nil {
				return err
			}
		}
	}
	w.holdBytes(p)
	return nil
}

// listsFit reports whether rows idx of rec fit the room left in the list columns'
// element buffers.
func listsFit(cols []*kernel.Appender, rec arrow.RecordBatch, idx []int32) bool {
	for c, a := range cols {
		if !a.ListElemsFit(rec.Column(c), idx) {
			return false
		}
	}
	return true
}

// colBytes returns the bytes column buffers hold.
func colBytes(cols []*kernel.Appender) int64 {
	var n int64
	for _, a := range cols {
		n += a.Bytes()
	}
	return n
}

// holdBytes brings the writer's byte count up to date with partition p's column buffers.
func (w *Writer) holdBytes(p int) {
	b := &w.parts[p]
	held := colBytes(b.cols)
	w.bytes += held - b.held
	b.held = held
}

// cut turns partition p's appended rows into a batch of its done list.
func (w *Writer) cut(p int) error {
	b := &w.parts[p]
	if b.rows == 0 {
		return nil
	}
	cols := make([]arrow.Array, len(b.cols))
	for c, a := range b.cols {
		col, err := a.Finish()
		if err != nil {
			releaseArrays(cols)
			return fmt.Errorf("shuffle: %s: reduce partition %d column %d (%s): %w", w.where(), p, c, w.schema.Field(c).Name, err)
		}
		cols[c] = col
	}
	out := array.NewRecordBatch(w.schema, cols, int64(b.rows))
	releaseArrays(cols)
	b.rows = 0
	w.addDone(p, out)
	w.holdBytes(p)
	return nil
}

// releaseCols frees partition p's column buffers.
func (w *Writer) releaseCols(p int) {
	b := &w.parts[p]
	for _, a := range b.cols {
		a.Release()
	}
	b.cols = nil
	b.rows = 0
}

func releaseArrays(cols []arrow.Array) {
	for _, c := range cols {
		if c != nil {
			c.Release()
		}
	}
}

// writeDirect appends rec's rows to their partitions' column buffers; w.assign and
// w.starts hold the rows' partitions and where each partition's rows begin in order.
func (w *Writer) writeDirect(rec arrow.RecordBatch) error {
	n := len(w.assign)
	np := len(w.parts)
	if single := int(w.assign[0]); w.starts[single+1]-w.starts[single] == n {
		// Every row goes to one partition: append them in order.
		if len(w.ident) < n {
			w.ident = make([]int32, n)
			for i := range w.ident {
				w.ident[i] = int32(i)
			}
		}
		err := w.appendRows(single, rec, w.ident[:n])
		w.rowsIn += int64(n)
		return err
	}
	w.order = kernel.Resize(w.order, n)
	w.next = append(w.next[:0], w.starts[:np]...)
	for i, a := range w.assign {
		w.order[w.next[a]] = int32(i)
		w.next[a]++
	}
	for p := range np {
		lo, hi := w.starts[p], w.starts[p+1]
		if lo == hi {
			continue
		}
		if err := w.appendRows(p, rec, w.order[lo:hi]); err != nil {
			return err
		}
	}
	w.rowsIn += int64(n)
	return nil
}
