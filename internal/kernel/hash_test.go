package kernel

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/internal/memtest"
)

func hashOf(t *testing.T, cols ...arrow.Array) []uint64 {
	t.Helper()
	out := make([]uint64, cols[0].Len())
	if err := HashColumns(cols, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHashColumnsEqualities(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)

	i64 := array.NewInt64Builder(mem)
	i64.AppendValues([]int64{5, -3, 0}, nil)
	i64.AppendNull()
	a64 := i64.NewArray()
	defer a64.Release()
	i64.Release()
	i32 := array.NewInt32Builder(mem)
	i32.AppendValues([]int32{5, -3, 0}, nil)
	i32.AppendNull()
	a32 := i32.NewArray()
	defer a32.Release()
	i32.Release()
	h64, h32 := hashOf(t, a64), hashOf(t, a32)
	for i := range h64 {
		if h64[i] != h32[i] {
			t.Errorf("row %d: int64 and int32 of equal value hash differently", i)
		}
	}
	if h64[3] != nullHash {
		t.Error("NULL does not hash to the NULL constant")
	}

	fb := array.NewFloat64Builder(mem)
	fb.AppendValues([]float64{0, math.Copysign(0, -1), math.NaN(), math.Float64frombits(0xfff0000000000123), 2.5}, nil)
	fa := fb.NewArray()
	defer fa.Release()
	fb.Release()
	f32b := array.NewFloat32Builder(mem)
	f32b.AppendValues([]float32{0, 0, float32(math.NaN()), 1, 2.5}, nil)
	f32 := f32b.NewArray()
	defer f32.Release()
	f32b.Release()
	hf, hf32 := hashOf(t, fa), hashOf(t, f32)
	if hf[0] != hf[1] || hf[2] != hf[3] || hf[0] == hf[2] {
		t.Errorf("float normalisation: %x", hf)
	}
	if hf[4] != hf32[4] || hf[2] != hf32[2] {
		t.Error("float32 and float64 of equal value hash differently")
	}

	// Dictionary strings hash as their values; a slice hashes like the same values unsliced.
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"x", "apple", "", "apple", "pear"}, []bool{true, true, true, true, false})
	plain := sb.NewArray()
	defer plain.Release()
	sb.Release()
	db := array.NewDictionaryBuilder(mem, dictStringType).(*array.BinaryDictionaryBuilder)
	for _, s := range []string{"x", "apple", "", "apple"} {
		if err := db.AppendString(s); err != nil {
			t.Fatal(err)
		}
	}
	db.AppendNull()
	dict := db.NewArray()
	defer dict.Release()
	db.Release()
	hp, hd := hashOf(t, plain), hashOf(t, dict)
	for i := range hp {
		if hp[i] != hd[i] {
			t.Errorf("row %d: dictionary and plain string hash differently", i)
		}
	}
	if hp[1] != hp[3] || hp[4] != nullHash {
		t.Error("equal strings or NULL")
	}
	sl := array.NewSlice(plain, 1, 4)
	defer sl.Release()
	hs := hashOf(t, sl)
	if hs[0] != hp[1] || hs[2] != hp[3] {
		t.Error("a slice hashes differently from the same values")
	}

	// Combining is order sensitive and consistent.
	ab, ba := hashOf(t, a64, a32), hashOf(t, a32, a64)
	if ab[0] != ba[0] { // equal values in both columns: same either way
		t.Error("combine of equal values")
	}
	p4 := array.NewSlice(plain, 0, 4)
	defer p4.Release()
	swap := hashOf(t, p4, a64)
	swapped := hashOf(t, a64, p4)
	if swap[0] == swapped[0] {
		t.Error("combine is not order sensitive")
	}

	// Errors, not panics, for unsupported types and bad lengths.
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	lb.Append(true)
	la := lb.NewArray()
	defer la.Release()
	lb.Release()
	if err := HashColumns([]arrow.Array{la}, make([]uint64, 1)); err == nil {
		t.Error("list column hashed")
	}
	if err := HashColumns([]arrow.Array{a64}, make([]uint64, 2)); err == nil {
		t.Error("length mismatch accepted")
	}
}

// TestGatherMatchesTake checks the hand-written gather against arrow's Take on every type it
// specializes, on sliced inputs with NULLs.
func TestGatherMatchesTake(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 300
	types := []arrow.DataType{
		arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Uint8, arrow.PrimitiveTypes.Uint64, arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64,
		arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Timestamp_us, arrow.FixedWidthTypes.Boolean,
		arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.Binary,
		&arrow.Decimal128Type{Precision: 20, Scale: 2}, &arrow.FixedSizeBinaryType{ByteWidth: 3},
		dictStringType, arrow.ListOf(arrow.PrimitiveTypes.Int32),
	}
	for _, dt := range types {
		t.Run(dt.String(), func(t *testing.T) {
			bld := array.NewBuilder(mem, dt)
			defer bld.Release()
			for i := range n {
				if rng.IntN(5) == 0 {
					bld.AppendNull()
					continue
				}
				switch b := bld.(type) {
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
			full := bld.NewArray()
			defer full.Release()
			arr := array.NewSlice(full, 17, n-3)
			defer arr.Release()
			idx := make([]int32, 500)
			for i := range idx {
				idx[i] = int32(rng.IntN(arr.Len()))
			}
			got, err := GatherArray(arr, idx, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			ib := array.NewInt32Builder(mem)
			ib.AppendValues(idx, nil)
			ia := ib.NewArray()
			ib.Release()
			defer ia.Release()
			want, err := compute.TakeArray(compute.WithAllocator(context.Background(), mem), arr, ia)
			if err != nil {
				t.Fatal(err)
			}
			defer want.Release()
			if !array.ApproxEqual(got, want, array.WithNaNsEqual(true)) {
				t.Fatalf("gather differs from Take:\n got %v\nwant %v", got, want)
			}
			if got.NullN() != want.NullN() {
				t.Fatalf("null count %d, want %d", got.NullN(), want.NullN())
			}
			empty, err := GatherArray(arr, nil, mem)
			if err != nil || empty.Len() != 0 {
				t.Fatalf("empty gather: %v", err)
			}
			empty.Release()
		})
	}
}

func valueString(dt arrow.DataType, i int) string {
	switch dt.ID() {
	case arrow.BOOL:
		if i%3 == 0 {
			return "true"
		}
		return "false"
	case arrow.FLOAT32, arrow.FLOAT64:
		return []string{"1.5", "-0", "NaN", "3"}[i%4]
	case arrow.DATE32:
		return "2024-01-02"
	case arrow.TIMESTAMP:
		return "2024-01-02T03:04:05Z"
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY:
		return string(make([]byte, i%5)) + "v"
	case arrow.INT8, arrow.UINT8:
		return string(rune('0' + i%10))
	}
	return string(rune('0'+i%10)) + "1"
}

// dictStringType is kerneltest.DictType, which this package's own tests cannot import.
var dictStringType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
