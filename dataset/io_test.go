package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	kmemory "github.com/kindling-data/kindling/memory"
)

func TestParquetRoundTripAndPushdown(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{})
	dir := filepath.Join(t.TempDir(), "table")
	// Repartition by g so that row groups (one per part file) have narrow g ranges.
	if err := f.ds.Repartition(4, "g").WriteParquet(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "_SUCCESS")); err != nil {
		t.Fatalf("no _SUCCESS marker: %v", err)
	}
	back := f.s.ReadParquet(dir)
	var want [][]any
	for _, r := range f.rows {
		want = append(want, []any{val(r.k), val(r.g), val(r.x), val(r.y), val(r.s)})
	}
	assertSameRows(t, collectRows(t, back), want)

	filtered := back.Filter(Col("g").Eq(Lit(2)))
	if ex := filtered.Explain(); !strings.Contains(ex, "pushed=[(g = 2)]") {
		t.Fatalf("filter not pushed into the Parquet scan:\n%s", ex)
	}
	want = want[:0]
	for _, r := range f.rows {
		if r.g != nil && *r.g == 2 {
			want = append(want, []any{val(r.k), val(r.g), val(r.x), val(r.y), val(r.s)})
		}
	}
	assertSameRows(t, collectRows(t, filtered), want)
	if pruned := f.s.LastJob().Stages[0].Totals().RowGroupsPruned; pruned == 0 {
		t.Fatalf("no row group pruned by g = 2 over files partitioned by g")
	}
	// Writing again without Overwrite fails and keeps the old output.
	if err := f.ds.WriteParquet(t.Context(), dir); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second write: %v, want an 'exists' error", err)
	}
	if err := f.ds.Limit(3).WriteParquet(t.Context(), dir, Overwrite()); err != nil {
		t.Fatal(err)
	}
	if n, err := f.s.ReadParquet(dir).Count(t.Context()); err != nil || n != 3 {
		t.Fatalf("after overwrite: %d rows, %v; want 3", n, err)
	}
}

func TestCSVRoundTripAndSplits(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{MaxPartitionBytes: 4 << 10})
	dir := filepath.Join(t.TempDir(), "csv")
	if err := f.ds.Coalesce(1).WriteCSV(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	// The CSV written by one task is one file; reading it back with 4 KiB partitions splits it.
	schema := testSchema
	back := f.s.ReadCSVWith(CSVOptions{Schema: schema}, dir)
	recs, err := back.Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := toRows(t, recs)
	releaseAll(recs)
	if tasks := len(f.s.LastJob().Stages[0].Tasks); tasks < 3 {
		t.Fatalf("a %d-row CSV file read with 4 KiB partitions ran %d tasks, want several", len(f.rows), tasks)
	}
	var want [][]any
	for _, r := range f.rows {
		// CSV has no NULL string distinct from the empty string: both read back as NULL.
		k, s := val(r.k), val(r.s)
		if s == "" {
			s = nil
		}
		want = append(want, []any{k, val(r.g), val(r.x), val(r.y), s})
	}
	assertSameRows(t, got, want)
}

func TestFailedWriteLeavesNoOutput(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{MaxTaskAttempts: 1})
	dir := filepath.Join(t.TempDir(), "out")
	bad := f.ds.Filter(Col("x").Gt(Lit(0))).MapBatches("fail", nil, func(_ context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
		return nil, fmt.Errorf("disk on fire")
	})
	if err := bad.WriteParquet(t.Context(), dir); err == nil {
		t.Fatal("failing job wrote successfully")
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 0 {
		t.Fatalf("a failed write left %v behind", entries)
	}
}

func TestMemoryBudgetError(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	// A group-by of 300 000 distinct keys spills its way through a 1 MiB budget; one whose
	// single rows are larger than the budget cannot (its minimum working set, one row's
	// group, does not fit): that job fails with an error naming the budget and the
	// request, not an out-of-memory crash.
	f := newFixture(t, []int{1}, Config{MemoryLimit: 1 << 20, MaxTaskAttempts: 1, SpillDir: t.TempDir()})
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	big := f.ds.MapBatches("explode", schema, func(_ context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		return int64Batch(mem, schema, 300_000), nil
	})
	n, err := big.GroupBy("id").Count().Count(t.Context())
	if err != nil || n != 300_000 {
		t.Fatalf("300 000 keys under 1 MiB: %d groups, %v", n, err)
	}
	if spills := f.s.LastJob().Totals().SpillCount; spills == 0 {
		t.Errorf("300 000 keys under 1 MiB without a spill")
	}

	wide := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}}, nil)
	huge := f.ds.MapBatches("huge", wide, func(_ context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		b := array.NewStringBuilder(mem)
		defer b.Release()
		for i := range 3 {
			b.Append(strings.Repeat(string(rune('a'+i)), 3<<19)) // 1.5 MiB each
		}
		col := b.NewArray()
		defer col.Release()
		return array.NewRecordBatch(wide, []arrow.Array{col}, 3), nil
	})
	_, err = huge.GroupBy("id").Count().Collect(t.Context())
	if !errors.Is(err, kmemory.ErrBudgetExceeded) {
		t.Fatalf("err = %v, want ErrBudgetExceeded", err)
	}
	t.Logf("budget error: %v", err)
	for _, w := range []string{"hash-aggregate", "budget", "1.0 MiB"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

// int64Batch makes a batch of n distinct int64 values 0..n-1.
func int64Batch(mem memory.Allocator, schema *arrow.Schema, n int) arrow.RecordBatch {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		b.UnsafeAppend(int64(i))
	}
	col := b.NewArray()
	defer col.Release()
	return array.NewRecordBatch(schema, []arrow.Array{col}, int64(n))
}

func TestGroupByMostlyUniqueKeys(t *testing.T) {
	// 300k rows, 250k distinct keys: partial aggregation reduces little, so it switches to
	// flushing batch-sized tables (the probe); the final result must not change.
	f := newFixture(t, []int{1}, Config{ShufflePartitions: 3, BatchRows: 4096})
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var parts []arrow.RecordBatch
	for p := 0; p < 3; p++ {
		b := array.NewInt64Builder(f.mem)
		for i := 0; i < 100_000; i++ {
			b.Append(int64((p*100_000 + i) % 250_000))
		}
		col := b.NewArray()
		parts = append(parts, array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len())))
		col.Release()
		b.Release()
	}
	d := f.s.FromRecords(parts...)
	releaseAll(parts)
	got := collectRows(t, d.GroupBy("id").Agg(Count().As("n"), Sum("id").As("s")))
	if len(got) != 250_000 {
		t.Fatalf("%d groups, want 250000", len(got))
	}
	for _, row := range got {
		k, n, sum := row[0].(int64), row[1].(int64), row[2].(int64)
		want := int64(1)
		if k < 50_000 {
			want = 2
		}
		if n != want || sum != k*want {
			t.Fatalf("group %d: count %d sum %d, want %d and %d", k, n, sum, want, k*want)
		}
	}
}
