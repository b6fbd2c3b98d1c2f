package dataset

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLOnFiles: format.`path` reads files in a query, as Spark's SELECT * FROM
// parquet.`/data/orders`, partition columns and pruning included.
func TestSQLOnFiles(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{})
	dir := filepath.Join(t.TempDir(), "t")
	if err := f.ds.WriteParquet(t.Context(), dir, PartitionedBy("k")); err != nil {
		t.Fatal(err)
	}
	csvDir := filepath.Join(t.TempDir(), "c")
	if err := f.ds.WriteCSV(t.Context(), csvDir); err != nil {
		t.Fatal(err)
	}
	var want [][]any
	for _, r := range f.rows {
		if r.k != nil && *r.k == "b" && r.x != nil {
			want = append(want, []any{*r.x})
		}
	}
	q, err := f.s.SQL("SELECT x FROM parquet.`" + dir + "` AS t WHERE t.k = 'b' AND x IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	assertSameRows(t, collectRows(t, q), want)
	if ex := q.Explain(); !strings.Contains(ex, "partitions read: 1 of") {
		t.Fatalf("no pruning in\n%s", ex)
	}
	q, err = f.s.SQL("SELECT count(*) FROM csv.`" + csvDir + "`")
	if err != nil {
		t.Fatal(err)
	}
	if rows := collectRows(t, q); len(rows) != 1 || rows[0][0] != int64(len(f.rows)) {
		t.Fatalf("count over csv: %v, want %d", rows, len(f.rows))
	}
	// Any other qualifier is a database name, which the flat catalog ignores.
	if err := f.ds.CreateOrReplaceTempView("v"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SQL("SELECT * FROM warehouse.v"); err != nil {
		t.Fatalf("db.view: %v", err)
	}
	if _, err := f.s.SQL("SELECT * FROM parquet.`" + dir + "-missing`"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("a missing path: %v", err)
	}
}
