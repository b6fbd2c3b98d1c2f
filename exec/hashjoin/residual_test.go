package hashjoin

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/plan"
)

// residualVerdict is the test's join condition over the payload strings "l<i>" and
// "r<j>": true when (i+j) % 3 == 1, NULL when it is 2 (NULL must count as false), false
// otherwise; a NULL payload gives NULL.
func residualVerdict(lv, rv any) (ok, valid bool) {
	ls, lok := lv.(string)
	rs, rok := rv.(string)
	if !lok || !rok {
		return false, false
	}
	i, _ := strconv.Atoi(ls[1:])
	j, _ := strconv.Atoi(rs[1:])
	switch (i + j) % 3 {
	case 1:
		return true, true
	case 2:
		return false, false
	}
	return false, true
}

// residualEval is an EvalFunc for residualVerdict over the pair batch's lv and rv
// columns, whatever the expression (exec/eval is not imported by operator packages).
func residualEval(_ context.Context, _ plan.Expr, rec arrow.RecordBatch, mem memory.Allocator) (arrow.Array, error) {
	col := func(name string) (*array.String, error) {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("no column %q in %s", name, rec.Schema())
		}
		return rec.Column(idx[0]).(*array.String), nil
	}
	lv, err := col("lv")
	if err != nil {
		return nil, err
	}
	rv, err := col("rv")
	if err != nil {
		return nil, err
	}
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	for i := range int(rec.NumRows()) {
		var l, r any
		if lv.IsValid(i) {
			l = lv.Value(i)
		}
		if rv.IsValid(i) {
			r = rv.Value(i)
		}
		if ok, valid := residualVerdict(l, r); valid {
			b.Append(ok)
		} else {
			b.AppendNull()
		}
	}
	return b.NewArray(), nil
}

// hjOracleCond is hjOracle with the residual condition added to the keys' equality.
func hjOracleCond(left, right [][]any, lk, rk []int, lv, rv, nl, nr int, kind plan.JoinKind) [][]any {
	var out [][]any
	rightMatched := make([]bool, len(right))
	for _, l := range left {
		found := false
		for j, r := range right {
			match := true
			for i := range lk {
				match = match && hjKeyEqual(l[lk[i]], r[rk[i]])
			}
			if ok, _ := residualVerdict(l[lv], r[rv]); !match || !ok {
				continue
			}
			found = true
			rightMatched[j] = true
			if kind != plan.LeftSemiJoin && kind != plan.LeftAntiJoin {
				out = append(out, append(append([]any(nil), l...), r...))
			}
		}
		switch {
		case kind == plan.LeftSemiJoin && found, kind == plan.LeftAntiJoin && !found:
			out = append(out, l)
		case !found && (kind == plan.LeftJoin || kind == plan.FullJoin):
			out = append(out, append(append([]any(nil), l...), make([]any, nr)...))
		}
	}
	if kind == plan.RightJoin || kind == plan.FullJoin {
		for j, r := range right {
			if !rightMatched[j] {
				out = append(out, append(make([]any, nl), r...))
			}
		}
	}
	return out
}

func pairSchemaOf(left, right *arrow.Schema) *arrow.Schema {
	fields := append([]arrow.Field(nil), left.Fields()...)
	for _, f := range right.Fields() {
		if len(left.FieldIndices(f.Name)) > 0 {
			f.Name += plan.RightSuffix
		}
		fields = append(fields, f)
	}
	return arrow.NewSchema(fields, nil)
}

// TestConformanceResidualJoin puts joins with a residual condition through
// exectest.RunTests (batch cuts, empty inputs, early Close, checked allocator): on equal
// keys (an integer; two keys, one a dictionary on one side) and without keys (nested
// loops), every kind, either side built.
func TestConformanceResidualJoin(t *testing.T) {
	cases := hjCases()
	noKeys := cases[0]
	noKeys.name, noKeys.lkeys, noKeys.rkeys = "no-keys", nil, nil
	for ci, c := range []hjCase{cases[0], cases[5], noKeys} {
		rng := rand.New(rand.NewPCG(uint64(ci), 7))
		lrows := hjGenRows(rng, c.left, cases[ci%2*5].lkeys, 50, c.lrange[0], c.lrange[1], "l")
		rrows := hjGenRows(rng, c.right, cases[ci%2*5].rkeys, 35, c.rrange[0], c.rrange[1], "r")
		lk, rk := hjKeyIndices(t, c.left, c.lkeys), hjKeyIndices(t, c.right, c.rkeys)
		lv, rv := hjKeyIndices(t, c.left, []string{"lv"})[0], hjKeyIndices(t, c.right, []string{"rv"})[0]
		for _, kind := range hjAllKinds {
			for _, build := range []plan.BuildSide{plan.BuildRight, plan.BuildLeft} {
				node := &plan.PHashJoin{LeftKeys: c.lkeys, RightKeys: c.rkeys, Kind: kind, Build: build,
					OutSchema: hjOutSchema(c.left, c.right, kind), PairSchema: pairSchemaOf(c.left, c.right),
					Residual: &plan.Binary{Op: plan.OpLt, Left: &plan.ColumnRef{Name: "lv"}, Right: &plan.ColumnRef{Name: "rv"}}}
				want := hjOracleCond(lrows, rrows, lk, rk, lv, rv, c.left.NumFields(), c.right.NumFields(), kind)
				inputs := []exectest.Input{exectest.Rows(c.left, lrows), exectest.Rows(c.right, rrows)}
				t.Run(fmt.Sprintf("%s/%s/build=%d", c.name, kind, build), func(t *testing.T) {
					exectest.RunTests(t, inputs, want, func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
						op := NewHashJoin(ins[0], ins[1], node, colop.Options{Mem: mem})
						op.SetEval(residualEval)
						op.batchRows = 16 // a probe row's candidates span several evaluations
						return op, nil
					}, exectest.Unordered())
				})
			}
		}
	}
}
