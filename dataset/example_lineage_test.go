package dataset_test

import (
	"fmt"
	"log"

	"github.com/kindling-data/kindling/dataset"
)

func ExampleDataset_Lineage() {
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, Lineage: dataset.LineageConfig{Job: "etl"}})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	age := dataset.Col("age")
	d := people(s).Pseudonymize(exampleKey(), "name").Filter(age.Gt(dataset.Lit(18))).
		GroupBy("city").Agg(dataset.CountDistinct("name").As("people"), dataset.Max("age").As("oldest"))
	// The event a write of d would post; WriteParquet and the other writes post it as
	// START and COMPLETE (or FAIL) to Config.Listeners and Config.Lineage.File.
	ev, err := d.Lineage("warehouse/adults_by_city")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ev.EventType, ev.Job.Namespace, ev.Job.Name, ev.Inputs[0].Namespace)
	cl := ev.Outputs[0].Facets.ColumnLineage
	for _, col := range ev.Outputs[0].Facets.Schema.Fields {
		for _, in := range cl.Fields[col.Name].InputFields {
			t := in.Transformations[0]
			fmt.Printf("%s %s <- %s %s/%s masking=%v\n", col.Name, col.Type, in.Field, t.Type, t.Subtype, t.Masking)
		}
	}
	for _, in := range cl.Dataset {
		fmt.Printf("rows <- %s %s/%s\n", in.Field, in.Transformations[0].Type, in.Transformations[0].Subtype)
	}
	// Output:
	// OTHER kindling etl.adults_by_city memory
	// city utf8 <- city DIRECT/IDENTITY masking=false
	// people int64 <- name DIRECT/AGGREGATION masking=true
	// oldest int64 <- age DIRECT/AGGREGATION masking=false
	// rows <- age INDIRECT/FILTER
	// rows <- city INDIRECT/GROUP_BY
}
