package exectest

import (
	"errors"
	"io"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/kindling-data/kindling/plan"
)

// Col is a reference to column name.
func Col(name string) plan.Expr { return &plan.ColumnRef{Name: name} }

// Int is an int64 literal.
func Int(v int64) plan.Expr { return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Int64} }

// Float is a float64 literal.
func Float(v float64) plan.Expr { return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Float64} }

// Str is a string literal.
func Str(v string) plan.Expr { return &plan.Literal{Value: v, Type: arrow.BinaryTypes.String} }

// Bool is a boolean literal.
func Bool(v bool) plan.Expr { return &plan.Literal{Value: v, Type: arrow.FixedWidthTypes.Boolean} }

// Null is a NULL literal of type dt.
func Null(dt arrow.DataType) plan.Expr {
	return &plan.Literal{Value: nil, Type: dt}
}

// Bin applies the binary operator op to l and r.
func Bin(op plan.BinaryOp, l, r plan.Expr) plan.Expr { return &plan.Binary{Op: op, Left: l, Right: r} }

// Un applies the unary operator op to c.
func Un(op plan.UnaryOp, c plan.Expr) plan.Expr { return &plan.Unary{Op: op, Child: c} }

// Cast converts c to type to.
func Cast(c plan.Expr, to arrow.DataType) plan.Expr { return &plan.Cast{Child: c, To: to} }

// Call calls the function f on args.
func Call(f string, args ...plan.Expr) plan.Expr { return &plan.Call{Func: f, Args: args} }

// The types of the timestamp and dictionary-encoded string columns of MakeExprBatch.
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

// SameRows fails the test unless got and want hold the same rows in the same order, each
// cell equal under the oracle's equality (NaN equals NaN).
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
