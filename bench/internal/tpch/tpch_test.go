package tpch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kindling-data/kindling/dataset"
)

// testSF is the scale factor of the tests (about 60,000 line items).
const testSF = 0.01

// testData generates (or finds cached) the test scale factor's tables.
func testData(t *testing.T) string {
	t.Helper()
	dir, generated, err := Generate(context.Background(), DefaultRoot(), testSF)
	if err != nil {
		t.Fatal(err)
	}
	if generated {
		t.Logf("generated sf %g into %s", testSF, dir)
	}
	return dir
}

// testEngines opens DuckDB and a kindling session with cfg over the test scale factor's
// tables, both closed when the test ends.
func testEngines(t *testing.T, cfg dataset.Config) (dir string, duck *Duck, s *dataset.Session) {
	t.Helper()
	dir = testData(t)
	duck, err := OpenDuck(context.Background(), dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { duck.Close() })
	if s, err = dataset.NewSession(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return dir, duck, s
}

// TestTPCHAgainstDuckDB runs every query with a DataFrame version in kindling and its
// SQL in DuckDB over the same Parquet files and compares the answers.
func TestTPCHAgainstDuckDB(t *testing.T) {
	ctx := context.Background()
	dir, duck, s := testEngines(t, dataset.Config{Parallelism: 2})
	tables := Open(s, dir, false)
	for n := 1; n <= Queries; n++ {
		t.Run(fmt.Sprintf("q%02d", n), func(t *testing.T) {
			if _, ok := DataFrame[n]; !ok {
				t.Skipf("q%d has no DataFrame version yet (add q%02d.go)", n, n)
			}
			want, _, err := duck.Query(ctx, SQL(n))
			if err != nil {
				t.Fatalf("q%d in DuckDB: %v", n, err)
			}
			got, _, err := Run(ctx, tables, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Rows) == 0 {
				t.Errorf("q%d: DuckDB's answer is empty at sf %g: the check proves little", n, testSF)
			}
			if err := Compare(got, want, OrderBy(n)); err != nil {
				t.Errorf("q%d: %v", n, err)
			}
		})
	}
}

// TestGenerateSizes checks the generated tables' row counts and keys against TPC-H's
// rules at the test scale factor.
func TestGenerateSizes(t *testing.T) {
	ctx := context.Background()
	dir := testData(t)
	duck, err := OpenDuck(ctx, dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	for _, c := range []struct {
		query string
		want  string
	}{
		{"SELECT count(*) FROM region", "5"},
		{"SELECT count(*) FROM nation", "25"},
		{"SELECT count(*) FROM supplier", "100"},
		{"SELECT count(*) FROM customer", "1500"},
		{"SELECT count(*) FROM part", "2000"},
		{"SELECT count(*) FROM partsupp", "8000"},
		{"SELECT count(*) FROM orders", "15000"},
		{"SELECT count(DISTINCT (ps_partkey, ps_suppkey)) FROM partsupp", "8000"},
		// Every order's customer, every line item's part-supplier pair exist.
		{"SELECT count(*) FROM orders WHERE o_custkey NOT IN (SELECT c_custkey FROM customer)", "0"},
		{"SELECT count(*) FROM orders WHERE o_custkey % 3 = 0", "0"},
		{"SELECT count(*) FROM lineitem l WHERE NOT EXISTS (SELECT 1 FROM partsupp WHERE ps_partkey = l_partkey AND ps_suppkey = l_suppkey)", "0"},
		{"SELECT count(*) FROM lineitem WHERE l_orderkey NOT IN (SELECT o_orderkey FROM orders)", "0"},
		{"SELECT min(l_discount)::VARCHAR || ' ' || max(l_discount)::VARCHAR || ' ' || max(l_quantity)::VARCHAR FROM lineitem", "0.00 0.10 50.00"},
		{"SELECT min(o_orderdate)::VARCHAR FROM orders", "1992-01-01"},
	} {
		res, _, err := duck.Query(ctx, c.query)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Rows[0][0].String(); got != c.want {
			t.Errorf("%s: %s, want %s", c.query, got, c.want)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "lineitem", "*.parquet"))
	if len(files) == 0 {
		t.Error("no lineitem Parquet files")
	}
	if _, err := os.Stat(filepath.Join(dir, "_SUCCESS")); err != nil {
		t.Error(err)
	}
}

// TestTablesRoundTrip checks that kindling reads back the types it wrote: decimals
// as decimal128(15,2), dates as date32.
func TestTablesRoundTrip(t *testing.T) {
	dir := testData(t)
	s, err := dataset.NewSession(dataset.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tables := Open(s, dir, false)
	for name, d := range map[string]*dataset.Dataset{"lineitem": tables.Lineitem, "orders": tables.Orders, "customer": tables.Customer,
		"part": tables.Part, "partsupp": tables.Partsupp, "supplier": tables.Supplier, "nation": tables.Nation, "region": tables.Region} {
		got, err := d.Schema()
		if err != nil {
			t.Fatal(err)
		}
		if want := schemas[name]; !got.Equal(want) {
			t.Errorf("%s: read back as\n%s\nwant\n%s", name, got, want)
		}
	}
	n, err := tables.Lineitem.Filter(col("l_quantity").Eq(dec("50.00"))).Count(context.Background())
	if err != nil || n == 0 {
		t.Errorf("line items of quantity 50.00: %d, %v", n, err)
	}
}

// TestOrderBy checks the ORDER BY keys read from the SQL files.
func TestOrderBy(t *testing.T) {
	for n, want := range map[int]string{1: "[{l_returnflag false} {l_linestatus false}]", 6: "[]",
		13: "[{custdist true} {c_count true}]", 9: "[{nation false} {o_year true}]"} {
		if got := fmt.Sprint(OrderBy(n)); got != want && !(want == "[]" && got == "[]") {
			t.Errorf("q%d: ORDER BY %s, want %s", n, got, want)
		}
	}
}
