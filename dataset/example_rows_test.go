package dataset_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/kindling-data/kindling/dataset"
)

func ExampleDataset_Rows() {
	s := newSession()
	defer s.Close()
	d := orders(s, 2).SelectColumns("region", "amount", "qty")
	var keep []string
	for row, err := range d.Rows(context.Background()) {
		if err != nil {
			log.Fatal(err)
		}
		if row.IsNull(0) {
			fmt.Println("(no region)", row.Get(1), row.Get(2))
			continue
		}
		region := row.String(0) // shares the batch's bytes: valid during this step only
		fmt.Println(region, row.Float64(1), row.Int64(2), row.IsNull(2))
		keep = append(keep, strings.Clone(region)) // a copy outlives the step
		if len(keep) == 6 {
			break // cancels the job and releases what was not seen
		}
	}
	fmt.Println(keep)
	// Output:
	// east 120.5 2 false
	// west 80 1 false
	// east 42.25 3 false
	// north 0 5 false
	// west 310 0 true
	// (no region) 15.75 1
	// east 99.99 4 false
	// [east west east north west east]
}

// A Row's getters take a column's index; its Schema names the columns, and Get returns
// NULL as nil.
func ExampleRow() {
	s := newSession()
	defer s.Close()
	d := orders(s, 1).GroupBy("region").Agg(dataset.Sum("qty").As("units")).OrderBy(dataset.Asc("region"))
	for row, err := range d.Rows(context.Background()) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s=%v %s=%v\n", row.Schema().Field(0).Name, row.Get(0), row.Schema().Field(1).Name, row.Get(1))
	}
	// Output:
	// region=<nil> units=1
	// region=east units=9
	// region=north units=5
	// region=west units=3
}
