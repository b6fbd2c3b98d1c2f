package datasource

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// writeRowGroups writes a Parquet file of groups row groups of rows random int64 each
// (incompressible, so that row groups are the same size), and returns the sum of x.
func writeRowGroups(t *testing.T, mem memory.Allocator, path string, groups, rows int) int64 {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	w, err := NewParquetFileWriter(path, schema, mem)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(groups), uint64(rows)))
	var sum int64
	for g := range groups {
		if g > 0 {
			if err := w.FlushRowGroup(); err != nil {
				t.Fatal(err)
			}
		}
		b := array.NewInt64Builder(mem)
		for range rows {
			v := int64(rng.Uint64() >> 1)
			sum += v
			b.Append(v)
		}
		col := b.NewArray()
		b.Release()
		rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(rows))
		col.Release()
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

// TestParquetSplitsBalanced: the row groups of files with 1, 2 and 7 row groups are
// dealt into as many splits as cores when there are enough row groups (never more than
// the fair share in one split), every row group read once, in order.
func TestParquetSplitsBalanced(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	for _, tc := range []struct {
		groups, cores, splits int
	}{
		{1, 2, 1}, {1, 4, 1},
		{2, 2, 2}, {2, 4, 2},
		{7, 2, 2}, {7, 4, 4},
	} {
		t.Run(fmt.Sprintf("%d-row-groups-%d-cores", tc.groups, tc.cores), func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("g%d.parquet", tc.groups))
			if _, err := os.Stat(path); err != nil {
				writeRowGroups(t, mem, path, tc.groups, 1000)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			// The size bound as MaxSplitBytes makes it for a file large enough to split
			// per core (the test's files are small, so the bound is passed directly).
			whole, err := planParquetSplits([]string{path}, []int64{st.Size()}, 1<<40)
			if err != nil || len(whole) != 1 {
				t.Fatalf("one split: %v, %v", whole, err)
			}
			maxSplit := (whole[0].Bytes() + int64(tc.cores) - 1) / int64(tc.cores)
			splits, err := planParquetSplits([]string{path}, []int64{st.Size()}, maxSplit)
			if err != nil {
				t.Fatal(err)
			}
			if len(splits) != tc.splits {
				t.Fatalf("%d splits, want %d: %v", len(splits), tc.splits, splits)
			}
			var rgs []int
			fair := (tc.groups + tc.cores - 1) / tc.cores
			for _, sp := range splits {
				if len(sp.RowGroups) > fair {
					t.Errorf("split %v has %d row groups, more than the fair %d", sp, len(sp.RowGroups), fair)
				}
				rgs = append(rgs, sp.RowGroups...)
			}
			if want := seq(tc.groups); !slices.Equal(rgs, want) {
				t.Fatalf("row groups %v, want %v", rgs, want)
			}
		})
	}
}

// TestParquetSplitsReadEveryRow: reading the balanced splits returns every row once.
func TestParquetSplitsReadEveryRow(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	path := filepath.Join(t.TempDir(), "g7.parquet")
	want := writeRowGroups(t, mem, path, 7, 500)
	st, _ := os.Stat(path)
	splits, err := planParquetSplits([]string{path}, []int64{st.Size()}, st.Size()/3)
	if err != nil {
		t.Fatal(err)
	}
	var sum, n int64
	for _, sp := range splits {
		r, err := OpenParquet(context.Background(), sp, nil, 128, nil, mem)
		if err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := r.Next()
			if err != nil {
				break
			}
			for _, v := range rec.Column(0).(*array.Int64).Int64Values() {
				sum += v
			}
			n += rec.NumRows()
			rec.Release()
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n != 7*500 || sum != want {
		t.Fatalf("%d rows, sum %d; want %d rows, sum %d", n, sum, 7*500, want)
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// TestParquetWriterRowGroupRows: the writer closes a row group at DefaultRowGroupRows, so
// that a large output has row groups enough for every core to read a share.
func TestParquetWriterRowGroupRows(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	path := filepath.Join(t.TempDir(), "big.parquet")
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	w, err := NewParquetFileWriter(path, schema, mem)
	if err != nil {
		t.Fatal(err)
	}
	const rows, batch = 2*DefaultRowGroupRows + 1000, 1 << 16
	for start := 0; start < rows; start += batch {
		n := min(batch, rows-start)
		b := array.NewInt64Builder(mem)
		for i := range n {
			b.Append(int64(start + i))
		}
		col := b.NewArray()
		b.Release()
		rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(n))
		col.Release()
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	splits, err := planParquetSplits([]string{path}, []int64{st.Size()}, 1) // one per row group
	if err != nil {
		t.Fatal(err)
	}
	if len(splits) != 3 {
		t.Fatalf("%d row groups, want 3 (%d rows at %d a row group)", len(splits), rows, DefaultRowGroupRows)
	}
}
