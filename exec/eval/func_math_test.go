package eval

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// The math family's kernels against values computed here with Go's math, math/big and
// strconv, over columns (plain and sliced) and scalar-only arguments.

var (
	mathFloats = []any{0.0, math.Copysign(0, -1), 1.0, -1.0, 0.5, -0.5, 2.5, -2.5, 3.5, 2.675, 0.125, -0.125,
		1234.5678, -1234.5678, 1e308, -1e308, math.MaxFloat64, math.SmallestNonzeroFloat64, 9.5e18, -9.5e18,
		1e-5, 99.995, 0.1, math.NaN(), math.Inf(1), math.Inf(-1), nil, 100.0, 1.0000000000000002}
	mathInts = []any{int64(0), int64(1), int64(-1), int64(7), int64(-7), int64(150), int64(-150), int64(250),
		int64(-250), int64(149), int64(15), int64(25), int64(-25), nil, int64(math.MaxInt64), int64(math.MinInt64),
		int64(math.MaxInt64 - 1), int64(5_000_000_000_000_000_000), int64(-5_000_000_000_000_000_000),
		int64(9_000_000_000_000_000_000), int64(123456789)}
)

// mathBatch holds column "f" (mathFloats), "i" (mathInts) and "g"/"j", the same values
// reversed, each padded with NULLs to one length.
func mathBatch(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	n := max(len(mathFloats), len(mathInts))
	rows := make([][]any, n)
	at := func(vs []any, i int) any {
		if i >= 0 && i < len(vs) {
			return vs[i]
		}
		return nil
	}
	for r := range rows {
		rows[r] = []any{at(mathFloats, r), at(mathInts, r), at(mathFloats, len(mathFloats)-1-r), at(mathInts, len(mathInts)-1-r)}
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "g", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "j", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	return exectest.BuildBatch(t, mem, schema, rows)
}

// mathCell is row i of column name of rec as a Go value, nil for NULL.
func mathCell(rec arrow.RecordBatch, name string, i int) any {
	col := rec.Column(rec.Schema().FieldIndices(name)[0])
	if col.IsNull(i) {
		return nil
	}
	switch c := col.(type) {
	case *array.Float64:
		return c.Value(i)
	case *array.Int64:
		return c.Value(i)
	}
	panic(fmt.Sprintf("column %s of %v", name, col.DataType()))
}

// mathSame reports whether got and want are the same value: NaN equals NaN and a zero's
// sign counts.
func mathSame(got, want any) bool {
	gf, gok := got.(float64)
	wf, wok := want.(float64)
	if gok && wok {
		if math.IsNaN(gf) || math.IsNaN(wf) {
			return math.IsNaN(gf) && math.IsNaN(wf)
		}
		return gf == wf && math.Signbit(gf) == math.Signbit(wf)
	}
	return got == want
}

// mathLit is a literal of Go value v (float64, int64 or nil of type dt).
func mathLit(v any, dt arrow.DataType) plan.Expr {
	if v == nil {
		return exectest.Null(dt)
	}
	return &plan.Literal{Value: v, Type: dt}
}

// mathCheck evaluates e over rec, a slice of it and an empty slice, and compares each
// row i with want(i).
func mathCheck(t *testing.T, mem memory.Allocator, rec arrow.RecordBatch, e plan.Expr, want func(rec arrow.RecordBatch, i int) any) {
	t.Helper()
	for _, r := range []arrow.RecordBatch{rec, rec.NewSlice(3, rec.NumRows()-2), rec.NewSlice(0, 0)} {
		got, err := Eval(context.Background(), e, r, mem)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		for i := 0; i < got.Len(); i++ {
			var g any
			if got.IsValid(i) {
				switch a := got.(type) {
				case *array.Float64:
					g = a.Value(i)
				case *array.Int64:
					g = a.Value(i)
				default:
					t.Fatalf("%s: result of type %v", e, got.DataType())
				}
			}
			if w := want(r, i); !mathSame(g, w) {
				t.Errorf("%s row %d (%v, %v): got %v, want %v", e, i, mathCell(r, "f", i), mathCell(r, "i", i), g, w)
			}
		}
		got.Release()
		if r != rec {
			r.Release()
		}
	}
}

// mathUnary checks fn over column col and over each of its values as a scalar literal.
func mathUnary(t *testing.T, mem memory.Allocator, rec arrow.RecordBatch, fn, col string, oracle func(any) any) {
	t.Helper()
	mathCheck(t, mem, rec, exectest.Call(fn, exectest.Col(col)), func(r arrow.RecordBatch, i int) any {
		return oracle(mathCell(r, col, i))
	})
	dt := rec.Schema().Field(rec.Schema().FieldIndices(col)[0]).Type
	for i := 0; i < int(rec.NumRows()); i++ {
		v := mathCell(rec, col, i)
		mathCheck(t, mem, rec, exectest.Call(fn, mathLit(v, dt)), func(arrow.RecordBatch, int) any { return oracle(v) })
	}
}

// floatOracle lifts f over NULL; f reports false for a NULL result.
func floatOracle(f func(float64) (float64, bool)) func(any) any {
	return func(v any) any {
		if v == nil {
			return nil
		}
		r, ok := f(v.(float64))
		if !ok {
			return nil
		}
		return r
	}
}

func always(f func(float64) float64) func(float64) (float64, bool) {
	return func(x float64) (float64, bool) { return f(x), true }
}

// wrap64 is the low 64 bits of b as an int64, as Java's BigDecimal.longValue takes them.
func wrap64(b *big.Int) int64 {
	m := new(big.Int).And(b, new(big.Int).SetUint64(math.MaxUint64))
	return int64(m.Uint64())
}

// toLongJava is Java's (long) of a double, through big.Float's saturating conversion.
func toLongJava(x float64) int64 {
	if math.IsNaN(x) {
		return 0
	}
	v, _ := big.NewFloat(x).Int64()
	return v
}

func TestMathFloatFunctions(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := mathBatch(t, mem)
	defer rec.Release()
	logOf := func(f func(float64) float64) func(float64) (float64, bool) {
		return func(x float64) (float64, bool) {
			if x <= 0 || x == 0 {
				return 0, false
			}
			return f(x), true
		}
	}
	signum := func(x float64) float64 {
		if x == 0 || math.IsNaN(x) {
			return x
		}
		return math.Copysign(1, x)
	}
	for fn, f := range map[string]func(float64) (float64, bool){
		"sqrt": always(math.Sqrt), "exp": always(math.Exp), "ln": logOf(math.Log), "log10": logOf(math.Log10),
		"signum": always(signum), "abs": always(math.Abs),
	} {
		t.Run(fn, func(t *testing.T) { mathUnary(t, mem, rec, fn, "f", floatOracle(f)) })
	}
	for fn, f := range map[string]func(float64) float64{"floor": math.Floor, "ceil": math.Ceil} {
		t.Run(fn, func(t *testing.T) {
			mathUnary(t, mem, rec, fn, "f", func(v any) any {
				if v == nil {
					return nil
				}
				return toLongJava(f(v.(float64)))
			})
			mathUnary(t, mem, rec, fn, "i", func(v any) any { return v })
		})
	}
	t.Run("abs-int", func(t *testing.T) {
		mathUnary(t, mem, rec, "abs", "i", func(v any) any {
			if v == nil {
				return nil
			}
			return wrap64(new(big.Int).Abs(big.NewInt(v.(int64))))
		})
	})
}

// The hand-written cases pin Spark's (Java's) answers where Go's math differs or where the
// answer is easy to get wrong.
func TestMathSparkCases(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := mathBatch(t, mem)
	defer rec.Release()
	f, i := exectest.Float, exectest.Int
	f64, i64 := arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int64
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		e    plan.Expr
		want any
	}{
		{exectest.Call("pow", f(1), f(nan)), nan},
		{exectest.Call("pow", f(nan), f(0)), 1.0},
		{exectest.Call("pow", f(1), f(inf)), nan},
		{exectest.Call("pow", f(-1), f(-inf)), nan},
		{exectest.Call("pow", f(2), f(10)), 1024.0},
		{exectest.Call("pow", f(-8), f(1.0/3)), nan},
		{exectest.Call("pow", f(0), f(-1)), inf},
		{exectest.Call("pow", exectest.Null(f64), f(2)), nil},
		{exectest.Call("ln", f(math.Copysign(0, -1))), nil},
		{exectest.Call("ln", f(0)), nil},
		{exectest.Call("ln", f(-1)), nil},
		{exectest.Call("ln", f(nan)), nan},
		{exectest.Call("ln", f(inf)), inf},
		{exectest.Call("log10", f(1000)), 3.0},
		{exectest.Call("sqrt", f(-1)), nan},
		{exectest.Call("sqrt", f(math.Copysign(0, -1))), math.Copysign(0, -1)},
		{exectest.Call("exp", f(-inf)), 0.0},
		{exectest.Call("signum", f(math.Copysign(0, -1))), math.Copysign(0, -1)},
		{exectest.Call("signum", f(-inf)), -1.0},
		{exectest.Call("floor", f(-0.5)), int64(-1)},
		{exectest.Call("ceil", f(-0.5)), int64(0)},
		{exectest.Call("floor", f(nan)), int64(0)},
		{exectest.Call("ceil", f(inf)), int64(math.MaxInt64)},
		{exectest.Call("floor", f(-1e300)), int64(math.MinInt64)},
		{exectest.Call("abs", i(math.MinInt64)), int64(math.MinInt64)},
		{exectest.Call("div", i(7), i(2)), int64(3)},
		{exectest.Call("div", i(-7), i(2)), int64(-3)},
		{exectest.Call("div", i(7), i(-2)), int64(-3)},
		{exectest.Call("div", i(7), i(0)), nil},
		{exectest.Call("div", i(math.MinInt64), i(-1)), int64(math.MinInt64)},
		{exectest.Call("div", exectest.Null(i64), i(1)), nil},
		{exectest.Call("round", f(2.5), i(0)), 3.0},
		{exectest.Call("round", f(-2.5), i(0)), -3.0},
		{exectest.Call("bround", f(2.5), i(0)), 2.0},
		{exectest.Call("bround", f(-2.5), i(0)), -2.0},
		{exectest.Call("bround", f(3.5), i(0)), 4.0},
		{exectest.Call("round", f(2.675), i(2)), 2.68},
		{exectest.Call("round", f(0.125), i(2)), 0.13},
		{exectest.Call("bround", f(0.125), i(2)), 0.12},
		{exectest.Call("round", f(1234.5678), i(-2)), 1200.0},
		{exectest.Call("round", f(1250), i(-2)), 1300.0},
		{exectest.Call("bround", f(1250), i(-2)), 1200.0},
		{exectest.Call("round", f(-0.001), i(2)), 0.0},
		{exectest.Call("round", f(99.995), i(2)), 100.0},
		{exectest.Call("round", f(0.5), i(-1)), 0.0},
		{exectest.Call("round", f(5), i(-1)), 10.0},
		{exectest.Call("round", f(nan), i(2)), nan},
		{exectest.Call("round", f(-inf), i(2)), -inf},
		{exectest.Call("round", f(math.MaxFloat64), i(-308)), inf},
		{exectest.Call("round", i(150), i(-2)), int64(200)},
		{exectest.Call("bround", i(150), i(-2)), int64(200)},
		{exectest.Call("bround", i(250), i(-2)), int64(200)},
		{exectest.Call("round", i(-250), i(-2)), int64(-300)},
		{exectest.Call("round", i(-249), i(-2)), int64(-200)},
		{exectest.Call("round", i(7), i(3)), int64(7)},
		{exectest.Call("round", i(math.MaxInt64), i(-1)), int64(math.MinInt64 + 2)}, // 2^63+2 wraps
		{exectest.Call("round", i(123), i(-25)), int64(0)},
		{exectest.Call("round", i(1), exectest.Null(i64)), nil},
	}
	for _, c := range cases {
		mathCheck(t, mem, rec, c.e, func(arrow.RecordBatch, int) any { return c.want })
	}
}

