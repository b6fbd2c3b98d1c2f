package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// scanAll opens every partition and renders each row as "v1|v2|...".
func scanAll(t *testing.T, src plan.Source, req plan.ScanRequest, mem memory.Allocator) ([]string, *arrow.Schema) {
	t.Helper()
	parts, err := src.Partitions(req)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	var schema *arrow.Schema
	for _, p := range parts {
		it, err := p.Open(context.Background(), mem)
		if err != nil {
			t.Fatal(err)
		}
		for {
			b, err := it.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.BatchRows > 0 && b.NumRows() > int64(req.BatchRows) {
				t.Fatalf("%s: batch of %d rows, BatchRows %d", p, b.NumRows(), req.BatchRows)
			}
			schema = b.Schema()
			for r := 0; r < int(b.NumRows()); r++ {
				parts := make([]string, b.NumCols())
				for c := range parts {
					parts[c] = strings.Clone(b.Column(c).ValueStr(r)) // outlives the batch
				}
				rows = append(rows, strings.Join(parts, "|"))
			}
			b.Release()
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if err := it.Close(); err != nil { // idempotent
			t.Fatal(err)
		}
	}
	return rows, schema
}

func TestSourcesAreLazy(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope", "*.csv")
	for _, src := range []plan.Source{
		NewCSVSource([]string{missing}, datasource.CSVOptions{}),
		NewParquetSource([]string{missing}),
		NewIPCSource([]string{missing}),
	} {
		if _, err := src.Schema(); err == nil || !strings.Contains(err.Error(), "no files match") {
			t.Errorf("%s: Schema error %v", src, err)
		}
		if _, err := src.Partitions(plan.ScanRequest{}); err == nil {
			t.Errorf("%s: Partitions gave no error", src)
		}
	}
	if got := NewCSVSource([]string{"orders/*.csv"}, datasource.CSVOptions{}).String(); got != "csv[orders/*.csv]" {
		t.Errorf("String() = %q", got)
	}
}

func TestCSVSource(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	var want []string
	for f := range 3 {
		var sb strings.Builder
		sb.WriteString("id,name,amount\n")
		for i := range 50 {
			id := f*100 + i
			amount := fmt.Sprintf("%d.5", i)
			if i == 0 {
				amount = "1" // first value an int: inference must still say float64
			}
			fmt.Fprintf(&sb, "%d,n%d,%s\n", id, id%4, amount)
			want = append(want, fmt.Sprintf("%s|%d", amount, id))
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d.csv", f)), []byte(sb.String()), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "_SUCCESS"), nil, 0o644)
	src := NewCSVSource([]string{dir}, datasource.CSVOptions{DictionaryColumns: []string{"name"}})
	s, err := src.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if s.Field(2).Type.ID() != arrow.FLOAT64 || s.Field(1).Type.ID() != arrow.DICTIONARY {
		t.Fatal(s)
	}
	rows, got := scanAll(t, src, plan.ScanRequest{Columns: []string{"amount", "id"}, BatchRows: 16, MinPartitions: 4}, mem)
	if !slices.Equal(rows, want) {
		t.Fatalf("rows %q", rows[:5])
	}
	if got.Field(0).Name != "amount" || got.Field(1).Name != "id" {
		t.Fatal(got)
	}
	if _, err := src.Partitions(plan.ScanRequest{Columns: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `unknown column "nope"`) {
		t.Fatalf("unknown column: %v", err)
	}

	// A file with other columns is an error naming it.
	bad := filepath.Join(dir, "part-9.csv")
	os.WriteFile(bad, []byte("id,title,amount\n1,x,2\n"), 0o644)
	_, err = NewCSVSource([]string{filepath.Join(dir, "*.csv")}, datasource.CSVOptions{}).Schema()
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("header mismatch: %v", err)
	}
}

func TestParquetSourcePruning(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	path := filepath.Join(dir, "a.parquet")
	w, err := datasource.NewParquetFileWriter(path, schema, mem)
	if err != nil {
		t.Fatal(err)
	}
	for rg := range 4 {
		if rg > 0 {
			w.FlushRowGroup()
		}
		b := array.NewRecordBuilder(mem, schema)
		for i := rg * 100; i < rg*100+100; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("t%d", rg))
		}
		rec := b.NewRecordBatch()
		b.Release()
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	src := NewParquetSource([]string{path})
	if !src.CanPrune() {
		t.Fatal("parquet cannot prune")
	}
	id := &plan.ColumnRef{Name: "id"}
	lit := func(v int64) *plan.Literal { return &plan.Literal{Value: v, Type: arrow.PrimitiveTypes.Int64} }
	filters := []plan.Expr{
		&plan.Binary{Op: plan.OpAnd,
			Left:  &plan.Binary{Op: plan.OpGtEq, Left: id, Right: lit(150)},
			Right: &plan.Binary{Op: plan.OpGt, Left: lit(250), Right: id}}, // 250 > id → id < 250
		&plan.Unary{Op: plan.OpIsNotNull, Child: id},
		&plan.Binary{Op: plan.OpAdd, Left: id, Right: lit(1)}, // ignored
	}
	preds := ParquetPredicates(filters)
	wantPreds := []datasource.Predicate{{Column: "id", Op: ">=", Value: int64(150)}, {Column: "id", Op: "<", Value: int64(250)}, {Column: "id", Op: "is_not_null"}}
	if fmt.Sprint(preds) != fmt.Sprint(wantPreds) {
		t.Fatalf("predicates %v", preds)
	}
	rows, _ := scanAll(t, src, plan.ScanRequest{Filters: filters, BatchRows: 64}, mem)
	// Row groups 1 (100..199) and 2 (200..299) survive.
	if len(rows) != 200 || rows[0] != "100|t1" || rows[199] != "299|t2" {
		t.Fatalf("%d rows, first %q", len(rows), rows[:1])
	}
	rows, _ = scanAll(t, src, plan.ScanRequest{Columns: []string{"tag"}}, mem)
	if len(rows) != 400 || rows[399] != "t3" {
		t.Fatalf("%d rows", len(rows))
	}
}

func TestIPCSource(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}, {Name: "y", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var want []string
	for f := range 2 {
		w, err := datasource.NewIPCFileWriter(filepath.Join(dir, fmt.Sprintf("f%d.arrow", f)), schema, mem)
		if err != nil {
			t.Fatal(err)
		}
		b := array.NewRecordBuilder(mem, schema)
		for i := range 25 {
			b.Field(0).(*array.Int64Builder).Append(int64(f*1000 + i))
			b.Field(1).(*array.Int64Builder).Append(int64(i * i))
			want = append(want, fmt.Sprint(i*i))
		}
		rec := b.NewRecordBatch()
		b.Release()
		w.Write(rec)
		rec.Release()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	rows, s := scanAll(t, NewIPCSource([]string{filepath.Join(dir, "*.arrow")}), plan.ScanRequest{Columns: []string{"y"}, BatchRows: 10}, mem)
	if !slices.Equal(rows, want) || s.NumFields() != 1 {
		t.Fatalf("rows %q", rows)
	}
}

func makeBatches(mem memory.Allocator, schema *arrow.Schema, sizes ...int) ([]arrow.RecordBatch, []string) {
	var out []arrow.RecordBatch
	var rows []string
	next := 0
	for _, n := range sizes {
		b := array.NewRecordBuilder(mem, schema)
		for range n {
			b.Field(0).(*array.Int64Builder).Append(int64(next))
			if next%3 == 0 {
				b.Field(1).AppendNull()
				rows = append(rows, fmt.Sprintf("%d|(null)", next))
			} else {
				b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("s%d", next))
				rows = append(rows, fmt.Sprintf("%d|s%d", next, next))
			}
			next++
		}
		out = append(out, b.NewRecordBatch())
		b.Release()
	}
	return out, rows
}

var memSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func TestRecordsSource(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	p0, rows0 := makeBatches(mem, memSchema, 5, 0, 1)
	p1, rows1 := makeBatches(mem, memSchema, 23) // numbered from 0 again
	src := NewRecordsSource("t", memSchema, [][]arrow.RecordBatch{p0, p1})
	for _, b := range append(p0, p1...) {
		b.Release() // the source holds its own references
	}
	rows, _ := scanAll(t, src, plan.ScanRequest{BatchRows: 4}, mem)
	if !slices.Equal(rows, append(slices.Clone(rows0), rows1...)) {
		t.Fatalf("rows %q", rows)
	}
	rows, s := scanAll(t, src, plan.ScanRequest{Columns: []string{"s"}}, mem)
	if s.NumFields() != 1 || s.Field(0).Name != "s" || len(rows) != 29 || rows[1] != "s1" {
		t.Fatalf("projected %v %q", s, rows)
	}
	// An iterator opened before Release stays valid; closing early releases its batches.
	parts, err := src.Partitions(plan.ScanRequest{})
	if err != nil {
		t.Fatal(err)
	}
	it, err := parts[1].Open(context.Background(), mem)
	if err != nil {
		t.Fatal(err)
	}
	src.(*RecordsSource).Release()
	b, err := it.Next()
	if err != nil || b.NumRows() != 23 {
		t.Fatal(b, err)
	}
	b.Release()
	it.Close()
	if _, err := src.Partitions(plan.ScanRequest{}); err == nil {
		t.Fatal("partitions after release: no error")
	}
	src.(*RecordsSource).Release() // idempotent
}

func TestReaderSource(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	batches, want := makeBatches(mem, memSchema, 10, 10, 10, 10, 3)
	rdr, err := array.NewRecordReader(memSchema, batches)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		b.Release()
	}
	defer rdr.Release() // the caller keeps ownership of the reader
	src := NewReaderSource("r", rdr)
	s, err := src.Schema()
	if err != nil || !s.Equal(memSchema) {
		t.Fatal(s, err)
	}
	parts, err := src.Partitions(plan.ScanRequest{MinPartitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 3 {
		t.Fatalf("%d partitions, want >= 3", len(parts))
	}
	for range 2 { // a second scan sees the same rows
		rows, _ := scanAll(t, src, plan.ScanRequest{BatchRows: 7}, mem)
		if !slices.Equal(rows, want) {
			t.Fatalf("rows %q", rows)
		}
	}
	src.(interface{ Release() }).Release()
}
