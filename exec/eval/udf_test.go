package eval

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// The evaluator's handling of user-defined functions, with test implementations that
// apply a plain Go function row by row (the typed wrappers live in package dataset and
// are tested there). The expected values are the same Go functions applied in a loop.

// rowUDF applies f to the rows of its arguments; a NULL argument gives NULL. rows counts
// the rows it was called over, to tell a per-dictionary-value evaluation from a per-row one.
type rowUDF struct {
	ret  arrow.DataType
	f    func(args []arrow.Array, i int, b array.Builder)
	rows int
}

func (u *rowUDF) Eval(args []arrow.Array, n int, mem memory.Allocator) (arrow.Array, error) {
	u.rows += n
	b := array.NewBuilder(mem, u.ret)
	defer b.Release()
rows:
	for i := 0; i < n; i++ {
		for _, a := range args {
			if a.IsNull(i) {
				b.AppendNull()
				continue rows
			}
		}
		u.f(args, i, b)
	}
	return b.NewArray(), nil
}

func udfHalf(x float64) float64 { return x/2 + 1 }

func udfMark(s string, k int64) string {
	return strings.Repeat("·", int(k)) + strings.ToUpper(s) + "/" + string(rune('0'+utf8.RuneCountInString(s)))
}

func udfFloatImpl() *rowUDF {
	return &rowUDF{ret: arrow.PrimitiveTypes.Float64, f: func(a []arrow.Array, i int, b array.Builder) {
		b.(*array.Float64Builder).Append(udfHalf(a[0].(*array.Float64).Value(i)))
	}}
}

func udfStringImpl() *rowUDF {
	return &rowUDF{ret: arrow.BinaryTypes.String, f: func(a []arrow.Array, i int, b array.Builder) {
		b.(*array.StringBuilder).Append(udfMark(a[0].(*array.String).Value(i), a[1].(*array.Int64).Value(i)))
	}}
}

func udfCall(name string, impl plan.ScalarUDF, ret arrow.DataType, types []arrow.DataType, args ...plan.Expr) *plan.UDFCall {
	return &plan.UDFCall{Name: name, Args: args, ArgTypes: types, Returns: ret, Impl: impl}
}

var (
	udfF64  = arrow.PrimitiveTypes.Float64
	udfI64  = arrow.PrimitiveTypes.Int64
	udfUTF8 = arrow.BinaryTypes.String
)

// udfBatch: f float64 (with NULL, NaN, ±Inf, -0), s utf8 (NULL, empty, multi-byte),
// d the same strings dictionary-encoded, k int64 (with a NULL).
func udfBatch(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	fv := []float64{1, 0, math.NaN(), math.Inf(1), -3.5, math.Copysign(0, -1), 7, 1e300}
	fok := []bool{true, false, true, true, true, true, true, true}
	sv := []string{"abc", "", "héllo", "日本語", "", "abc", "x", "héllo"}
	sok := []bool{true, true, true, true, false, true, true, true}
	kv := []int64{0, 1, 2, 3, 0, 2, 1, 0}
	kok := []bool{true, true, true, true, true, false, true, true}
	fb := array.NewFloat64Builder(mem)
	defer fb.Release()
	fb.AppendValues(fv, fok)
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	sb.AppendValues(sv, sok)
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: udfUTF8}
	db := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
	defer db.Release()
	for i, s := range sv {
		if !sok[i] {
			db.AppendNull()
			continue
		}
		if err := db.AppendString(s); err != nil {
			t.Fatal(err)
		}
	}
	kb := array.NewInt64Builder(mem)
	defer kb.Release()
	kb.AppendValues(kv, kok)
	cols := []arrow.Array{fb.NewArray(), sb.NewArray(), db.NewArray(), kb.NewArray()}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "f", Type: udfF64, Nullable: true},
		{Name: "s", Type: udfUTF8, Nullable: true},
		{Name: "d", Type: dt, Nullable: true},
		{Name: "k", Type: udfI64, Nullable: true},
	}, nil)
	return array.NewRecordBatch(schema, cols, int64(len(fv)))
}

