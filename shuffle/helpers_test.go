package shuffle

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var DictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// testSchema: id is a unique row id; s and d carry the same string values (d dictionary
// encoded), so partitioning by either must agree.
var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: DictType, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}, nil)

const (
	colID = iota
	colK
	colF
	colS
	colD
	colB
)

var specialFloats = []float64{0, math.Copysign(0, -1), math.NaN(), math.Float64frombits(0x7ff8000000000abc), 1.5, -2.25, math.Inf(1)}

// genBatch builds n rows with ids from firstID; about one value in eight is NULL.
func genBatch(mem memory.Allocator, rng *rand.Rand, firstID, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	for i := range n {
		b.Field(colID).(*array.Int64Builder).Append(int64(firstID + i))
		if rng.IntN(8) == 0 {
			b.Field(colK).AppendNull()
		} else {
			b.Field(colK).(*array.Int64Builder).Append(int64(rng.IntN(40) - 10))
		}
		if rng.IntN(8) == 0 {
			b.Field(colF).AppendNull()
		} else {
			b.Field(colF).(*array.Float64Builder).Append(specialFloats[rng.IntN(len(specialFloats))])
		}
		if rng.IntN(8) == 0 {
			b.Field(colS).AppendNull()
			b.Field(colD).AppendNull()
		} else {
			s := strings.Repeat("w", rng.IntN(3)) + fmt.Sprint(rng.IntN(30))
			b.Field(colS).(*array.StringBuilder).Append(s)
			if err := b.Field(colD).(*array.BinaryDictionaryBuilder).AppendString(s); err != nil {
				panic(err)
			}
		}
		if rng.IntN(8) == 0 {
			b.Field(colB).AppendNull()
		} else {
			b.Field(colB).(*array.BooleanBuilder).Append(rng.IntN(2) == 0)
		}
	}
	return b.NewRecordBatch()
}

// row is a plain-Go copy of one row; floats keep their exact bits.
type row struct {
	id      int64
	k       string
	f       string
	s, d    string
	b       string
	fNorm   string // f with -0 → 0 and every NaN alike: the key that hashing must respect
	kValue  int64
	kIsNull bool
}

func rowsOf(t testing.TB, rec arrow.RecordBatch) []row {
	t.Helper()
	out := make([]row, rec.NumRows())
	id := rec.Column(colID).(*array.Int64)
	k := rec.Column(colK).(*array.Int64)
	f := rec.Column(colF).(*array.Float64)
	s := rec.Column(colS).(*array.String)
	d := rec.Column(colD).(*array.Dictionary)
	dv := d.Dictionary().(*array.String)
	bb := rec.Column(colB).(*array.Boolean)
	for i := range out {
		r := &out[i]
		r.id = id.Value(i)
		r.k, r.f, r.s, r.d, r.b, r.fNorm = "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"
		r.kIsNull = k.IsNull(i)
		if !r.kIsNull {
			r.kValue = k.Value(i)
			r.k = fmt.Sprint(k.Value(i))
		}
		if f.IsValid(i) {
			v := f.Value(i)
			r.f = fmt.Sprintf("%x", math.Float64bits(v))
			switch {
			case v != v:
				r.fNorm = "NaN"
			case v == 0:
				r.fNorm = "0"
			default:
				r.fNorm = fmt.Sprint(v)
			}
		}
		if s.IsValid(i) {
			r.s = "'" + s.Value(i) + "'"
		}
		if d.IsValid(i) {
			r.d = "'" + dv.Value(d.GetValueIndex(i)) + "'"
		}
		if bb.IsValid(i) {
			r.b = fmt.Sprint(bb.Value(i))
		}
	}
	return out
}
