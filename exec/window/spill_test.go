package window

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
)

// TestWindowSpill runs every function over partitions far larger than the budget: their
// rows (with a wide column no function reads) go to spill files, only the key and argument
// columns are held, and the result equals the plain-Go oracle row for row. The
// reservation never exceeds its limit, and nothing is left held or on disk.
func TestWindowSpill(t *testing.T) {
	for _, desc := range []bool{false, true} {
		t.Run(fmt.Sprintf("desc=%v", desc), func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			rng := rand.New(rand.NewPCG(9, uint64(btoi(desc))))
			in := genWinRows(rng, 400)
			for i := range in {
				in[i] = append(in[i], strings.Repeat("x", 2000+i%50))
			}
			slices.SortStableFunc(in, func(a, b []any) int {
				if c := cmpKey(a[cP], b[cP], false, true); c != 0 {
					return c
				}
				return cmpKey(a[cO], b[cO], desc, !desc)
			})
			schema := arrow.NewSchema(append(slices.Clone(winSchema.Fields()), arrow.Field{Name: "pad", Type: arrow.BinaryTypes.String}), nil)
			node := winNode(desc)
			fields := slices.Clone(schema.Fields())
			node.OutSchema = arrow.NewSchema(append(fields, node.OutSchema.Fields()[len(winSchema.Fields()):]...), nil)
			want := oracle(in, node, desc)
			var batches []arrow.RecordBatch
			for lo := 0; lo < len(in); lo += 7 {
				batches = append(batches, exectest.BuildBatch(t, mem, schema, in[lo:min(lo+7, len(in))]))
			}
			res := &exectest.LimitReservation{Limit: 96 << 10}
			sm := exectest.NewTestSpill(t)
			op := NewWindow(&exectest.Source{Batches: batches}, node, colop.Options{Mem: mem, Spill: sm, BatchRows: 16}.WithReservation(res))
			out, err := exectest.Drain(t, op)
			if err != nil {
				op.Close()
				t.Fatal(err)
			}
			got := exectest.RowsOf(t, out)
			op.Close()
			if op.SpillCount() == 0 || op.SpilledBytes() == 0 {
				t.Fatal("nothing spilled")
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
			if left, _ := os.ReadDir(sm.Dir()); len(left) != 0 {
				t.Fatalf("spill files left: %v", left)
			}
			t.Logf("spilled %d partitions, %d bytes; peak %d of %d", op.SpillCount(), op.SpilledBytes(), res.Peak, res.Limit)
		})
	}
}

// TestWindowSpillCloseAndCancel: closing the operator while a spilled partition is read
// back, or cancelling its context, leaves no spill file, no reservation and no buffer.
func TestWindowSpillCloseAndCancel(t *testing.T) {
	for _, mode := range []string{"close", "cancel"} {
		t.Run(mode, func(t *testing.T) {
			mem := memtest.Checked()
			defer mem.AssertSize(t, 0)
			in := genWinRows(rand.New(rand.NewPCG(3, 4)), 300)
			for i := range in {
				in[i] = append(in[i], strings.Repeat("y", 2000))
			}
			slices.SortStableFunc(in, func(a, b []any) int {
				if c := cmpKey(a[cP], b[cP], false, true); c != 0 {
					return c
				}
				return cmpKey(a[cO], b[cO], false, true)
			})
			schema := arrow.NewSchema(append(slices.Clone(winSchema.Fields()), arrow.Field{Name: "pad", Type: arrow.BinaryTypes.String}), nil)
			node := winNode(false)
			node.OutSchema = arrow.NewSchema(append(slices.Clone(schema.Fields()), node.OutSchema.Fields()[len(winSchema.Fields()):]...), nil)
			var batches []arrow.RecordBatch
			for lo := 0; lo < len(in); lo += 10 {
				batches = append(batches, exectest.BuildBatch(t, mem, schema, in[lo:min(lo+10, len(in))]))
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res := &exectest.LimitReservation{Limit: 96 << 10}
			sm := exectest.NewTestSpill(t)
			src := &exectest.Source{Batches: batches}
			if mode == "cancel" {
				src.At, src.Hook = 20, cancel
			}
			op := NewWindow(src, node, colop.Options{Mem: mem, Spill: sm, BatchRows: 16}.WithReservation(res))
			if err := op.Open(ctx); err != nil {
				t.Fatal(err)
			}
			var err error
			for err == nil {
				var rec arrow.RecordBatch
				rec, err = op.Next()
				if rec != nil {
					rec.Release()
				}
				if mode == "close" && op.SpillCount() > 0 && op.spilled.replay != nil {
					break
				}
			}
			if mode == "cancel" && !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if mode == "close" && err != nil {
				t.Fatalf("err = %v before any spill was read back", err)
			}
			op.Close()
			if res.Held != 0 {
				t.Fatalf("reservation holds %d after Close", res.Held)
			}
			if left, _ := os.ReadDir(sm.Dir()); len(left) != 0 {
				t.Fatalf("spill files left: %v", left)
			}
		})
	}
}
