package iceberg_test

import (
	"context"
	"fmt"
	"os"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/iceberg"
)

// Write a partitioned Iceberg table with kindling, append to it, delete from it, and
// read it back: filtered, and as of its first snapshot.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "warehouse")
	defer os.RemoveAll(dir)
	s, _ := dataset.NewSession(dataset.Config{})
	defer s.Close()
	cat, _ := iceberg.OpenCatalog(ctx, dir)
	defer cat.Close()

	sales, err := s.SQL(`SELECT 1 AS id, 'eu' AS region, 10 AS amount
		UNION ALL SELECT 2, 'us', 20 UNION ALL SELECT 3, 'eu', 30`)
	if err != nil {
		fmt.Println(err)
		return
	}
	schema, _ := sales.Schema()
	tbl, err := cat.CreateTable(ctx, "shop.sales", schema, iceberg.PartitionBy(iceberg.Identity("region")))
	if err != nil {
		fmt.Println(err)
		return
	}
	first, _ := tbl.Append(ctx, sales)
	more, _ := s.SQL(`SELECT 4 AS id, 'ap' AS region, 40 AS amount`)
	_, _ = tbl.Append(ctx, more)
	deleted, _ := tbl.Delete(ctx, s, iceberg.Lt("amount", 15))
	fmt.Println("deleted:", deleted)

	eu, _ := tbl.Read(ctx, s, iceberg.Where(iceberg.Eq("region", "eu")))
	_ = eu.Show(ctx, 10)
	old, _ := tbl.Read(ctx, s, iceberg.AtSnapshot(first.ID))
	n, _ := old.Count(ctx)
	fmt.Println("rows in the first snapshot:", n)
	// Output:
	// deleted: 1
	// +----+--------+--------+
	// | id | region | amount |
	// +----+--------+--------+
	// |  3 |     eu |     30 |
	// +----+--------+--------+
	// (1 row)
	// rows in the first snapshot: 3
}
