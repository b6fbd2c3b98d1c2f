package eval

import (
	"context"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// Decimal casts against math/big and strconv.

// decCastEval casts column x of rec (and a slice of it by one row) to type to and checks
// row i against want(i) (nil for NULL), comparing with same.
func decCastEval(t *testing.T, mem memory.Allocator, col arrow.Array, to arrow.DataType, want func(i int) any, same func(got arrow.Array, i int, w any) bool) {
	t.Helper()
	rec := oneColumn("x", col)
	defer rec.Release()
	for _, off := range []int{0, 1} {
		r := rec.NewSlice(int64(off), rec.NumRows())
		got, err := Eval(context.Background(), exectest.Cast(exectest.Col("x"), to), r, mem)
		r.Release()
		if err != nil {
			t.Fatalf("cast %v to %v: %v", col.DataType(), to, err)
		}
		if !arrow.TypeEqual(got.DataType(), to) {
			t.Fatalf("cast %v to %v: type %v", col.DataType(), to, got.DataType())
		}
		for i := 0; i < got.Len(); i++ {
			w := want(i + off)
			if w == nil {
				if got.IsValid(i) {
					t.Errorf("cast %v to %v row %d: got %s, want NULL", col.DataType(), to, i+off, got.ValueStr(i))
				}
				continue
			}
			if got.IsNull(i) || !same(got, i, w) {
				t.Errorf("cast %v to %v row %d: got %s, want %v", col.DataType(), to, i+off, got.ValueStr(i), w)
			}
		}
		got.Release()
	}
}

func decSameBig(got arrow.Array, i int, w any) bool { return decGot(got, i).Cmp(w.(*big.Int)) == 0 }

func TestCastDecimalToDecimalAndNumbers(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	for _, from := range []*arrow.Decimal128Type{decT(12, 2), decT(38, 0), decT(38, 20), decT(5, 5)} {
		vals := decValues(from.Precision, uint64(from.Scale))
		col := decColumn(mem, from, vals)
		rat := func(i int) *big.Rat {
			if vals[i] == nil {
				return nil
			}
			return decRat(vals[i].(*big.Int), from.Scale)
		}
		// decimal → decimal: HALF_UP to the new scale, NULL past the new precision.
		for _, to := range []*arrow.Decimal128Type{decT(10, 0), decT(38, 4), decT(6, 3), decT(38, 38), decT(20, 1)} {
			decCastEval(t, mem, col, to, func(i int) any {
				if r := rat(i); r != nil {
					if v := decRound(r, to.Precision, to.Scale); v != nil {
						return v
					}
				}
				return nil
			}, decSameBig)
		}
		// decimal → integers: toward zero, NULL out of range.
		for _, to := range []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int8} {
			lo, hi := evIntRange(to)
			decCastEval(t, mem, col, to, func(i int) any {
				r := rat(i)
				if r == nil {
					return nil
				}
				q := new(big.Int).Quo(r.Num(), r.Denom())
				if !q.IsInt64() || q.Int64() < lo || q.Int64() > hi {
					return nil
				}
				return q.Int64()
			}, func(got arrow.Array, i int, w any) bool {
				s, _ := strconv.ParseInt(got.ValueStr(i), 10, 64)
				return s == w.(int64)
			})
		}
		// decimal → float64 and float32: the nearest float.
		decCastEval(t, mem, col, arrow.PrimitiveTypes.Float64, func(i int) any {
			if r := rat(i); r != nil {
				f, _ := r.Float64()
				return f
			}
			return nil
		}, func(got arrow.Array, i int, w any) bool { return got.(*array.Float64).Value(i) == w.(float64) })
		decCastEval(t, mem, col, arrow.PrimitiveTypes.Float32, func(i int) any {
			if r := rat(i); r != nil {
				f, _ := r.Float32()
				return f
			}
			return nil
		}, func(got arrow.Array, i int, w any) bool { return got.(*array.Float32).Value(i) == w.(float32) })
		// decimal → string: plain, all scale digits; decimal → bool: nonzero.
		decCastEval(t, mem, col, arrow.BinaryTypes.String, func(i int) any {
			if r := rat(i); r != nil {
				return r.FloatString(int(from.Scale))
			}
			return nil
		}, func(got arrow.Array, i int, w any) bool { return got.(*array.String).Value(i) == w.(string) })
		decCastEval(t, mem, col, arrow.FixedWidthTypes.Boolean, func(i int) any {
			if r := rat(i); r != nil {
				return r.Sign() != 0
			}
			return nil
		}, func(got arrow.Array, i int, w any) bool { return got.(*array.Boolean).Value(i) == w.(bool) })
		col.Release()
	}
}

