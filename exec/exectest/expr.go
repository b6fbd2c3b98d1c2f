package exectest

import (
	"errors"
	"io"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/kindling-data/kindling/plan"
)

func Col(name string) plan.Expr { return &plan.ColumnRef{Name: name} }

func Int(v int64) plan.Expr { return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Int64} }

func Float(v float64) plan.Expr { return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Float64} }

func Str(v string) plan.Expr { return &plan.Literal{Value: v, Type: arrow.BinaryTypes.String} }

func Bool(v bool) plan.Expr { return &plan.Literal{Value: v, Type: arrow.FixedWidthTypes.Boolean} }

func Null(dt arrow.DataType) plan.Expr {
	return &plan.Literal{Value: nil, Type: dt}
}

func Bin(op plan.BinaryOp, l, r plan.Expr) plan.Expr { return &plan.Binary{Op: op, Left: l, Right: r} }

func Un(op plan.UnaryOp, c plan.Expr) plan.Expr { return &plan.Unary{Op: op, Child: c} }

func Cast(c plan.Expr, to arrow.DataType) plan.Expr { return &plan.Cast{Child: c, To: to} }

func Call(f string, args ...plan.Expr) plan.Expr { return &plan.Call{Func: f, Args: args} }

var (
	TimestampType = &arrow.TimestampType{Unit: arrow.Microsecond}
	DictType      = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
)

// DrainRows pulls every batch of op, checks none is empty when forbidEmpty, and returns
// the rows; it releases the batches.
func DrainRows(t *testing.T, op colop.Operator, forbidEmpty bool) ([]map[string]any, int) {
	t.Helper()
	var rows []map[string]any
	batches := 0
	for {
		rec, err := op.Next()
		if errors.Is(err, io.EOF) {
			return rows, batches
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if forbidEmpty && rec.NumRows() == 0 {
			t.Errorf("operator returned an empty batch")
		}
		batches++
		rows = append(rows, RecordRows(t, rec)...)
		rec.Release()
	}
}

func SameRows(t *testing.T, what string, got, want []map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		for k, w := range want[i] {
			if g, ok := got[i][k]; !ok || !OracleEqual(g, w) {
				t.Fatalf("%s: row %d column %s: got %#v, want %#v", what, i, k, got[i][k], w)
			}
		}
		if len(got[i]) != len(want[i]) {
			t.Fatalf("%s: row %d has columns %v, want %v", what, i, got[i], want[i])
		}
	}
}
