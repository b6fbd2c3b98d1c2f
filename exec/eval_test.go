package exec

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// ---- expression helpers -------------------------------------------------------------

func eCol(name string) plan.Expr { return &plan.ColumnRef{Name: name} }
func eInt(v int64) plan.Expr     { return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Int64} }
func eFlt(v float64) plan.Expr   { return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Float64} }
func eStr(v string) plan.Expr    { return &plan.Literal{Value: v, Type: arrow.BinaryTypes.String} }
func eBool(v bool) plan.Expr     { return &plan.Literal{Value: v, Type: arrow.FixedWidthTypes.Boolean} }
func eNull(dt arrow.DataType) plan.Expr {
	return &plan.Literal{Value: nil, Type: dt}
}
func eBin(op plan.BinaryOp, l, r plan.Expr) plan.Expr { return &plan.Binary{Op: op, Left: l, Right: r} }
func eUn(op plan.UnaryOp, c plan.Expr) plan.Expr      { return &plan.Unary{Op: op, Child: c} }
func eCast(c plan.Expr, to arrow.DataType) plan.Expr  { return &plan.Cast{Child: c, To: to} }
func eCall(f string, args ...plan.Expr) plan.Expr     { return &plan.Call{Func: f, Args: args} }

var (
	evTestTS   = &arrow.TimestampType{Unit: arrow.Microsecond}
	evTestDict = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
)

// ---- the expressions under test -----------------------------------------------------

