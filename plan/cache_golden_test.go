package plan

// materializedStatus is a cache every partition of which is stored.
type materializedStatus struct{}

func (materializedStatus) Materialized() (int, bool) { return 3, true }
func (materializedStatus) Level() string             { return "MEMORY_ONLY" }
func (materializedStatus) Active() bool              { return true }

func init() {
	// A materialized cache read passes on the three columns the query uses; the filter
	// evaluates amount and gathers only region and qty for the aggregate.
	goldenPlans["cached-read-columns-and-filter-keep"] = func() Node {
		c := &Cache{Meta: at("persist@etl.go:70"), Input: salesScan(2), DatasetID: 5, Status: materializedStatus{}}
		return groupBy(where(c, bin(OpGt, col("amount"), i64(5))), []string{"region"}, sum(col("qty"), "q"))
	}
	// Not materialized: the cache operator computes and stores whole partitions, and
	// passes on the columns used.
	goldenPlans["cache-compute-columns"] = func() Node {
		c := &Cache{Meta: at("persist@etl.go:80"), Input: salesScan(2), DatasetID: 6}
		return sel(where(c, bin(OpGt, col("amount"), i64(5))), col("region"))
	}
}
