package windiff

import (
	"fmt"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Groups is the number of ordinary partition key values ("g00" … "g29") Generate
// draws from, besides the empty string, NULL and the single-row "solo".
const Groups = 30

// Schema is the generated table: a row id; g, the partition and group key (with an
// empty-string value, NULLs and a value on a single row); o, an int64 order key with
// many ties and NULLs; d, a date order key with ties and NULLs; v, an int64 value with
// NULLs (sums are exact, so frames summed in another order still agree); f, a float64
// value with NULLs (quarters, so sums are exact too); b, a boolean whose share of true
// differs by group (one group all true, one all false); m, a small int64 for Mode; c,
// constant within a group where it is not NULL (so Last and AnyValue are
// deterministic).
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "g", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "o", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "m", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "c", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// Generate builds n rows (n >= 2) from seed in one batch allocated from mem; the same
// seed gives the same rows. Row 0 holds the only "solo" key.
func Generate(mem memory.Allocator, n int, seed uint64) arrow.RecordBatch {
	r := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	b := array.NewRecordBuilder(mem, Schema)
	defer b.Release()
	id := b.Field(0).(*array.Int64Builder)
	g := b.Field(1).(*array.StringBuilder)
	o := b.Field(2).(*array.Int64Builder)
	d := b.Field(3).(*array.Date32Builder)
	v := b.Field(4).(*array.Int64Builder)
	f := b.Field(5).(*array.Float64Builder)
	bb := b.Field(6).(*array.BooleanBuilder)
	m := b.Field(7).(*array.Int64Builder)
	c := b.Field(8).(*array.Int64Builder)
	const day0 = 19723 // 2024-01-01
	for k := range n {
		id.Append(int64(k))
		gi := r.IntN(Groups)
		switch x := r.IntN(50); {
		case k == 0:
			g.Append("solo")
			gi = -1
		case x == 0:
			g.Append("")
			gi = Groups
		case x == 1:
			g.AppendNull()
			gi = Groups + 1
		default:
			g.Append(fmt.Sprintf("g%02d", gi))
		}
		if r.IntN(20) == 0 {
			o.AppendNull()
		} else {
			o.Append(r.Int64N(100))
		}
		if r.IntN(20) == 0 {
			d.AppendNull()
		} else {
			d.Append(arrow.Date32(day0 + r.Int32N(400)))
		}
		if r.IntN(10) == 0 {
			v.AppendNull()
		} else {
			v.Append(r.Int64N(2001) - 1000)
		}
		if r.IntN(10) == 0 {
			f.AppendNull()
		} else {
			f.Append(float64(r.IntN(4000)) / 4)
		}
		switch {
		case r.IntN(15) == 0:
			bb.AppendNull()
		case gi == 0:
			bb.Append(true)
		case gi == 1:
			bb.Append(false)
		default:
			bb.Append(r.IntN(Groups) < gi)
		}
		if r.IntN(10) == 0 {
			m.AppendNull()
		} else {
			m.Append(r.Int64N(12))
		}
		if r.IntN(5) == 0 {
			c.AppendNull()
		} else {
			c.Append(int64(gi) * 7)
		}
	}
	return b.NewRecordBatch()
}

// Partitions cuts rec into parts slices, the partitions of an in-memory dataset, so that
// windows and aggregates cross a shuffle.
func Partitions(rec arrow.RecordBatch, parts int) []arrow.RecordBatch {
	n := rec.NumRows()
	out := make([]arrow.RecordBatch, 0, parts)
	for p := range parts {
		lo, hi := n*int64(p)/int64(parts), n*int64(p+1)/int64(parts)
		out = append(out, rec.NewSlice(lo, hi))
	}
	return out
}
