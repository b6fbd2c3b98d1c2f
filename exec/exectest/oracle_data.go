package exectest

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Test data for the Evaluator's tests: batches of every column kind it handles, and their
// rows as plain Go values for the oracle.

var (
	// EvPoolS holds the strings of column "s": empty, ASCII, mixed case, multi-byte and
	// case-changing runes, repeats and padding.
	EvPoolS  = []string{"", "a", "abc", "ABC", "héllo", "ÉCOLE", "straße", "日本語テキスト", "abcabc", "xyz", " padded ", "Ab"}
	evPoolS2 = []string{"a", "bc", "", "é", "xyz", "ABC"}
	evPoolD  = []string{"x", "abc", "Héllo", "", "a", "12"} // plus a NULL entry
	evPoolSN = []string{"12", " 7 ", "-3.9", "abc", "", "1e3", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "2020-02-29", "2021-02-29", "2020-1-5", "2020-01-02 03:04:05",
		"2020-01-02T03:04:05.25Z", "2020-01-02T03:04:05+01:00", "true", "NO", "NaN", "-Infinity", "1.5d",
		"+5", ".", "1.", "300", "-129"}
	evPoolF = []float64{math.NaN(), 0, math.Copysign(0, -1), 1.5, -2.25, math.Inf(1), math.Inf(-1), 3, 1e7, 1e-4}
)

// MakeExprBatch builds a batch of n rows with every column kind the Evaluator handles.
// With allNull every column is entirely NULL.
func MakeExprBatch(mem memory.Allocator, rng *rand.Rand, n int, allNull bool) arrow.RecordBatch {
	g := &exprBatchBuilder{mem: mem, rng: rng, n: n, allNull: allNull}
	g.add("i", g.ints(func() int64 {
		switch rng.IntN(20) {
		case 0:
			return math.MaxInt64
		case 1:
			return math.MinInt64
		}
		return rng.Int64N(101) - 50
	}))
	g.add("j", g.ints(func() int64 { return rng.Int64N(7) - 3 }))
	g.add("f", g.floats())
	g.add("g", g.floats())
	g.add("s", g.strs(EvPoolS))
	g.add("s2", g.strs(evPoolS2))
	g.add("sn", g.strs(evPoolSN))
	g.add("d", g.dict())
	g.add("b", g.bools())
	g.add("nn", array.MakeArrayOfNull(mem, arrow.PrimitiveTypes.Int64, n))
	g.add("dt", g.dates())
	g.add("ts", g.timestamps())
	return g.batch()
}

// exprBatchBuilder draws the columns of MakeExprBatch. The columns are drawn one after
// the other, each row by row, from a single rng: the draw order is what makes a seed
// reproduce a batch, so neither the column order nor the draws of a row may change.
type exprBatchBuilder struct {
	mem     memory.Allocator
	rng     *rand.Rand
	n       int
	allNull bool
	fields  []arrow.Field
	cols    []arrow.Array
}

// null decides whether the next value is NULL; with allNull it draws nothing.
func (g *exprBatchBuilder) null() bool { return g.allNull || g.rng.IntN(5) == 0 }

// add appends a column, taking over arr's reference.
func (g *exprBatchBuilder) add(name string, arr arrow.Array) {
	g.fields = append(g.fields, arrow.Field{Name: name, Type: arr.DataType(), Nullable: true})
	g.cols = append(g.cols, arr)
}

// fill appends n rows to b, each NULL or one appendValue, and returns the array, releasing b.
func (g *exprBatchBuilder) fill(b array.Builder, appendValue func()) arrow.Array {
	defer b.Release()
	for i := 0; i < g.n; i++ {
		if g.null() {
			b.AppendNull()
		} else {
			appendValue()
		}
	}
	return b.NewArray()
}

func (g *exprBatchBuilder) ints(gen func() int64) arrow.Array {
	b := array.NewInt64Builder(g.mem)
	return g.fill(b, func() { b.Append(gen()) })
}

