package tpch

import (
	"context"
	"fmt"
	"testing"

	"github.com/kindling-data/kindling/dataset"
)

// TestTPCHSQLAgainstDuckDB runs the 22 queries' SQL text through kindling's Session.SQL
// (the tables as temporary views) and through DuckDB over the same Parquet files, and
// compares the answers.
func TestTPCHSQLAgainstDuckDB(t *testing.T) {
	ctx := context.Background()
	dir, duck, s := testEngines(t, dataset.Config{Parallelism: 2})
	if err := Open(s, dir, false).RegisterViews(); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= Queries; n++ {
		t.Run(fmt.Sprintf("q%02d", n), func(t *testing.T) {
			want, _, err := duck.Query(ctx, SQL(n))
			if err != nil {
				t.Fatalf("q%d in DuckDB: %v", n, err)
			}
			got, _, err := RunSQL(ctx, s, n)
			if err != nil {
				t.Fatal(err)
			}
			if err := Compare(got, want, OrderBy(n)); err != nil {
				t.Errorf("q%d: %v", n, err)
			}
		})
	}
}

// BenchmarkPlanSQL times planning each query from its SQL text: parsing, binding,
// analysis, optimization and the physical plan with its stages (Explain), no execution.
func BenchmarkPlanSQL(b *testing.B) {
	dir, _, err := Generate(context.Background(), DefaultRoot(), testSF)
	if err != nil {
		b.Fatal(err)
	}
	s, err := dataset.NewSession(dataset.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := Open(s, dir, false).RegisterViews(); err != nil {
		b.Fatal(err)
	}
	for n := 1; n <= Queries; n++ {
		b.Run(fmt.Sprintf("q%02d", n), func(b *testing.B) {
			for b.Loop() {
				d, err := s.SQL(SQL(n))
				if err != nil {
					b.Skip(err)
				}
				_ = d.Explain()
			}
		})
	}
}
