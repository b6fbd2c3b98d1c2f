package exec

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

var expandDict = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// expandNode copies each row of (s, n, d) three times: (s, 0, n, NULL), (s, 1, NULL, d)
// and (NULL, 2, n * 2, d), as the distinct rewrite's projections do.
func expandNode() *plan.PExpand {
	i64 := arrow.PrimitiveTypes.Int64
	col := func(name string) plan.Expr { return &plan.ColumnRef{Name: name} }
	lit := func(v any, t arrow.DataType) plan.Expr { return &plan.Literal{Value: v, Type: t} }
	return &plan.PExpand{
		Projections: [][]plan.Expr{
			{col("s"), lit(int64(0), i64), col("n"), lit(nil, expandDict)},
			{col("s"), lit(int64(1), i64), lit(nil, i64), col("d")},
			{lit(nil, arrow.BinaryTypes.String), lit(int64(2), i64), &plan.Binary{Op: plan.OpMul, Left: col("n"), Right: lit(int64(2), i64)}, col("d")},
		},
		OutSchema: arrow.NewSchema([]arrow.Field{
			{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: "$gid", Type: i64},
			{Name: "v", Type: i64, Nullable: true},
			{Name: "d", Type: expandDict, Nullable: true},
		}, nil),
	}
}

// TestExpandConformance checks the operator against the rows copied in Go, over NULLs
// and a dictionary column.
func TestExpandConformance(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "d", Type: expandDict, Nullable: true},
	}, nil)
	var rows, want [][]any
	for i := range 40 {
		r := []any{"r" + string(rune('a'+i%7)), int64(i - 20), []string{"x", "y", "z"}[i%3]}
		if i%5 == 0 {
			r[0] = nil
		}
		if i%4 == 1 {
			r[1] = nil
		}
		if i%6 == 2 {
			r[2] = nil
		}
		rows = append(rows, r)
		var twice any
		if r[1] != nil {
			twice = 2 * r[1].(int64)
		}
		want = append(want, []any{r[0], int64(0), r[1], nil}, []any{r[0], int64(1), nil, r[2]}, []any{nil, int64(2), twice, r[2]})
	}
	build := func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
		n := expandNode()
		n.Input = nil
		return NewExpand(ins[0], n, colop.Options{Mem: mem}), nil
	}
	exectest.RunTests(t, []exectest.Input{exectest.Rows(schema, rows)}, want, build, exectest.Unordered())
}

// TestExpandCancelled stops at a cancelled context, holding nothing.
func TestExpandCancelled(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "d", Type: expandDict, Nullable: true},
	}, nil)
	rec := exectest.BuildBatch(t, mem, schema, [][]any{{"a", int64(1), "x"}, {nil, nil, nil}})
	defer rec.Release()
	op := NewExpand(&oneBatchOp{rec: rec}, expandNode(), colop.Options{Mem: mem})
	ctx, cancel := context.WithCancel(context.Background())
	if err := op.Open(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := op.Next()
	if err != nil {
		t.Fatal(err)
	}
	out.Release()
	cancel()
	if _, err := op.Next(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after cancel: %v", err)
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
}

// oneBatchOp yields one batch (retained for the caller), then io.EOF.
type oneBatchOp struct {
	rec  arrow.RecordBatch
	done bool
}

func (o *oneBatchOp) Open(context.Context) error { return nil }

func (o *oneBatchOp) Next() (arrow.RecordBatch, error) {
	if o.done {
		return nil, io.EOF
	}
	o.done = true
	o.rec.Retain()
	return o.rec, nil
}

func (o *oneBatchOp) Close() error { return nil }
