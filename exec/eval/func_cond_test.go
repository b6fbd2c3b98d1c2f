package eval

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// The conditionals are checked against plain-Go oracles over the rows of condBatch:
// NULLs everywhere, NaN and -0.0 among the floats, empty and multi-byte strings, a
// dictionary-encoded string column, and the same cases again over a slice of the batch
// (arrays with an offset) and over no rows.

var (
	condF64  = arrow.PrimitiveTypes.Float64
	condI64  = arrow.PrimitiveTypes.Int64
	condUTF8 = arrow.BinaryTypes.String
	condBool = arrow.FixedWidthTypes.Boolean
	condDate = arrow.FixedWidthTypes.Date32
	condTS   = arrow.FixedWidthTypes.Timestamp_us
)

var condCols = []string{"i", "j", "f", "g", "s", "d", "b", "b2", "dt", "ts"}

// condRows is row-major, in the order of condCols.
func condRows() [][]any {
	nan := math.NaN()
	negZero := math.Copysign(0, -1)
	return [][]any{
		{int64(1), int64(4), 1.5, 2.0, "héllo", "abc", true, false, arrow.Date32(10), arrow.Timestamp(100)},
		{int64(-2), nil, nan, 1.0, "", "", false, true, arrow.Date32(-3), nil},
		{nil, int64(6), nil, 3.0, nil, nil, nil, true, nil, arrow.Timestamp(-5)},
		{int64(0), int64(0), negZero, nil, "日本", "日本", true, nil, arrow.Date32(0), arrow.Timestamp(0)},
		{int64(5), int64(-1), 2.5, nan, "abc", "zz", false, false, arrow.Date32(7), arrow.Timestamp(7)},
		{int64(3), int64(3), nan, nan, "héllo", "héllo", nil, true, arrow.Date32(7), arrow.Timestamp(99)},
		{nil, int64(8), 0.0, 0.0, "zz", nil, true, nil, nil, nil},
		{int64(7), nil, -3.0, nil, "", "b", false, false, arrow.Date32(20), arrow.Timestamp(1)},
		{int64(2), int64(2), 1.0, 1.0, "Ab", "abc", nil, true, arrow.Date32(-1), arrow.Timestamp(2)},
	}
}

func condBatch(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	types := []arrow.DataType{condI64, condI64, condF64, condF64, condUTF8,
		&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: condUTF8},
		condBool, condBool, condDate, condTS}
	rows := condRows()
	fields := make([]arrow.Field, len(types))
	cols := make([]arrow.Array, len(types))
	for c, dt := range types {
		fields[c] = arrow.Field{Name: condCols[c], Type: dt, Nullable: true}
		if dt.ID() == arrow.TIMESTAMP {
			b := array.NewTimestampBuilder(mem, dt.(*arrow.TimestampType))
			for _, r := range rows {
				if r[c] == nil {
					b.AppendNull()
				} else {
					b.Append(r[c].(arrow.Timestamp))
				}
			}
			cols[c] = b.NewArray()
			b.Release()
			continue
		}
		cols[c] = exectest.BuildColumn(t, mem, dt, rows, c)
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(len(rows)))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// condRow is one row of condRows by column name.
type condRow map[string]any

// condCompare orders two non-NULL values of one Go type as Spark does: NaN equals NaN
// and is above every number, -0.0 equals 0.0, strings by bytes.
func condCompare(a, b any) int {
	switch a := a.(type) {
	case int64:
		return cmpInts(a, b.(int64))
	case arrow.Date32:
		return cmpInts(int64(a), int64(b.(arrow.Date32)))
	case arrow.Timestamp:
		return cmpInts(int64(a), int64(b.(arrow.Timestamp)))
	case float64:
		bf := b.(float64)
		an, bn := math.IsNaN(a), math.IsNaN(bf)
		switch {
		case an && bn:
			return 0
		case an:
			return 1
		case bn:
			return -1
		case a < bf:
			return -1
		case a > bf:
			return 1
		}
		return 0
	case string:
		return strings.Compare(a, b.(string))
	case bool:
		if a == b.(bool) {
			return 0
		}
		if a {
			return 1
		}
		return -1
	}
	panic("condCompare: unexpected type")
}

