package funcdiff

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// TestBooleanAndDistinctAggregatesAgainstDuckDB compares bool_and, bool_or, count and
// sum of DISTINCT with DuckDB, group by group: once as one aggregation that the
// optimizer splits in two (a single distinct argument, the other aggregates carried
// along), once with several distinct arguments, which keeps the set-based accumulators.
func TestBooleanAndDistinctAggregatesAgainstDuckDB(tt *testing.T) {
	ctx := tt.Context()
	sess, err := dataset.NewSession(dataset.Config{Parallelism: 2, ShufflePartitions: 3})
	if err != nil {
		tt.Fatal(err)
	}
	defer sess.Close()
	rec := Generate(memory.NewGoAllocator(), rows, seed)
	defer rec.Release()
	dir := filepath.Join(tt.TempDir(), "t")
	if err := sess.FromRecords(rec).WriteParquet(ctx, dir); err != nil {
		tt.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		tt.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "SET threads = 2; CREATE TABLE t AS SELECT * FROM read_parquet('"+dir+"/*.parquet')"); err != nil {
		tt.Fatal(err)
	}
	data := sess.FromRecords(rec)
	split := []aggCase{
		{"count", dataset.Count(), "count(*)"},
		{"count_distinct", dataset.CountDistinct("i"), "count(DISTINCT i)"},
		{"sum_distinct", dataset.SumDistinct("i"), "sum(DISTINCT i)"},
		{"sum", dataset.Sum("i"), "sum(i)"},
		{"count_x", dataset.CountOf("x"), "count(x)"},
		{"bool_and", dataset.BoolAndExpr(x.Gt(dataset.Lit(0.0))), "bool_and(x > 0)"},
		{"bool_or", dataset.BoolOrExpr(x.Gt(dataset.Lit(10.0))), "bool_or(x > 10)"},
		{"min_s", dataset.Min("s"), "min(s)"},
		{"max_d", dataset.Max("d"), "max(d)"},
	}
	compareGrouped(tt, db, data, split)
	kept := []aggCase{
		{"sum_distinct_x", dataset.SumDistinctExpr(dataset.Round(x, 1)), "sum(DISTINCT round(x, 1))"},
		{"sum_distinct_decimal", dataset.SumDistinct("m"), "sum(DISTINCT m)"},
		{"count_distinct_s", dataset.CountDistinct("s"), "count(DISTINCT s)"},
		{"bool_and_filtered", dataset.BoolAndExpr(i.Gt(j)).Filter(x.Gt(dataset.Lit(0.0))), "bool_and(i > j) FILTER (WHERE x > 0)"},
	}
	compareGrouped(tt, db, data, kept)
}

// compareGrouped runs cases grouped by j in kindling over data and in DuckDB over t, and
// compares the groups' values.
func compareGrouped(tt *testing.T, db *sql.DB, data *dataset.Dataset, cases []aggCase) {
	tt.Helper()
	ctx := tt.Context()
	aggs := make([]dataset.Agg, len(cases))
	sqls := []string{"j"}
	for k, c := range cases {
		aggs[k] = c.k.As(fmt.Sprintf("a%d", k))
		sqls = append(sqls, c.sql)
	}
	recs, err := data.GroupBy("j").Agg(aggs...).Collect(ctx)
	if err != nil {
		tt.Fatal(err)
	}
	got := map[any][]any{}
	for _, r := range recs {
		for row := range int(r.NumRows()) {
			key, err := Value(r.Column(0), row)
			if err != nil {
				tt.Fatal(err)
			}
			vals := make([]any, len(cases))
			for k := range cases {
				if vals[k], err = Value(r.Column(k+1), row); err != nil {
					tt.Fatalf("%s: %v", cases[k].name, err)
				}
			}
			got[key] = vals
		}
		r.Release()
	}
	q := "SELECT " + strings.Join(sqls, ", ") + " FROM t GROUP BY j"
	res, err := db.QueryContext(ctx, q)
	if err != nil {
		tt.Fatalf("DuckDB: %s: %v", q, err)
	}
	defer res.Close()
	dest := make([]any, len(sqls))
	ptrs := make([]any, len(sqls))
	for k := range dest {
		ptrs[k] = &dest[k]
	}
	groups := 0
	for res.Next() {
		if err := res.Scan(ptrs...); err != nil {
			tt.Fatal(err)
		}
		key, err := Normalize(dest[0])
		if err != nil {
			tt.Fatal(err)
		}
		vals, ok := got[key]
		if !ok {
			tt.Errorf("group j=%v: in DuckDB's result, not in kindling's", key)
			continue
		}
		groups++
		for k, c := range cases {
			want, err := Normalize(dest[k+1])
			if err != nil {
				tt.Fatalf("%s: %v", c.name, err)
			}
			if !Equal(vals[k], want) {
				tt.Errorf("%s, group j=%v: kindling %#v, DuckDB %#v (kindling %s; DuckDB %s)", c.name, key, vals[k], want, c.k, c.sql)
			}
		}
	}
	if err := res.Err(); err != nil {
		tt.Fatal(err)
	}
	if groups != len(got) || groups < 20 {
		tt.Errorf("kindling has %d groups, DuckDB %d matching ones; want the 22 of j (-10..10 and NULL)", len(got), groups)
	}
}
