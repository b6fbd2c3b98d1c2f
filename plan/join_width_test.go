package plan

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// wideSchema is a dimension table's shape: a key and nine string columns (152 bytes a
// row by rowWidth's guess, the key 8 of them).
func wideSchema() *arrow.Schema {
	fields := []arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"} {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.BinaryTypes.String})
	}
	return arrow.NewSchema(fields, nil)
}

// A join side that reads a few narrow columns of a wide source is guessed at their share
// of its bytes, so a dimension over the threshold as a whole is broadcast when the join
// needs only its key (and a filter's columns), as Spark sizes a projection.
func TestBroadcastGuessCountsReadColumns(t *testing.T) {
	dim := func() *Scan { return scanOf("dim", wideSchema(), 1, 12*mib) }
	cases := []struct {
		name      string
		side      Node
		broadcast bool
	}{
		{"every column", dim(), false},
		{"key only", &Project{Input: dim(), Exprs: []Expr{col("k")}}, true},
		{"filtered, key kept", &Project{Input: &Filter{Input: dim(), Cond: bin(OpEq, col("a"), lit("x"))}, Exprs: []Expr{col("k")}}, true},
	}
	for _, c := range cases {
		p, _ := planJoin(t, join(ordersScan(), c.side, InnerJoin, on("id"), on("k")), PhysicalConfig{ShufflePartitions: 4})
		if hj := hashJoinOf(t, p); hj.Broadcast != c.broadcast {
			t.Errorf("%s: broadcast %v, want %v:\n%s", c.name, hj.Broadcast, c.broadcast, FormatPhysical(p))
		}
	}
	// The guess of a filter that keeps fewer columns than it reads shrinks with them.
	p := mustPhysical(t, optimize(t, &Project{Input: &Filter{Input: dim(), Cond: bin(OpEq, col("a"), lit("x"))}, Exprs: []Expr{col("k")}}), PhysicalConfig{})
	f, ok := p.(*PFilter)
	if !ok || f.Keep == nil {
		t.Fatalf("want a filter keeping k:\n%s", FormatPhysical(p))
	}
	g, ok := guessSize(f)
	in, _ := guessSize(f.Input)
	if !ok || g.bytes >= in.bytes*selEquality || g.frac != selEquality {
		t.Errorf("filter guess %+v from input %+v", g, in)
	}
}
