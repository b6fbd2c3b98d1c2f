package hashjoin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// hjSelSource is a selecting input (a filter's stand-in): each batch comes with the
// positions of its selected rows (nil: all); Next hands out the selected rows copied.
type hjSelSource struct {
	exectest.Source
	sels [][]int32
	mem  memory.Allocator
}

var _ colop.Selector = (*hjSelSource)(nil)

func (s *hjSelSource) Selects() bool { return true }

func (s *hjSelSource) NextSelected() (arrow.RecordBatch, []int32, error) {
	i := s.Pos
	rec, err := s.Source.Next()
	if err != nil {
		return nil, nil, err
	}
	return rec, s.sels[i], nil
}

func (s *hjSelSource) Next() (arrow.RecordBatch, error) {
	rec, sel, err := s.NextSelected()
	if err != nil || sel == nil {
		return rec, err
	}
	defer rec.Release()
	return kernel.GatherRecord(rec, sel, s.mem)
}

// hjSelect draws a selection of each batch's rows (every row of some batches, none of
// none: a selecting input never hands out an empty selection) and returns the
// selections and the selected rows.
func hjSelect(rng *rand.Rand, parts [][][]any) ([][]int32, [][]any) {
	var sels [][]int32
	var rows [][]any
	for _, p := range parts {
		if len(p) == 0 || rng.IntN(4) == 0 {
			sels = append(sels, nil)
			rows = append(rows, p...)
			continue
		}
		var sel []int32
		for i := range p {
			if rng.IntN(2) == 0 {
				sel = append(sel, int32(i))
			}
		}
		if len(sel) == 0 {
			sel = []int32{int32(len(p) - 1)}
		}
		for _, i := range sel {
			rows = append(rows, p[i])
		}
		sels = append(sels, sel)
	}
	return sels, rows
}

// hjRunProbe runs the join of a selecting probe input with a build input and returns
// its rows, whether the table had a key domain once built, and whether probe rows were
// checked against it, and whether the join keeps unmatched probe rows (outer or anti).
func hjRunProbe(t *testing.T, mem memory.Allocator, probe colop.Operator, build []arrow.RecordBatch, node *plan.PHashJoin) (rows [][]any, dom, checked, kept bool) {
	t.Helper()
	left, right := probe, colop.Operator(&exectest.Source{Batches: build})
	if node.Build == plan.BuildLeft {
		left, right = right, left
	}
	op := NewHashJoin(left, right, node, colop.Options{Mem: mem, BatchRows: 7})
	defer op.Close()
	if err := op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	var out []arrow.RecordBatch
	defer func() {
		for _, b := range out {
			b.Release()
		}
	}()
	for {
		b, err := op.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		dom = dom || op.table.dom != nil
		out = append(out, b)
	}
	return exectest.RowsOf(t, out), dom, op.domIn > 0, op.probeOuter || op.probeAnti
}

// TestHashJoinProbeSelection checks joins whose probe input selects rows (the join
// gathers only the matches of the selected rows) and whose build side has a key domain
// (probe rows outside it are not looked up) against nested loops over the selected rows,
// for every kind, build side and key type.
func TestHashJoinProbeSelection(t *testing.T) {
	for ci, c := range hjCases() {
		for _, kind := range hjAllKinds {
			for _, build := range []plan.BuildSide{plan.BuildRight, plan.BuildLeft} {
				t.Run(fmt.Sprintf("%s/%s/build=%d", c.name, kind, build), func(t *testing.T) {
					mem := memtest.Checked()
					defer mem.AssertSize(t, 0)
					rng := rand.New(rand.NewPCG(uint64(ci), uint64(kind)))
					lrows := hjGenRows(rng, c.left, c.lkeys, 200, c.lrange[0], c.lrange[1], "l")
					rrows := hjGenRows(rng, c.right, c.rkeys, 60, c.rrange[0], c.rrange[1], "r")
					probeSchema, probeRows, buildSchema, buildRows := c.left, lrows, c.right, rrows
					if build == plan.BuildLeft {
						probeSchema, probeRows, buildSchema, buildRows = c.right, rrows, c.left, lrows
					}
					parts := hjSplit(rng, probeRows, "multi")
					sels, selected := hjSelect(rng, parts)
					probe := &hjSelSource{Source: exectest.Source{Batches: hjBatches(t, mem, probeSchema, parts)}, sels: sels, mem: mem}
					lsel, rsel := selected, buildRows
					if build == plan.BuildLeft {
						lsel, rsel = buildRows, selected
					}
					node := &plan.PHashJoin{LeftKeys: c.lkeys, RightKeys: c.rkeys, Kind: kind, Build: build,
						OutSchema: hjOutSchema(c.left, c.right, kind)}
					want := hjOracle(lsel, rsel, hjKeyIndices(t, c.left, c.lkeys), hjKeyIndices(t, c.right, c.rkeys),
						c.left.NumFields(), c.right.NumFields(), kind)
					got, dom, checked, keepsUnmatched := hjRunProbe(t, mem, probe, hjBatches(t, mem, buildSchema, [][][]any{buildRows}), node)
					if g, w := strings.Join(hjRowKeys(got), "\n"), strings.Join(hjRowKeys(want), "\n"); g != w {
						t.Fatalf("got %d rows, want %d\ngot:\n%s\nwant:\n%s", len(got), len(want), g, w)
					}
					intKey := len(c.lkeys) == 1 && (c.name == "int64" || c.name == "int32-int64")
					if dom != intKey {
						t.Errorf("key domain %v for one integer key %v", dom, intKey)
					}
					if checked != (intKey && !keepsUnmatched) {
						t.Errorf("probe rows checked against the key domain: %v", checked)
					}
				})
			}
		}
	}
}

