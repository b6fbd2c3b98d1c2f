package dataset_test

import (
	"context"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/dataset"
)

// partitionDirs prints the partition directories of a table and their file counts.
func partitionDirs(table string) {
	counts := map[string]int{}
	var order []string
	filepath.WalkDir(table, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), "_") {
			rel, _ := filepath.Rel(table, filepath.Dir(p))
			if counts[rel] == 0 {
				order = append(order, rel)
			}
			counts[rel]++
		}
		return nil
	})
	for _, dir := range order {
		fmt.Printf("%s: %d file(s)\n", dir, counts[dir])
	}
}

func ExampleDataset_WriteParquet_partitioned() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s := newSession()
	defer s.Close()
	table := filepath.Join(dir, "orders")

	// Day 1: the orders, one directory per day.
	if err := orders(s, 1).WriteParquet(ctx, table, dataset.PartitionedBy("day")); err != nil {
		log.Fatal(err)
	}
	// A correction of 2024-01-02 arrives: replace that day only.
	jan2 := arrow.Date32FromTime(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC))
	fix := orders(s, 1).Filter(dataset.Col("day").Eq(dataset.Lit(jan2))).
		WithColumn("amount", dataset.Col("amount").Mul(dataset.Lit(2)))
	if err := fix.WriteParquet(ctx, table, dataset.PartitionedBy("day"),
		dataset.WriteMode(dataset.ModeOverwritePartitions)); err != nil {
		log.Fatal(err)
	}
	partitionDirs(table)

	// Reading the table adds day back; a filter on it reads only that directory.
	t := s.ReadParquet(table)
	show(t.Filter(dataset.Col("day").Eq(dataset.Lit(jan2))).
		Select(dataset.Col("region"), dataset.Col("amount"), dataset.Col("day")).
		OrderBy(dataset.Asc("region")))
	// Output:
	// day=2024-01-01: 1 file(s)
	// day=2024-01-02: 1 file(s)
	// day=2024-01-03: 1 file(s)
	// +--------+--------+------------+
	// | region | amount |        day |
	// +--------+--------+------------+
	// |   east |   84.5 | 2024-01-02 |
	// |  north |   null | 2024-01-02 |
	// |   west |    620 | 2024-01-02 |
	// +--------+--------+------------+
	// (3 rows)
}
