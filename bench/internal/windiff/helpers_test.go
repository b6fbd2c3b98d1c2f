package windiff

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" database/sql driver

	"github.com/kindling-data/kindling/bench/internal/funcdiff"
	"github.com/kindling-data/kindling/dataset"
)

// env is one test's kindling session and DuckDB connection.
type env struct {
	s    *dataset.Session
	conn *sql.Conn
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, ShufflePartitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := conn.ExecContext(t.Context(), "SET threads = 2"); err != nil {
		t.Fatal(err)
	}
	return &env{s: s, conn: conn}
}

// load makes name a kindling dataset of rec cut into parts partitions and, through a
// Parquet file kindling writes, a DuckDB table of the same rows.
func (e *env) load(t *testing.T, name string, rec arrow.RecordBatch, parts int) *dataset.Dataset {
	t.Helper()
	ds := e.s.FromRecords(Partitions(rec, parts)...)
	dir := filepath.Join(t.TempDir(), name)
	if err := e.s.FromRecords(rec).WriteParquet(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	q := "CREATE OR REPLACE TABLE " + name + " AS SELECT * FROM read_parquet('" + dir + "/*.parquet')"
	if _, err := e.conn.ExecContext(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := e.conn.QueryRowContext(t.Context(), "SELECT count(*) FROM "+name).Scan(&n); err != nil || n != rec.NumRows() {
		t.Fatalf("DuckDB loaded %d rows of %s (%v), want %d", n, name, err, rec.NumRows())
	}
	return ds
}

// value reads row k of a as funcdiff.Value does, but renders a list with its elements
// sorted, since collect_list and collect_set leave the order unspecified.
func value(a arrow.Array, k int) (any, error) {
	if l, ok := a.(*array.List); ok && l.IsValid(k) && sortLists {
		start, end := l.ValueOffsets(k)
		elems := make([]any, 0, end-start)
		for e := start; e < end; e++ {
			v, err := funcdiff.Value(l.ListValues(), int(e))
			if err != nil {
				return nil, err
			}
			elems = append(elems, v)
		}
		return sortedList(elems), nil
	}
	return funcdiff.Value(a, k)
}

// normalize reads a DuckDB value as value does.
func normalize(v any) (any, error) {
	if l, ok := v.([]any); ok && sortLists {
		elems := make([]any, len(l))
		for k, e := range l {
			n, err := funcdiff.Normalize(e)
			if err != nil {
				return nil, err
			}
			elems[k] = n
		}
		return sortedList(elems), nil
	}
	return funcdiff.Normalize(v)
}

func sortedList(elems []any) string {
	s := make([]string, len(elems))
	for k, e := range elems {
		if f, ok := e.(float64); ok && f == float64(int64(f)) {
			e = int64(f) // 2 and 2.0 render alike
		}
		s[k] = fmt.Sprintf("%#v", e)
	}
	slices.Sort(s)
	return "[" + strings.Join(s, " ") + "]"
}

// sortLists says whether value sorts a list's elements; a test that needs them in
// order (ApproxPercentiles) turns it off. Tests in this package do not run in parallel.
var sortLists = true

// kindlingRows collects ds and returns its rows as normalized values.
func kindlingRows(ctx context.Context, ds *dataset.Dataset) ([][]any, error) {
	recs, err := ds.Collect(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	var out [][]any
	for _, r := range recs {
		for k := range int(r.NumRows()) {
			row := make([]any, r.NumCols())
			for c := range row {
				v, err := value(r.Column(c), k)
				if err != nil {
					return nil, err
				}
				row[c] = v
			}
			out = append(out, row)
		}
	}
	return out, nil
}

// duckRows runs q and returns its rows as normalized values.
func duckRows(ctx context.Context, conn *sql.Conn, q string) ([][]any, error) {
	res, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("DuckDB: %s: %w", q, err)
	}
	defer res.Close()
	cols, err := res.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	dest := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for k := range dest {
		ptrs[k] = &dest[k]
	}
	for res.Next() {
		if err := res.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(cols))
		for k, v := range dest {
			if row[k], err = normalize(v); err != nil {
				return nil, err
			}
		}
		out = append(out, row)
	}
	return out, res.Err()
}

// byKey indexes rows by their first column (a row id or a group key) rendered as
// text, failing on a repeated key.
func byKey(t *testing.T, what string, rows [][]any) map[string][]any {
	t.Helper()
	m := make(map[string][]any, len(rows))
	for _, r := range rows {
		k := fmt.Sprintf("%#v", r[0])
		if _, dup := m[k]; dup {
			t.Fatalf("%s: key %s twice", what, k)
		}
		m[k] = r[1:]
	}
	return m
}

// compareKeyed compares kindling's and DuckDB's rows keyed by their first column,
// value by value (funcdiff.Equal: NULLs equal, floats within 1e-9 relative), and
// reports up to five differences.
func compareKeyed(t *testing.T, name string, got, want [][]any) {
	t.Helper()
	g, w := byKey(t, name+" kindling", got), byKey(t, name+" DuckDB", want)
	if len(g) != len(w) {
		t.Errorf("%s: kindling gives %d rows, DuckDB %d", name, len(g), len(w))
	}
	bad := 0
	for k, wr := range w {
		gr, ok := g[k]
		if !ok {
			if bad < 5 {
				t.Errorf("%s: key %s missing from kindling's result", name, k)
			}
			bad++
			continue
		}
		for c := range wr {
			if c >= len(gr) || !funcdiff.Equal(gr[c], wr[c]) {
				if bad < 5 {
					t.Errorf("%s: key %s column %d: kindling %#v, DuckDB %#v", name, k, c+1, at(gr, c), wr[c])
				}
				bad++
				break
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d rows differ", name, bad, len(w))
	}
}

func at(r []any, c int) any {
	if c < len(r) {
		return r[c]
	}
	return "<missing>"
}

// compareMultisets compares two results as sorted multisets of rows rendered as text.
func compareMultisets(t *testing.T, name string, got, want [][]any) {
	t.Helper()
	render := func(rows [][]any) []string {
		out := make([]string, len(rows))
		for k, r := range rows {
			out[k] = fmt.Sprintf("%#v", r)
		}
		slices.Sort(out)
		return out
	}
	g, w := render(got), render(want)
	if slices.Equal(g, w) {
		return
	}
	t.Errorf("%s: kindling gives %d rows, DuckDB %d", name, len(g), len(w))
	gi, wi, shown := 0, 0, 0
	for (gi < len(g) || wi < len(w)) && shown < 6 {
		switch {
		case wi >= len(w) || (gi < len(g) && g[gi] < w[wi]):
			t.Errorf("%s: only kindling has %s", name, g[gi])
			gi++
			shown++
		case gi >= len(g) || w[wi] < g[gi]:
			t.Errorf("%s: only DuckDB has %s", name, w[wi])
			wi++
			shown++
		default:
			gi++
			wi++
		}
	}
}
