package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func chainSchema(prefix string) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: prefix + "_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: prefix + "_fk", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: prefix + "_name", Type: arrow.BinaryTypes.String},
	}, nil)
}

// joinLines lists the joins of a logical plan, outermost first.
func joinLines(n Node) []string {
	var out []string
	for _, l := range strings.Split(FormatLogical(n), "\n") {
		if strings.Contains(l, "Join ") {
			out = append(out, strings.TrimSpace(strings.TrimLeft(l, " :+-")))
		}
	}
	return out
}

// TestReorderJoinChain: fact ⋈ a ⋈ b written with the filtered dimension b last is
// reordered to start from b, with the columns in written order on top; an outer join
// in the chain, shared column names or a size that cannot be guessed keep the order.
func TestReorderJoinChain(t *testing.T) {
	fact := func() Node { return scanOf("fact", chainSchema("f"), 4, 400*mib) }
	dimA := func() Node { return scanOf("a", chainSchema("a"), 1, 4*mib) }
	dimB := func() Node {
		return &Filter{Input: scanOf("b", chainSchema("b"), 1, 4*mib), Cond: bin(OpEq, col("b_name"), lit("x"))}
	}
	written := func(kind JoinKind, b Node) Node {
		return join(join(fact(), dimA(), InnerJoin, on("f_fk"), on("a_id")), b, kind, on("f_id"), on("b_id"))
	}
	opt := optimize(t, written(InnerJoin, dimB()))
	joins := joinLines(opt)
	if len(joins) != 2 || !strings.Contains(joins[1], "b_id") || !strings.Contains(joins[0], "a_id") {
		t.Errorf("joins %q: want b joined first, a last\n%s", joins, FormatLogical(opt))
	}
	var names []string
	for _, f := range opt.Schema().Fields() {
		names = append(names, f.Name)
	}
	want := []string{"f_id", "f_fk", "f_name", "a_id", "a_fk", "a_name", "b_id", "b_fk", "b_name"}
	if !slices.Equal(names, want) {
		t.Errorf("columns %v, want %v", names, want)
	}

	keep := func(name string, n Node) {
		t.Run(name, func(t *testing.T) {
			got := joinLines(optimize(t, n))
			if len(got) != 2 || !strings.Contains(got[1], "a_id") {
				t.Errorf("joins %q: want the written order (fact ⋈ a first)", got)
			}
		})
	}
	keep("outer-join", written(LeftJoin, dimB()))
	keep("unknown-size", written(InnerJoin, &Filter{Input: scanOf("b", chainSchema("b"), 1, -1), Cond: bin(OpEq, col("b_name"), lit("x"))}))
	shared := &Project{Input: dimB(), Exprs: []Expr{col("b_id"), &Alias{Child: col("b_name"), Name: "a_name"}}}
	keep("shared-names", written(InnerJoin, shared))
}
