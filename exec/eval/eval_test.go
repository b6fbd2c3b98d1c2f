package eval

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// ---- expression helpers -------------------------------------------------------------

// ---- the expressions under test -----------------------------------------------------

func evTestExprs() []plan.Expr {
	i, j, f, g := exectest.Col("i"), exectest.Col("j"), exectest.Col("f"), exectest.Col("g")
	s, s2, d, b, sn := exectest.Col("s"), exectest.Col("s2"), exectest.Col("d"), exectest.Col("b"), exectest.Col("sn")
	dt, ts, nn := exectest.Col("dt"), exectest.Col("ts"), exectest.Col("nn")
	f64, i64, i32 := arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32
	utf8T := arrow.BinaryTypes.String
	var out []plan.Expr
	// arithmetic
	for _, op := range []plan.BinaryOp{plan.OpAdd, plan.OpSub, plan.OpMul, plan.OpMod} {
		out = append(out, exectest.Bin(op, i, j), exectest.Bin(op, f, g), exectest.Bin(op, i, exectest.Int(3)), exectest.Bin(op, exectest.Int(7), j), exectest.Bin(op, f, exectest.Float(-2.5)))
	}
	out = append(out,
		exectest.Bin(plan.OpMod, i, exectest.Int(0)), exectest.Bin(plan.OpMod, i, exectest.Null(i64)),
		exectest.Bin(plan.OpDiv, f, g), exectest.Bin(plan.OpDiv, f, exectest.Float(0)), exectest.Bin(plan.OpDiv, exectest.Float(1), g),
		exectest.Bin(plan.OpDiv, exectest.Cast(i, f64), exectest.Cast(j, f64)), exectest.Bin(plan.OpDiv, f, exectest.Null(f64)),
		exectest.Un(plan.OpNeg, i), exectest.Un(plan.OpNeg, f), exectest.Un(plan.OpNeg, exectest.Bin(plan.OpAdd, i, exectest.Int(1))),
		exectest.Bin(plan.OpAdd, exectest.Int(1), exectest.Int(2)), exectest.Bin(plan.OpAdd, nn, i),
	)
	// comparisons
	for op := plan.OpEq; op <= plan.OpGtEq; op++ {
		out = append(out,
			exectest.Bin(op, i, j), exectest.Bin(op, i, exectest.Int(0)), exectest.Bin(op, exectest.Int(0), i),
			exectest.Bin(op, f, g), exectest.Bin(op, f, exectest.Float(math.NaN())), exectest.Bin(op, exectest.Float(1.5), f), exectest.Bin(op, f, exectest.Float(1.5)),
			exectest.Bin(op, s, exectest.Str("abc")), exectest.Bin(op, s, s2), exectest.Bin(op, d, exectest.Str("abc")), exectest.Bin(op, exectest.Str("b"), d),
			exectest.Bin(op, d, s), exectest.Bin(op, s2, d), exectest.Bin(op, d, d), exectest.Bin(op, b, exectest.Bool(true)),
			exectest.Bin(op, dt, &plan.Literal{Value: arrow.Date32(9000), Type: arrow.FixedWidthTypes.Date32}),
			exectest.Bin(op, ts, &plan.Literal{Value: arrow.Timestamp(1e15), Type: exectest.TimestampType}),
			exectest.Bin(op, d, exectest.Null(utf8T)), exectest.Bin(op, i, nn),
		)
	}
	// boolean logic and null tests
	gt := exectest.Bin(plan.OpGt, i, j)
	out = append(out,
		exectest.Bin(plan.OpAnd, b, gt), exectest.Bin(plan.OpOr, b, gt), exectest.Un(plan.OpNot, b), exectest.Un(plan.OpNot, gt),
		exectest.Bin(plan.OpAnd, b, exectest.Null(arrow.FixedWidthTypes.Boolean)), exectest.Bin(plan.OpOr, b, exectest.Null(arrow.FixedWidthTypes.Boolean)),
		exectest.Bin(plan.OpAnd, exectest.Bool(true), b), exectest.Bin(plan.OpOr, exectest.Bool(false), exectest.Un(plan.OpNot, b)),
		exectest.Bin(plan.OpAnd, exectest.Bin(plan.OpGt, exectest.Bin(plan.OpAdd, i, j), exectest.Int(10)), exectest.Un(plan.OpNot, exectest.Bin(plan.OpEq, s, exectest.Str("a")))),
	)
	for _, c := range []plan.Expr{i, f, s, d, b, nn, dt, exectest.Int(1), exectest.Null(i64)} {
		out = append(out, exectest.Un(plan.OpIsNull, c), exectest.Un(plan.OpIsNotNull, c))
	}
	// string functions, on plain and dictionary strings
	for _, c := range []plan.Expr{s, d, s2} {
		out = append(out, exectest.Call("length", c), exectest.Call("lower", c), exectest.Call("upper", c),
			exectest.Call("contains", c, exectest.Str("a")), exectest.Call("contains", c, exectest.Str("")), exectest.Call("starts_with", c, exectest.Str("ab")),
			exectest.Call("ends_with", c, exectest.Str("c")), exectest.Call("contains", c, exectest.Null(utf8T)), exectest.Call("contains", c, s2),
			exectest.Call("substring", c, exectest.Int(3)))
		for _, sl := range [][2]int64{{1, 3}, {0, 2}, {-3, 2}, {2, -1}, {5, 100}, {-100, 3}, {-1, 1}, {2, 0}, {math.MinInt64, math.MaxInt64}} {
			out = append(out, exectest.Call("substring", c, exectest.Int(sl[0]), exectest.Int(sl[1])))
		}
	}
	out = append(out, exectest.Call("length", exectest.Str("héllo")), exectest.Call("upper", exectest.Str("straße")), exectest.Call("substring", s, exectest.Null(i64), exectest.Int(2)))
	// coalesce
	out = append(out,
		exectest.Call("coalesce", i, j), exectest.Call("coalesce", i, j, exectest.Int(0)), exectest.Call("coalesce", nn, i), exectest.Call("coalesce", f, g),
		exectest.Call("coalesce", s, d, exectest.Str("z")), exectest.Call("coalesce", d, s2), exectest.Call("coalesce", b, exectest.Bool(false)),
		exectest.Call("coalesce", dt, &plan.Literal{Value: arrow.Date32(0), Type: arrow.FixedWidthTypes.Date32}),
		exectest.Call("coalesce", exectest.Null(i64), i), exectest.Call("coalesce", exectest.Null(i64), exectest.Int(3)), exectest.Call("coalesce", i),
		exectest.Call("coalesce", exectest.Null(i64), exectest.Null(i64)), exectest.Call("coalesce", ts, ts),
	)
	// casts
	out = append(out,
		exectest.Cast(i, f64), exectest.Cast(i, i32), exectest.Cast(f, i64), exectest.Cast(f, i32), exectest.Cast(i, utf8T), exectest.Cast(b, i64), exectest.Cast(i, arrow.FixedWidthTypes.Boolean),
		exectest.Cast(sn, i64), exectest.Cast(sn, i32), exectest.Cast(sn, f64), exectest.Cast(sn, arrow.FixedWidthTypes.Boolean),
		exectest.Cast(sn, arrow.FixedWidthTypes.Date32), exectest.Cast(sn, exectest.TimestampType), exectest.Cast(ts, arrow.FixedWidthTypes.Date32),
		exectest.Cast(dt, exectest.TimestampType), exectest.Cast(d, utf8T), exectest.Cast(d, i64), exectest.Cast(dt, utf8T), exectest.Cast(ts, utf8T), exectest.Cast(b, utf8T),
		exectest.Cast(s, arrow.FixedWidthTypes.Boolean), exectest.Cast(s, utf8T), exectest.Cast(exectest.Str("42"), i64), exectest.Cast(nn, utf8T),
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
		rec := exectest.MakeExprBatch(mem, rng, v.n, v.allNull)
		if v.slice {
			sl := rec.NewSlice(13, int64(v.n-29))
			rec.Release()
			rec = sl
		}
		rows := exectest.RecordRows(t, rec)
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
			gotRows := exectest.ArrayRows(t, got)
			bad := 0
			for r, row := range rows {
				want := exectest.OracleEval(e, row)
				if !exectest.OracleEqual(gotRows[r], want) {
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
	rec := exectest.MakeExprBatch(mem, rand.New(rand.NewPCG(3, 4)), 20, false)
	defer rec.Release()
	cases := []struct {
		e    plan.Expr
		want arrow.DataType
	}{
		{exectest.Call("length", exectest.Col("d")), arrow.PrimitiveTypes.Int64},
		{exectest.Call("lower", exectest.Col("d")), arrow.BinaryTypes.String},
		{exectest.Bin(plan.OpEq, exectest.Col("d"), exectest.Str("x")), arrow.FixedWidthTypes.Boolean},
		{exectest.Bin(plan.OpDiv, exectest.Col("f"), exectest.Col("g")), arrow.PrimitiveTypes.Float64},
		{exectest.Col("d"), exectest.DictType},
		{&plan.Alias{Child: exectest.Int(5), Name: "five"}, arrow.PrimitiveTypes.Int64},
		{exectest.Call("coalesce", exectest.Col("d"), exectest.Str("q")), arrow.BinaryTypes.String},
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
	rec := exectest.MakeExprBatch(mem, rand.New(rand.NewPCG(5, 6)), 4, false)
	defer rec.Release()
	bad := []plan.Expr{
		exectest.Bin(plan.OpAdd, exectest.Col("i"), exectest.Col("missing")),
		exectest.Call("nosuchfn", exectest.Col("s")),
		exectest.Call("substring", exectest.Col("s"), exectest.Col("f")),
		exectest.Bin(plan.OpDiv, exectest.Col("i"), exectest.Col("j")),
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
	_, err := Eval(context.Background(), exectest.Bin(plan.OpAdd, exectest.Col("i"), exectest.Col("missing")), rec, mem)
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
			got, err := Eval(context.Background(), exectest.Cast(exectest.Str(s), to), one, mem)
			if err != nil {
				t.Fatalf("cast %q: %v", s, err)
			}
			if g := exectest.ArrayRows(t, got)[0]; !exectest.OracleEqual(g, want) {
				t.Errorf("cast %q as %v: got %#v, want %#v", s, to, g, want)
			}
			got.Release()
		}
	}
	check(ints, arrow.PrimitiveTypes.Int64)
	check(floats, arrow.PrimitiveTypes.Float64)
	check(dates, arrow.FixedWidthTypes.Date32)
	check(stamps, exectest.TimestampType)
	doubles := map[float64]string{1: "1.0", 0.1: "0.1", 1e7: "1.0E7", 1.5e-4: "1.5E-4", 123456.789: "123456.789",
		-2.5e10: "-2.5E10", math.NaN(): "NaN", math.Inf(-1): "-Infinity", 0: "0.0", 1e-3: "0.001", 1.234e300: "1.234E300"}
	for f, want := range doubles {
		got, err := Eval(context.Background(), exectest.Cast(exectest.Float(f), arrow.BinaryTypes.String), one, mem)
		if err != nil {
			t.Fatal(err)
		}
		if g := exectest.ArrayRows(t, got)[0]; g != want {
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

var _ colop.Operator = (*exectest.Source)(nil)
