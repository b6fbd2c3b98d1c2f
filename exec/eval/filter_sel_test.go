package eval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// selCol is a column of the selection tests: its type, a generator of a random value
// (nil: NULL) from a small domain so that equalities hit, the literal of a value, and
// the order of two non-NULL values (Spark's: NaN above every number, equal to itself).
type selCol struct {
	name string
	typ  arrow.DataType
	gen  func(r *rand.Rand) any
	lit  func(v any) *plan.Literal
	cmp  func(a, b any) int
}

// selTestDec128 is the type of the decimal column of the selection tests.
var selTestDec128 = &arrow.Decimal128Type{Precision: 38, Scale: 2}

// selTestColumns lists a column of every type the selection path has a loop for.
func selTestColumns() []selCol {
	ordered := func(a, b any) int {
		switch x := a.(type) {
		case int64:
			return cmp.Compare(x, b.(int64))
		case float64:
			y := b.(float64)
			switch xn, yn := math.IsNaN(x), math.IsNaN(y); {
			case xn && yn:
				return 0
			case xn:
				return 1
			case yn:
				return -1
			}
			return cmp.Compare(x, y)
		case string:
			return cmp.Compare(x, b.(string))
		case decimal128.Num:
			return x.Cmp(b.(decimal128.Num))
		}
		panic(fmt.Sprintf("%T", a))
	}
	intGen := func(lo, hi int64) func(r *rand.Rand) any {
		return func(r *rand.Rand) any { return lo + r.Int64N(hi-lo+1) }
	}
	typedLit := func(dt arrow.DataType, conv func(int64) any) func(v any) *plan.Literal {
		return func(v any) *plan.Literal { return &plan.Literal{Value: conv(v.(int64)), Type: dt} }
	}
	words := []string{"", "AIR", "AIR REG", "MAIL", "SHIP", "TRUCK", "é", "zz"}
	strGen := func(r *rand.Rand) any { return words[r.IntN(len(words))] }
	strLit := func(v any) *plan.Literal { return exectest.Str(v.(string)).(*plan.Literal) }
	return []selCol{
		{"i8", arrow.PrimitiveTypes.Int8, intGen(-5, 5), typedLit(arrow.PrimitiveTypes.Int8, func(x int64) any { return x }), ordered},
		{"i16", arrow.PrimitiveTypes.Int16, intGen(-300, 300), typedLit(arrow.PrimitiveTypes.Int16, func(x int64) any { return x }), ordered},
		{"i32", arrow.PrimitiveTypes.Int32, intGen(-20, 20), typedLit(arrow.PrimitiveTypes.Int32, func(x int64) any { return x }), ordered},
		{"i64", arrow.PrimitiveTypes.Int64, intGen(math.MinInt64/2, math.MinInt64/2+30), typedLit(arrow.PrimitiveTypes.Int64, func(x int64) any { return x }), ordered},
		{"day", arrow.FixedWidthTypes.Date32, intGen(8700, 8800), typedLit(arrow.FixedWidthTypes.Date32, func(x int64) any { return arrow.Date32(x) }), ordered},
		{"ts", arrow.FixedWidthTypes.Timestamp_us, intGen(1e12, 1e12+40), typedLit(arrow.FixedWidthTypes.Timestamp_us, func(x int64) any { return arrow.Timestamp(x) }), ordered},
		{"f", arrow.PrimitiveTypes.Float64, func(r *rand.Rand) any {
			return []float64{math.NaN(), math.Inf(-1), math.Inf(1), -1.5, 0, math.Copysign(0, -1), 2.25, 7}[r.IntN(8)]
		}, func(v any) *plan.Literal { return exectest.Float(v.(float64)).(*plan.Literal) }, ordered},
		{"dec", selTestDec128, func(r *rand.Rand) any {
			// Values beyond 64 bits and of both signs, so both halves decide.
			return decimal128.New([]int64{-1, 0, 1, math.MaxInt64}[r.IntN(4)], []uint64{0, 5, 7, 1 << 63, math.MaxUint64}[r.IntN(5)])
		}, func(v any) *plan.Literal {
			return &plan.Literal{Value: v, Type: &arrow.Decimal128Type{Precision: 5, Scale: 2}}
		}, ordered},
		{"s", arrow.BinaryTypes.String, strGen, strLit, ordered},
		{"day2", arrow.FixedWidthTypes.Date32, intGen(8700, 8800), typedLit(arrow.FixedWidthTypes.Date32, func(x int64) any { return arrow.Date32(x) }), ordered},
		{"d8", &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, strGen, strLit, ordered},
		{"d32", &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Uint32, ValueType: arrow.BinaryTypes.String}, strGen, strLit, ordered},
	}
}

