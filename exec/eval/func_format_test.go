package eval

import (
	"context"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// formatNumberOracle computes Spark's format_number from the exact value of x as a
// big.Rat: scaled by 10^d, rounded half to even with big.Int, then written out with
// grouping by hand. ok is false for NULL results.
func formatNumberOracle(x any, d any) (string, bool) {
	if x == nil || d == nil || d.(int64) < 0 {
		return "", false
	}
	places := min(d.(int64), 340)
	r := new(big.Rat)
	neg := false
	switch v := x.(type) {
	case int64:
		r.SetInt64(v)
		neg = v < 0
	case float64:
		switch {
		case math.IsNaN(v):
			return "NaN", true
		case math.IsInf(v, 1):
			return "∞", true
		case math.IsInf(v, -1):
			return "-∞", true
		}
		r.SetFloat64(v)
		neg = math.Signbit(v)
	}
	r.Abs(r)
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(places), nil)
	r.Mul(r, new(big.Rat).SetInt(scale))
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	twice := new(big.Int).Mul(m, big.NewInt(2))
	if c := twice.Cmp(r.Denom()); c > 0 || (c == 0 && q.Bit(0) == 1) {
		q.Add(q, big.NewInt(1))
	}
	digits := q.String()
	for int64(len(digits)) <= places {
		digits = "0" + digits
	}
	intPart, frac := digits[:int64(len(digits))-places], digits[int64(len(digits))-places:]
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := range len(intPart) {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(intPart[i])
	}
	if places > 0 {
		b.WriteString("." + frac)
	}
	return b.String(), true
}

// TestFormatNumberAgainstBig checks format_number over float64 and int64 columns with a
// column and a literal for the decimal places, and all-literal calls, against the
// math/big oracle: ties (2.5, 0.125, -0.5), values just off a tie in binary (0.135),
// NaN, the infinities, -0.0, extremes, NULLs and negative places.
func TestFormatNumberAgainstBig(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	floats := []any{1234567.891, 2.5, 3.5, -0.5, 0.125, 0.135, -0.001, math.Copysign(0, -1), 0.0,
		math.NaN(), math.Inf(1), math.Inf(-1), nil, 1e21, -987654321.987654321, math.MaxFloat64,
		5e-324, 999.995, 1.0, 12332.123456}
	ints := []any{int64(0), int64(-1), int64(999), int64(1000), int64(-1234567), nil,
		int64(math.MaxInt64), int64(math.MinInt64), int64(12), int64(100000), int64(7), int64(42),
		int64(-999999), int64(1), int64(2), int64(3), int64(4), int64(5), int64(6), int64(8)}
	places := []any{int64(2), int64(0), int64(1), int64(3), int64(2), int64(2), int64(2), int64(1), int64(4),
		int64(2), int64(2), int64(2), int64(2), int64(0), int64(5), nil, int64(-1), int64(2), int64(400), int64(4)}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "d", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	rows := make([][]any, len(floats))
	for k := range rows {
		rows[k] = []any{floats[k], ints[k], places[k]}
	}
	rec := exectest.BuildBatch(t, mem, schema, rows)
	defer rec.Release()
	ctx := context.Background()
	check := func(e plan.Expr, x func(k int) any, d func(k int) any) {
		t.Helper()
		got, err := Eval(ctx, e, rec, mem)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		defer got.Release()
		for k := range rows {
			want, ok := formatNumberOracle(x(k), d(k))
			g := exectest.GoValue(t, got, k)
			if !ok {
				if g != nil {
					t.Errorf("%s row %d (%v, %v): got %#v, want NULL", e, k, x(k), d(k), g)
				}
				continue
			}
			if g != want {
				t.Errorf("%s row %d (%v, %v): got %#v, want %q", e, k, x(k), d(k), g, want)
			}
		}
	}
	col := func(vals []any) func(int) any { return func(k int) any { return vals[k] } }
	constant := func(v any) func(int) any { return func(int) any { return v } }
	f, i, d := exectest.Col("f"), exectest.Col("i"), exectest.Col("d")
	check(call("format_number", f, d), col(floats), col(places))
	check(call("format_number", i, d), col(ints), col(places))
	check(call("format_number", f, exectest.Int(2)), col(floats), constant(int64(2)))
	check(call("format_number", i, exectest.Int(0)), col(ints), constant(int64(0)))
	check(call("format_number", i, exectest.Int(-3)), col(ints), constant(int64(-3)))
	check(call("format_number", exectest.Int(1234567), d), constant(int64(1234567)), col(places))
	check(call("format_number", exectest.Float(-1234.5), exectest.Int(0)), constant(-1234.5), constant(int64(0)))
	check(call("format_number", f, exectest.Null(arrow.PrimitiveTypes.Int64)), col(floats), constant(nil))
	// Spark's documented example.
	got, err := Eval(ctx, call("format_number", exectest.Float(12332.123456), exectest.Int(4)), rec, mem)
	if err != nil {
		t.Fatal(err)
	}
	if g := exectest.GoValue(t, got, 0); g != "12,332.1235" {
		t.Errorf("format_number(12332.123456, 4) = %#v, want \"12,332.1235\"", g)
	}
	got.Release()
}