func evTestExprs() []plan.Expr {
	i, j, f, g := eCol("i"), eCol("j"), eCol("f"), eCol("g")
	s, s2, d, b, sn := eCol("s"), eCol("s2"), eCol("d"), eCol("b"), eCol("sn")
	dt, ts, nn := eCol("dt"), eCol("ts"), eCol("nn")
	f64, i64, i32 := arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32
	utf8T := arrow.BinaryTypes.String
	var out []plan.Expr
	// arithmetic
	for _, op := range []plan.BinaryOp{plan.OpAdd, plan.OpSub, plan.OpMul, plan.OpMod} {
		out = append(out, eBin(op, i, j), eBin(op, f, g), eBin(op, i, eInt(3)), eBin(op, eInt(7), j), eBin(op, f, eFlt(-2.5)))
	}
	out = append(out,
		eBin(plan.OpMod, i, eInt(0)), eBin(plan.OpMod, i, eNull(i64)),
		eBin(plan.OpDiv, f, g), eBin(plan.OpDiv, f, eFlt(0)), eBin(plan.OpDiv, eFlt(1), g),
		eBin(plan.OpDiv, eCast(i, f64), eCast(j, f64)), eBin(plan.OpDiv, f, eNull(f64)),
		eUn(plan.OpNeg, i), eUn(plan.OpNeg, f), eUn(plan.OpNeg, eBin(plan.OpAdd, i, eInt(1))),
		eBin(plan.OpAdd, eInt(1), eInt(2)), eBin(plan.OpAdd, nn, i),
	)
	// comparisons
	for op := plan.OpEq; op <= plan.OpGtEq; op++ {
		out = append(out,
			eBin(op, i, j), eBin(op, i, eInt(0)), eBin(op, eInt(0), i),
			eBin(op, f, g), eBin(op, f, eFlt(math.NaN())), eBin(op, eFlt(1.5), f), eBin(op, f, eFlt(1.5)),
			eBin(op, s, eStr("abc")), eBin(op, s, s2), eBin(op, d, eStr("abc")), eBin(op, eStr("b"), d),
			eBin(op, d, s), eBin(op, s2, d), eBin(op, d, d), eBin(op, b, eBool(true)),
			eBin(op, dt, &plan.Literal{Value: arrow.Date32(9000), Type: arrow.FixedWidthTypes.Date32}),
			eBin(op, ts, &plan.Literal{Value: arrow.Timestamp(1e15), Type: evTestTS}),
			eBin(op, d, eNull(utf8T)), eBin(op, i, nn),
		)
	}
	// boolean logic and null tests
	gt := eBin(plan.OpGt, i, j)
	out = append(out,
		eBin(plan.OpAnd, b, gt), eBin(plan.OpOr, b, gt), eUn(plan.OpNot, b), eUn(plan.OpNot, gt),
		eBin(plan.OpAnd, b, eNull(arrow.FixedWidthTypes.Boolean)), eBin(plan.OpOr, b, eNull(arrow.FixedWidthTypes.Boolean)),
		eBin(plan.OpAnd, eBool(true), b), eBin(plan.OpOr, eBool(false), eUn(plan.OpNot, b)),
		eBin(plan.OpAnd, eBin(plan.OpGt, eBin(plan.OpAdd, i, j), eInt(10)), eUn(plan.OpNot, eBin(plan.OpEq, s, eStr("a")))),
	)
	for _, c := range []plan.Expr{i, f, s, d, b, nn, dt, eInt(1), eNull(i64)} {
		out = append(out, eUn(plan.OpIsNull, c), eUn(plan.OpIsNotNull, c))
	}
	// string functions, on plain and dictionary strings
	for _, c := range []plan.Expr{s, d, s2} {
		out = append(out, eCall("length", c), eCall("lower", c), eCall("upper", c),
			eCall("contains", c, eStr("a")), eCall("contains", c, eStr("")), eCall("starts_with", c, eStr("ab")),
			eCall("ends_with", c, eStr("c")), eCall("contains", c, eNull(utf8T)), eCall("contains", c, s2),
			eCall("substring", c, eInt(3)))
		for _, sl := range [][2]int64{{1, 3}, {0, 2}, {-3, 2}, {2, -1}, {5, 100}, {-100, 3}, {-1, 1}, {2, 0}, {math.MinInt64, math.MaxInt64}} {
			out = append(out, eCall("substring", c, eInt(sl[0]), eInt(sl[1])))
		}
	}
	out = append(out, eCall("length", eStr("héllo")), eCall("upper", eStr("straße")), eCall("substring", s, eNull(i64), eInt(2)))
	// coalesce
	out = append(out,
		eCall("coalesce", i, j), eCall("coalesce", i, j, eInt(0)), eCall("coalesce", nn, i), eCall("coalesce", f, g),
		eCall("coalesce", s, d, eStr("z")), eCall("coalesce", d, s2), eCall("coalesce", b, eBool(false)),
		eCall("coalesce", dt, &plan.Literal{Value: arrow.Date32(0), Type: arrow.FixedWidthTypes.Date32}),
		eCall("coalesce", eNull(i64), i), eCall("coalesce", eNull(i64), eInt(3)), eCall("coalesce", i),
		eCall("coalesce", eNull(i64), eNull(i64)), eCall("coalesce", ts, ts),
	)
	// casts
	out = append(out,
		eCast(i, f64), eCast(i, i32), eCast(f, i64), eCast(f, i32), eCast(i, utf8T), eCast(b, i64), eCast(i, arrow.FixedWidthTypes.Boolean),
		eCast(sn, i64), eCast(sn, i32), eCast(sn, f64), eCast(sn, arrow.FixedWidthTypes.Boolean),
		eCast(sn, arrow.FixedWidthTypes.Date32), eCast(sn, evTestTS), eCast(ts, arrow.FixedWidthTypes.Date32),
		eCast(dt, evTestTS), eCast(d, utf8T), eCast(d, i64), eCast(dt, utf8T), eCast(ts, utf8T), eCast(b, utf8T),
		eCast(s, arrow.FixedWidthTypes.Boolean), eCast(s, utf8T), eCast(eStr("42"), i64), eCast(nn, utf8T),
	)
	return out
}

// ---- tests --------------------------------------------------------------------------

func TestEvalAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	exprs := evTestExprs()
	variants := []struct {
		name    string
		n       int
		allNull bool
		slice   bool
	}{
		{"empty", 0, false, false}, {"one", 1, false, false}, {"one-null", 1, true, false},
		{"small", 9, false, false}, {"large", 700, false, false}, {"all-null", 300, true, false},
		{"sliced", 700, false, true},
	}
	for _, v := range variants {
		rec := evMakeBatch(mem, rng, v.n, v.allNull)
		if v.slice {
			sl := rec.NewSlice(13, int64(v.n-29))
			rec.Release()
			rec = sl
		}
		rows := evRecordRows(t, rec)
		for _, e := range exprs {
			got, err := Eval(ctx, e, rec, mem)
			if err != nil {
				t.Errorf("%s: %s: %v", v.name, e, err)
				continue
			}
			if got.Len() != len(rows) {
				t.Errorf("%s: %s: %d rows, want %d", v.name, e, got.Len(), len(rows))
				got.Release()
				continue
			}
			gotRows := evRowsOf(t, got)
			bad := 0
			for r, row := range rows {
				want := oEval(e, row)
				if !oEqual(gotRows[r], want) {
					if bad < 3 {
						t.Errorf("%s: %s row %d (%v): got %#v, want %#v", v.name, e, r, row, gotRows[r], want)
					}
					bad++
				}
			}
			got.Release()
		}
		rec.Release()
	}
}

func TestEvalResultTypes(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := evMakeBatch(mem, rand.New(rand.NewPCG(3, 4)), 20, false)
	defer rec.Release()
	cases := []struct {
		e    plan.Expr
		want arrow.DataType
	}{
		{eCall("length", eCol("d")), arrow.PrimitiveTypes.Int64},
		{eCall("lower", eCol("d")), arrow.BinaryTypes.String},
		{eBin(plan.OpEq, eCol("d"), eStr("x")), arrow.FixedWidthTypes.Boolean},
		{eBin(plan.OpDiv, eCol("f"), eCol("g")), arrow.PrimitiveTypes.Float64},
		{eCol("d"), evTestDict},
		{&plan.Alias{Child: eInt(5), Name: "five"}, arrow.PrimitiveTypes.Int64},
		{eCall("coalesce", eCol("d"), eStr("q")), arrow.BinaryTypes.String},
	}
	for _, c := range cases {
		got, err := Eval(context.Background(), c.e, rec, mem)
		if err != nil {
			t.Fatalf("%s: %v", c.e, err)
		}
		if !arrow.TypeEqual(got.DataType(), c.want) {
			t.Errorf("%s: type %v, want %v", c.e, got.DataType(), c.want)
		}
		got.Release()
	}
}

func TestEvalErrorsNameExpression(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rec := evMakeBatch(mem, rand.New(rand.NewPCG(5, 6)), 4, false)
	defer rec.Release()
	bad := []plan.Expr{
		eBin(plan.OpAdd, eCol("i"), eCol("missing")),
		eCall("nosuchfn", eCol("s")),
		eCall("substring", eCol("s"), eCol("i")),
		eBin(plan.OpDiv, eCol("i"), eCol("j")),
	}
	for _, e := range bad {
		got, err := Eval(context.Background(), e, rec, mem)
		if err == nil {
			got.Release()
			t.Errorf("%s: no error", e)
			continue
		}
		if !strings.HasPrefix(err.Error(), "exec: eval ") {
			t.Errorf("%s: error %q lacks the package prefix", e, err)
		}
	}
	_, err := Eval(context.Background(), eBin(plan.OpAdd, eCol("i"), eCol("missing")), rec, mem)
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("unknown column error %v does not name the column", err)
	}
}