// selTestBatch builds a batch of n rows: an id, a gate column g in [0, 100) that the
// first conjunct tests (so that few or all rows reach the others), and the columns of
// cols with about nullPct% NULLs; vals holds each column's values (nil: NULL).
func selTestBatch(t *testing.T, mem memory.Allocator, r *rand.Rand, cols []selCol, n, nullPct int) (arrow.RecordBatch, map[string][]any) {
	fields := []arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "g", Type: arrow.PrimitiveTypes.Int64}}
	vals := map[string][]any{}
	for _, name := range []string{"id", "g"} {
		for i := range n {
			v := int64(i)
			if name == "g" {
				v = r.Int64N(100)
			}
			vals[name] = append(vals[name], v)
		}
	}
	for _, c := range cols {
		fields = append(fields, arrow.Field{Name: c.name, Type: c.typ, Nullable: true})
		for range n {
			var v any
			if r.IntN(100) >= nullPct {
				v = c.gen(r)
			}
			vals[c.name] = append(vals[c.name], v)
		}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i, fl := range fields {
		for _, v := range vals[fl.Name] {
			selTestAppend(t, b.Field(i), v)
		}
	}
	return b.NewRecordBatch(), vals
}

// selTestAppend appends v (nil: NULL) to a builder of the test columns' types.
func selTestAppend(t *testing.T, b array.Builder, v any) {
	if v == nil {
		b.AppendNull()
		return
	}
	var err error
	switch b := b.(type) {
	case *array.Int8Builder:
		b.Append(int8(v.(int64)))
	case *array.Int16Builder:
		b.Append(int16(v.(int64)))
	case *array.Int32Builder:
		b.Append(int32(v.(int64)))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Date32Builder:
		b.Append(arrow.Date32(v.(int64)))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(int64)))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.Decimal128Builder:
		b.Append(v.(decimal128.Num))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.BinaryDictionaryBuilder:
		err = b.AppendString(v.(string))
	default:
		t.Fatalf("no builder for %T", b)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// selTestConj is a random conjunct and its row-by-row meaning.
type selTestConj struct {
	expr plan.Expr
	pass func(row int) bool
}

