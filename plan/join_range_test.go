package plan

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestFindJoinRange checks which conditions the planner gives a range index: a column of
// one side between two columns of the other, of one orderable type, in either spelling.
func TestFindJoinRange(t *testing.T) {
	i64, f64, str := arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String
	pair := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: i64}, {Name: "f", Type: f64}, {Name: "s", Type: str},
		{Name: "lo", Type: i64}, {Name: "hi", Type: i64}, {Name: "flo", Type: f64}, {Name: "slo", Type: str}}, nil)
	c := func(n string) Expr { return &ColumnRef{Name: n} }
	b := func(op BinaryOp, l, r Expr) Expr { return &Binary{Op: op, Left: l, Right: r} }
	for _, tc := range []struct {
		name string
		cond Expr
		want string
	}{
		{"between", b(OpAnd, b(OpGtEq, c("ts"), c("lo")), b(OpLtEq, c("ts"), c("hi"))), "ts between lo and hi"},
		{"strict, flipped", b(OpAnd, b(OpLt, c("lo"), c("ts")), b(OpGt, c("hi"), c("ts"))), "lo < ts < hi"},
		{"with another conjunct", b(OpAnd, b(OpAnd, b(OpLtEq, c("lo"), c("ts")), b(OpEq, c("s"), c("slo"))), b(OpLtEq, c("ts"), c("hi"))), "ts between lo and hi"},
		{"one bound only", b(OpLtEq, c("lo"), c("ts")), ""},
		{"under OR", b(OpOr, b(OpGtEq, c("ts"), c("lo")), b(OpLtEq, c("ts"), c("hi"))), ""},
		{"types differ", b(OpAnd, b(OpGtEq, c("f"), c("lo")), b(OpLtEq, c("f"), c("hi"))), ""},
		{"strings", b(OpAnd, b(OpGtEq, c("s"), c("slo")), b(OpLtEq, c("s"), c("slo"))), ""},
	} {
		got := ""
		if r := findJoinRange(tc.cond, pair, 3); r != nil {
			got = r.String()
			if !r.PointLeft {
				t.Errorf("%s: point %s not seen as a left column", tc.name, r.Point)
			}
		}
		if got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