// udfCell reads row i of column name as a Go value, nil for NULL.
func udfCell(rec arrow.RecordBatch, name string, i int) any {
	col := rec.Column(rec.Schema().FieldIndices(name)[0])
	if col.IsNull(i) {
		return nil
	}
	switch c := col.(type) {
	case *array.Float64:
		return c.Value(i)
	case *array.Int64:
		return c.Value(i)
	case *array.String:
		return c.Value(i)
	case *array.Dictionary:
		return c.Dictionary().(*array.String).Value(c.GetValueIndex(i))
	}
	return nil
}

func udfSame(got, want any) bool {
	g, gok := got.(float64)
	w, wok := want.(float64)
	if gok && wok {
		return math.Float64bits(g) == math.Float64bits(w) || (math.IsNaN(g) && math.IsNaN(w))
	}
	return got == want
}

func udfResult(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	}
	return "?" + a.DataType().String()
}

func TestUDFEvalColumnsAndScalars(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := udfBatch(t, mem)
	defer rec.Release()

	half := func(x any) any {
		if x == nil {
			return nil
		}
		return udfHalf(x.(float64))
	}
	mark := func(s, k any) any {
		if s == nil || k == nil {
			return nil
		}
		return udfMark(s.(string), k.(int64))
	}
	cases := []struct {
		name string
		e    plan.Expr
		want func(r arrow.RecordBatch, i int) any
	}{
		{"float column", udfCall("half", udfFloatImpl(), udfF64, []arrow.DataType{udfF64}, &plan.ColumnRef{Name: "f"}),
			func(r arrow.RecordBatch, i int) any { return half(udfCell(r, "f", i)) }},
		{"string and int columns", udfCall("mark", udfStringImpl(), udfUTF8, []arrow.DataType{udfUTF8, udfI64}, &plan.ColumnRef{Name: "s"}, &plan.ColumnRef{Name: "k"}),
			func(r arrow.RecordBatch, i int) any { return mark(udfCell(r, "s", i), udfCell(r, "k", i)) }},
		{"dictionary and int columns", udfCall("mark", udfStringImpl(), udfUTF8, []arrow.DataType{udfUTF8, udfI64}, &plan.ColumnRef{Name: "d"}, &plan.ColumnRef{Name: "k"}),
			func(r arrow.RecordBatch, i int) any { return mark(udfCell(r, "d", i), udfCell(r, "k", i)) }},
		{"dictionary and literal", udfCall("mark", udfStringImpl(), udfUTF8, []arrow.DataType{udfUTF8, udfI64}, &plan.ColumnRef{Name: "d"}, &plan.Literal{Value: int64(2), Type: udfI64}),
			func(r arrow.RecordBatch, i int) any { return mark(udfCell(r, "d", i), int64(2)) }},
		{"literal and column", udfCall("mark", udfStringImpl(), udfUTF8, []arrow.DataType{udfUTF8, udfI64}, &plan.Literal{Value: "ñü", Type: udfUTF8}, &plan.ColumnRef{Name: "k"}),
			func(r arrow.RecordBatch, i int) any { return mark("ñü", udfCell(r, "k", i)) }},
		{"literals only", udfCall("mark", udfStringImpl(), udfUTF8, []arrow.DataType{udfUTF8, udfI64}, &plan.Literal{Value: "", Type: udfUTF8}, &plan.Literal{Value: int64(3), Type: udfI64}),
			func(r arrow.RecordBatch, i int) any { return mark("", int64(3)) }},
		{"NULL literal", udfCall("half", udfFloatImpl(), udfF64, []arrow.DataType{udfF64}, &plan.Literal{Type: udfF64}),
			func(r arrow.RecordBatch, i int) any { return nil }},
		{"nested in an operator", &plan.Binary{Op: plan.OpAdd, Left: udfCall("half", udfFloatImpl(), udfF64, []arrow.DataType{udfF64}, &plan.ColumnRef{Name: "f"}), Right: &plan.Literal{Value: 1.0, Type: udfF64}},
			func(r arrow.RecordBatch, i int) any {
				if h := half(udfCell(r, "f", i)); h != nil {
					return h.(float64) + 1
				}
				return nil
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []arrow.RecordBatch{rec, rec.NewSlice(2, 7), rec.NewSlice(0, 0)} {
				got, err := Eval(context.Background(), c.e, r, mem)
				if err != nil {
					t.Fatalf("%s: %v", c.e, err)
				}
				if got.Len() != int(r.NumRows()) {
					t.Fatalf("%s: %d rows, want %d", c.e, got.Len(), r.NumRows())
				}
				for i := 0; i < got.Len(); i++ {
					if g, w := udfResult(got, i), c.want(r, i); !udfSame(g, w) {
						t.Errorf("%s row %d: got %#v, want %#v", c.e, i, g, w)
					}
				}
				got.Release()
				if r != rec {
					r.Release()
				}
			}
		})
	}
}

