package dataset

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// The typed UDF wrappers against the same Go functions applied in a plain loop, NULL
// rows skipped, over whole and sliced arrays; then UDFs in queries.

func udfFloats(mem memory.Allocator) arrow.Array {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.AppendValues([]float64{4, math.NaN(), -1, 0, math.Inf(1), 2.25, math.Copysign(0, -1)}, []bool{true, true, true, false, true, true, true})
	return b.NewArray()
}

func udfStrings(mem memory.Allocator) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues([]string{"héllo", "", "日本語", "x", "", "abc", "ñ"}, []bool{true, true, true, true, false, true, true})
	return b.NewArray()
}

func udfInts(mem memory.Allocator) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues([]int64{0, 1, 2, math.MaxInt64, 4, -5, 1}, []bool{true, true, true, true, true, true, false})
	return b.NewArray()
}

func udfInt32s(mem memory.Allocator) arrow.Array {
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.AppendValues([]int32{7, -8, 0, math.MaxInt32, 3, 3, 1}, []bool{true, true, false, true, true, true, true})
	return b.NewArray()
}

func udfFloat32s(mem memory.Allocator) arrow.Array {
	b := array.NewFloat32Builder(mem)
	defer b.Release()
	b.AppendValues([]float32{1.5, float32(math.NaN()), -2, 0, 8, 3, 1}, nil)
	return b.NewArray()
}

func udfBools(mem memory.Allocator) arrow.Array {
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	b.AppendValues([]bool{true, false, true, true, false, true, false}, []bool{true, true, true, true, true, false, true})
	return b.NewArray()
}

// udfGo reads row i of a as a Go value, nil for NULL: the oracle's view of the input.
func udfGo(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Float64:
		return a.Value(i)
	case *array.Float32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	}
	panic("type " + a.DataType().String())
}

func udfEqual(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && (math.Float64bits(g) == math.Float64bits(w) || math.IsNaN(g) && math.IsNaN(w))
	case float32:
		g, ok := got.(float32)
		return ok && (g == w || g != g && w != w)
	}
	return got == want
}

