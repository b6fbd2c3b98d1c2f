package dataset

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/internal/memtest"
)

// writeBigParquet writes groups row groups of rows of ten incompressible int64s (80 bytes
// a row, so that a file large enough to split per core fits the writer's row group
// bound). It returns the sum of x, the first column.
func writeBigParquet(t *testing.T, mem memory.Allocator, path string, groups, rows int) int64 {
	t.Helper()
	fields := []arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}
	for i := 1; i < 10; i++ {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("y%d", i), Type: arrow.PrimitiveTypes.Int64})
	}
	schema := arrow.NewSchema(fields, nil)
	w, err := datasource.NewParquetFileWriter(path, schema, mem)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, uint64(groups)))
	var sum int64
	for g := range groups {
		if g > 0 {
			if err := w.FlushRowGroup(); err != nil {
				t.Fatal(err)
			}
		}
		cols := make([]arrow.Array, len(fields))
		for c := range cols {
			vals := make([]int64, rows)
			for i := range vals {
				vals[i] = int64(rng.Uint64()>>8) - 1<<54
				if c == 0 {
					sum += vals[i]
				}
			}
			b := array.NewInt64Builder(mem)
			b.AppendValues(vals, nil)
			cols[c] = b.NewArray()
			b.Release()
		}
		rec := array.NewRecordBatch(schema, cols, int64(rows))
		for _, c := range cols {
			c.Release()
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestReadParquetPartitionsPerCore: a ~20 MB file is read in as many partitions as cores
// when it has row groups enough, and Explain says why when it has not; every row is read
// once, without leaks.
func TestReadParquetPartitionsPerCore(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 60 MB of Parquet")
	}
	dir := t.TempDir()
	const total = 252_000 // rows of each file: 20 MB, within one row group of the writer
	wmem := memtest.Checked()
	sums := map[int]int64{}
	for _, groups := range []int{1, 2, 7} {
		sums[groups] = writeBigParquet(t, wmem, filepath.Join(dir, fmt.Sprintf("g%d.parquet", groups)), groups, total/groups)
	}
	wmem.AssertSize(t, 0)
	for _, tc := range []struct {
		groups, cores, partitions int
		note                      string
	}{
		{1, 2, 1, "1 row group, fewer than the 2 cores"},
		{1, 4, 1, "1 row group, fewer than the 4 cores"},
		{2, 2, 2, ""},
		{2, 4, 2, "2 row groups, fewer than the 4 cores"},
		{7, 2, 2, ""},
		{7, 4, 4, ""},
	} {
		t.Run(fmt.Sprintf("%d-row-groups-%d-cores", tc.groups, tc.cores), func(t *testing.T) {
			mem := memtest.Checked()
			s := checkedSession(t, mem, Config{Parallelism: tc.cores})
			d := s.ReadParquet(filepath.Join(dir, fmt.Sprintf("g%d.parquet", tc.groups)))
			ex := d.Explain()
			if !strings.Contains(ex, fmt.Sprintf("partitions=%d", tc.partitions)) {
				t.Fatalf("want %d partitions:\n%s", tc.partitions, ex)
			}
			if tc.note != "" && !strings.Contains(ex, tc.note) || tc.note == "" && strings.Contains(ex, "fewer than") {
				t.Fatalf("note %q:\n%s", tc.note, ex)
			}
			rows := collectRows(t, d.GroupBy().Agg(Sum("x").As("s"), Count().As("n")))
			if len(rows) != 1 || rows[0][0] != sums[tc.groups] || rows[0][1] != int64(tc.groups*(total/tc.groups)) {
				t.Fatalf("got %v, want sum %d", rows, sums[tc.groups])
			}
		})
	}
}
