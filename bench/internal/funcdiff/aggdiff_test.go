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

// aggCase is one aggregate over an expression, or with a filter, in both engines.
type aggCase struct {
	name string
	k    dataset.Agg
	sql  string
}

// TestAggregatesOverExpressionsAgainstDuckDB groups the generated table by j and
// compares aggregates over expressions and conditional aggregates, group by group. Sums
// are over integers so that both engines' results are exact whatever the summation
// order; means and float aggregates compare within the package's float tolerance.
func TestAggregatesOverExpressionsAgainstDuckDB(tt *testing.T) {
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

	one := dataset.Lit(int64(1))
	cases := []aggCase{
		{"sum_product", dataset.SumExpr(i.Mul(j.Add(one))), "sum(i * (j + 1))"},
		{"sum_case", dataset.SumExpr(dataset.When(x.Gt(dataset.Lit(0.0)), i).Otherwise(dataset.Lit(int64(0)))),
			"sum(CASE WHEN x > 0 THEN i ELSE 0 END)"},
		{"count_if", dataset.CountIf(x.Gt(dataset.Lit(0.0))), "count_if(x > 0)"},
		{"count_if_like", dataset.CountIf(dataset.Like(s, "%l%")), "count_if(s LIKE '%l%')"},
		{"sum_filtered", dataset.Sum("i").Filter(dataset.Year(d).Lt(dataset.Lit(int32(2000)))),
			"sum(i) FILTER (WHERE year(d) < 2000)"},
		{"count_distinct_expr", dataset.CountDistinctExpr(dataset.Month(d)), "count(DISTINCT month(d))"},
		{"max_length", dataset.MaxExpr(dataset.Length(s)), "max(length(s))"},
		{"min_upper", dataset.MinExpr(dataset.Upper(t)), "min(upper(t))"},
		{"mean_expr", dataset.MeanExpr(i.Add(j)), "avg(i + j)"},
		{"sum_decimal", dataset.Sum("m"), "sum(m)"},
		{"mean_decimal", dataset.Mean("m"), "round(avg(m), 6)"},
		{"min_decimal", dataset.Min("m"), "min(m)"},
		{"max_decimal", dataset.Max("n"), "max(n)"},
		{"sum_decimal_product", dataset.SumExpr(dataset.Col("m").Mul(dataset.Col("n"))), "sum(m * n)"},
		{"mean_filtered", dataset.Mean("x").Filter(dataset.IsNaN(x).Not()), "avg(x) FILTER (WHERE NOT isnan(x))"},
	}
	aggs := make([]dataset.Agg, len(cases))
	sqls := []string{"j"}
	for k, c := range cases {
		aggs[k] = c.k.As(fmt.Sprintf("a%d", k))
		sqls = append(sqls, c.sql)
	}
	recs, err := sess.FromRecords(rec).GroupBy("j").Agg(aggs...).Collect(ctx)
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