func TestCastToDecimal(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	targets := []*arrow.Decimal128Type{decT(10, 2), decT(38, 0), decT(5, 4), decT(38, 18), decT(3, 0)}
	ints := []any{int64(0), int64(1), int64(-1), int64(999), int64(-1000), int64(12345678), nil,
		int64(math.MaxInt64), int64(math.MinInt64), int64(99999999), int64(100000000)}
	floats := []any{0.0, math.Copysign(0, -1), 1.0, -1.5, 2.675, 0.125, 1e-5, 99999999.995, 1e20, -1e20,
		0.1, 1.0 / 3, math.NaN(), math.Inf(1), math.Inf(-1), nil, 5e-324, 123.456}
	strs := []any{"12.345", " -0.005 ", "1e3", "1.5E-2", "abc", "", "1.2.3", "99999.995", "+.5", "5.",
		".", "-", "1e", "１２", "12345678901234567890123456789012345678901234", "0.00000000000000000000000000000000000000001",
		nil, "-12345678.9", "7", "\t42\n", "1e-50", "-0", "2.5e+1", "3.14159265358979323846264338327950288419716939937510"}
	for _, to := range targets {
		exact := func(r *big.Rat) any {
			if v := decRound(r, to.Precision, to.Scale); v != nil {
				return v
			}
			return nil
		}
		col := castColumn(t, mem, arrow.PrimitiveTypes.Int64, ints)
		decCastEval(t, mem, col, to, func(i int) any {
			if ints[i] == nil {
				return nil
			}
			return exact(new(big.Rat).SetInt64(ints[i].(int64)))
		}, decSameBig)
		col.Release()
		i32 := []any{int32(0), int32(-7), int32(math.MaxInt32), nil}
		col = castColumn(t, mem, arrow.PrimitiveTypes.Int32, i32)
		decCastEval(t, mem, col, to, func(i int) any {
			if i32[i] == nil {
				return nil
			}
			return exact(new(big.Rat).SetInt64(int64(i32[i].(int32))))
		}, decSameBig)
		col.Release()
		// Floats: through their shortest decimal text, as Scala's BigDecimal(double).
		col = castColumn(t, mem, arrow.PrimitiveTypes.Float64, floats)
		decCastEval(t, mem, col, to, func(i int) any {
			f, ok := floats[i].(float64)
			if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil
			}
			r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
			return exact(r)
		}, decSameBig)
		col.Release()
		// Strings, plain and dictionary-encoded: Java's BigDecimal grammar after trimming.
		wantStr := func(i int) any {
			s, ok := strs[i].(string)
			if !ok {
				return nil
			}
			s = strings.TrimSpace(s)
			if s == "" || strings.ContainsAny(s, "/_xXbBoO") {
				return nil
			}
			r, ok := new(big.Rat).SetString(s)
			if !ok {
				return nil
			}
			return exact(r)
		}
		col = castColumn(t, mem, arrow.BinaryTypes.String, strs)
		decCastEval(t, mem, col, to, wantStr, decSameBig)
		col.Release()
		col = castColumn(t, mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, strs)
		decCastEval(t, mem, col, to, wantStr, decSameBig)
		col.Release()
		// Booleans are 1 and 0.
		bools := []any{true, false, nil}
		col = castColumn(t, mem, arrow.FixedWidthTypes.Boolean, bools)
		decCastEval(t, mem, col, to, func(i int) any {
			b, ok := bools[i].(bool)
			if !ok {
				return nil
			}
			if b {
				return exact(big.NewRat(1, 1))
			}
			return exact(big.NewRat(0, 1))
		}, decSameBig)
		col.Release()
	}
}

func TestDecimalCastsAgreeWithCanCast(t *testing.T) {
	d := decT(10, 2)
	for _, other := range []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Float64,
		arrow.PrimitiveTypes.Float32, arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean, decT(38, 10)} {
		if !plan.CanCast(d, other) || !plan.CanCast(other, d) {
			t.Errorf("CanCast between %v and %v: false", d, other)
		}
	}
	for _, other := range []arrow.DataType{arrow.FixedWidthTypes.Date32, arrow.FixedWidthTypes.Timestamp_us} {
		if plan.CanCast(d, other) || plan.CanCast(other, d) {
			t.Errorf("CanCast between %v and %v: true", d, other)
		}
	}
}
