package dataset_test

import (
	"context"
	"fmt"
	"log"

	"github.com/kindling-data/kindling/dataset"
)

// Adaptive execution (on unless Config.DisableAdaptive) looks at the sizes of a
// shuffle's map outputs before the stage reading it runs: the 16 reduce partitions of
// this group-by of four regions are coalesced into a few tasks, and the job's metrics
// say so.
func ExampleConfig_adaptive() {
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, ShufflePartitions: 16})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	recs, err := orders(s, 4).GroupBy("region").Agg(dataset.Sum("amount").As("total")).Collect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	release(recs)
	job := s.LastJob()
	last := job.Stages[len(job.Stages)-1]
	fmt.Println("reduce tasks:", len(last.Tasks))
	for _, d := range last.Adaptive {
		fmt.Println(d)
	}
	// Output:
	// reduce tasks: 4
	// coalesced 16 → 4 partitions (about 29 B each, advisory 64.0 MiB)
}
