package main

import (
	"context"
	"fmt"
	"log"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/dataset"
)

func main() {
	ctx := context.Background()
	s, err := dataset.NewSession(dataset.Config{}) // embedded: sane defaults
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	orders := s.ReadCSV("orders/*.csv") // or ReadCSVWith(opts, ...), ReadJSON, ReadParquet, ReadIPC, FromRecords, FromReader
	daily := orders.
		Filter(dataset.Col("amount").Gt(dataset.Lit(0))).
		WithColumn("day", dataset.Col("ts").Cast(arrow.FixedWidthTypes.Date32)).
		GroupBy("region", "day").
		Agg(dataset.Sum("amount").As("revenue"), dataset.Count().As("orders"))

	fmt.Println(daily.Explain()) // logical, optimized, physical plans and stages
	// A directory of part files, committed atomically; Overwrite replaces an earlier run's.
	if err := daily.WriteParquet(ctx, "out/daily", dataset.Overwrite()); err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.LastJob()) // per-stage rows, bytes, shuffle bytes, time
}