// selTestRandomConj draws a conjunct over c (or c and another column of cols): a comparison (the literal on
// either side), an in list (with a NULL at times), a comparison with NULL, or a
// comparison hidden under NOT NOT, which the selection path does not take.
func selTestRandomConj(r *rand.Rand, c selCol, cols []selCol, vals map[string][]any) selTestConj {
	col := vals[c.name]
	ops := []plan.BinaryOp{plan.OpEq, plan.OpNotEq, plan.OpLt, plan.OpLtEq, plan.OpGt, plan.OpGtEq}
	op := ops[r.IntN(len(ops))]
	lit := c.gen(r)
	holds := func(row int, op plan.BinaryOp, lit any) bool {
		v := col[row]
		if v == nil {
			return false
		}
		s := c.cmp(v, lit)
		return evDecCompareTable(op)[s+1]
	}
	inTypes := []string{"i64", "day", "ts", "f", "s", "d8", "d32"} // the evaluator's in(); the analyzer casts others
	// Two columns: a date pair, or a column with itself.
	if r.IntN(8) == 0 {
		other := c
		if c.name == "day" || c.name == "day2" {
			other = cols[slices.IndexFunc(cols, func(o selCol) bool { return (o.name == "day" || o.name == "day2") && o.name != c.name })]
		}
		ocol := vals[other.name]
		e := exectest.Bin(op, exectest.Col(c.name), exectest.Col(other.name))
		return selTestConj{e, func(row int) bool {
			if col[row] == nil || ocol[row] == nil {
				return false
			}
			return evDecCompareTable(op)[c.cmp(col[row], ocol[row])+1]
		}}
	}
	switch shape := r.IntN(10); {
	case shape < 2 && slices.Contains(inTypes, c.name):
		list := []plan.Expr{exectest.Col(c.name)}
		var lits []any
		for range 1 + r.IntN(4) {
			l := c.gen(r)
			lits = append(lits, l)
			list = append(list, c.lit(l))
		}
		if r.IntN(3) == 0 {
			list = append(list, &plan.Literal{Type: list[1].(*plan.Literal).Type})
		}
		return selTestConj{exectest.Call("in", list...), func(row int) bool {
			return slices.ContainsFunc(lits, func(l any) bool { return holds(row, plan.OpEq, l) })
		}}
	case shape == 2:
		null := &plan.Literal{Type: c.lit(lit).Type}
		return selTestConj{exectest.Bin(op, exectest.Col(c.name), null), func(int) bool { return false }}
	case shape == 3:
		e := exectest.Bin(op, exectest.Col(c.name), c.lit(lit))
		e = exectest.Un(plan.OpNot, exectest.Un(plan.OpNot, e))
		return selTestConj{e, func(row int) bool { return holds(row, op, lit) }}
	case shape == 4:
		e := exectest.Bin(op.Flipped(), c.lit(lit), exectest.Col(c.name))
		return selTestConj{e, func(row int) bool { return holds(row, op, lit) }}
	}
	e := exectest.Bin(op, exectest.Col(c.name), c.lit(lit))
	return selTestConj{e, func(row int) bool { return holds(row, op, lit) }}
}

// selTestIDs drains a filter through NextSelected (or Next) into the ids of its rows.
func selTestIDs(t *testing.T, op *FilterOp, selected bool) []int64 {
	t.Helper()
	if err := op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	var ids []int64
	for {
		var rec arrow.RecordBatch
		var sel []int32
		var err error
		if selected {
			rec, sel, err = op.NextSelected()
		} else {
			rec, err = op.Next()
		}
		if errors.Is(err, io.EOF) {
			return ids
		}
		if err != nil {
			t.Fatal(err)
		}
		col := rec.Column(0).(*array.Int64).Int64Values()
		if sel == nil {
			ids = append(ids, col...)
		}
		if sel != nil && len(sel) == 0 {
			t.Error("an empty selection")
		}
		for _, i := range sel {
			ids = append(ids, col[i])
		}
		rec.Release()
	}
}

