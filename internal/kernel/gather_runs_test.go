package kernel

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// TestGatherRunsMatchesGather checks the run-copying gather against the row-at-a-time
// one on every type either specializes (and one each falls back on), over sliced inputs
// with NULLs, for selections of long runs, single rows, everything and nothing.
func TestGatherRunsMatchesGather(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 300
	types := []arrow.DataType{
		arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64,
		arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Boolean,
		arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.Binary,
		&arrow.Decimal128Type{Precision: 20, Scale: 2}, &arrow.FixedSizeBinaryType{ByteWidth: 3},
		dictStringType, arrow.ListOf(arrow.PrimitiveTypes.Int32), arrow.Null,
	}
	for _, dt := range types {
		t.Run(dt.String(), func(t *testing.T) {
			full := runsTestArray(t, mem, rng, dt, n)
			defer full.Release()
			arr := array.NewSlice(full, 17, n-3)
			defer arr.Release()
			for _, keep := range []float64{0.97, 0.5, 0.05, 1, 0} {
				var sel []int32
				for i := range arr.Len() {
					if rng.Float64() < keep {
						sel = append(sel, int32(i))
					}
				}
				runs := SelectionRuns(nil, sel)
				total := 0
				for r := 1; r < len(runs); r += 2 {
					total += int(runs[r])
				}
				if total != len(sel) {
					t.Fatalf("runs cover %d rows, want %d", total, len(sel))
				}
				got, err := gatherArrayRuns(arr, runs, len(sel), mem)
				if err != nil {
					t.Fatal(err)
				}
				want, err := GatherArray(arr, sel, mem)
				if err != nil {
					t.Fatal(err)
				}
				if !array.ApproxEqual(got, want, array.WithNaNsEqual(true)) || got.NullN() != want.NullN() {
					t.Errorf("keep %v: runs gather\n got %v\nwant %v", keep, got, want)
				}
				got.Release()
				want.Release()
			}
		})
	}
}

// TestGatherRecordRuns checks a whole batch: every column gathered, the schema kept.
func TestGatherRecordRuns(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(5, 6))
	a := runsTestArray(t, mem, rng, arrow.PrimitiveTypes.Int64, 100)
	defer a.Release()
	s := runsTestArray(t, mem, rng, arrow.BinaryTypes.String, 100)
	defer s.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: a.DataType(), Nullable: true}, {Name: "s", Type: s.DataType(), Nullable: true}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{a, s}, 100)
	defer rec.Release()
	sel := []int32{0, 1, 2, 3, 10, 11, 50, 98, 99}
	got, err := GatherRecordRuns(rec, SelectionRuns(nil, sel), len(sel), mem)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	want, err := GatherRecord(rec, sel, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	if !array.RecordEqual(got, want) || !got.Schema().Equal(schema) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// runsTestArray builds n values of dt, about a fifth of them NULL.
func runsTestArray(t *testing.T, mem memory.Allocator, rng *rand.Rand, dt arrow.DataType, n int) arrow.Array {
	t.Helper()
	bld := array.NewBuilder(mem, dt)
	defer bld.Release()
	for i := range n {
		if rng.IntN(5) == 0 {
			bld.AppendNull()
			continue
		}
		switch b := bld.(type) {
		case *array.NullBuilder:
			b.AppendNull()
		case *array.BinaryDictionaryBuilder:
			_ = b.AppendString(string(rune('a' + i%7)))
		case *array.ListBuilder:
			b.Append(true)
			b.ValueBuilder().(*array.Int32Builder).Append(int32(i))
		case *array.Decimal128Builder:
			b.Append(decimal128.FromI64(int64(i * 7)))
		case *array.BinaryBuilder:
			b.Append([]byte(valueString(arrow.BinaryTypes.String, i)))
		case *array.FixedSizeBinaryBuilder:
			b.Append([]byte{byte(i), byte(i >> 8), 7})
		default:
			if err := b.AppendValueFromString(valueString(dt, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return bld.NewArray()
}
