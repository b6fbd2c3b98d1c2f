package dataset_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kindling-data/kindling/dataset"
)

func ExampleSession_Advise() {
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	perRegion := orders(s, 2).GroupBy("region").Agg(dataset.Sum("amount").As("revenue"))
	// Two reports over the same aggregate: each job computes it, shuffle included.
	if _, err := perRegion.Count(ctx); err != nil {
		log.Fatal(err)
	}
	big, err := perRegion.Filter(dataset.Col("revenue").Gt(dataset.Lit(100.0))).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("regions over 100:", big)
	for _, a := range s.Advise() {
		fmt.Println(a.Kind, a.Site, a.Jobs)
	}
	// Output:
	// regions over 100: 2
	// persist groupBy@example_advise_test.go:18 [1 2]
}
