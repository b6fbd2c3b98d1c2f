package eval

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// The oracles below compute each function over plain Go slices (and Go's regexp for
// split), independently of the kernels under test.

// Rows of the nested test batch: a struct column, lists of int64, float64 and strings
// (NULL lists, empty lists, NULL elements, NaN, -0.0, "", multi-byte UTF-8), an index
// column, value columns of each element type and string columns for split.
var (
	nestedIntLists = []any{
		[]any{int64(1), int64(2), int64(3)}, nil, []any{}, []any{int64(5), nil},
		[]any{nil}, []any{int64(-7)}, []any{int64(3), int64(3), int64(9), int64(10)}, []any{int64(2), nil, int64(4)},
		[]any{int64(1), int64(2), int64(3)}, []any{int64(0)},
	}
	nestedFloatLists = []any{
		[]any{1.5, math.NaN()}, []any{}, nil, []any{math.Copysign(0, -1), 2.0},
		[]any{nil, 3.0}, []any{math.Inf(1)}, []any{2.0, 2.5}, []any{math.NaN()},
		[]any{1.0, nil}, []any{0.0},
	}
	nestedStrLists = []any{
		[]any{"a", "", "日本"}, []any{"héllo"}, []any{}, nil,
		[]any{"x", nil}, []any{""}, []any{"b", "ö", "ß"}, []any{nil},
		[]any{"日本", "a"}, []any{"zz"},
	}
	nestedIndex  = []any{int64(1), int64(2), nil, int64(-1), int64(0), int64(-2), int64(4), int64(-4), int64(3), int64(-1)}
	nestedInts   = []any{int64(2), int64(1), int64(1), nil, int64(5), int64(-7), int64(10), int64(9), int64(1), int64(0)}
	nestedFloats = []any{math.NaN(), 1.0, 0.0, 0.0, 3.0, math.Inf(1), 2.0, nil, 7.0, math.Copysign(0, -1)}
	nestedStrs   = []any{"", "héllo", "a", "a", "y", "", "ß", nil, "日本", "z"}
	// split input: separators at either end, doubled, multi-byte, empty strings.
	nestedSplit = []any{"a,b,,c", ",lead", "trail,", "", nil, "日本,語", "no-sep", ",", "a, b ,c", "héllo wörld"}
	// struct rows: {a int64, b string}; nil is a NULL struct, a nil field a NULL field.
	nestedStructs = []any{
		[2]any{int64(1), "x"}, nil, [2]any{nil, "ü"}, [2]any{int64(4), nil}, [2]any{int64(-5), ""},
		nil, [2]any{int64(7), "日本"}, [2]any{int64(8), "q"}, [2]any{nil, nil}, [2]any{int64(10), "z"},
	}
)

var nestedStructType = arrow.StructOf(
	arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true})

func nestedBuildList(t *testing.T, mem memory.Allocator, elem arrow.DataType, rows []any) arrow.Array {
	t.Helper()
	b := array.NewListBuilder(mem, elem)
	defer b.Release()
	for _, r := range rows {
		if r == nil {
			b.AppendNull()
			continue
		}
		b.Append(true)
		for _, v := range r.([]any) {
			switch vb := b.ValueBuilder().(type) {
			case *array.Int64Builder:
				if v == nil {
					vb.AppendNull()
				} else {
					vb.Append(v.(int64))
				}
			case *array.Float64Builder:
				if v == nil {
					vb.AppendNull()
				} else {
					vb.Append(v.(float64))
				}
			case *array.StringBuilder:
				if v == nil {
					vb.AppendNull()
				} else {
					vb.Append(v.(string))
				}
			}
		}
	}
	return b.NewArray()
}

func nestedBuildStruct(mem memory.Allocator, rows []any) arrow.Array {
	b := array.NewStructBuilder(mem, nestedStructType)
	defer b.Release()
	ab, bb := b.FieldBuilder(0).(*array.Int64Builder), b.FieldBuilder(1).(*array.StringBuilder)
	for _, r := range rows {
		if r == nil {
			b.AppendNull()
			continue
		}
		b.Append(true)
		f := r.([2]any)
		if f[0] == nil {
			ab.AppendNull()
		} else {
			ab.Append(f[0].(int64))
		}
		if f[1] == nil {
			bb.AppendNull()
		} else {
			bb.Append(f[1].(string))
		}
	}
	return b.NewArray()
}