// bigRound rounds the decimal d to scale places, half up or half even, in exact
// arithmetic.
func bigRound(d *big.Rat, scale int, even bool) *big.Rat {
	p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(scale))), nil))
	v := new(big.Rat).Set(d)
	if scale >= 0 {
		v.Mul(v, p)
	} else {
		v.Quo(v, p)
	}
	neg := v.Sign() < 0
	v.Abs(v)
	q, r := new(big.Int).QuoRem(v.Num(), v.Denom(), new(big.Int))
	twice := new(big.Int).Mul(r, big.NewInt(2))
	switch twice.Cmp(v.Denom()) {
	case 1:
		q.Add(q, big.NewInt(1))
	case 0:
		if !even || q.Bit(0) == 1 {
			q.Add(q, big.NewInt(1))
		}
	}
	if neg {
		q.Neg(q)
	}
	out := new(big.Rat).SetInt(q)
	if scale >= 0 {
		return out.Quo(out, p)
	}
	return out.Mul(out, p)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestMathRoundAgainstBig(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := mathBatch(t, mem)
	defer rec.Release()
	for _, fn := range []string{"round", "bround"} {
		even := fn == "bround"
		for _, scale := range []int{0, 1, 2, 3, 10, 400, -1, -2, -3, -18, -19, -20, -300} {
			t.Run(fmt.Sprintf("%s/%d", fn, scale), func(t *testing.T) {
				mathUnaryWith(t, mem, rec, fn, "f", exectest.Int(int64(scale)), func(v any) any {
					if v == nil {
						return nil
					}
					x := v.(float64)
					if math.IsNaN(x) || math.IsInf(x, 0) {
						return x
					}
					// Spark rounds the decimal Java's Double.toString gives.
					d, _ := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
					r, _ := bigRound(d, scale, even).Float64()
					if r == 0 {
						return 0.0
					}
					return r
				})
				mathUnaryWith(t, mem, rec, fn, "i", exectest.Int(int64(scale)), func(v any) any {
					if v == nil {
						return nil
					}
					r := bigRound(new(big.Rat).SetInt64(v.(int64)), scale, even)
					return wrap64(r.Num()) // an integer: its denominator is 1
				})
			})
		}
	}
}

