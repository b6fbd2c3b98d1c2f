package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/util"
)

// batchBytes is the size of the rows a batch holds, for metrics. util.TotalRecordSize
// counts whole buffers, so every slice of a parent batch (a source cut into BatchRows
// pieces) would count the parent again; here fixed-width and string columns count their
// own rows only, and other types fall back to their buffers.
func batchBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, col := range rec.Columns() {
		n += arrayBytes(col)
	}
	return n
}

func arrayBytes(a arrow.Array) int64 {
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
		return arrayBytes(a.Indices()) + int64(util.TotalArraySize(a.Dictionary()))
	}
	if fw, ok := a.DataType().(arrow.FixedWidthDataType); ok && fw.BitWidth() >= 8 {
		return validity + rows*int64(fw.BitWidth()/8)
	}
	return int64(util.TotalArraySize(a))
}
