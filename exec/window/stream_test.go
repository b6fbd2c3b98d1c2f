package window

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// streamExprs are functions whose frames end at the current row (or its last peer):
// the operator streams them.
func streamExprs() []plan.WindowExpr {
	def := rangeF(unbP, 0)
	es := []plan.WindowExpr{
		wexpr(plan.WinRowNumber, "rn", def), wexpr(plan.WinRank, "rk", def), wexpr(plan.WinDenseRank, "drk", def),
		wexpr(plan.WinLag, "lag", def, "i", "d"), wexpr(plan.WinLag, "lag2", def, "s"),
		wexpr(plan.WinNthValue, "nvn", rows(-3, 0), "i"), wexpr(plan.WinLastValue, "lvp", rows(-2, -1), "s"),
		aggExpr(plan.AggSum, "i", "sum_i", def), aggExpr(plan.AggSum, "f", "sum_f", def),
		aggExpr(plan.AggMean, "i", "mean_i", rows(unbP, 0)), aggExpr(plan.AggMean, "f", "mean_f", def),
		aggExpr(plan.AggCount, "i", "cnt_i", rows(unbP, 0)), aggExpr(plan.AggCountAll, "", "cnt", def),
		aggExpr(plan.AggSum, "f", "sum_f6", rows(-6, 0)), aggExpr(plan.AggMean, "i", "mean_i6", rows(-6, 0)),
		aggExpr(plan.AggMin, "s", "min_s", rows(-2, 0)), aggExpr(plan.AggMax, "f", "max_f", rows(-4, -2)),
		aggExpr(plan.AggSum, "i", "sum_ip", rows(-3, -1)),
	}
	es[3].Fn.Offset = 1
	es[4].Fn.Offset = 5
	es[5].Fn.Offset = 2
	es[5].Fn.IgnoreNulls = true
	for i := range es {
		if a := es[i].Fn.Agg.Arg; a != nil {
			es[i].ArgType = winSchema.Field(argCol(a.(*plan.ColumnRef).Name)).Type
		} else if len(es[i].Fn.Args) > 0 {
			es[i].ArgType = winSchema.Field(argCol(es[i].Fn.Args[0].(*plan.ColumnRef).Name)).Type
		}
	}
	return es
}

// TestWindowStreamOracle checks the streaming path against the plain-Go computation,
// over batch cuts that split peer groups and partitions anywhere (the conformance
// harness), ascending and descending, with and without a PARTITION BY.
func TestWindowStreamOracle(t *testing.T) {
	for _, desc := range []bool{false, true} {
		for _, parted := range []bool{true, false} {
			t.Run(fmt.Sprintf("desc=%v/parted=%v", desc, parted), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(11, uint64(btoi(desc))))
				in := genWinRows(rng, 300)
				if !parted {
					for _, r := range in {
						r[cP] = "a"
					}
				}
				order := []plan.SortKey{{Column: "o", NullsFirst: true}}
				if desc {
					order = []plan.SortKey{{Column: "o", Descending: true}}
				}
				es := streamExprs()
				fields := slices.Clone(winSchema.Fields())
				for _, e := range es {
					fields = append(fields, arrow.Field{Name: e.Name, Type: oracleType(e), Nullable: true})
				}
				node := &plan.PWindow{PartitionBy: []string{"p"}, OrderBy: order, Exprs: es, OutSchema: arrow.NewSchema(fields, nil)}
				slices.SortStableFunc(in, func(a, b []any) int {
					if c := cmpKey(a[cP], b[cP], false, true); c != 0 {
						return c
					}
					return cmpKey(a[cO], b[cO], desc, !desc)
				})
				want := oracle(in, node, desc)
				exectest.RunTests(t, []exectest.Input{exectest.Rows(winSchema, in)}, want,
					func(mem memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
						return &streamCheck{Op: NewWindow(ins[0], node, colop.Options{Mem: mem, BatchRows: 16}), t: t}, nil
					})
			})
		}
	}
}

// streamCheck fails the test if the operator did not take the streaming path.
type streamCheck struct {
	*Op
	t *testing.T
}

func (s *streamCheck) Next() (arrow.RecordBatch, error) {
	rec, err := s.Op.Next()
	if s.Op.bound && !s.Op.stream.on {
		s.t.Fatalf("the window does not stream")
	}
	return rec, err
}

// TestWindowStreamPlan: functions that need the partition's end make the window buffer.
func TestWindowStreamPlan(t *testing.T) {
	for _, c := range []struct {
		e    plan.WindowExpr
		want bool
	}{
		{wexpr(plan.WinRowNumber, "rn", rangeF(unbP, 0)), true},
		{wexpr(plan.WinCumeDist, "cd", rangeF(unbP, 0)), false},
		{wexpr(plan.WinNTile, "nt", rangeF(unbP, 0)), false},
		{wexpr(plan.WinLead, "ld", rangeF(unbP, 0), "i"), false},
		{wexpr(plan.WinLastValue, "lv", rows(unbP, unbF), "i"), false},
		{aggExpr(plan.AggSum, "i", "s", rows(-2, 1)), false},
		{aggExpr(plan.AggMin, "i", "m", rows(unbP, 0)), false},
		{aggExpr(plan.AggSum, "i", "s", rangeF(-2, 0)), false},
		{aggExpr(plan.AggSum, "i", "s", rows(-maxLookback-1, 0)), false},
		{aggExpr(plan.AggMin, "i", "m", rows(-maxLookback, 0)), true},
	} {
		c.e.ArgType = arrow.PrimitiveTypes.Int64
		o := &Op{node: &plan.PWindow{Exprs: []plan.WindowExpr{c.e}, OrderBy: []plan.SortKey{{Column: "o"}}}}
		o.planStream()
		if o.stream.on != c.want {
			t.Errorf("%s %s: streams = %v, want %v", c.e.Fn, c.e.Frame, o.stream.on, c.want)
		}
	}
	// RANGE ... CURRENT ROW without an ORDER BY: the peer group is the partition.
	running := aggExpr(plan.AggSum, "i", "s", rangeF(unbP, 0))
	running.ArgType = arrow.PrimitiveTypes.Int64
	for _, order := range [][]plan.SortKey{nil, {{Column: "o"}}} {
		o := &Op{node: &plan.PWindow{Exprs: []plan.WindowExpr{running}, OrderBy: order}}
		o.planStream()
		if o.stream.on != (order != nil) {
			t.Errorf("running RANGE sum, order %v: streams = %v", order, o.stream.on)
		}
	}
}