// mathUnaryWith is mathUnary for a function whose second argument is the literal extra.
func mathUnaryWith(t *testing.T, mem memory.Allocator, rec arrow.RecordBatch, fn, col string, extra plan.Expr, oracle func(any) any) {
	t.Helper()
	mathCheck(t, mem, rec, exectest.Call(fn, exectest.Col(col), extra), func(r arrow.RecordBatch, i int) any {
		return oracle(mathCell(r, col, i))
	})
	dt := rec.Schema().Field(rec.Schema().FieldIndices(col)[0]).Type
	for i := 0; i < int(rec.NumRows()); i++ {
		v := mathCell(rec, col, i)
		mathCheck(t, mem, rec, exectest.Call(fn, mathLit(v, dt), extra), func(arrow.RecordBatch, int) any { return oracle(v) })
	}
}

// TestMathBinaryColumns checks div and pow over two columns and a column with a literal
// on either side.
func TestMathBinaryColumns(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := mathBatch(t, mem)
	defer rec.Release()
	div := func(a, b any) any {
		if a == nil || b == nil || b.(int64) == 0 {
			return nil
		}
		return wrap64(new(big.Int).Quo(big.NewInt(a.(int64)), big.NewInt(b.(int64))))
	}
	pow := func(a, b any) any {
		if a == nil || b == nil {
			return nil
		}
		x, y := a.(float64), b.(float64)
		// Java's Math.pow where it differs from Go's.
		if math.IsNaN(y) && y != 0 {
			return math.NaN()
		}
		if math.Abs(x) == 1 && math.IsInf(y, 0) {
			return math.NaN()
		}
		return math.Pow(x, y)
	}
	for _, c := range []struct {
		fn       string
		l, r     string
		lit      []any
		dt       arrow.DataType
		oracle   func(a, b any) any
		litFirst bool
	}{
		{fn: "div", l: "i", r: "j", dt: arrow.PrimitiveTypes.Int64, oracle: div,
			lit: []any{int64(0), int64(3), int64(-1), int64(math.MinInt64), nil}},
		{fn: "pow", l: "f", r: "g", dt: arrow.PrimitiveTypes.Float64, oracle: pow,
			lit: []any{0.0, 2.0, -1.0, 0.5, math.NaN(), math.Inf(1), math.Inf(-1), nil}},
	} {
		t.Run(c.fn, func(t *testing.T) {
			mathCheck(t, mem, rec, exectest.Call(c.fn, exectest.Col(c.l), exectest.Col(c.r)), func(r arrow.RecordBatch, i int) any {
				return c.oracle(mathCell(r, c.l, i), mathCell(r, c.r, i))
			})
			for _, v := range c.lit {
				mathCheck(t, mem, rec, exectest.Call(c.fn, exectest.Col(c.l), mathLit(v, c.dt)), func(r arrow.RecordBatch, i int) any {
					return c.oracle(mathCell(r, c.l, i), v)
				})
				mathCheck(t, mem, rec, exectest.Call(c.fn, mathLit(v, c.dt), exectest.Col(c.l)), func(r arrow.RecordBatch, i int) any {
					return c.oracle(v, mathCell(r, c.l, i))
				})
			}
		})
	}
}