// floats mixes the special values of evPoolF with eighths, which are exact in float64.
func (g *exprBatchBuilder) floats() arrow.Array {
	b := array.NewFloat64Builder(g.mem)
	return g.fill(b, func() {
		if g.rng.IntN(2) == 0 {
			b.Append(evPoolF[g.rng.IntN(len(evPoolF))])
		} else {
			b.Append(math.Round(g.rng.Float64()*2000-1000) / 8)
		}
	})
}

func (g *exprBatchBuilder) strs(pool []string) arrow.Array {
	b := array.NewStringBuilder(g.mem)
	return g.fill(b, func() { b.Append(pool[g.rng.IntN(len(pool))]) })
}

// dict builds a dictionary<int32, utf8> column whose dictionary has a NULL entry at the
// end, so that a valid index can still decode to NULL.
func (g *exprBatchBuilder) dict() arrow.Array {
	db := array.NewStringBuilder(g.mem)
	db.AppendValues(evPoolD, nil)
	db.AppendNull()
	dict := db.NewArray()
	db.Release()
	defer dict.Release()
	ib := array.NewInt32Builder(g.mem)
	idx := g.fill(ib, func() { ib.Append(int32(g.rng.IntN(len(evPoolD) + 1))) })
	defer idx.Release()
	return array.NewDictionaryArray(DictType, idx, dict)
}

func (g *exprBatchBuilder) bools() arrow.Array {
	b := array.NewBooleanBuilder(g.mem)
	return g.fill(b, func() { b.Append(g.rng.IntN(2) == 0) })
}

func (g *exprBatchBuilder) dates() arrow.Array {
	b := array.NewDate32Builder(g.mem)
	return g.fill(b, func() { b.Append(arrow.Date32(g.rng.IntN(30000) - 5000)) })
}

func (g *exprBatchBuilder) timestamps() arrow.Array {
	b := array.NewTimestampBuilder(g.mem, TimestampType)
	return g.fill(b, func() { b.Append(arrow.Timestamp(g.rng.Int64N(4e15) - 1e15)) })
}

// batch assembles the columns into a record batch, which holds its own references to them.
func (g *exprBatchBuilder) batch() arrow.RecordBatch {
	rec := array.NewRecordBatch(arrow.NewSchema(g.fields, nil), g.cols, int64(g.n))
	for _, c := range g.cols {
		c.Release()
	}
	return rec
}

// ArrayRows reads an array into plain Go values (nil for NULL); dictionaries decode.
func ArrayRows(t testing.TB, arr arrow.Array) []any {
	out := make([]any, arr.Len())
	for i := range out {
		if arr.IsNull(i) {
			continue
		}
		switch a := arr.(type) {
		case *array.Int64:
			out[i] = a.Value(i)
		case *array.Int32:
			out[i] = a.Value(i)
		case *array.Float64:
			out[i] = a.Value(i)
		case *array.String:
			out[i] = strings.Clone(a.Value(i)) // outlives the batch's buffers
		case *array.Boolean:
			out[i] = a.Value(i)
		case *array.Date32:
			out[i] = a.Value(i)
		case *array.Timestamp:
			out[i] = a.Value(i)
		case *array.Dictionary:
			dict := a.Dictionary()
			k := a.GetValueIndex(i)
			if dict.IsValid(k) {
				out[i] = strings.Clone(dict.(*array.String).Value(k))
			}
		default:
			t.Fatalf("evRowsOf: unsupported %T", arr)
		}
	}
	return out
}

// RecordRows reads a batch into one map per row.
func RecordRows(t testing.TB, rec arrow.RecordBatch) []map[string]any {
	rows := make([]map[string]any, rec.NumRows())
	for i := range rows {
		rows[i] = map[string]any{}
	}
	for c, f := range rec.Schema().Fields() {
		for i, v := range ArrayRows(t, rec.Column(c)) {
			rows[i][f.Name] = v
		}
	}
	return rows
}