// TestWindowStreamBounded runs the streaming functions over partitions far larger than
// the budget with no spill manager: holding a partition would fail, streaming holds a
// batch, the context and the current peer group, so it succeeds without spilling,
// within the limit, and equals the oracle.
func TestWindowStreamBounded(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(5, 1))
	in := genWinRows(rng, 600)
	for i := range in {
		in[i][cO] = int64(rng.IntN(300)) // peer groups of a few rows
		in[i] = append(in[i], strings.Repeat("x", 2000+i%50))
	}
	slices.SortStableFunc(in, func(a, b []any) int {
		if c := cmpKey(a[cP], b[cP], false, true); c != 0 {
			return c
		}
		return cmpKey(a[cO], b[cO], false, true)
	})
	schema := arrow.NewSchema(append(slices.Clone(winSchema.Fields()), arrow.Field{Name: "pad", Type: arrow.BinaryTypes.String}), nil)
	es := streamExprs()
	fields := slices.Clone(schema.Fields())
	for _, e := range es {
		fields = append(fields, arrow.Field{Name: e.Name, Type: oracleType(e), Nullable: true})
	}
	node := &plan.PWindow{PartitionBy: []string{"p"}, OrderBy: []plan.SortKey{{Column: "o", NullsFirst: true}}, Exprs: es, OutSchema: arrow.NewSchema(fields, nil)}
	want := oracle(in, node, false)
	var batches []arrow.RecordBatch
	for lo := 0; lo < len(in); lo += 7 {
		batches = append(batches, exectest.BuildBatch(t, mem, schema, in[lo:min(lo+7, len(in))]))
	}
	res := &exectest.LimitReservation{Limit: 96 << 10}
	op := NewWindow(&exectest.Source{Batches: batches}, node, colop.Options{Mem: mem, BatchRows: 16}.WithReservation(res))
	out, err := exectest.Drain(t, op)
	if err != nil {
		op.Close()
		t.Fatal(err)
	}
	got := exectest.RowsOf(t, out)
	op.Close()
	if !op.stream.on || op.SpillCount() != 0 {
		t.Fatalf("streams = %v, spills = %d", op.stream.on, op.SpillCount())
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range got {
		for c := range got[i] {
			if !exectest.SameValue(got[i][c], want[i][c]) {
				t.Fatalf("row %d column %s: got %v, want %v", i, node.OutSchema.Field(c).Name, got[i][c], want[i][c])
			}
		}
	}
	if res.Held != 0 || res.Peak > res.Limit {
		t.Fatalf("reservation holds %d after Close, peak %d of %d", res.Held, res.Peak, res.Limit)
	}
	t.Logf("%d input bytes of rows; reservation peak %d of %d", len(in)*2000, res.Peak, res.Limit)
}

// TestWindowStreamCancel: cancelling the context while the window streams ends it with
// context.Canceled, and Close leaves no reservation and no buffer (the context included).
func TestWindowStreamCancel(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	in := genWinRows(rand.New(rand.NewPCG(3, 5)), 300)
	slices.SortStableFunc(in, func(a, b []any) int {
		if c := cmpKey(a[cP], b[cP], false, true); c != 0 {
			return c
		}
		return cmpKey(a[cO], b[cO], false, true)
	})
	es := streamExprs()
	fields := slices.Clone(winSchema.Fields())
	for _, e := range es {
		fields = append(fields, arrow.Field{Name: e.Name, Type: oracleType(e), Nullable: true})
	}
	node := &plan.PWindow{PartitionBy: []string{"p"}, OrderBy: []plan.SortKey{{Column: "o", NullsFirst: true}}, Exprs: es, OutSchema: arrow.NewSchema(fields, nil)}
	var batches []arrow.RecordBatch
	for lo := 0; lo < len(in); lo += 10 {
		batches = append(batches, exectest.BuildBatch(t, mem, winSchema, in[lo:min(lo+10, len(in))]))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := &exectest.LimitReservation{Limit: 1 << 20}
	src := &exectest.Source{Batches: batches, At: 12, Hook: cancel}
	op := NewWindow(src, node, colop.Options{Mem: mem, BatchRows: 16}.WithReservation(res))
	if err := op.Open(ctx); err != nil {
		t.Fatal(err)
	}
	var err error
	emitted := 0
	for err == nil {
		var rec arrow.RecordBatch
		rec, err = op.Next()
		if rec != nil {
			emitted += int(rec.NumRows())
			rec.Release()
		}
	}
	if !errors.Is(err, context.Canceled) || emitted == 0 {
		t.Fatalf("err = %v after %d rows, want context.Canceled after some rows", err, emitted)
	}
	op.Close()
	if res.Held != 0 || op.stream.ctx != nil {
		t.Fatalf("reservation holds %d after Close", res.Held)
	}
}