func cmpInts(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Oracles.

func oracleCase(conds []any, vals []any) any {
	for k, c := range conds {
		if c == true {
			return vals[k]
		}
	}
	return vals[len(vals)-1]
}

func oracleNullIf(a, b any) any {
	if a != nil && b != nil && condCompare(a, b) == 0 {
		return nil
	}
	return a
}

func oracleExtreme(sign int, xs ...any) any {
	var best any
	for _, x := range xs {
		if x == nil {
			continue
		}
		if best == nil || condCompare(x, best)*sign > 0 {
			best = x
		}
	}
	return best
}

func oracleIn(x any, list ...any) any {
	if len(list) == 0 {
		return false
	}
	if x == nil {
		return nil
	}
	sawNull := false
	for _, v := range list {
		if v == nil {
			sawNull = true
			continue
		}
		if condCompare(x, v) == 0 {
			return true
		}
	}
	if sawNull {
		return nil
	}
	return false
}

func oracleGt(a, b any) any {
	if a == nil || b == nil {
		return nil
	}
	return condCompare(a, b) > 0
}

type condCase struct {
	e    plan.Expr
	want func(r condRow) any
}

func condCases() []condCase {
	col := exectest.Col
	i, j, f, g, s, d := col("i"), col("j"), col("f"), col("g"), col("s"), col("d")
	b, b2, dt, ts := col("b"), col("b2"), col("dt"), col("ts")
	call, I, F, S, B, N := exectest.Call, exectest.Int, exectest.Float, exectest.Str, exectest.Bool, exectest.Null
	date := func(v int32) plan.Expr { return &plan.Literal{Value: arrow.Date32(v), Type: condDate} }
	stamp := func(v int64) plan.Expr { return &plan.Literal{Value: arrow.Timestamp(v), Type: condTS} }
	gt := func(l, r plan.Expr) plan.Expr { return exectest.Bin(plan.OpGt, l, r) }
	nan := math.NaN()
	return []condCase{
		// case_when over every value layout, with column, scalar and NULL conditions.
		{call("case_when", b, i, b2, j, I(-9)), func(r condRow) any {
			return oracleCase([]any{r["b"], r["b2"]}, []any{r["i"], r["j"], int64(-9)})
		}},
		{call("case_when", gt(i, I(1)), f, gt(f, g), g, N(condF64)), func(r condRow) any {
			return oracleCase([]any{oracleGt(r["i"], int64(1)), oracleGt(r["f"], r["g"])}, []any{r["f"], r["g"], nil})
		}},
		{call("case_when", b, s, b2, S("日本語"), d), func(r condRow) any {
			return oracleCase([]any{r["b"], r["b2"]}, []any{r["s"], "日本語", r["d"]})
		}},
		{call("case_when", b2, d, N(condUTF8)), func(r condRow) any {
			return oracleCase([]any{r["b2"]}, []any{r["d"], nil})
		}},
		{call("case_when", b, b2, B(true)), func(r condRow) any {
			return oracleCase([]any{r["b"]}, []any{r["b2"], true})
		}},
		{call("case_when", b2, dt, b, date(5), dt), func(r condRow) any {
			return oracleCase([]any{r["b2"], r["b"]}, []any{r["dt"], arrow.Date32(5), r["dt"]})
		}},
		{call("case_when", b, ts, stamp(42)), func(r condRow) any {
			return oracleCase([]any{r["b"]}, []any{r["ts"], arrow.Timestamp(42)})
		}},
		{call("case_when", N(condBool), I(1), B(false), I(2), B(true), i, I(4)), func(r condRow) any { return r["i"] }},
		{call("case_when", B(false), i, I(3)), func(r condRow) any { return int64(3) }},
		{call("case_when", B(true), S("yes"), S("no")), func(r condRow) any { return "yes" }},
		{call("case_when", N(condBool), S("yes"), N(condUTF8)), func(r condRow) any { return nil }},
		// nullif
		{call("nullif", i, I(2)), func(r condRow) any { return oracleNullIf(r["i"], int64(2)) }},
		{call("nullif", i, j), func(r condRow) any { return oracleNullIf(r["i"], r["j"]) }},
		{call("nullif", I(3), i), func(r condRow) any { return oracleNullIf(int64(3), r["i"]) }},
		{call("nullif", f, F(nan)), func(r condRow) any { return oracleNullIf(r["f"], nan) }},
		{call("nullif", f, g), func(r condRow) any { return oracleNullIf(r["f"], r["g"]) }},
		{call("nullif", s, S("")), func(r condRow) any { return oracleNullIf(r["s"], "") }},
		{call("nullif", s, d), func(r condRow) any { return oracleNullIf(r["s"], r["d"]) }},
		{call("nullif", d, S("abc")), func(r condRow) any { return oracleNullIf(r["d"], "abc") }},
		{call("nullif", b, B(true)), func(r condRow) any { return oracleNullIf(r["b"], true) }},
		{call("nullif", dt, date(7)), func(r condRow) any { return oracleNullIf(r["dt"], arrow.Date32(7)) }},
		{call("nullif", i, N(condI64)), func(r condRow) any { return r["i"] }},
		{call("nullif", S("héllo"), S("héllo")), func(r condRow) any { return nil }},
		// nanvl and isnan
		{call("nanvl", f, g), func(r condRow) any {
			if x, ok := r["f"].(float64); ok && math.IsNaN(x) {
				return r["g"]
			}
			return r["f"]
		}},
		{call("nanvl", f, F(-1)), func(r condRow) any {
			if x, ok := r["f"].(float64); ok && math.IsNaN(x) {
				return -1.0
			}
			return r["f"]
		}},
		{call("nanvl", F(nan), g), func(r condRow) any { return r["g"] }},
		{call("nanvl", F(2), N(condF64)), func(r condRow) any { return 2.0 }},
		{call("nanvl", N(condF64), g), func(r condRow) any { return nil }},
		{call("isnan", f), func(r condRow) any { x, ok := r["f"].(float64); return ok && math.IsNaN(x) }},
		{call("isnan", g), func(r condRow) any { x, ok := r["g"].(float64); return ok && math.IsNaN(x) }},
		{call("isnan", N(condF64)), func(r condRow) any { return false }},
		{call("isnan", F(nan)), func(r condRow) any { return true }},
		// greatest and least
		{call("greatest", i, j), func(r condRow) any { return oracleExtreme(1, r["i"], r["j"]) }},
		{call("least", i, j, I(0)), func(r condRow) any { return oracleExtreme(-1, r["i"], r["j"], int64(0)) }},
		{call("greatest", f, g, F(1.25)), func(r condRow) any { return oracleExtreme(1, r["f"], r["g"], 1.25) }},
		{call("least", f, g), func(r condRow) any { return oracleExtreme(-1, r["f"], r["g"]) }},
		{call("greatest", s, d, S("b")), func(r condRow) any { return oracleExtreme(1, r["s"], r["d"], "b") }},
		{call("least", s, d), func(r condRow) any { return oracleExtreme(-1, r["s"], r["d"]) }},
		{call("greatest", dt, date(5)), func(r condRow) any { return oracleExtreme(1, r["dt"], arrow.Date32(5)) }},
		{call("least", ts, stamp(3)), func(r condRow) any { return oracleExtreme(-1, r["ts"], arrow.Timestamp(3)) }},
		{call("greatest", N(condI64), i), func(r condRow) any { return r["i"] }},
		{call("least", I(4), I(2)), func(r condRow) any { return int64(2) }},
		{call("greatest", S("é"), S("z")), func(r condRow) any { return "é" }},
		// in
		{call("in", i, I(1), I(3), I(7)), func(r condRow) any { return oracleIn(r["i"], int64(1), int64(3), int64(7)) }},
		{call("in", i, I(0), N(condI64)), func(r condRow) any { return oracleIn(r["i"], int64(0), nil) }},
		{call("in", f, F(nan), F(0)), func(r condRow) any { return oracleIn(r["f"], nan, 0.0) }},
		{call("in", f, F(1.5), N(condF64)), func(r condRow) any { return oracleIn(r["f"], 1.5, nil) }},
		{call("in", s, S("héllo"), S("")), func(r condRow) any { return oracleIn(r["s"], "héllo", "") }},
		{call("in", s, S("héllo"), S("hallo"), S("hello"), S("a"), S("b"), S("c"), S("d"), S("e"), S("")), // past the small-list scan: a map
			func(r condRow) any { return oracleIn(r["s"], "héllo", "hallo", "hello", "a", "b", "c", "d", "e", "") }},
		{call("in", s, S("hallo"), S("héllo"), S("héllp")), func(r condRow) any { return oracleIn(r["s"], "hallo", "héllo", "héllp") }},
		{call("in", d, S("日本"), S("zz"), S("nope")), func(r condRow) any { return oracleIn(r["d"], "日本", "zz", "nope") }},
		{call("in", d, S("abc"), N(condUTF8)), func(r condRow) any { return oracleIn(r["d"], "abc", nil) }},
		{call("in", b, B(true)), func(r condRow) any { return oracleIn(r["b"], true) }},
		{call("in", b2, B(false), N(condBool)), func(r condRow) any { return oracleIn(r["b2"], false, nil) }},
		{call("in", dt, date(7), date(-1)), func(r condRow) any { return oracleIn(r["dt"], arrow.Date32(7), arrow.Date32(-1)) }},
		{call("in", ts, stamp(0), stamp(99)), func(r condRow) any { return oracleIn(r["ts"], arrow.Timestamp(0), arrow.Timestamp(99)) }},
		{call("in", i), func(r condRow) any { return false }},
		{call("in", d), func(r condRow) any { return false }},
		{call("in", I(2), I(1), I(2)), func(r condRow) any { return true }},
		{call("in", S("x"), S("y"), N(condUTF8)), func(r condRow) any { return nil }},
		{call("in", N(condI64), I(1)), func(r condRow) any { return nil }},
	}
}

func TestConditionalsAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	full := condBatch(t, mem)
	defer full.Release()
	all := condRows()
	sliced := full.NewSlice(1, full.NumRows()-1)
	defer sliced.Release()
	empty := full.NewSlice(0, 0)
	defer empty.Release()
	for _, in := range []struct {
		name string
		rec  arrow.RecordBatch
		rows [][]any
	}{{"whole", full, all}, {"slice", sliced, all[1 : len(all)-1]}, {"empty", empty, nil}} {
		for _, c := range condCases() {
			got, err := Eval(context.Background(), c.e, in.rec, mem)
			if err != nil {
				t.Errorf("%s: %s: %v", in.name, c.e, err)
				continue
			}
			if got.Len() != len(in.rows) {
				t.Errorf("%s: %s: %d rows, want %d", in.name, c.e, got.Len(), len(in.rows))
			}
			for k := 0; k < got.Len() && k < len(in.rows); k++ {
				r := condRow{}
				for ci, name := range condCols {
					r[name] = in.rows[k][ci]
				}
				want := c.want(r)
				g := exectest.GoValue(t, got, k)
				if !exectest.SameValue(g, want) {
					t.Errorf("%s: %s row %d: got %v, want %v", in.name, c.e, k, g, want)
				}
			}
			got.Release()
		}
	}
}
