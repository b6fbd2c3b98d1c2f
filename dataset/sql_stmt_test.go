package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLStatements: CREATE TEMP VIEW over a query and over parquet and CSV files,
// EXPLAIN, DESCRIBE and SHOW TABLES, each a dataset as Spark's.
func TestSQLStatements(t *testing.T) {
	f, _ := sqlFixture(t, []int{0, 40, 9}, Config{})
	ctx := t.Context()
	dir := t.TempDir()
	pq := filepath.Join(dir, "pq")
	if err := f.ds.Select(Col("k"), Col("x")).WriteParquet(ctx, pq); err != nil {
		t.Fatal(err)
	}
	csvPath := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(csvPath, []byte("name;n\nann;1\nbob;\ncy;3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TEMPORARY VIEW big AS SELECT k, x FROM t WHERE x > 100",
		"CREATE OR REPLACE TEMP VIEW files USING parquet OPTIONS (path '" + pq + "')",
		"create temp view people (who, num) using csv options (path = '" + csvPath + "', header 'true', sep ';');",
		"CREATE TEMP VIEW IF NOT EXISTS big AS SELECT 1",
	} {
		d := mustSQL(t, f.s, q)
		if rows := collectRows(t, d); len(rows) != 0 {
			t.Fatalf("%s: %d rows, want none", q, len(rows))
		}
	}
	var want [][]any
	for _, r := range f.rows {
		if r.x != nil && *r.x > 100 {
			want = append(want, []any{val(r.k), *r.x})
		}
	}
	assertSameRows(t, collectRows(t, mustSQL(t, f.s, "SELECT * FROM big")), want)
	assertSameRows(t, collectRows(t, mustSQL(t, f.s, "SELECT k, x FROM files WHERE x > 100")), want)
	assertSameRows(t, collectRows(t, mustSQL(t, f.s, "SELECT who, num FROM people")),
		[][]any{{"ann", int64(1)}, {"bob", nil}, {"cy", int64(3)}})

	got := collectRows(t, mustSQL(t, f.s, "SHOW TABLES"))
	assertSameRows(t, got, [][]any{{"", "big", true}, {"", "d", true}, {"", "files", true}, {"", "people", true}, {"", "t", true}})
	got = collectRows(t, mustSQL(t, f.s, "DESCRIBE TABLE t"))
	assertSameRows(t, got, [][]any{{"k", "string", nil}, {"g", "bigint", nil}, {"x", "bigint", nil}, {"y", "double", nil}, {"s", "string", nil}})
	got = collectRows(t, mustSQL(t, f.s, "desc people"))
	assertSameRows(t, got, [][]any{{"who", "string", nil}, {"num", "bigint", nil}})

	for _, c := range []struct {
		q    string
		has  []string
		lack string
	}{
		{"EXPLAIN SELECT k, count(*) FROM t GROUP BY k", []string{"== Physical Plan ==", "HashAggregate"}, "== Parsed"},
		{"EXPLAIN EXTENDED SELECT k, count(*) FROM t GROUP BY k", []string{"Aggregate", "HashAggregate"}, ""},
	} {
		d := mustSQL(t, f.s, c.q)
		if s, err := d.Schema(); err != nil || s.NumFields() != 1 || s.Field(0).Name != "plan" {
			t.Fatalf("%s: schema %v, %v", c.q, s, err)
		}
		rows := collectRows(t, d)
		if len(rows) != 1 {
			t.Fatalf("%s: %d rows", c.q, len(rows))
		}
		text := rows[0][0].(string)
		for _, h := range c.has {
			if !strings.Contains(text, h) {
				t.Errorf("%s: plan lacks %q:\n%s", c.q, h, text)
			}
		}
		if c.lack != "" && strings.Contains(text, c.lack) {
			t.Errorf("%s: plan has %q:\n%s", c.q, c.lack, text)
		}
	}
	for _, c := range []struct{ q, want string }{
		{"CREATE TEMP VIEW big AS SELECT 1", "temporary view big already exists"},
		{"CREATE VIEW v AS SELECT 1", "line 1:8: CREATE VIEW (only TEMPORARY VIEWs"},
		{"CREATE TEMP VIEW v USING json OPTIONS (path 'x')", "line 1:26: data source json is not supported"},
		{"CREATE TEMP VIEW v USING csv", "needs OPTIONS (path '...')"},
		{"CREATE TEMP VIEW v USING csv OPTIONS (path '" + csvPath + "', quote '\"')", "option quote is not supported"},
		{"CREATE TEMP VIEW v AS DELETE FROM t", "line 1:23: unexpected 'DELETE', expected a query"},
		{"DESCRIBE nope", "line 1:10: unknown table or view nope"},
		{"SHOW TABLES LIKE 'b*'", "line 1:13: SHOW TABLES LIKE is not supported yet"},
		{"EXPLAIN SELECT * FROM t t2 junk", "line 1:28: unexpected 'junk', expected end of statement"},
	} {
		if _, err := f.s.SQL(c.q); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.q, err, c.want)
		}
	}
}
