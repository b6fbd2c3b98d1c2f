package dataset

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/util"

	"github.com/kindling-data/kindling/internal/memtest"
)

// TestGroupBySpillCountFollowsInput: at a tight budget (512 KiB, two tasks at once) the
// hash aggregates spill about as often as their input exceeds the budget. A group-by of
// 1,200 rows on two string and two integer keys used to spill 243 times: every string
// key column reserved a 64 KiB arena page per batch, so each 30-row batch found the
// table over its task's share.
func TestGroupBySpillCountFollowsInput(t *testing.T) {
	const budget = 512 << 10
	for _, tc := range []struct {
		rows      int
		maxSpills int64
	}{
		{1200, 0},   // the input is an eighth of the budget: nothing spills
		{20000, 60}, // twice the budget (the estimated state about ten times it)
	} {
		t.Run(fmt.Sprint(tc.rows), func(t *testing.T) {
			mem := memtest.Checked()
			s := checkedSession(t, mem, Config{SpillDir: t.TempDir(), Parallelism: 2, MemoryLimit: budget,
				BroadcastThreshold: -1, BatchRows: 1024, ShufflePartitions: 4})
			schema := arrow.NewSchema([]arrow.Field{
				{Name: "brand", Type: arrow.BinaryTypes.String}, {Name: "typ", Type: arrow.BinaryTypes.String},
				{Name: "size", Type: arrow.PrimitiveTypes.Int64}, {Name: "supp", Type: arrow.PrimitiveTypes.Int64}}, nil)
			b := array.NewRecordBuilder(mem, schema)
			parts := make([][]arrow.RecordBatch, 4)
			var inBytes int64
			want := map[string]int64{}
			for i := 0; i < tc.rows; i++ {
				if i > 0 && i%30 == 0 {
					r := b.NewRecordBatch()
					inBytes += int64(util.TotalRecordSize(r))
					parts[(i/30)%4] = append(parts[(i/30)%4], r)
				}
				brand, typ := fmt.Sprintf("Brand#%d", i%50), fmt.Sprintf("PROMO BRUSHED STEEL %d", i%150)
				size, supp := int64(i%8), int64(i%7919)
				b.Field(0).(*array.StringBuilder).Append(brand)
				b.Field(1).(*array.StringBuilder).Append(typ)
				b.Field(2).(*array.Int64Builder).Append(size)
				b.Field(3).(*array.Int64Builder).Append(supp)
				want[fmt.Sprint(brand, "|", typ, "|", size, "|", supp)]++
			}
			parts[0] = append(parts[0], b.NewRecordBatch())
			b.Release()
			d := s.FromPartitions(schema, parts...).GroupBy("brand", "typ", "size", "supp").Agg(Count().As("n"))
			for _, p := range parts {
				releaseAll(p)
			}
			recs, err := d.Collect(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer releaseAll(recs)
			got := map[string]int64{}
			for _, r := range recs {
				for i := 0; i < int(r.NumRows()); i++ {
					k := fmt.Sprint(r.Column(0).(*array.String).Value(i), "|", r.Column(1).(*array.String).Value(i), "|",
						r.Column(2).(*array.Int64).Value(i), "|", r.Column(3).(*array.Int64).Value(i))
					got[k] += r.Column(4).(*array.Int64).Value(i)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d groups, want %d", len(got), len(want))
			}
			for k, n := range want {
				if got[k] != n {
					t.Fatalf("group %s: count %d, want %d", k, got[k], n)
				}
			}
			job := s.LastJob()
			spills := job.Totals().SpillCount
			t.Logf("%d rows (%d bytes) at a budget of %d: %d spills, %d bytes spilled, peak execution %d",
				tc.rows, inBytes, budget, spills, job.Totals().SpilledBytes, job.Memory.PeakExecution)
			if spills > tc.maxSpills {
				t.Errorf("%d spills for %d rows (%d bytes) at a budget of %d, want at most %d",
					spills, tc.rows, inBytes, budget, tc.maxSpills)
			}
		})
	}
}