// TestFilterSelectionRefineAgainstOracle checks the rows a filter of several conjuncts
// keeps against a row-by-row evaluation, over random batches with NULLs of every type the
// selection path handles, random conjunct shapes and literals (selections that become
// empty, batches where every row passes), with the first conjunct refining the vector of
// every row and without.
func TestFilterSelectionRefineAgainstOracle(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	defer func(v bool) { selFirstDirect = v }(selFirstDirect)
	r := rand.New(rand.NewPCG(14, 6))
	cols := selTestColumns()
	for trial := range 600 {
		n := []int{1, 7, 64, 300, 1000}[r.IntN(5)]
		rec, vals := selTestBatch(t, mem, r, cols, n, []int{0, 10, 60}[r.IntN(3)])
		// g op gate: none, few, many or all rows reach the other conjuncts.
		gate := []int64{-1, 0, 5, 30, 60, 99, 100}[r.IntN(7)]
		gop := []plan.BinaryOp{plan.OpEq, plan.OpNotEq, plan.OpLt, plan.OpLtEq, plan.OpGt, plan.OpGtEq}[r.IntN(6)]
		conds := []selTestConj{{exectest.Bin(gop, exectest.Col("g"), exectest.Int(gate)), func(row int) bool {
			return evDecCompareTable(gop)[cmp.Compare(vals["g"][row].(int64), gate)+1]
		}}}
		g := selCol{"g", arrow.PrimitiveTypes.Int64, func(r *rand.Rand) any { return r.Int64N(102) - 1 },
			func(v any) *plan.Literal { return exectest.Int(v.(int64)).(*plan.Literal) }, cols[0].cmp}
		for range 1 + r.IntN(4) {
			c := cols[r.IntN(len(cols))]
			if r.IntN(6) == 0 {
				c = g
			}
			conds = append(conds, selTestRandomConj(r, c, cols, vals))
			if r.IntN(3) == 0 { // two comparisons of one column in a row: a range
				conds = append(conds, selTestRandomConj(r, c, cols, vals))
			}
		}
		if r.IntN(4) == 0 { // another conjunct first, on a column with NULLs, or of another shape
			r.Shuffle(len(conds), func(i, j int) { conds[i], conds[j] = conds[j], conds[i] })
		}
		var want []int64
		cond := conds[0].expr
		for _, c := range conds[1:] {
			cond = exectest.Bin(plan.OpAnd, cond, c.expr)
		}
		for row := range n {
			if !slices.ContainsFunc(conds, func(c selTestConj) bool { return !c.pass(row) }) {
				want = append(want, int64(row))
			}
		}
		for _, direct := range []bool{false, true} {
			for _, selected := range []bool{false, true} {
				selFirstDirect = direct
				rec.Retain()
				src := &exectest.Source{Batches: []arrow.RecordBatch{rec}}
				got := selTestIDs(t, NewFilter(src, cond, colop.Options{Mem: mem}), selected)
				if !slices.Equal(got, want) {
					t.Fatalf("trial %d, %s (direct %v, selected %v): rows %v, want %v", trial, cond, direct, selected, got, want)
				}
			}
		}
		rec.Release()
	}
}

// TestSelIntBoundsEdges checks the bounds of two comparisons at the ends of int64, where
// x > max and x < min hold for no x.
func TestSelIntBoundsEdges(t *testing.T) {
	cmpWith := func(op plan.BinaryOp, v any) *selPred {
		return &selPred{col: "x", op: op, lits: []*plan.Literal{{Value: v, Type: arrow.PrimitiveTypes.Int64}}}
	}
	cases := []struct {
		p, q   *selPred
		lo, hi int64 // lo > hi: empty
	}{
		{cmpWith(plan.OpGt, int64(math.MaxInt64)), cmpWith(plan.OpLtEq, int64(0)), 1, 0},
		{cmpWith(plan.OpLt, int64(math.MinInt64)), cmpWith(plan.OpGtEq, int64(0)), 1, 0},
		{cmpWith(plan.OpGtEq, int64(math.MinInt64)), cmpWith(plan.OpLtEq, int64(math.MaxInt64)), math.MinInt64, math.MaxInt64},
		{cmpWith(plan.OpGt, int64(3)), cmpWith(plan.OpLt, int64(5)), 4, 4},
		{cmpWith(plan.OpEq, int64(3)), cmpWith(plan.OpGt, int64(3)), 4, 3},
		{cmpWith(plan.OpLt, nil), cmpWith(plan.OpGt, int64(3)), 1, 0},
	}
	for i, c := range cases {
		lo, hi, ok := selIntBounds(c.p, c.q)
		empty := lo > hi
		if !ok || empty != (c.lo > c.hi) || !empty && (lo != c.lo || hi != c.hi) {
			t.Errorf("case %d: [%d, %d] ok %v, want [%d, %d]", i, lo, hi, ok, c.lo, c.hi)
		}
	}
	vals := []int64{math.MinInt64, -1, 0, 1, math.MaxInt64}
	got := selInRange(vals, math.MinInt64, math.MaxInt64, nil, true)
	if !slices.Equal(got, []int32{0, 1, 2, 3, 4}) {
		t.Errorf("the whole range keeps %v", got)
	}
	got = selInRange(vals, -1, 0, []int32{0, 1, 2, 3, 4}, false)
	if !slices.Equal(got, []int32{1, 2}) {
		t.Errorf("[-1, 0] keeps %v", got)
	}
}
