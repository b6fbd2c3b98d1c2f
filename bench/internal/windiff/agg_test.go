package windiff

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	. "github.com/kindling-data/kindling/dataset"
)

// aggCase is one grouped aggregate: K in GroupBy("g").Agg, SQL a DuckDB aggregate over
// table w grouped by g.
type aggCase struct {
	name    string
	k       Agg
	sql     string
	ordered bool // a list result compared in order, not sorted
}

func aggCases() []aggCase {
	return []aggCase{
		{"percentile_v", Percentile("v", 0.3), "quantile_cont(v, 0.3)", false},
		{"percentile_f_0", Percentile("f", 0), "quantile_cont(f, 0.0)", false},
		{"percentile_f_1", Percentile("f", 1), "quantile_cont(f, 1.0)", false},
		{"median_f", Median("f"), "quantile_cont(f, 0.5)", false},
		{"percentiles_v", Percentiles("v", []float64{0.1, 0.5, 0.75, 0.99}), "quantile_cont(v, [0.1, 0.5, 0.75, 0.99])", true},
		// DuckDB's mode breaks ties its own way; Spark picks any of the tied values and
		// kindling the smallest: the most frequent value, the smallest among ties.
		{"mode_m", Mode("m"), "(SELECT first(x ORDER BY n DESC, x ASC) FROM (SELECT m AS x, count(*) AS n FROM w AS w2 WHERE w2.g IS NOT DISTINCT FROM w.g AND m IS NOT NULL GROUP BY m))", false},
		{"mode_d", Mode("d"), "(SELECT first(x ORDER BY n DESC, x ASC) FROM (SELECT d AS x, count(*) AS n FROM w AS w2 WHERE w2.g IS NOT DISTINCT FROM w.g AND d IS NOT NULL GROUP BY d))", false},
		// DuckDB's list keeps NULLs and is NULL for no row; collect_list drops NULLs and
		// gives an empty list.
		{"collect_list_m", CollectList("m"), "coalesce(list(m) FILTER (WHERE m IS NOT NULL), [])", false},
		{"collect_set_m", CollectSet("m"), "coalesce(list(DISTINCT m) FILTER (WHERE m IS NOT NULL), [])", false},
		{"collect_set_f", CollectSet("f"), "coalesce(list(DISTINCT f) FILTER (WHERE f IS NOT NULL), [])", false},
		{"bool_and", BoolAnd("b"), "bool_and(b)", false},
		{"bool_or", BoolOr("b"), "bool_or(b)", false},
		{"sum_distinct", SumDistinct("m"), "sum(DISTINCT m)", false},
		{"sum_distinct_v", SumDistinct("v"), "sum(DISTINCT v)", false},
		{"count_distinct_v", CountDistinct("v"), "count(DISTINCT v)", false},
		{"count_distinct_d", CountDistinct("d"), "count(DISTINCT d)", false},
		// c is constant within a group where it is not NULL, so the last non-NULL value
		// and any value are determined.
		{"last_ignore_nulls", Last("c", true), "max(c)", false},
		{"any_value", AnyValue("c"), "max(c)", false},
	}
}

// TestAggregatesAgainstDuckDB computes each aggregate grouped by g (with its NULL,
// empty and single-row keys) in both engines and compares them group by group.
func TestAggregatesAgainstDuckDB(t *testing.T) {
	e := newEnv(t)
	rec := Generate(memory.NewGoAllocator(), windowRows, windowSeed+1)
	defer rec.Release()
	ds := e.load(t, "w", rec, 4)
	for _, c := range aggCases() {
		t.Run(c.name, func(t *testing.T) {
			sortLists = !c.ordered
			defer func() { sortLists = true }()
			want, err := duckRows(t.Context(), e.conn, "SELECT g, "+c.sql+" FROM w GROUP BY g")
			if err != nil {
				t.Fatal(err)
			}
			got, err := kindlingRows(t.Context(), ds.GroupBy("g").Agg(c.k.As("r")))
			if err != nil {
				t.Fatalf("kindling: %v", err)
			}
			compareKeyed(t, c.name, got, want)
		})
	}
}
