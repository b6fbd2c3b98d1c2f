package dataset_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// customerChanges is a CDC feed: id, name, country, the operation and its sequence.
func customerChanges(s *dataset.Session, ids []int64, names, countries, ops []string, seqs []int64) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "name", Type: arrow.BinaryTypes.String},
		{Name: "country", Type: arrow.BinaryTypes.String},
		{Name: "op", Type: arrow.BinaryTypes.String},
		{Name: "seq", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(ids, nil)
	b.Field(1).(*array.StringBuilder).AppendValues(names, nil)
	b.Field(2).(*array.StringBuilder).AppendValues(countries, nil)
	b.Field(3).(*array.StringBuilder).AppendValues(ops, nil)
	b.Field(4).(*array.Int64Builder).AppendValues(seqs, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

func ExampleDataset_MergeInto() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s := newSession()
	defer s.Close()
	table := filepath.Join(dir, "customers")
	spec := dataset.MergeSpec{Keys: []string{"id"}, OrderBy: "seq", OpColumn: "op", PartitionBy: []string{"country"}}

	// Day 1 creates the table.
	day1 := customerChanges(s, []int64{1, 2, 3}, []string{"Ada", "Bo", "Cy"}, []string{"uk", "se", "uk"},
		[]string{"I", "I", "I"}, []int64{1, 2, 3})
	res, err := day1.MergeInto(ctx, table, spec)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("day 1: %d inserted\n", res.Inserted)

	// Day 2: Bo moves, is renamed later the same day, Cy leaves, Di arrives.
	day2 := customerChanges(s, []int64{2, 2, 3, 4}, []string{"Bo", "Bob", "Cy", "Di"}, []string{"uk", "uk", "uk", "se"},
		[]string{"U", "U", "D", "I"}, []int64{4, 5, 6, 7})
	if res, err = day2.MergeInto(ctx, table, spec); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("day 2: %d inserted, %d updated, %d deleted, %d partitions rewritten\n",
		res.Inserted, res.Updated, res.Deleted, res.PartitionsRewritten)
	show(s.ReadParquet(table).OrderBy(dataset.Asc("id")))
	// Output:
	// day 1: 3 inserted
	// day 2: 1 inserted, 1 updated, 1 deleted, 2 partitions rewritten
	// +----+------+-----+---------+
	// | id | name | seq | country |
	// +----+------+-----+---------+
	// |  1 |  Ada |   1 |      uk |
	// |  2 |  Bob |   5 |      uk |
	// |  4 |   Di |   7 |      se |
	// +----+------+-----+---------+
	// (3 rows)
}

func ExampleIncrementalLoad_NewFiles() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s := newSession()
	defer s.Close()
	raw, target := filepath.Join(dir, "raw"), filepath.Join(dir, "orders")
	os.Mkdir(raw, 0o755)

	load := func() {
		l, err := s.IncrementalLoad(target, "raw-orders")
		if err != nil {
			log.Fatal(err)
		}
		files, err := l.NewFiles(raw)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("run %d: %d new file(s)\n", l.Runs()+1, len(files))
		if len(files) == 0 {
			return
		}
		err = s.ReadCSV(files...).WriteParquet(ctx, target, dataset.WriteMode(dataset.ModeAppend), dataset.CommitLoad(l))
		if err != nil {
			log.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(raw, "2024-01-01.csv"), []byte("id,amount\n1,9.5\n2,3.0\n"), 0o644)
	load()
	os.WriteFile(filepath.Join(raw, "2024-01-02.csv"), []byte("id,amount\n3,7.25\n"), 0o644)
	load()
	load()
	n, _ := s.ReadParquet(target).Count(ctx)
	fmt.Println(n, "rows loaded")
	// Output:
	// run 1: 1 new file(s)
	// run 2: 1 new file(s)
	// run 3: 0 new file(s)
	// 3 rows loaded
}

func ExampleIncrementalLoad_Since() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s := newSession()
	defer s.Close()
	target := filepath.Join(dir, "daily")

	for run := 1; run <= 2; run++ {
		l, err := s.IncrementalLoad(target, "orders-by-day")
		if err != nil {
			log.Fatal(err)
		}
		// The source grows: on run 2 it holds one more day.
		src := orders(s, 1)
		if run == 1 {
			src = src.Filter(dataset.Col("day").Lt(dataset.Lit("2024-01-03").Cast(arrow.FixedWidthTypes.Date32)))
		}
		fresh, err := l.Since(ctx, src, "day")
		if err != nil {
			log.Fatal(err)
		}
		n, _ := fresh.Count(ctx)
		if err := fresh.WriteParquet(ctx, target, dataset.WriteMode(dataset.ModeAppend), dataset.CommitLoad(l)); err != nil {
			log.Fatal(err)
		}
		w, _ := l.Watermark()
		fmt.Printf("run %d: %d new rows, watermark %s = %s\n", run, n, w.Column, w.Text)
	}
	// Output:
	// run 1: 5 new rows, watermark day = 2024-01-02
	// run 2: 3 new rows, watermark day = 2024-01-03
}