func nestedBatch(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	flat := func(dt arrow.DataType, vals []any) arrow.Array {
		rows := make([][]any, len(vals))
		for i, v := range vals {
			rows[i] = []any{v}
		}
		return exectest.BuildColumn(t, mem, dt, rows, 0)
	}
	cols := []arrow.Array{
		nestedBuildStruct(mem, nestedStructs),
		nestedBuildList(t, mem, arrow.PrimitiveTypes.Int64, nestedIntLists),
		nestedBuildList(t, mem, arrow.PrimitiveTypes.Float64, nestedFloatLists),
		nestedBuildList(t, mem, arrow.BinaryTypes.String, nestedStrLists),
		flat(arrow.PrimitiveTypes.Int64, nestedIndex),
		flat(arrow.PrimitiveTypes.Int64, nestedInts),
		flat(arrow.PrimitiveTypes.Float64, nestedFloats),
		flat(arrow.BinaryTypes.String, nestedStrs),
		flat(dictType, nestedStrs),
		flat(arrow.BinaryTypes.String, nestedSplit),
		flat(dictType, nestedSplit),
	}
	names := []string{"st", "li", "lf", "ls", "k", "vi", "vf", "vs", "vd", "s", "d"}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: names[i], Type: c.DataType(), Nullable: true}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(cols[0].Len()))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// nestedSame compares Go values, lists element by element, NaN equal to NaN.
func nestedSame(got, want any) bool {
	switch w := want.(type) {
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !nestedSame(g[i], w[i]) {
				return false
			}
		}
		return true
	case float64:
		g, ok := got.(float64)
		return ok && (g == w || (math.IsNaN(g) && math.IsNaN(w)))
	}
	return got == want
}

func oracleSize(l any) any {
	if l == nil {
		return int64(-1)
	}
	return int64(len(l.([]any)))
}

func oracleElementAt(l, k any) any {
	if l == nil || k == nil {
		return nil
	}
	xs, i := l.([]any), k.(int64)
	n := int64(len(xs))
	switch {
	case i > 0 && i <= n:
		return xs[i-1]
	case i < 0 && n+i >= 0:
		return xs[n+i]
	}
	return nil
}

func oracleContains(l, v any) any {
	if l == nil || v == nil {
		return nil
	}
	sawNull := false
	for _, x := range l.([]any) {
		switch {
		case x == nil:
			sawNull = true
		case x == v:
			return true
		default:
			if a, ok := x.(float64); ok && math.IsNaN(a) && math.IsNaN(v.(float64)) {
				return true
			}
		}
	}
	if sawNull {
		return nil
	}
	return false
}

// oracleSplit is Java's split(regex, -1) as Spark uses it, through Go's Regexp.Split:
// they agree except on the empty string, which Spark splits into [""].
func oracleSplit(s any, re *regexp.Regexp) any {
	if s == nil {
		return nil
	}
	if s == "" {
		return []any{""}
	}
	var out []any
	for _, p := range re.Split(s.(string), -1) {
		out = append(out, p)
	}
	return out
}

func oracleField(st any, i int) any {
	if st == nil {
		return nil
	}
	return st.([2]any)[i]
}

func nestedLit(v any, dt arrow.DataType) plan.Expr { return &plan.Literal{Value: v, Type: dt} }

func TestNestedAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := nestedBatch(t, mem)
	defer rec.Release()
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	call := func(f string, args ...plan.Expr) plan.Expr { return &plan.Call{Func: f, Args: args} }
	i64 := func(v int64) plan.Expr { return nestedLit(v, arrow.PrimitiveTypes.Int64) }
	f64 := func(v float64) plan.Expr { return nestedLit(v, arrow.PrimitiveTypes.Float64) }
	str := func(v string) plan.Expr { return nestedLit(v, arrow.BinaryTypes.String) }
	nullOf := func(dt arrow.DataType) plan.Expr { return nestedLit(nil, dt) }
	lists := map[string][]any{"li": nestedIntLists, "lf": nestedFloatLists, "ls": nestedStrLists}
	values := map[string][]any{"vi": nestedInts, "vf": nestedFloats, "vs": nestedStrs, "vd": nestedStrs}
	type tc struct {
		e    plan.Expr
		want func(i int) any
	}
	var cases []tc
	for name, rows := range lists {
		cases = append(cases, tc{call("size", col(name)), func(i int) any { return oracleSize(rows[i]) }})
		cases = append(cases, tc{call("element_at", col(name), col("k")), func(i int) any { return oracleElementAt(rows[i], nestedIndex[i]) }})
		for _, k := range []int64{1, 2, 3, -1, -3, 5, math.MaxInt64, math.MinInt64} {
			cases = append(cases, tc{call("element_at", col(name), i64(k)), func(i int) any { return oracleElementAt(rows[i], k) }})
		}
		cases = append(cases, tc{call("element_at", col(name), nullOf(arrow.PrimitiveTypes.Int64)), func(int) any { return nil }})
	}
	for _, c := range []struct{ list, val string }{{"li", "vi"}, {"lf", "vf"}, {"ls", "vs"}, {"ls", "vd"}} {
		rows, vals := lists[c.list], values[c.val]
		v := col(c.val)
		if c.val == "vd" {
			v = &plan.Cast{Child: v, To: arrow.BinaryTypes.String} // as the analyzer converts it
		}
		cases = append(cases, tc{call("array_contains", col(c.list), v), func(i int) any { return oracleContains(rows[i], vals[i]) }})
	}
	for _, v := range []int64{1, 3, 5, -7, 42} {
		cases = append(cases, tc{call("array_contains", col("li"), i64(v)), func(i int) any { return oracleContains(nestedIntLists[i], v) }})
	}
	for _, v := range []float64{math.NaN(), 0, math.Copysign(0, -1), 2, math.Inf(1)} {
		cases = append(cases, tc{call("array_contains", col("lf"), f64(v)), func(i int) any { return oracleContains(nestedFloatLists[i], v) }})
	}
	for _, v := range []string{"", "a", "日本", "ß", "nope"} {
		cases = append(cases, tc{call("array_contains", col("ls"), str(v)), func(i int) any { return oracleContains(nestedStrLists[i], v) }})
	}
	cases = append(cases, tc{call("array_contains", col("ls"), nullOf(arrow.BinaryTypes.String)), func(int) any { return nil }})
	for _, p := range []string{",", ",+", `\s*,\s*`, "", "[öü]", "x*", "語"} {
		re := regexp.MustCompile(p)
		for _, c := range []string{"s", "d"} {
			cases = append(cases, tc{call("split", col(c), str(p)), func(i int) any { return oracleSplit(nestedSplit[i], re) }})
		}
	}
	cases = append(cases, tc{call("split", col("s"), nullOf(arrow.BinaryTypes.String)), func(int) any { return nil }})
	for fi, f := range []string{"a", "b"} {
		cases = append(cases, tc{call("get_field", col("st"), str(f)), func(i int) any { return oracleField(nestedStructs[i], fi) }})
	}
	// The same over a slice of the batch: offsets into the lists' and struct's buffers.
	const from = 3
	sliced := rec.NewSlice(from, rec.NumRows())
	defer sliced.Release()
	for _, c := range cases {
		for _, r := range []struct {
			rec arrow.RecordBatch
			off int
		}{{rec, 0}, {sliced, from}} {
			got := evalRows(t, mem, c.e, r.rec)
			for i, g := range got {
				if w := c.want(i + r.off); !nestedSame(g, w) {
					t.Errorf("%s row %d (offset %d): got %v, want %v", c.e, i+r.off, r.off, fmt.Sprint(g), fmt.Sprint(w))
				}
			}
		}
	}
}

// TestNestedScalars evaluates the functions on literal arguments only: evalArgs turns
// the first into a one-row array and the result back into a scalar.
func TestNestedScalars(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := evOneRow(mem)
	defer rec.Release()
	str := func(v string) plan.Expr { return nestedLit(v, arrow.BinaryTypes.String) }
	for _, c := range []struct {
		e    plan.Expr
		want any
	}{
		{&plan.Call{Func: "split", Args: []plan.Expr{str("a1b22c"), str(`\d+`)}}, []any{"a", "b", "c"}},
		{&plan.Call{Func: "split", Args: []plan.Expr{str(""), str(",")}}, []any{""}},
		{&plan.Call{Func: "split", Args: []plan.Expr{nestedLit(nil, arrow.BinaryTypes.String), str(",")}}, nil},
		{&plan.Call{Func: "size", Args: []plan.Expr{&plan.Call{Func: "split", Args: []plan.Expr{str("x,y,"), str(",")}}}}, int64(3)},
		{&plan.Call{Func: "element_at", Args: []plan.Expr{&plan.Call{Func: "split", Args: []plan.Expr{str("x,ü,z"), str(",")}}, nestedLit(int64(-2), arrow.PrimitiveTypes.Int64)}}, "ü"},
		{&plan.Call{Func: "array_contains", Args: []plan.Expr{&plan.Call{Func: "split", Args: []plan.Expr{str("x,ü,z"), str(",")}}, str("ü")}}, true},
	} {
		arr, err := Eval(context.Background(), c.e, rec, mem)
		if err != nil {
			t.Fatalf("%s: %v", c.e, err)
		}
		for i := 0; i < arr.Len(); i++ {
			if g := exectest.GoValue(t, arr, i); !nestedSame(g, c.want) {
				t.Errorf("%s row %d: got %v, want %v", c.e, i, g, c.want)
			}
		}
		arr.Release()
	}
}
