package dataset_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/kindling-data/kindling/dataset"
)

func ExampleSession_ReadParquetWith() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s := newSession()
	defer s.Close()
	orders := orders(s, 1)
	// Last year's files: qty was an int32.
	old := orders.Select(dataset.Col("region"), dataset.Col("qty").Cast(arrow.PrimitiveTypes.Int32).As("qty"))
	// This year's: qty is an int64, comes first, and a discount column was added.
	cur := orders.Select(dataset.Col("qty"), dataset.Col("region"), dataset.Col("amount").Mul(dataset.Lit(0.1)).As("discount"))
	for year, d := range map[string]*dataset.Dataset{"2024": old, "2025": cur} {
		if err := d.WriteParquet(ctx, filepath.Join(dir, year)); err != nil {
			log.Fatal(err)
		}
	}

	// Columns are matched by name; qty widens to int64, and last year's rows have a
	// NULL discount.
	sales := s.ReadParquetWith(dataset.ParquetOptions{MergeSchema: true}, filepath.Join(dir, "2024"), filepath.Join(dir, "2025"))
	schema, err := sales.Schema()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range schema.Fields() {
		fmt.Printf("%s: %s\n", f.Name, f.Type)
	}
	show(sales.GroupBy("region").
		Agg(dataset.Sum("qty").As("qty"), dataset.Count().As("rows"), dataset.CountOf("discount").As("discounted")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// region: utf8
	// qty: int64
	// discount: float64
	// +--------+-----+------+------------+
	// | region | qty | rows | discounted |
	// +--------+-----+------+------------+
	// |   null |   2 |    2 |          1 |
	// |   east |  18 |    6 |          3 |
	// |  north |  10 |    2 |          0 |
	// |   west |   6 |    6 |          3 |
	// +--------+-----+------+------------+
	// (4 rows)
}

func ExampleSession_ReadIPCWith() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s := newSession()
	defer s.Close()
	rec := ordersBatch()
	defer rec.Release()
	// An older file has only region and qty; a newer one has every column.
	narrow := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{rec.Schema().Field(0), rec.Schema().Field(3)}, nil),
		[]arrow.Array{rec.Column(0), rec.Column(3)}, rec.NumRows())
	defer narrow.Release()
	writeArrowFile(filepath.Join(dir, "1-old.arrow"), narrow)
	writeArrowFile(filepath.Join(dir, "2-new.arrow"), rec)

	sales := s.ReadIPCWith(dataset.IPCOptions{MergeSchema: true}, dir)
	schema, err := sales.Schema()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(schema.Fields()), "columns")
	n, err := sales.Filter(dataset.Col("amount").IsNull()).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "rows without an amount")
	// Output:
	// 4 columns
	// 9 rows without an amount
}

// writeArrowFile writes rec as an Arrow IPC file.
func writeArrowFile(path string, rec arrow.RecordBatch) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(rec.Schema()))
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
