package iceberg_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/iceberg"
)

// Apply a day's change feed (CDC) to an Iceberg table: the latest change per key wins,
// in one copy-on-write snapshot.
func ExampleTable_Merge() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "warehouse")
	defer os.RemoveAll(dir)
	s, _ := dataset.NewSession(dataset.Config{})
	defer s.Close()
	cat, _ := iceberg.OpenCatalog(ctx, dir)
	defer cat.Close()

	customers, _ := s.SQL(`SELECT 1 AS id, 'Ada' AS name, 'uk' AS country
		UNION ALL SELECT 2, 'Bo', 'se' UNION ALL SELECT 3, 'Cy', 'uk'`)
	schema, _ := customers.Schema()
	tbl, err := cat.CreateTable(ctx, "crm.customers", schema, iceberg.PartitionBy(iceberg.Identity("country")))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = tbl.Append(ctx, customers)

	// Bo moves and is renamed later the same day, Cy leaves, Di arrives.
	changes, _ := s.SQL(`SELECT 2 AS id, 'Bo' AS name, 'uk' AS country, 'U' AS op, 4 AS seq
		UNION ALL SELECT 2, 'Bob', 'uk', 'U', 5
		UNION ALL SELECT 3, 'Cy', 'uk', 'D', 6
		UNION ALL SELECT 4, 'Di', 'se', 'I', 7`)
	res, err := tbl.Merge(ctx, changes, dataset.MergeSpec{Keys: []string{"id"}, OrderBy: "seq", OpColumn: "op"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d inserted, %d updated, %d deleted\n", res.Inserted, res.Updated, res.Deleted)
	fmt.Println("snapshots:", len(tbl.Snapshots()))
	rows, _ := tbl.Read(ctx, s)
	_ = rows.OrderBy(dataset.Asc("id")).Show(ctx, 10)
	// Output:
	// 1 inserted, 1 updated, 1 deleted
	// snapshots: 2
	// +----+------+---------+
	// | id | name | country |
	// +----+------+---------+
	// |  1 |  Ada |      uk |
	// |  2 |  Bob |      uk |
	// |  4 |   Di |      se |
	// +----+------+---------+
	// (3 rows)
}

// A daily load from an Iceberg table into a Parquet table: each run reads what was
// appended since the snapshot the last run read up to, kept as a cursor of the load,
// and commits the new cursor with the rows it writes. A failed run leaves the cursor,
// so the next one reads the same rows again.
func ExampleTable_ReadSince() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "warehouse")
	defer os.RemoveAll(dir)
	s, _ := dataset.NewSession(dataset.Config{})
	defer s.Close()
	cat, _ := iceberg.OpenCatalog(ctx, dir)
	defer cat.Close()
	orders, _ := s.SQL(`SELECT 1 AS id, 9.5 AS amount UNION ALL SELECT 2, 3.0`)
	schema, _ := orders.Schema()
	tbl, err := cat.CreateTable(ctx, "shop.orders", schema)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = tbl.Append(ctx, orders)
	target := filepath.Join(dir, "orders_copy")

	daily := func() {
		l, err := s.IncrementalLoad(target, "orders-from-iceberg")
		if err != nil {
			fmt.Println(err)
			return
		}
		cursor := "iceberg:" + tbl.Name()
		var last int64 // 0: the first run reads the whole table
		if c, ok := l.Cursor(cursor); ok {
			last, _ = strconv.ParseInt(c, 10, 64)
		}
		fresh, upTo, err := tbl.ReadSince(ctx, s, last)
		if err != nil {
			fmt.Println(err)
			return
		}
		n, _ := fresh.Count(ctx)
		l.SetCursor(cursor, strconv.FormatInt(upTo.ID, 10))
		if err := fresh.WriteParquet(ctx, target, dataset.WriteMode(dataset.ModeAppend), dataset.CommitLoad(l)); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("run %d: %d new rows\n", l.Runs(), n)
	}
	daily()
	more, _ := s.SQL(`SELECT 3 AS id, 7.25 AS amount`)
	_, _ = tbl.Append(ctx, more)
	daily()
	daily()
	total, _ := s.ReadParquet(target).Count(ctx)
	fmt.Println(total, "rows loaded")
	// Output:
	// run 1: 2 new rows
	// run 2: 1 new rows
	// run 3: 0 new rows
	// 3 rows loaded
}
