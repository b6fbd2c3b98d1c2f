package datasource_test

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/internal/memtest"
)

// TestParquetDecimalRoundTrip writes a decimal(12,2) column with kindling's Parquet
// writer, reads it back as decimal128 with the same values (NULLs, negatives and the
// largest value included), and filters it through a dataset on a decimal comparison.
func TestParquetDecimalRoundTrip(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dt := &arrow.Decimal128Type{Precision: 12, Scale: 2}
	schema := arrow.NewSchema([]arrow.Field{{Name: "price", Type: dt, Nullable: true}}, nil)
	cents := []int64{1999, -250, 0, 999_999_999_999, -999_999_999_999, 1000, 1001, 5}
	valid := []bool{true, true, true, true, true, false, true, true}
	b := array.NewDecimal128Builder(mem, dt)
	for i, c := range cents {
		if valid[i] {
			b.Append(decimal128.FromI64(c))
		} else {
			b.AppendNull()
		}
	}
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(len(cents)))
	col.Release()
	defer rec.Release()

	path := filepath.Join(t.TempDir(), "prices.parquet")
	w, err := datasource.NewParquetFileWriter(path, schema, mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	got, err := datasource.ParquetSchema(path)
	if err != nil {
		t.Fatal(err)
	}
	if !arrow.TypeEqual(got.Field(0).Type, dt) {
		t.Fatalf("read back as %v, want %v", got.Field(0).Type, dt)
	}
	splits, err := datasource.PlanParquetSplits([]string{path}, 1<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	var read []decimal128.Num
	var readValid []bool
	for _, sp := range splits {
		r, err := datasource.OpenParquet(context.Background(), sp, nil, 1024, nil, mem)
		if err != nil {
			t.Fatal(err)
		}
		for {
			batch, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			c := batch.Column(0).(*array.Decimal128)
			for i := 0; i < c.Len(); i++ {
				read = append(read, c.Value(i))
				readValid = append(readValid, c.IsValid(i))
			}
			batch.Release()
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(read) != len(cents) {
		t.Fatalf("read %d rows, want %d", len(read), len(cents))
	}
	for i := range cents {
		if readValid[i] != valid[i] || (valid[i] && read[i] != decimal128.FromI64(cents[i])) {
			t.Errorf("row %d: %v (valid %v), want %d (valid %v)", i, read[i], readValid[i], cents[i], valid[i])
		}
	}

	s, err := dataset.NewSession(dataset.Config{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.ReadParquet(path).Filter(dataset.Col("price").Gt(dataset.LitDecimal("10.00"))).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, r := range recs {
		if !arrow.TypeEqual(r.Column(0).DataType(), dt) {
			t.Errorf("filtered column is %v, want %v", r.Column(0).DataType(), dt)
		}
		c := r.Column(0).(*array.Decimal128)
		for i := 0; i < c.Len(); i++ {
			kept = append(kept, c.Value(i).ToString(2))
		}
		r.Release()
	}
	slices.Sort(kept)
	want := []string{"10.01", "19.99", "9999999999.99"}
	if !slices.Equal(kept, want) {
		t.Errorf("price > 10.00 kept %v, want %v", kept, want)
	}
}
