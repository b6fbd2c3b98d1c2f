package hashjoin

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/plan"
)

// rangeCmp compares two non-NULL values as Spark does: numbers by value (-0 = 0), NaN
// above every other double and equal to itself.
func rangeCmp(a, b any) int {
	if x, ok := a.(float64); ok {
		y := b.(float64)
		switch xn, yn := math.IsNaN(x), math.IsNaN(y); {
		case xn && yn:
			return 0
		case xn:
			return 1
		case yn:
			return -1
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	x, y := a.(int64), b.(int64)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// rangeTestEval evaluates the tests' conditions (ANDs of comparisons of columns) over a
// pair batch row by row with Spark's three-valued logic: the independent side of the
// comparison (operator packages do not import exec/eval).
func rangeTestEval(_ context.Context, e plan.Expr, rec arrow.RecordBatch, mem memory.Allocator) (arrow.Array, error) {
	value := func(name string, i int) (any, error) {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("no column %q", name)
		}
		switch c := rec.Column(idx[0]).(type) {
		case *array.Int64:
			if c.IsNull(i) {
				return nil, nil
			}
			return c.Value(i), nil
		case *array.Float64:
			if c.IsNull(i) {
				return nil, nil
			}
			return c.Value(i), nil
		}
		return nil, fmt.Errorf("column %q: unexpected type", name)
	}
	// eval returns the verdict and whether it is non-NULL.
	var eval func(e plan.Expr, i int) (bool, bool, error)
	eval = func(e plan.Expr, i int) (bool, bool, error) {
		b := e.(*plan.Binary)
		if b.Op == plan.OpAnd {
			l, lok, err := eval(b.Left, i)
			if err != nil {
				return false, false, err
			}
			r, rok, err := eval(b.Right, i)
			if err != nil {
				return false, false, err
			}
			if (lok && !l) || (rok && !r) {
				return false, true, nil
			}
			return true, lok && rok, nil
		}
		l, err := value(b.Left.(*plan.ColumnRef).Name, i)
		if err != nil {
			return false, false, err
		}
		r, err := value(b.Right.(*plan.ColumnRef).Name, i)
		if err != nil || l == nil || r == nil {
			return false, false, err
		}
		c := rangeCmp(l, r)
		switch b.Op {
		case plan.OpLt:
			return c < 0, true, nil
		case plan.OpLtEq:
			return c <= 0, true, nil
		case plan.OpGt:
			return c > 0, true, nil
		case plan.OpGtEq:
			return c >= 0, true, nil
		case plan.OpNotEq:
			return c != 0, true, nil
		}
		return false, false, fmt.Errorf("unexpected operator %s", b.Op)
	}
	bld := array.NewBooleanBuilder(mem)
	defer bld.Release()
	for i := range int(rec.NumRows()) {
		v, ok, err := eval(e, i)
		if err != nil {
			return nil, err
		}
		if ok {
			bld.Append(v)
		} else {
			bld.AppendNull()
		}
	}
	return bld.NewArray(), nil
}

// rangeOracle is the nested-loop join of left and right under cond (true only when the
// condition is true), in plain Go over the rows.
func rangeOracle(left, right [][]any, nl, nr int, kind plan.JoinKind, cond func(l, r []any) bool) [][]any {
	var out [][]any
	rightHit := make([]bool, len(right))
	nulls := func(n int) []any { return make([]any, n) }
	for _, l := range left {
		hit := false
		for j, r := range right {
			if !cond(l, r) {
				continue
			}
			hit, rightHit[j] = true, true
			if kind != plan.LeftSemiJoin && kind != plan.LeftAntiJoin {
				out = append(out, append(append([]any(nil), l...), r...))
			}
		}
		switch {
		case kind == plan.LeftSemiJoin && hit, kind == plan.LeftAntiJoin && !hit:
			out = append(out, append([]any(nil), l...))
		case !hit && (kind == plan.LeftJoin || kind == plan.FullJoin):
			out = append(out, append(append([]any(nil), l...), nulls(nr)...))
		}
	}
	if kind == plan.RightJoin || kind == plan.FullJoin {
		for j, r := range right {
			if !rightHit[j] {
				out = append(out, append(nulls(nl), r...))
			}
		}
	}
	return out
}

// TestRangeJoinMatchesNestedLoop runs the nested-loop join with and without its range
// index (plan.PHashJoin.Range), for every kind, either side built, int64 and float64
// bounds, both inclusive and strict bounds and an extra conjunct, over data with
// overlapping and empty ranges (lo > hi), NULL points and bounds, duplicates, bounds equal
// to points and (float) NaN and -0: both must give the oracle's rows.
func TestRangeJoinMatchesNestedLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	col := func(n string) plan.Expr { return &plan.ColumnRef{Name: n} }
	bin := func(op plan.BinaryOp, l, r plan.Expr) plan.Expr { return &plan.Binary{Op: op, Left: l, Right: r} }
	for _, typ := range []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64} {
		isFloat := typ.ID() == arrow.FLOAT64
		rng := rand.New(rand.NewPCG(7, uint64(typ.ID())))
		val := func() any {
			switch k := rng.IntN(20); {
			case k == 0:
				return nil
			case k == 1 && isFloat:
				return math.NaN()
			case k == 2 && isFloat:
				return math.Copysign(0, -1)
			}
			v := int64(rng.IntN(30)) - 5
			if isFloat {
				return float64(v) / 2
			}
			return v
		}
		left := arrow.NewSchema([]arrow.Field{{Name: "lk", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "p", Type: typ, Nullable: true}}, nil)
		right := arrow.NewSchema([]arrow.Field{{Name: "rk", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: "lo", Type: typ, Nullable: true}, {Name: "hi", Type: typ, Nullable: true}}, nil)
		var lrows, rrows [][]any
		for i := range 70 {
			lrows = append(lrows, []any{int64(i % 4), val()})
		}
		for i := range 40 {
			lo, hi := val(), val()
			if i%3 == 0 && lo != nil && hi != nil && rangeCmp(lo, hi) > 0 {
				lo, hi = hi, lo // mostly proper ranges, some empty ones
			}
			rrows = append(rrows, []any{int64(i % 3), lo, hi})
		}
		pair := arrow.NewSchema(append(append([]arrow.Field(nil), left.Fields()...), right.Fields()...), nil)
		conds := []struct {
			name               string
			expr               plan.Expr
			loStrict, hiStrict bool
			extra              bool
		}{
			{name: "between", expr: bin(plan.OpAnd, bin(plan.OpGtEq, col("p"), col("lo")), bin(plan.OpLtEq, col("p"), col("hi")))},
			{name: "strict+extra", loStrict: true, hiStrict: true, extra: true,
				expr: bin(plan.OpAnd, bin(plan.OpAnd, bin(plan.OpLt, col("lo"), col("p")), bin(plan.OpNotEq, col("lk"), col("rk"))), bin(plan.OpGt, col("hi"), col("p")))},
		}
		for _, c := range conds {
			cond := func(l, r []any) bool {
				p, lo, hi := l[1], r[1], r[2]
				if p == nil || lo == nil || hi == nil {
					return false
				}
				a, b := rangeCmp(lo, p), rangeCmp(p, hi)
				if c.loStrict && a >= 0 || !c.loStrict && a > 0 || c.hiStrict && b >= 0 || !c.hiStrict && b > 0 {
					return false
				}
				return !c.extra || l[0].(int64) != r[0].(int64)
			}
			rc := &plan.RangeCond{Point: "p", Lo: "lo", Hi: "hi", LoStrict: c.loStrict, HiStrict: c.hiStrict, PointLeft: true}
			for _, kind := range hjAllKinds {
				want := rangeOracle(lrows, rrows, 2, 3, kind, cond)
				for _, build := range []plan.BuildSide{plan.BuildRight, plan.BuildLeft} {
					for _, useRange := range []bool{false, true} {
						node := &plan.PHashJoin{Kind: kind, Build: build, Broadcast: true, OutSchema: hjOutSchema(left, right, kind),
							Residual: c.expr, PairSchema: pair}
						if useRange {
							node.Range = rc
						}
						name := fmt.Sprintf("%s/%s/%s/build=%d/range=%v", typ, c.name, kind, build, useRange)
						inputs := []exectest.Input{exectest.Rows(left, lrows), exectest.Rows(right, rrows)}
						t.Run(name, func(t *testing.T) {
							exectest.RunTests(t, inputs, want, func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
								op := NewHashJoin(ins[0], ins[1], node, colop.Options{Mem: mem})
								op.SetEval(rangeTestEval)
								op.batchRows = 16
								return op, nil
							}, exectest.Unordered())
						})
					}
				}
			}
		}
	}
}
