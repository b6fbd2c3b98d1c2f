package dataset

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/memtest"
)

// A job that uses one aggregate twice (a self-join of per-key sums) runs the aggregate's
// map stage once and reads its shuffle from both sides; the answer is the plain
// computation's, NULL keys (grouped, never joined) and all, with a tight memory budget
// too (the join and aggregate spill while the shared shuffle is kept for both reads).
func TestReusedExchangeSelfJoin(t *testing.T) {
	for _, limit := range []int64{0, 256 << 10} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			mem := memtest.Checked()
			s := checkedSession(t, mem, Config{SpillDir: t.TempDir(), Parallelism: 2, MemoryLimit: limit,
				BroadcastThreshold: -1, BatchRows: 512, ShufflePartitions: 4})
			schema := arrow.NewSchema([]arrow.Field{
				{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
				{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
			parts := make([][]arrow.RecordBatch, 3)
			want := map[int64]int64{}
			rows := 0
			for p := range parts {
				b := array.NewRecordBuilder(mem, schema)
				for i := range 4000 {
					k, v := int64((i*7+p)%1500), int64(i%50)
					if i%11 == 0 {
						b.Field(0).AppendNull()
					} else {
						b.Field(0).(*array.Int64Builder).Append(k)
						if v > 10 {
							want[k] += v
						}
					}
					b.Field(1).(*array.Int64Builder).Append(v)
					rows++
				}
				parts[p] = append(parts[p], b.NewRecordBatch())
				b.Release()
			}
			per := s.FromPartitions(schema, parts...).Filter(Col("v").Gt(Lit(int64(10)))).
				GroupBy("k").Agg(Sum("v").As("sv"))
			for _, p := range parts {
				releaseAll(p)
			}
			other := per.Select(Col("k").As("k2"), Col("sv").As("sv2"))
			d := per.Join(other, OnKeys([]string{"k"}, []string{"k2"}), Inner)
			if ex := d.Explain(); !strings.Contains(ex, "ReusedExchange") || !strings.Contains(ex, "(reused)") {
				t.Errorf("explain shows no reuse:\n%s", ex)
			}
			got := map[int64]int64{}
			for _, row := range collectRowsWith(t, d, nil) {
				k, sv, k2, sv2 := row[0].(int64), row[1].(int64), row[2].(int64), row[3].(int64)
				if k != k2 || sv != sv2 {
					t.Fatalf("row %v", row)
				}
				got[k] = sv
			}
			if len(got) != len(want) {
				t.Fatalf("%d keys, want %d", len(got), len(want))
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("k=%d: %d, want %d", k, got[k], v)
				}
			}
			scans := 0
			for _, st := range s.LastJob().Stages {
				if st.Totals().RowsIn == int64(rows) {
					scans++
				}
			}
			if scans != 1 {
				t.Errorf("the source was read by %d stages, want 1:\n%s", scans, s.LastJob())
			}
		})
	}
}
