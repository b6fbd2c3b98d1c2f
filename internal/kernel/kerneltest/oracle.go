// Package kerneltest holds the plain-Go oracle of kindling's row order and the key
// generators that the kernel's and the range partitioner's tests share.
package kerneltest

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Cell is a plain-Go copy of one key value for the oracle comparator.
type Cell struct {
	Null bool
	I    int64
	U    uint64
	F    float64
	S    string
	B    bool
}

// SortTypes are the key types the tests cover; each has a generator and an oracle.
var SortTypes = []arrow.DataType{
	arrow.PrimitiveTypes.Int64,
	arrow.PrimitiveTypes.Int32,
	arrow.PrimitiveTypes.Int8,
	arrow.PrimitiveTypes.Uint8,
	arrow.PrimitiveTypes.Uint64,
	arrow.PrimitiveTypes.Float64,
	arrow.PrimitiveTypes.Float32,
	arrow.FixedWidthTypes.Date32,
	arrow.FixedWidthTypes.Timestamp_us,
	arrow.FixedWidthTypes.Boolean,
	arrow.BinaryTypes.String,
	arrow.BinaryTypes.LargeString,
	DictType,
}

// SortFloats are the float keys every float test draws from: zeros of both signs, NaNs of
// two payloads, infinities.
var SortFloats = []float64{0, math.Copysign(0, -1), math.NaN(), math.Float64frombits(0x7ff8000000000abc),
	1.5, -2.25, math.Inf(1), math.Inf(-1), 3, -1e300}

// GenCells returns n random cells for dt, about one in six NULL, with many ties.
func GenCells(rng *rand.Rand, dt arrow.DataType, n int) []Cell {
	out := make([]Cell, n)
	for r := range out {
		if rng.IntN(6) == 0 {
			out[r].Null = true
			continue
		}
		c := &out[r]
		switch dt.ID() {
		case arrow.INT64, arrow.TIMESTAMP:
			c.I = int64(rng.IntN(21)-10) * (1 << 40)
			if rng.IntN(10) == 0 {
				c.I = []int64{math.MinInt64, math.MaxInt64}[rng.IntN(2)]
			}
		case arrow.INT32, arrow.DATE32:
			c.I = int64(rng.IntN(41) - 20)
		case arrow.INT8:
			c.I = int64(rng.IntN(256) - 128)
		case arrow.UINT8:
			c.U = uint64(rng.IntN(256))
		case arrow.UINT64:
			c.U = uint64(rng.IntN(10)) << 60
		case arrow.FLOAT64, arrow.FLOAT32:
			c.F = SortFloats[rng.IntN(len(SortFloats))]
			if dt.ID() == arrow.FLOAT32 {
				c.F = float64(float32(c.F))
			}
		case arrow.BOOL:
			c.B = rng.IntN(2) == 0
		default: // strings: shared prefixes, the empty string, non-ASCII bytes
			c.S = strings.Repeat("ab", rng.IntN(3)) + []string{"", "a", "b", "\xff", "é", "abc"}[rng.IntN(6)]
		}
	}
	return out
}

// BuildArray builds an arrow array of dt from cells.
func BuildArray(t testing.TB, mem memory.Allocator, dt arrow.DataType, cells []Cell) arrow.Array {
	t.Helper()
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for _, c := range cells {
		if c.Null {
			b.AppendNull()
			continue
		}
		switch bb := b.(type) {
		case *array.Int64Builder:
			bb.Append(c.I)
		case *array.Int32Builder:
			bb.Append(int32(c.I))
		case *array.Int8Builder:
			bb.Append(int8(c.I))
		case *array.Uint8Builder:
			bb.Append(uint8(c.U))
		case *array.Uint64Builder:
			bb.Append(c.U)
		case *array.Float64Builder:
			bb.Append(c.F)
		case *array.Float32Builder:
			bb.Append(float32(c.F))
		case *array.Date32Builder:
			bb.Append(arrow.Date32(c.I))
		case *array.TimestampBuilder:
			bb.Append(arrow.Timestamp(c.I))
		case *array.BooleanBuilder:
			bb.Append(c.B)
		case *array.StringBuilder:
			bb.Append(c.S)
		case *array.LargeStringBuilder:
			bb.Append(c.S)
		case *array.BinaryDictionaryBuilder:
			if err := bb.AppendString(c.S); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("no builder for %s", dt)
		}
	}
	return b.NewArray()
}

