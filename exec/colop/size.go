package colop

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"
)

// BatchSizer measures the rows batches hold, for metrics. util.TotalRecordSize counts
// whole buffers, so every slice of a parent batch (a source cut into BatchRows pieces)
// would count the parent again; here fixed-width and string columns count their own rows
// only, a dictionary counts once however many batches share it (an aggregate's output
// batches share their table's), and other types fall back to their buffers.
type BatchSizer struct {
	dicts map[*memory.Buffer]struct{} // value buffers of the dictionaries counted
}

// Bytes returns the bytes rec's rows hold, counting a dictionary only the first time s
// sees it.
func (s *BatchSizer) Bytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, col := range rec.Columns() {
		n += s.arrayBytes(col)
	}
	return n
}

func (s *BatchSizer) arrayBytes(a arrow.Array) int64 {
	rows := int64(a.Len())
	validity := int64(0)
	if a.NullN() > 0 {
		validity = (rows + 7) / 8
	}
	switch a := a.(type) {
	case *array.String:
		if rows == 0 {
			return 0
		}
		return validity + 4*(rows+1) + int64(a.ValueOffset(int(rows)-1)+len(a.Value(int(rows)-1))-a.ValueOffset(0))
	case *array.Dictionary:
		n := s.arrayBytes(a.Indices())
		bufs := a.Dictionary().Data().Buffers()
		if id := bufs[len(bufs)-1]; id != nil {
			if _, seen := s.dicts[id]; seen {
				return n
			}
			if s.dicts == nil {
				s.dicts = map[*memory.Buffer]struct{}{}
			}
			s.dicts[id] = struct{}{}
		}
		return n + int64(util.TotalArraySize(a.Dictionary()))
	}
	if fw, ok := a.DataType().(arrow.FixedWidthDataType); ok && fw.BitWidth() >= 8 {
		return validity + rows*int64(fw.BitWidth()/8)
	}
	return int64(util.TotalArraySize(a))
}

// HeldBytes is the memory an operator holding rec is charged for it: its buffers, as
// util.TotalRecordSize counts them, except that a dictionary counts at most the share
// of it the batch's rows could use (rows / dictionary length). A CSV split's batches
// share one dictionary that only grows; charging each batch the whole of it would
// count a 100,000-value dictionary once per batch held and spill long before the
// budget is used.
func HeldBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, col := range rec.Columns() {
		n += heldArrayBytes(col)
	}
	return n
}

func heldArrayBytes(a arrow.Array) int64 {
	d, ok := a.(*array.Dictionary)
	if !ok {
		return int64(util.TotalArraySize(a))
	}
	n := int64(util.TotalArraySize(d.Indices()))
	dict := int64(util.TotalArraySize(d.Dictionary()))
	if entries := int64(d.Dictionary().Len()); entries > int64(d.Len()) {
		dict = dict * int64(d.Len()) / entries
	}
	return n + dict
}