// TestInt64ArithmeticWraps pins Spark's non-ANSI overflow: + - * and negation on int64
// wrap around (two's complement) instead of failing or turning NULL.
func TestInt64ArithmeticWraps(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := mathBatch(t, mem)
	defer rec.Release()
	i := exectest.Int
	const maxI, minI = math.MaxInt64, math.MinInt64
	for _, c := range []struct {
		e    plan.Expr
		want int64
	}{
		{exectest.Bin(plan.OpAdd, i(maxI), i(1)), minI},
		{exectest.Bin(plan.OpSub, i(minI), i(1)), maxI},
		{exectest.Bin(plan.OpMul, i(maxI), i(2)), -2},
		{exectest.Bin(plan.OpMul, i(minI), i(-1)), minI},
		{exectest.Un(plan.OpNeg, i(minI)), minI},
	} {
		mathCheck(t, mem, rec, c.e, func(arrow.RecordBatch, int) any { return c.want })
	}
	// And over a column: i + MaxInt64, computed as the low 64 bits of the exact sum.
	mathCheck(t, mem, rec, exectest.Bin(plan.OpAdd, exectest.Col("i"), i(maxI)), func(r arrow.RecordBatch, k int) any {
		v := mathCell(r, "i", k)
		if v == nil {
			return nil
		}
		return wrap64(new(big.Int).Add(big.NewInt(v.(int64)), big.NewInt(maxI)))
	})
}