func TestUDFEvalOncePerDictionaryValue(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := udfBatch(t, mem)
	defer rec.Release()
	impl := udfStringImpl()
	e := udfCall("mark", impl, udfUTF8, []arrow.DataType{udfUTF8, udfI64}, &plan.ColumnRef{Name: "d"}, &plan.Literal{Value: int64(1), Type: udfI64})
	got, err := Eval(context.Background(), e, rec, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	dictLen := rec.Column(2).(*array.Dictionary).Dictionary().Len()
	if impl.rows != dictLen {
		t.Errorf("UDF ran over %d rows, want once per dictionary value (%d)", impl.rows, dictLen)
	}
	if got.DataType().ID() != arrow.STRING {
		t.Errorf("result type %s, want plain utf8", got.DataType())
	}
}

type panicUDF struct{}

func (panicUDF) Eval([]arrow.Array, int, memory.Allocator) (arrow.Array, error) {
	panic("boom")
}

type wrongUDF struct{ rows int }

func (w wrongUDF) Eval(_ []arrow.Array, n int, mem memory.Allocator) (arrow.Array, error) {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	for i := 0; i < n+w.rows; i++ {
		b.Append(1)
	}
	return b.NewArray(), nil
}

type errUDF struct{}

var errUDFFailed = errors.New("no luck")

func (errUDF) Eval([]arrow.Array, int, memory.Allocator) (arrow.Array, error) {
	return nil, errUDFFailed
}

func TestUDFEvalFailures(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := udfBatch(t, mem)
	defer rec.Release()
	f := &plan.ColumnRef{Name: "f"}
	cases := []struct {
		e    plan.Expr
		want string
	}{
		{udfCall("explode_me", panicUDF{}, udfF64, []arrow.DataType{udfF64}, f), "user function explode_me panicked: boom"},
		{udfCall("too_long", wrongUDF{rows: 1}, udfF64, []arrow.DataType{udfF64}, f), "user function too_long returned 9 rows of float64, want 8 rows of float64"},
		{udfCall("wrong_type", wrongUDF{}, udfUTF8, []arrow.DataType{udfF64}, f), "user function wrong_type returned 8 rows of float64, want 8 rows of utf8"},
		{udfCall("fails", errUDF{}, udfF64, []arrow.DataType{udfF64}, f), "user function fails: no luck"},
	}
	for _, c := range cases {
		got, err := Eval(context.Background(), c.e, rec, mem)
		if err == nil {
			got.Release()
			t.Errorf("%s: no error", c.e)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.e.String()) {
			t.Errorf("%s: error %q, want it to name the expression and say %q", c.e, err, c.want)
		}
	}
	if _, err := Eval(context.Background(), udfCall("fails", errUDF{}, udfF64, []arrow.DataType{udfF64}, f), rec, mem); !errors.Is(err, errUDFFailed) {
		t.Errorf("error %v does not wrap the UDF's error", err)
	}
}
