package plan

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sampledCache is a materialized cache status that shows its stored rows (rec) to the
// planner, counting the samples it handed out.
type sampledCache struct {
	fakeCache
	rec     arrow.RecordBatch
	samples int
}

func (c *sampledCache) SampleRows(cols []int, rows int, visit func(arrow.RecordBatch)) bool {
	c.samples++
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, ci := range cols {
		fields[i], arrs[i] = c.rec.Schema().Field(ci), c.rec.Column(ci)
	}
	n := min(int64(rows), c.rec.NumRows())
	b := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, c.rec.NumRows())
	s := b.NewSlice(0, n)
	b.Release()
	visit(s)
	s.Release()
	return true
}

// dimRows builds a dimension's stored rows (chainSchema): ids 0..n-1, fk = id, and the
// name "x" on the first named rows, "z" on the others.
func dimRows(mem memory.Allocator, prefix string, n, named int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, chainSchema(prefix))
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.Int64Builder).Append(int64(i))
		name := "z"
		if i < named {
			name = "x"
		}
		b.Field(2).(*array.StringBuilder).Append(name)
	}
	return b.NewRecordBatch()
}

// TestSampledSelectivityCountsStoredRows: the share of a filter over a materialized cache
// is the share of its stored rows the comparisons keep, counted together (a range's two
// ends are not multiplied), times the guess of a conjunct it cannot count; a cache
// without rows to show, or a condition with nothing to count, is not sampled.
func TestSampledSelectivityCountsStoredRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := dimRows(mem, "d", 200, 30)
	defer rec.Release()
	st := &sampledCache{fakeCache: fakeCache{bytes: 1 << 20}, rec: rec}
	c := &Cache{Input: scanOf("d", chainSchema("d"), 1, 1<<20), DatasetID: 1, Status: st}
	for _, tc := range []struct {
		cond Expr
		want float64
	}{
		{bin(OpEq, col("d_name"), lit("x")), 30.0 / 200},
		{bin(OpEq, lit("x"), col("d_name")), 30.0 / 200},
		{and(bin(OpGtEq, col("d_id"), lit(int64(50))), bin(OpLt, col("d_fk"), lit(int64(70)))), 20.0 / 200},
		{and(bin(OpLt, lit(int64(150)), col("d_id")), bin(OpNotEq, col("d_name"), lit("x"))), 49.0 / 200},
		{bin(OpEq, col("d_name"), lit("absent")), 0.5 / 200},
		{and(bin(OpEq, col("d_name"), lit("x")), bin(OpEq, col("d_id"), col("d_fk"))), 30.0 / 200 * selComparison},
	} {
		got, ok := sampledSelectivity(c, []Expr{tc.cond})
		// Independent count: the rows of rec the condition keeps, by hand.
		if !ok || math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: sampled %v (%v), want %v", tc.cond.String(), got, ok, tc.want)
		}
	}
	if _, ok := sampledSelectivity(c, []Expr{bin(OpEq, col("d_id"), col("d_fk"))}); ok {
		t.Error("a condition without a column-literal comparison must keep its guess")
	}
	plain := &Cache{Input: c.Input, DatasetID: 1, Status: fakeCache{bytes: 1 << 20}}
	if _, ok := sampledSelectivity(plain, []Expr{bin(OpEq, col("d_name"), lit("x"))}); ok {
		t.Error("a cache that cannot show rows must keep the guesses")
	}
}

