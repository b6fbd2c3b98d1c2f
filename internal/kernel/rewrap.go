package kernel

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Rewrap returns a batch over the same buffers as rec with Go array objects of its own.
// A batch that several tasks read at once (a broadcast shuffle block) must not be used
// through one set of array objects: arrow-go builds some of their parts on first use
// without locking (a dictionary array's Dictionary()), which is a data race between the
// tasks. The buffers themselves are immutable and reference-counted atomically, so
// sharing them is safe. The caller owns the result; rec is left as it was.
func Rewrap(rec arrow.RecordBatch) arrow.RecordBatch {
	cols := make([]arrow.Array, rec.NumCols())
	for i, c := range rec.Columns() {
		cols[i] = array.MakeFromData(c.Data())
	}
	out := array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}
