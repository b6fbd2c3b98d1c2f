package plan

import (
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// findJoinOn returns the join of n whose left keys are lk, or nil.
func findJoinOn(n Node, lk ...string) *Join {
	if j, ok := n.(*Join); ok && (slices.Equal(j.LeftKeys, lk) || slices.Equal(j.RightKeys, lk)) {
		return j
	}
	for _, c := range n.Children() {
		if j := findJoinOn(c, lk...); j != nil {
			return j
		}
	}
	return nil
}

func isJoin(n Node) bool {
	_, ok := n.(*Join)
	return ok
}

// TestFoldFilteredLeafDimension: fact ⋈ a ⋈ c ⋈ b, where the filtered b joins only a
// (a snowflake: customers and their nation). b is joined to a first, as its own subtree,
// so that a is filtered before it meets the fact table, whatever the order of the rest;
// an unfiltered b (a mere lookup of columns) is not folded, and the columns keep their
// written order.
func TestFoldFilteredLeafDimension(t *testing.T) {
	fact := func() Node { return scanOf("fact", chainSchema("f"), 4, 400*mib) }
	dimA := func() Node { return scanOf("a", chainSchema("a"), 1, 40*mib) }
	dimC := func() Node { return scanOf("c", chainSchema("c"), 1, 4*mib) }
	dimB := func(filtered bool) Node {
		var b Node = scanOf("b", chainSchema("b"), 1, 1*mib)
		if filtered {
			b = &Filter{Input: b, Cond: bin(OpEq, col("b_name"), lit("x"))}
		}
		return b
	}
	written := func(b Node) Node {
		fa := join(fact(), dimA(), InnerJoin, on("f_fk"), on("a_id"))
		fc := join(fa, dimC(), InnerJoin, on("f_id"), on("c_id"))
		return join(fc, b, InnerJoin, on("a_fk"), on("b_id"))
	}
	opt := optimize(t, written(dimB(true)))
	ab := findJoinOn(opt, "a_fk")
	if ab == nil || isJoin(ab.Left) || isJoin(ab.Right) {
		t.Fatalf("want a ⋈ b as its own subtree\n%s", FormatLogical(opt))
	}
	var names []string
	for _, f := range opt.Schema().Fields() {
		names = append(names, f.Name)
	}
	want := []string{"f_id", "f_fk", "f_name", "a_id", "a_fk", "a_name", "c_id", "c_fk", "c_name", "b_id", "b_fk", "b_name"}
	if !slices.Equal(names, want) {
		t.Errorf("columns %v, want %v", names, want)
	}

	// The same chain with b unfiltered: nothing folds (the greedy order may still take
	// b early, but as one more relation of the left-deep chain).
	var leaves []Node
	var edges []JoinEquality
	if !flattenChain(mustAnalyze(t, written(dimB(false))), &leaves, &edges) {
		t.Fatal("chain not flattened")
	}
	rels := []JoinRelation{{Rows: 4e6, BaseRows: 4e6}, {Rows: 4e5, BaseRows: 4e5}, {Rows: 4e4, BaseRows: 4e4}, {Rows: 1e4, BaseRows: 1e4}}
	o := &optimizer{}
	if _, _, _, ok := o.foldFilteredLeaves(&Join{}, leaves, rels, edges); ok {
		t.Error("an unfiltered leaf was folded")
	}
	rels[3].Rows = 1e3
	got, gotRels, gotEdges, ok := o.foldFilteredLeaves(&Join{}, leaves, rels, edges)
	if !ok || len(got) != 3 || len(gotEdges) != 2 || gotRels[1].Rows >= rels[1].Rows {
		t.Errorf("filtered b: folded=%v into %d leaves, %v, edges %v", ok, len(got), gotRels, gotEdges)
	}
}

// TestCloseEqualities: a = b and b = c give a = c between different leaves of one
// type; a column of another type joins no derived equality, and written ones are not
// repeated.
func TestCloseEqualities(t *testing.T) {
	narrow := arrow.NewSchema([]arrow.Field{{Name: "d_fk", Type: arrow.PrimitiveTypes.Int32}}, nil)
	leaves := []Node{mustAnalyze(t, scanOf("a", chainSchema("a"), 1, mib)), mustAnalyze(t, scanOf("b", chainSchema("b"), 1, mib)),
		mustAnalyze(t, scanOf("c", chainSchema("c"), 1, mib)), mustAnalyze(t, scanOf("d", narrow, 1, mib))}
	edges := []JoinEquality{
		{A: 0, B: 1, ColA: "a_fk", ColB: "b_fk"},
		{A: 1, B: 2, ColA: "b_fk", ColB: "c_id"},
		{A: 3, B: 2, ColA: "d_fk", ColB: "c_id"},
	}
	got := closeEqualities(leaves, edges)
	want := append(slices.Clone(edges), JoinEquality{A: 0, B: 2, ColA: "a_fk", ColB: "c_id"})
	if !slices.Equal(got, want) {
		t.Errorf("closed %v, want %v", got, want)
	}
}