// TestReorderBySampledShares: fact ⋈ a ⋈ b where a's filter is an equality (guessed a
// tenth, keeps 90% of the stored rows) and b's a comparison (guessed a third, keeps 1%):
// over caches that show their rows the chain starts from b, as the measured shares say;
// without them, or when a projection between b's filter and its cache renames a
// column, the guesses order it (a first). Every join of the reordered chain passes on
// only the columns a later join or the top reads.
func TestReorderBySampledShares(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	recA, recB := dimRows(mem, "a", 100, 90), dimRows(mem, "b", 100, 0)
	defer recA.Release()
	defer recB.Release()
	fact := func() Node { return scanOf("fact", chainSchema("f"), 4, 400*mib) }
	cached := func(prefix string, st CacheStatus) Node {
		return &Cache{Input: scanOf(prefix, chainSchema(prefix), 1, 4*mib), DatasetID: int(prefix[0]), Status: st}
	}
	chain := func(stA, stB CacheStatus, renameB bool) Node {
		a := &Filter{Input: cached("a", stA), Cond: bin(OpEq, col("a_name"), lit("x"))}
		var bIn Node = cached("b", stB)
		if renameB {
			bIn = &Project{Input: bIn, Exprs: []Expr{col("b_id"), &Alias{Child: col("b_name"), Name: "b_fk"}}}
		}
		b := &Filter{Input: bIn, Cond: bin(OpLt, col("b_fk"), lit(int64(1)))}
		if renameB {
			b.Cond = bin(OpLt, col("b_fk"), lit("x"))
		}
		j := join(join(fact(), a, InnerJoin, on("f_fk"), on("a_id")), b, InnerJoin, on("f_id"), on("b_id"))
		return &Project{Input: j, Exprs: []Expr{col("f_name"), col("a_name")}}
	}
	sampler := func(rec arrow.RecordBatch) *sampledCache {
		return &sampledCache{fakeCache: fakeCache{bytes: 4 * mib}, rec: rec}
	}
	first := func(n Node) string {
		joins := joinLines(n)
		if len(joins) != 2 {
			t.Fatalf("joins %q\n%s", joins, FormatLogical(n))
		}
		return joins[1]
	}

	stA, stB := sampler(recA), sampler(recB)
	opt := optimize(t, chain(stA, stB, false))
	if j := first(opt); !strings.Contains(j, "b_id") {
		t.Errorf("with sampled shares the chain must start from b (1%% kept), got %q\n%s", j, FormatLogical(opt))
	}
	if stA.samples == 0 || stB.samples == 0 {
		t.Errorf("samples taken: a %d, b %d", stA.samples, stB.samples)
	}
	checkChainPruned(t, opt, []string{"f_name", "a_name"})

	if j := first(optimize(t, chain(fakeCache{bytes: 4 * mib}, fakeCache{bytes: 4 * mib}, false))); !strings.Contains(j, "a_id") {
		t.Errorf("without samples the guesses must order the chain (a first), got %q", j)
	}
	// The optimizer pushes a filter through a renaming projection first; a front end
	// guessing before it (GuessRows) must not count a renamed column on the cache.
	stB = sampler(recB)
	renamed := chain(stA, stB, true).(*Project).Input.(*Join).Right
	if _, ok := GuessRows(renamed); !ok || stB.samples != 0 {
		t.Errorf("a renamed column must not be sampled (b sampled %d times)", stB.samples)
	}
	straight := chain(stA, stB, false).(*Project).Input.(*Join).Right
	if rows, ok := GuessRows(straight); !ok || stB.samples != 1 || rows > 4*mib/rowWidth(chainSchema("b"))*0.02 {
		t.Errorf("GuessRows over a sampled filter: %v rows (%v), %d samples", rows, ok, stB.samples)
	}
}

// checkChainPruned fails when a join's input in n carries a column that no join above it
// and no column of top reads.
func checkChainPruned(t *testing.T, n Node, top []string) {
	t.Helper()
	var walk func(n Node, above []string)
	walk = func(n Node, above []string) {
		if j, ok := n.(*Join); ok {
			above = append(slices.Clone(above), j.LeftKeys...)
			above = append(above, j.RightKeys...)
			for _, c := range j.Children() {
				if _, isJoin := unproject(c).(*Join); !isJoin {
					continue
				}
				for _, f := range c.Schema().Fields() {
					if !slices.Contains(above, f.Name) {
						t.Errorf("join input passes on %s, which nothing above reads\n%s", f.Name, FormatLogical(n))
					}
				}
			}
		}
		for _, c := range n.Children() {
			walk(c, above)
		}
	}
	walk(n, top)
}

func unproject(n Node) Node {
	if p, ok := n.(*Project); ok {
		return p.Input
	}
	return n
}
