package eval

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// TestProjectSharedSubexpressions checks a projection whose columns repeat subtrees
// against the oracle (NULLs, an all-NULL batch, an empty one, dictionary strings), and
// that a repeated subtree is computed once per batch: two columns that are the same
// computation share one array.
func TestProjectSharedSubexpressions(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	sum := func() plan.Expr { return exectest.Bin(plan.OpAdd, exectest.Col("i"), exectest.Col("j")) }
	exprs := []plan.Expr{
		&plan.Alias{Child: sum(), Name: "a"},
		&plan.Alias{Child: exectest.Bin(plan.OpMul, sum(), exectest.Col("j")), Name: "b"},
		&plan.Alias{Child: sum(), Name: "c"},
		&plan.Alias{Child: exectest.Call("coalesce", sum(), exectest.Int(0)), Name: "e"},
		&plan.Alias{Child: exectest.Call("upper", exectest.Call("lower", exectest.Col("d"))), Name: "ul"},
		&plan.Alias{Child: exectest.Call("length", exectest.Call("lower", exectest.Col("d"))), Name: "ll"},
	}
	types := []arrow.DataType{
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64,
	}
	fields := make([]arrow.Field, len(exprs))
	for i, e := range exprs {
		fields[i] = arrow.Field{Name: plan.OutputName(e), Type: types[i], Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	rng := rand.New(rand.NewPCG(21, 22))
	var batches []arrow.RecordBatch
	var want []map[string]any
	for _, n := range []int{0, 40, 500} {
		rec := exectest.MakeExprBatch(mem, rng, n, n == 40)
		for _, row := range exectest.RecordRows(t, rec) {
			out := map[string]any{}
			for i, e := range exprs {
				out[fields[i].Name] = exectest.OracleEval(e, row)
			}
			want = append(want, out)
		}
		batches = append(batches, rec)
	}
	op := NewProject(&exectest.Source{Batches: batches}, exprs, schema, colop.Options{Mem: mem})
	if op.memo == nil || len(op.memo.shared) != 6 { // 4 sums, 2 lowers
		t.Fatalf("shared subtrees: %v, want the 4 sums and the 2 lowers", op.memo)
	}
	if err := op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	var got []map[string]any
	for {
		rec, err := op.Next()
		if err != nil {
			break
		}
		if rec.NumRows() > 0 && rec.Column(0).Data().Buffers()[1] != rec.Column(2).Data().Buffers()[1] {
			t.Errorf("columns a and c were computed twice")
		}
		got = append(got, exectest.RecordRows(t, rec)...)
		rec.Release()
	}
	exectest.SameRows(t, "project", got, want)
}

// TestSharedSubexprsKeys checks which subtrees are shared: equal text with literals of
// different types is not, user functions and what contains them are not, columns and
// literals alone are not.
func TestSharedSubexprsKeys(t *testing.T) {
	i32 := &plan.Literal{Value: int64(1), Type: arrow.PrimitiveTypes.Int32}
	i64 := &plan.Literal{Value: int64(1), Type: arrow.PrimitiveTypes.Int64}
	udf := func() plan.Expr { return &plan.UDFCall{Name: "f", Args: []plan.Expr{exectest.Col("i")}} }
	for _, tc := range []struct {
		name  string
		exprs []plan.Expr
		want  int
	}{
		{"literal types differ", []plan.Expr{exectest.Bin(plan.OpAdd, exectest.Col("i"), i32), exectest.Bin(plan.OpAdd, exectest.Col("i"), i64)}, 0},
		{"same literal type", []plan.Expr{exectest.Bin(plan.OpAdd, exectest.Col("i"), i64), exectest.Bin(plan.OpAdd, exectest.Col("i"), i64)}, 2},
		{"columns only", []plan.Expr{exectest.Col("i"), exectest.Col("i")}, 0},
		{"user function", []plan.Expr{exectest.Bin(plan.OpAdd, udf(), i64), exectest.Bin(plan.OpAdd, udf(), i64)}, 0},
		{"none", []plan.Expr{exectest.Bin(plan.OpAdd, exectest.Col("i"), i64)}, 0},
	} {
		if got := len(evSharedSubexprs(tc.exprs)); got != tc.want {
			t.Errorf("%s: %d shared occurrences, want %d", tc.name, got, tc.want)
		}
	}
}
