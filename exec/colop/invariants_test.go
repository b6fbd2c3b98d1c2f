//go:build invariants

package colop

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestCheckBatchReportsMalformed builds batches that break each invariant and checks
// CheckBatch names the problem, and that a well-formed batch passes.
func TestCheckBatchReportsMalformed(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{1, 2, 3}, []bool{true, false, true})
	ints := ib.NewArray()
	ib.Release()
	defer ints.Release()
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"a", "b", "c"}, nil)
	strs := sb.NewArray()
	sb.Release()
	defer strs.Release()

	nullable := arrow.NewSchema([]arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	good := array.NewRecordBatch(nullable, []arrow.Array{ints}, 3)
	defer good.Release()
	if err := CheckBatch(good, "good"); err != nil {
		t.Errorf("well-formed batch: %v", err)
	}

	check := func(what string, rec arrow.RecordBatch, want string) {
		t.Helper()
		defer rec.Release()
		err := CheckBatch(rec, what)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), what) {
			t.Errorf("%s: err = %v, want one mentioning %q", what, err, want)
		}
	}
	// array.NewRecordBatch panics on most inconsistencies, so the malformed batches are
	// hand-made, as a buggy operator could hand them over.
	check("wrong type", fakeBatch{schema: arrow.NewSchema([]arrow.Field{{Name: "i", Type: arrow.BinaryTypes.String, Nullable: true}}, nil), cols: []arrow.Array{ints}, rows: 3}, "schema says utf8")
	check("wrong length", fakeBatch{schema: nullable, cols: []arrow.Array{ints}, rows: 4}, "has 3 rows, batch 4")
	check("missing column", fakeBatch{schema: nullable, cols: nil, rows: 3}, "1 fields, batch 0 columns")
	notNull := arrow.NewSchema([]arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int64}}, nil)
	check("nulls in a non-nullable field", array.NewRecordBatch(notNull, []arrow.Array{ints}, 3), "not nullable")

	// A dictionary whose index points past its dictionary.
	idxb := array.NewInt32Builder(mem)
	idxb.AppendValues([]int32{0, 2, 7}, nil)
	idx := idxb.NewArray()
	idxb.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	dict := array.NewDictionaryArray(dt, idx, strs)
	idx.Release()
	dictSchema := arrow.NewSchema([]arrow.Field{{Name: "d", Type: dt, Nullable: true}}, nil)
	check("dictionary index out of range", array.NewRecordBatch(dictSchema, []arrow.Array{dict}, 3), "out of range")
	dict.Release()

	// Strings are bytes: not UTF-8 is fine, offsets going backwards are not.
	strSchema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	sb = array.NewStringBuilder(mem)
	sb.AppendValues([]string{"\xff", "a\xfe"}, nil)
	bytesCol := sb.NewArray()
	sb.Release()
	bytesRec := array.NewRecordBatch(strSchema, []arrow.Array{bytesCol}, 2)
	bytesCol.Release()
	if err := CheckBatch(bytesRec, "bytes"); err != nil {
		t.Errorf("strings that are not UTF-8: %v", err)
	}
	bytesRec.Release()
	offs := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes([]int32{0, 3, 1}))
	data := memory.NewBufferBytes([]byte("abc"))
	bad := array.NewStringData(array.NewData(arrow.BinaryTypes.String, 2, []*memory.Buffer{nil, offs, data}, nil, 0, 0))
	check("offsets decrease", array.NewRecordBatch(strSchema, []arrow.Array{bad}, 2), "offsets decrease")
	bad.Release()
}

// fakeBatch is a RecordBatch that skips arrow's constructor checks.
type fakeBatch struct {
	arrow.RecordBatch
	schema *arrow.Schema
	cols   []arrow.Array
	rows   int64
}

func (b fakeBatch) Schema() *arrow.Schema    { return b.schema }
func (b fakeBatch) Columns() []arrow.Array   { return b.cols }
func (b fakeBatch) Column(i int) arrow.Array { return b.cols[i] }
func (b fakeBatch) NumCols() int64           { return int64(len(b.cols)) }
func (b fakeBatch) NumRows() int64           { return b.rows }
func (b fakeBatch) Release()                 {}