// TestHashJoinKeyDomainBounds checks when a build side gets a key domain: one integer
// key whose values span at most 128 bits per row (or 2^18 bits), NULLs aside.
func TestHashJoinKeyDomainBounds(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	for _, c := range []struct {
		keys []any
		want bool
	}{
		{[]any{int64(5), int64(1 << 17), nil}, true},
		{[]any{int64(-3), int64(1<<18 - 4)}, true},
		{[]any{int64(0), int64(1 << 18)}, false},
		{[]any{int64(-1 << 62), int64(1 << 62)}, false},
		{[]any{nil, nil}, false},
	} {
		rec := exectest.BuildBatch(t, mem, schema, [][]any{c.keys[:1], c.keys[1:2]})
		if len(c.keys) > 2 {
			rec.Release()
			rec = exectest.BuildBatch(t, mem, schema, [][]any{c.keys[:1], c.keys[1:2], c.keys[2:]})
		}
		var tab hjTable
		tab.build = newHJKeys([]hjKeyClass{hjIntKey})
		if err := tab.build.load([]arrow.Array{rec.Column(0)}, int(rec.NumRows())); err != nil {
			t.Fatal(err)
		}
		_, _, ok := tab.domainSpan(int(rec.NumRows()))
		if ok != c.want {
			t.Errorf("keys %v: domain %v, want %v", c.keys, ok, c.want)
		}
		rec.Release()
	}
}

// TestHashJoinKeyDomainGivesUp checks that a probe whose rows nearly all pass the key
// domain stops checking it, and still joins every row.
func TestHashJoinKeyDomainGivesUp(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	var buildRows [][]any
	for i := range 100 {
		buildRows = append(buildRows, []any{int64(i)})
	}
	const probeN = 3 * hjDomainJudgeRows
	var parts [][][]any
	for lo := 0; lo < probeN; lo += 8192 {
		var p [][]any
		for i := lo; i < min(lo+8192, probeN); i++ {
			p = append(p, []any{int64(i % 100)})
		}
		parts = append(parts, p)
	}
	node := &plan.PHashJoin{LeftKeys: []string{"k"}, RightKeys: []string{"k"}, Kind: plan.LeftSemiJoin, Build: plan.BuildRight,
		OutSchema: hjOutSchema(schema, schema, plan.LeftSemiJoin)}
	op := NewHashJoin(&exectest.Source{Batches: hjBatches(t, mem, schema, parts)},
		&exectest.Source{Batches: hjBatches(t, mem, schema, [][][]any{buildRows})}, node, colop.Options{Mem: mem})
	defer op.Close()
	out, err := exectest.Drain(t, op)
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, b := range out {
		rows += int(b.NumRows())
		b.Release()
	}
	if rows != probeN {
		t.Errorf("%d rows, want %d", rows, probeN)
	}
	if !op.domOff || op.domIn > hjDomainJudgeRows+8192 {
		t.Errorf("key domain still checked after %d rows (given up: %v)", op.domIn, op.domOff)
	}
}