// oracleFloat orders floats independently of the code under test: NaN in a class above all
// numbers, -0 folded into 0.
func oracleFloat(a, b float64) int {
	ka, kb := 0, 0
	if math.IsNaN(a) {
		ka = 1
	}
	if math.IsNaN(b) {
		kb = 1
	}
	if ka != kb {
		return ka - kb
	}
	if ka == 1 {
		return 0
	}
	if a == 0 {
		a = 0
	}
	if b == 0 {
		b = 0
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Sign is -1, 0 or 1 by the sign of x.
func Sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// OracleCell compares two cells of one type by the order o.
func OracleCell(dt arrow.DataType, a, b Cell, o kernel.SortOrder) int {
	if a.Null || b.Null {
		switch {
		case a.Null && b.Null:
			return 0
		case a.Null == o.NullsFirst:
			return -1
		default:
			return 1
		}
	}
	var r int
	switch dt.ID() {
	case arrow.UINT8, arrow.UINT64:
		switch {
		case a.U < b.U:
			r = -1
		case a.U > b.U:
			r = 1
		}
	case arrow.FLOAT64, arrow.FLOAT32:
		r = oracleFloat(a.F, b.F)
	case arrow.BOOL:
		switch {
		case !a.B && b.B:
			r = -1
		case a.B && !b.B:
			r = 1
		}
	case arrow.STRING, arrow.LARGE_STRING, arrow.DICTIONARY:
		r = strings.Compare(a.S, b.S)
	default:
		switch {
		case a.I < b.I:
			r = -1
		case a.I > b.I:
			r = 1
		}
	}
	if o.Descending {
		r = -r
	}
	return r
}

// KeySet is a random multi-key layout with its plain-Go rows.
type KeySet struct {
	Types  []arrow.DataType
	Orders []kernel.SortOrder
	Cells  [][]Cell // [key][row]
}

// Oracle compares row i of k with row j of other under k's orders, in plain Go.
func (k *KeySet) Oracle(i int, other *KeySet, j int) int {
	for c, dt := range k.Types {
		if r := OracleCell(dt, k.Cells[c][i], other.Cells[c][j], k.Orders[c]); r != 0 {
			return r
		}
	}
	return 0
}

// RandomKeySet draws nkeys key columns of random types and orders.
func RandomKeySet(rng *rand.Rand, nkeys int) *KeySet {
	k := &KeySet{}
	for range nkeys {
		k.Types = append(k.Types, SortTypes[rng.IntN(len(SortTypes))])
		k.Orders = append(k.Orders, kernel.SortOrder{Descending: rng.IntN(2) == 0, NullsFirst: rng.IntN(2) == 0})
	}
	return k
}

// Fill draws n rows of cells and returns k.
func (k *KeySet) Fill(rng *rand.Rand, n int) *KeySet {
	out := &KeySet{Types: k.Types, Orders: k.Orders}
	for _, dt := range k.Types {
		out.Cells = append(out.Cells, GenCells(rng, dt, n))
	}
	return out
}

// Arrays builds the key arrays; with pad > 0 they are slices at offset pad of longer
// arrays, to exercise array offsets.
func (k *KeySet) Arrays(t testing.TB, mem memory.Allocator, rng *rand.Rand, pad int) []arrow.Array {
	var cols []arrow.Array
	for c, dt := range k.Types {
		cells := k.Cells[c]
		if pad > 0 {
			cells = append(append(GenCells(rng, dt, pad), cells...), GenCells(rng, dt, pad)...)
		}
		arr := BuildArray(t, mem, dt, cells)
		if pad > 0 {
			s := array.NewSlice(arr, int64(pad), int64(pad+len(k.Cells[c])))
			arr.Release()
			arr = s
		}
		cols = append(cols, arr)
	}
	return cols
}

// ReleaseArrays releases every array of arrs.
func ReleaseArrays(arrs []arrow.Array) {
	for _, a := range arrs {
		a.Release()
	}
}

// RowCells returns row i of k, one cell per key.
func RowCells(k *KeySet, i int) []Cell {
	var out []Cell
	for c := range k.Cells {
		out = append(out, k.Cells[c][i])
	}
	return out
}

// DictType is the dictionary-encoded string type the tests use (the one the CSV reader
// produces).
var DictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// DictPiece builds a dictionary array over values (nil: a NULL entry) with indices (-1: a
// NULL index).
func DictPiece(t *testing.T, mem memory.Allocator, values []*string, indices []int32) *array.Dictionary {
	t.Helper()
	vb := array.NewStringBuilder(mem)
	defer vb.Release()
	for _, v := range values {
		if v == nil {
			vb.AppendNull()
		} else {
			vb.Append(*v)
		}
	}
	dict := vb.NewArray()
	defer dict.Release()
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	for _, ix := range indices {
		if ix < 0 {
			ib.AppendNull()
		} else {
			ib.Append(ix)
		}
	}
	idx := ib.NewArray()
	defer idx.Release()
	return array.NewDictionaryArray(DictType, idx, dict)
}

// Strp returns a pointer to a copy of s, for literal slices of nullable strings.
func Strp(s string) *string { return &s }