func TestUDFTypedWrappers(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	cols := map[string]arrow.Array{
		"f64": udfFloats(mem), "str": udfStrings(mem), "i64": udfInts(mem),
		"i32": udfInt32s(mem), "f32": udfFloat32s(mem), "bool": udfBools(mem),
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	cases := []struct {
		u    *UDF
		args []string
		// oracle applies the same Go function to one row's non-NULL values.
		oracle func(v []any) any
	}{
		{UDF1("sqrt1", func(x float64) float64 { return math.Sqrt(x) + 1 }), []string{"f64"},
			func(v []any) any { return math.Sqrt(v[0].(float64)) + 1 }},
		{UDF2("pad", func(s string, n int64) string { return s + strings.Repeat("é", int(n&3)) }), []string{"str", "i64"},
			func(v []any) any { return v[0].(string) + strings.Repeat("é", int(v[1].(int64)&3)) }},
		{UDF1("runes", func(s string) int32 { return int32(utf8.RuneCountInString(s)) }), []string{"str"},
			func(v []any) any { return int32(utf8.RuneCountInString(v[0].(string))) }},
		{UDF1("odd", func(x int32) bool { return x%2 != 0 }), []string{"i32"},
			func(v []any) any { return v[0].(int32)%2 != 0 }},
		{UDF3("pick", func(x float32, b bool, s string) int64 {
			if b {
				return int64(x)
			}
			return int64(len(s))
		}), []string{"f32", "bool", "str"},
			func(v []any) any {
				if v[1].(bool) {
					return int64(v[0].(float32))
				}
				return int64(len(v[2].(string)))
			}},
		{UDF2("scale", func(x float32, y float64) float32 { return x * float32(y) }), []string{"f32", "f64"},
			func(v []any) any { return v[0].(float32) * float32(v[1].(float64)) }},
	}
	for _, c := range cases {
		t.Run(c.u.Name(), func(t *testing.T) {
			for _, cut := range [][2]int{{0, 7}, {2, 6}, {3, 3}} {
				args := make([]arrow.Array, len(c.args))
				for i, name := range c.args {
					args[i] = array.NewSlice(cols[name], int64(cut[0]), int64(cut[1]))
				}
				n := cut[1] - cut[0]
				got, err := c.u.impl.Eval(args, n, mem)
				if err != nil {
					t.Fatal(err)
				}
				if !arrow.TypeEqual(got.DataType(), c.u.ReturnType()) || got.Len() != n {
					t.Fatalf("%d rows of %s, want %d of %s", got.Len(), got.DataType(), n, c.u.ReturnType())
				}
				for i := 0; i < n; i++ {
					vals := make([]any, len(args))
					var want any
					null := false
					for j, a := range args {
						vals[j] = udfGo(a, i)
						null = null || vals[j] == nil
					}
					if !null {
						want = c.oracle(vals)
					}
					if g := udfGo(got, i); !udfEqual(g, want) {
						t.Errorf("rows %v, row %d %v: got %#v, want %#v", cut, i, vals, g, want)
					}
				}
				got.Release()
				for _, a := range args {
					a.Release()
				}
			}
		})
	}
}

func TestUDFWrapperPanicFreesMemory(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	in := udfInts(mem)
	defer in.Release()
	u := UDF1("boom", func(x int64) int64 {
		if x == 2 {
			panic("two")
		}
		return x
	})
	defer func() {
		if r := recover(); r != "two" {
			t.Errorf("recovered %v, want the UDF's panic", r)
		}
	}()
	got, _ := u.impl.Eval([]arrow.Array{in}, in.Len(), mem)
	got.Release()
}

// udfRows is a dataset of n generated rows in two batches, and the rows themselves.
func udfRows(t *testing.T, s *Session) (*Dataset, []testRow) {
	rows := genRows(rand.New(rand.NewPCG(7, 11)), 300)
	a := buildBatch(memory.DefaultAllocator, rows[:120])
	b := buildBatch(memory.DefaultAllocator, rows[120:])
	defer a.Release()
	defer b.Release()
	return s.FromRecords(a, b), rows
}

func udfSession(t *testing.T) *Session {
	s, err := NewSession(Config{Parallelism: 2, ShufflePartitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestUDFInQueries(t *testing.T) {
	s := udfSession(t)
	ds, rows := udfRows(t, s)
	ctx := context.Background()
	score := UDF2("score", func(x int64, y float64) float64 { return float64(x%7) * y })
	keep := UDF1("keep", func(s string) bool { return utf8.RuneCountInString(s)%2 == 0 })

	// Filter + WithColumn: the rows kept and their scores, against a plain loop.
	recs, err := ds.Filter(keep.Call(Col("s"))).WithColumn("sc", score.Call(Col("x"), Col("y"))).
		SelectColumns("sc").Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			got = append(got, udfGo(r.Column(0), i))
		}
		r.Release()
	}
	var want []any
	var sum float64
	var sumOK bool
	for _, r := range rows {
		if r.s == nil || utf8.RuneCountInString(*r.s)%2 != 0 {
			continue
		}
		if r.x == nil || r.y == nil {
			want = append(want, nil)
			continue
		}
		v := float64(*r.x%7) * *r.y
		want = append(want, v)
	}
	for _, r := range rows {
		if r.x != nil && r.y != nil {
			sum += float64(*r.x%7) * *r.y
			sumOK = true
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if !udfEqual(got[i], want[i]) {
			t.Errorf("row %d: got %v, want %v", i, got[i], want[i])
		}
	}

	// An aggregate's argument.
	recs, err = ds.GroupBy().Agg(SumExpr(score.Call(Col("x"), Col("y"))).As("total")).Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := udfGo(recs[0].Column(0), 0)
	release := func() {
		for _, r := range recs {
			r.Release()
		}
	}
	release()
	if !sumOK || total == nil {
		t.Fatalf("sum %v, want a value", total)
	}
	if g := total.(float64); !(g == sum || math.IsNaN(g) && math.IsNaN(sum) || math.Abs(g-sum) <= 1e-9*math.Abs(sum)) {
		t.Errorf("sum %v, want %v", g, sum)
	}

	// The plan prints the UDF by name.
	if ex := ds.Filter(keep.Call(Col("s"))).Explain(); !strings.Contains(ex, "keep(s)") {
		t.Errorf("Explain does not name the UDF:\n%s", ex)
	}
}

func TestUDFAnalysisErrors(t *testing.T) {
	s := udfSession(t)
	ds, _ := udfRows(t, s)
	ctx := context.Background()
	f := UDF2("f", func(x int64, s string) int64 { return x })
	vec := VectorUDF("vec", arrow.PrimitiveTypes.Int64, func(args []arrow.Array, mem memory.Allocator) (arrow.Array, error) {
		return nil, nil
	})
	cases := []struct {
		e    Expr
		want string
	}{
		{f.Call(Col("y"), Col("s")), "f(y, s): user function f argument 1 takes int64, got float64"},
		{f.Call(Col("x"), Col("x")), "f(x, x): user function f argument 2 takes string, got int64"},
		{f.Call(Col("x")), "user function f takes 2 arguments, got 1"},
		{f.Call(Col("x"), Col("nope")), "nope"},
		{vec.Call(), "vectorized user function vec needs at least one argument"},
	}
	for _, c := range cases {
		_, err := ds.Select(c.e).Count(ctx)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.e, err, c.want)
		}
	}
	// Widening and NULL are accepted: int64 and a NULL literal into float64 parameters.
	g := UDF2("g", func(x, y float64) float64 { return x + y })
	if _, err := ds.Select(g.Call(Col("x"), Lit(nil))).Count(ctx); err != nil {
		t.Errorf("widened arguments: %v", err)
	}
}

func TestUDFPanicFailsTheAction(t *testing.T) {
	s := udfSession(t)
	ds, _ := udfRows(t, s)
	boom := UDF1("boom", func(x int64) int64 { panic("kaput") })
	_, err := ds.Select(boom.Call(Col("g"))).Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "user function boom panicked: kaput") {
		t.Fatalf("error %v, want it to name the UDF and its panic", err)
	}
	// User code: retried, as MapBatches' panics are.
	if !strings.Contains(err.Error(), "attempts (user code)") {
		t.Errorf("error %v, want a retried user-code failure", err)
	}
}

func TestRegisterUDF(t *testing.T) {
	s := udfSession(t)
	if err := s.RegisterUDF(UDF1("Twice", func(x int64) int64 { return 2 * x })); err != nil {
		t.Fatal(err)
	}
	if err := s.RegisterUDF(UDF1("twice", func(x int64) int64 { return x })); err == nil {
		t.Error("a duplicate name was registered")
	}
	if err := s.RegisterUDF(UDF1("", func(x int64) int64 { return x })); err == nil {
		t.Error("an empty name was registered")
	}
	if u, ok := s.UDF("TWICE"); !ok || u.Name() != "Twice" {
		t.Errorf("UDF(TWICE) = %v, %v", u, ok)
	}
}
