package hashagg

import (
	"strings"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// aggTable is test data as Go values by row; nil is NULL. Column types: int64, int32,
// uint32, float64, string, bool, arrow.Date32 values; dictionary columns hold strings.
type aggTable struct {
	schema *arrow.Schema
	rows   [][]any
}

func aggGroupKeyOf(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = exectest.NormKey(v)
	}
	return strings.Join(parts, "|")
}

// aggOracle computes one aggregate over a group's argument values (nil entries are
// NULL); rows is the group's row count.
func aggOracle(f plan.AggFunc, argType arrow.DataType, vals []any, rows int) any {
	var nn []any
	for _, v := range vals {
		if v != nil {
			nn = append(nn, v)
		}
	}
	switch f {
	case plan.AggCountAll:
		return int64(rows)
	case plan.AggCount:
		return int64(len(nn))
	case plan.AggCountDistinct:
		seen := map[string]bool{}
		for _, v := range nn {
			seen[exectest.NormKey(v)] = true
		}
		return int64(len(seen))
	}
	if len(nn) == 0 {
		return nil
	}
	switch f {
	case plan.AggSum:
		if plan.IsInteger(argType) {
			var s int64
			for _, v := range nn {
				s += exectest.ToInt64(v)
			}
			return s
		}
		var s float64
		for _, v := range nn {
			s += v.(float64)
		}
		return s
	case plan.AggMean:
		var s float64
		for _, v := range nn {
			if fv, ok := v.(float64); ok {
				s += fv
			} else {
				s += float64(exectest.ToInt64(v))
			}
		}
		return s / float64(len(nn))
	case plan.AggMin, plan.AggMax:
		best := nn[0]
		for _, v := range nn[1:] {
			c := exectest.CompareValues(v, best)
			if (f == plan.AggMin && c < 0) || (f == plan.AggMax && c > 0) {
				best = v
			}
		}
		return best
	case plan.AggFirst:
		return nn // any of them; checked by membership
	}
	panic("aggOracle: unknown function")
}

// aggNodes builds the partial, final and complete nodes of keys and aggs over input.
func aggNodes(t testing.TB, input *arrow.Schema, keys []string, aggs []plan.AggExpr) (partial, final, complete *plan.PHashAggregate) {
	t.Helper()
	var keyFields []arrow.Field
	for _, k := range keys {
		idx := input.FieldIndices(k)
		if len(idx) == 0 {
			t.Fatalf("no key column %q", k)
		}
		keyFields = append(keyFields, input.Field(idx[0]))
	}
	argTypes := make([]arrow.DataType, len(aggs))
	stateFields := append([]arrow.Field(nil), keyFields...)
	resultFields := append([]arrow.Field(nil), keyFields...)
	for i, a := range aggs {
		if a.Arg != nil {
			argTypes[i] = input.Field(input.FieldIndices(a.Arg.(*plan.ColumnRef).Name)[0]).Type
		}
		stateFields = append(stateFields, plan.AggStateFields(a, argTypes[i])...)
		resultFields = append(resultFields, arrow.Field{Name: a.Name, Type: plan.AggResultType(a.Func, argTypes[i]), Nullable: true})
	}
	partial = &plan.PHashAggregate{Keys: keys, Aggs: aggs, ArgTypes: argTypes, Mode: plan.AggPartial, OutSchema: arrow.NewSchema(stateFields, nil)}
	final = &plan.PHashAggregate{Keys: keys, Aggs: aggs, ArgTypes: argTypes, Mode: plan.AggFinal, OutSchema: arrow.NewSchema(resultFields, nil)}
	complete = &plan.PHashAggregate{Keys: keys, Aggs: aggs, ArgTypes: argTypes, Mode: plan.AggComplete, OutSchema: arrow.NewSchema(resultFields, nil)}
	return partial, final, complete
}

// aggCheck compares result rows (keys then one column per aggregate) with the oracle
// computed row by row over tbl.
func aggCheck(t *testing.T, tbl aggTable, keys []string, aggs []plan.AggExpr, got [][]any) {
	t.Helper()
	keyCols := make([]int, len(keys))
	for i, k := range keys {
		keyCols[i] = tbl.schema.FieldIndices(k)[0]
	}
	type group struct {
		key  []any
		rows [][]any
	}
	groups := map[string]*group{}
	for _, r := range tbl.rows {
		kv := make([]any, len(keys))
		for i, c := range keyCols {
			kv[i] = r[c]
		}
		gk := aggGroupKeyOf(kv)
		g := groups[gk]
		if g == nil {
			g = &group{key: kv}
			groups[gk] = g
		}
		g.rows = append(g.rows, r)
	}
	if len(keys) == 0 && len(groups) == 0 {
		groups[""] = &group{}
	}
	if len(got) != len(groups) {
		t.Fatalf("got %d groups, want %d", len(got), len(groups))
	}
	argCols := make([]int, len(aggs))
	for i, a := range aggs {
		argCols[i] = -1
		if a.Arg != nil {
			argCols[i] = tbl.schema.FieldIndices(a.Arg.(*plan.ColumnRef).Name)[0]
		}
	}
	seen := map[string]bool{}
	var vals []any
	for _, row := range got {
		gk := aggGroupKeyOf(row[:len(keys)])
		g := groups[gk]
		if g == nil {
			t.Fatalf("unexpected group %s", gk)
		}
		if seen[gk] {
			t.Fatalf("group %s emitted twice", gk)
		}
		seen[gk] = true
		for i, a := range aggs {
			var argType arrow.DataType
			vals = vals[:0]
			if c := argCols[i]; c >= 0 {
				argType = tbl.schema.Field(c).Type
				for _, r := range g.rows {
					vals = append(vals, r[c])
				}
			}
			want := aggOracle(a.Func, argType, vals, len(g.rows))
			gotV := row[len(keys)+i]
			if a.Func == plan.AggFirst && want != nil {
				ok := false
				for _, w := range want.([]any) {
					ok = ok || exectest.SameValue(gotV, w)
				}
				if !ok {
					t.Errorf("group %s: %s = %v, not one of %v", gk, a, gotV, want)
				}
				continue
			}
			if !exectest.SameValue(gotV, want) {
				t.Errorf("group %s: %s = %#v, want %#v", gk, a, gotV, want)
			}
		}
	}
}

// The hash tables' slab pool is poisoned in tests too: a table read after it was
// released would show garbage groups.
func init() { colop.TableSlabs.Poison = true }
