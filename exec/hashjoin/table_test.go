package hashjoin

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// hjUniqueKeys keeps the first row of each key (rows with a NULL key all stay): a
// build side of primary keys, whose table has no chains.
func hjUniqueKeys(rows [][]any, keys []int) [][]any {
	seen := map[string]bool{}
	var out [][]any
	for _, r := range rows {
		var parts []string
		null := false
		for _, k := range keys {
			null = null || r[k] == nil
			parts = append(parts, exectest.NormKey(r[k]))
		}
		key := strings.Join(parts, "|")
		if !null && seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, r)
	}
	return out
}

// TestHashJoinUniqueBuildKeys joins build sides whose keys are unique (the table keeps
// no chains) against probes that hit, miss and carry NULLs, every kind and key type,
// with and without a residual condition, in batches larger and smaller than the
// table's probe chunk.
func TestHashJoinUniqueBuildKeys(t *testing.T) {
	for ci, c := range hjCases() {
		for _, build := range []plan.BuildSide{plan.BuildRight, plan.BuildLeft} {
			rng := rand.New(rand.NewPCG(uint64(ci), uint64(build)+11))
			lrows := hjGenRows(rng, c.left, c.lkeys, 700, 0, 900, "l")
			rrows := hjGenRows(rng, c.right, c.rkeys, 500, 300, 1200, "r")
			lk, rk := hjKeyIndices(t, c.left, c.lkeys), hjKeyIndices(t, c.right, c.rkeys)
			if build == plan.BuildRight {
				rrows = hjUniqueKeys(rrows, rk)
			} else {
				lrows = hjUniqueKeys(lrows, lk)
			}
			lv, rv := hjKeyIndices(t, c.left, []string{"lv"})[0], hjKeyIndices(t, c.right, []string{"rv"})[0]
			for _, kind := range hjAllKinds {
				for _, residual := range []bool{false, true} {
					if residual && (c.left.Field(lv).Type.ID() != arrow.STRING || c.right.Field(rv).Type.ID() != arrow.STRING) {
						continue // the test's condition compares string payloads
					}
					t.Run(fmt.Sprintf("%s/%s/build=%d/residual=%v", c.name, kind, build, residual), func(t *testing.T) {
						mem := memtest.Checked()
						defer mem.AssertSize(t, 0)
						node := &plan.PHashJoin{LeftKeys: c.lkeys, RightKeys: c.rkeys, Kind: kind, Build: build,
							OutSchema: hjOutSchema(c.left, c.right, kind)}
						want := hjOracle(lrows, rrows, lk, rk, c.left.NumFields(), c.right.NumFields(), kind)
						if residual {
							node.PairSchema = pairSchemaOf(c.left, c.right)
							node.Residual = &plan.Binary{Op: plan.OpLt, Left: &plan.ColumnRef{Name: "lv"}, Right: &plan.ColumnRef{Name: "rv"}}
							want = hjOracleCond(lrows, rrows, lk, rk, lv, rv, c.left.NumFields(), c.right.NumFields(), kind)
						}
						got := hjRunEval(t, mem, hjBatches(t, mem, c.left, hjHalves(lrows)),
							hjBatches(t, mem, c.right, hjHalves(rrows)), node)
						g, w := hjRowKeys(got), hjRowKeys(want)
						if strings.Join(g, "\n") != strings.Join(w, "\n") {
							t.Fatalf("got %d rows, want %d", len(g), len(w))
						}
					})
				}
			}
		}
	}
}

// hjRunEval runs a join with the test's residual evaluator to its end.
func hjRunEval(t *testing.T, mem memory.Allocator, left, right []arrow.RecordBatch, node *plan.PHashJoin) [][]any {
	t.Helper()
	op := NewHashJoin(&exectest.Source{Batches: left}, &exectest.Source{Batches: right}, node, colop.Options{Mem: mem})
	op.SetEval(residualEval)
	defer op.Close()
	out, err := exectest.Drain(t, op)
	if err != nil {
		t.Fatal(err)
	}
	return exectest.RowsOf(t, out)
}

// hjHalves cuts rows in two batches, the first a third of them.
func hjHalves(rows [][]any) [][][]any {
	return [][][]any{rows[:len(rows)/3], rows[len(rows)/3:]}
}

// TestHJTableChains checks the table directly: unique keys keep no chains, duplicates
// chain in build order, and lookups find each key's first row or -1.
func TestHJTableChains(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	for _, dup := range []int{1, 3} {
		const n = 1000
		build, barrs := tableBenchKeys(t, mem, n, false, func(i int) int64 { return int64(i / dup) })
		tab := hjTable{build: build}
		tab.index(n)
		if (tab.next == nil) != (dup == 1) {
			t.Errorf("dup=%d: chains %v", dup, tab.next != nil)
		}
		probe, parrs := tableBenchKeys(t, mem, 2*n, false, func(i int) int64 { return int64(i) })
		heads := make([]int32, 2*n)
		tab.lookup(&probe, heads)
		for i, h := range heads {
			want := int32(-1)
			if i < (n+dup-1)/dup {
				want = int32(i * dup)
			}
			if h != want {
				t.Fatalf("dup=%d: key %d found row %d, want %d", dup, i, h, want)
			}
			var chain []int32
			for r := h; r >= 0; r = hjNext(tab.next, r) {
				chain = append(chain, r)
			}
			if h >= 0 && len(chain) != min(dup, n-int(h)) {
				t.Fatalf("dup=%d: key %d has chain %v", dup, i, chain)
			}
		}
		releaseAll(barrs)
		releaseAll(parrs)
	}
}

// Freed slabs are poisoned, so that a table read after its slots went back to the pool
// (a shared build's adopter, say) finds garbage and fails its test.
func init() { colop.TableSlabs.Poison = true }

// TestHJTableSlabs checks that the table's slots and chains are slabs it gives back:
// indexed again (a grace partition's next build) or released, it holds none; a table
// marked shared (published) keeps its slots on release, for its adopters.
func TestHJTableSlabs(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	const n = 4000
	build, barrs := tableBenchKeys(t, mem, n, false, func(i int) int64 { return int64(i / 2) })
	defer releaseAll(barrs)
	probe, parrs := tableBenchKeys(t, mem, n, false, func(i int) int64 { return int64(i) })
	defer releaseAll(parrs)
	tab := hjTable{build: build}
	heads := make([]int32, n)
	for round := range 2 { // the second index gives the first's slabs back first
		tab.index(n)
		if !tab.slab || tab.next == nil || len(tab.slots) != hjTableSlots(n) {
			t.Fatalf("round %d: slab %v, chains %v, %d slots", round, tab.slab, tab.next != nil, len(tab.slots))
		}
		tab.lookup(&probe, heads)
		for i, h := range heads {
			want := int32(-1)
			if i < n/2 {
				want = int32(2 * i)
			}
			if h != want || (h >= 0 && hjNext(tab.next, h) != h+1) {
				t.Fatalf("round %d: key %d found row %d (next %d), want %d", round, i, h, hjNext(tab.next, h), want)
			}
		}
	}
	tab.release()
	if tab.slots != nil || tab.next != nil || tab.slab {
		t.Fatal("a released table still holds its slabs")
	}
	tab.index(n)
	tab.share() // published: adopters read it after the owner is done
	slots := tab.slots
	tab.release()
	if len(tab.slots) != len(slots) {
		t.Fatal("releasing a published table dropped its slots")
	}
	tab.lookup(&probe, heads)
	if heads[0] != 0 || heads[n/2] != -1 {
		t.Fatalf("a published table after its owner's release finds %d and %d", heads[0], heads[n/2])
	}
}