// TestCastStringsTable pins the parsing and formatting rules with literal expectations.
func TestCastStringsTable(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	ints := map[string]any{" 12 ": int64(12), "1.9": int64(1), "-1.9": int64(-1), "abc": nil, "": nil,
		"9223372036854775808": nil, "-9223372036854775808": int64(math.MinInt64), "+5": int64(5), "1e3": nil,
		".": nil, "1.": int64(1), "- 1": nil}
	floats := map[string]any{"1e3": 1000.0, "NaN": math.NaN(), "abc": nil, "1.5d": 1.5, " -2 ": -2.0,
		"Infinity": math.Inf(1), "1e400": math.Inf(1), "1_0": nil}
	dates := map[string]any{"2020-02-29": arrow.Date32(18321), "2021-02-29": nil, "2020-1-5": arrow.Date32(18266),
		"2020-01-05 12:00:00": arrow.Date32(18266), "20-01-01": nil, "1969-12-31": arrow.Date32(-1), "2020-13-01": nil,
		"0001-01-01": arrow.Date32(-719162)}
	tsv := func(s string) any {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return arrow.Timestamp(tm.UnixMicro())
	}
	stamps := map[string]any{"2020-01-02 03:04:05": tsv("2020-01-02T03:04:05Z"),
		"2020-01-02T03:04:05.123456Z": tsv("2020-01-02T03:04:05.123456Z"),
		"2020-01-02T03:04:05+01:00":   tsv("2020-01-02T02:04:05Z"),
		"2020-01-02 03:04:05.5":       tsv("2020-01-02T03:04:05.5Z"),
		"2020-01-02":                  tsv("2020-01-02T00:00:00Z"), "garbage": nil}
	one := evOneRow(mem)
	defer one.Release()
	check := func(in map[string]any, to arrow.DataType) {
		for s, want := range in {
			got, err := Eval(context.Background(), eCast(eStr(s), to), one, mem)
			if err != nil {
				t.Fatalf("cast %q: %v", s, err)
			}
			if g := evRowsOf(t, got)[0]; !oEqual(g, want) {
				t.Errorf("cast %q as %v: got %#v, want %#v", s, to, g, want)
			}
			got.Release()
		}
	}
	check(ints, arrow.PrimitiveTypes.Int64)
	check(floats, arrow.PrimitiveTypes.Float64)
	check(dates, arrow.FixedWidthTypes.Date32)
	check(stamps, evTestTS)
	doubles := map[float64]string{1: "1.0", 0.1: "0.1", 1e7: "1.0E7", 1.5e-4: "1.5E-4", 123456.789: "123456.789",
		-2.5e10: "-2.5E10", math.NaN(): "NaN", math.Inf(-1): "-Infinity", 0: "0.0", 1e-3: "0.001", 1.234e300: "1.234E300"}
	for f, want := range doubles {
		got, err := Eval(context.Background(), eCast(eFlt(f), arrow.BinaryTypes.String), one, mem)
		if err != nil {
			t.Fatal(err)
		}
		if g := evRowsOf(t, got)[0]; g != want {
			t.Errorf("cast %v as string: got %q, want %q", f, g, want)
		}
		got.Release()
	}
}

// evOneRow returns a one-row batch (a single int column) for evaluating literals.
func evOneRow(mem memory.Allocator) arrow.RecordBatch {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Append(1)
	col := b.NewArray()
	defer col.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "one", Type: arrow.PrimitiveTypes.Int64}}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{col}, 1)
}

// ---- a source of batches for operator tests -----------------------------------------

// evTestSource feeds a fixed list of batches as an Operator, taking ownership of them.
type evTestSource struct {
	batches []arrow.RecordBatch
	next    int
	opened  bool
	closed  bool
}

var _ Operator = (*evTestSource)(nil)

func (s *evTestSource) Open(context.Context) error { s.opened = true; return nil }

func (s *evTestSource) Next() (arrow.RecordBatch, error) {
	if s.next >= len(s.batches) {
		return nil, io.EOF
	}
	b := s.batches[s.next]
	s.batches[s.next] = nil
	s.next++
	return b, nil
}

func (s *evTestSource) Close() error {
	for i, b := range s.batches {
		if b != nil {
			b.Release()
			s.batches[i] = nil
		}
	}
	s.closed = true
	return nil
}
