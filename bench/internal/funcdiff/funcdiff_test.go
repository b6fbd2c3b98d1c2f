package funcdiff

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" database/sql driver

	"github.com/kindling-data/kindling/dataset"
)

const (
	rows = 20_000
	seed = 11
)

// TestFunctionsAgainstDuckDB evaluates every family's cases in kindling and in DuckDB
// over the same generated table and compares them row by row.
func TestFunctionsAgainstDuckDB(t *testing.T) {
	ctx := t.Context()
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, ShufflePartitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := Generate(memory.NewGoAllocator(), rows, seed)
	defer rec.Release()
	dir := filepath.Join(t.TempDir(), "t")
	if err := s.FromRecords(rec).WriteParquet(ctx, dir); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET threads = 2; CREATE TABLE t AS SELECT * FROM read_parquet('"+dir+"/*.parquet')"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != rows {
		t.Fatalf("DuckDB loaded %d rows (%v), want %d", n, err, rows)
	}

	drec, err := DictStrings(memory.NewGoAllocator(), rec)
	if err != nil {
		t.Fatal(err)
	}
	defer drec.Release()
	type input struct {
		name string
		ds   *dataset.Dataset
	}
	inputs := []input{{"plain", s.FromRecords(rec)}, {"dict", s.FromRecords(drec)}}
	for _, f := range Families() {
		want, err := duckRows(ctx, conn, f.Cases)
		if err != nil {
			t.Fatal(err)
		}
		for c, cs := range f.Cases {
			if distinct(want[c]) < 2 {
				t.Errorf("%s/%s: DuckDB gives fewer than 2 distinct values: the data does not exercise it", f.Name, cs.Name)
			}
		}
		for _, in := range inputs {
			if in.name == "dict" && (f.Name == "math" || f.Name == "dates") {
				continue // no string column in these families
			}
			t.Run(f.Name+"/"+in.name, func(t *testing.T) { compare(t, in.ds, f.Cases, want, rec) })
		}
	}
}

// compare evaluates cases over in with kindling and compares with want[case][id].
func compare(t *testing.T, in *dataset.Dataset, cases []Case, want [][]any, rec arrow.RecordBatch) {
	got, err := kindlingRows(t.Context(), in, cases)
	if err != nil {
		t.Fatal(err)
	}
	for c, cs := range cases {
		bad := 0
		for r := range rows {
			if !Equal(got[c][r], want[c][r]) {
				if bad < 5 {
					t.Errorf("%s row %d (%s): kindling %#v, DuckDB %#v", cs.Name, r, describe(rec, r), got[c][r], want[c][r])
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d rows differ (kindling %s; DuckDB %s)", cs.Name, bad, rows, cs.K, cs.SQL)
		}
	}
}

// kindlingRows evaluates the cases in one Select and returns values[case][id].
func kindlingRows(ctx context.Context, in *dataset.Dataset, cases []Case) ([][]any, error) {
	sel := []dataset.Expr{dataset.Col("id")}
	for k, c := range cases {
		sel = append(sel, c.K.As(fmt.Sprintf("c%d", k)))
	}
	recs, err := in.Select(sel...).Collect(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	out := make([][]any, len(cases))
	for k := range out {
		out[k] = make([]any, rows)
	}
	seen := 0
	for _, r := range recs {
		ids := r.Column(0)
		for row := range int(r.NumRows()) {
			idv, err := Value(ids, row)
			if err != nil {
				return nil, err
			}
			id := idv.(int64)
			for k := range cases {
				v, err := Value(r.Column(k+1), row)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", cases[k].Name, err)
				}
				out[k][id] = v
			}
			seen++
		}
	}
	if seen != rows {
		return nil, fmt.Errorf("kindling returned %d rows, want %d", seen, rows)
	}
	return out, nil
}

// duckRows runs the cases' SQL in one query and returns values[case][id].
func duckRows(ctx context.Context, conn *sql.Conn, cases []Case) ([][]any, error) {
	exprs := []string{"id"}
	for _, c := range cases {
		exprs = append(exprs, c.SQL)
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM t"
	res, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("DuckDB: %s: %w", q, err)
	}
	defer res.Close()
	out := make([][]any, len(cases))
	for k := range out {
		out[k] = make([]any, rows)
	}
	dest := make([]any, len(exprs))
	ptrs := make([]any, len(exprs))
	for k := range dest {
		ptrs[k] = &dest[k]
	}
	seen := 0
	for res.Next() {
		if err := res.Scan(ptrs...); err != nil {
			return nil, err
		}
		id := dest[0].(int64)
		for k := range cases {
			v, err := Normalize(dest[k+1])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", cases[k].Name, err)
			}
			out[k][id] = v
		}
		seen++
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	if seen != rows {
		return nil, fmt.Errorf("DuckDB returned %d rows, want %d", seen, rows)
	}
	return out, nil
}

// distinct counts the distinct values of vs (NULL included), up to 3.
func distinct(vs []any) int {
	var seen []any
	for _, v := range vs {
		if !slices.ContainsFunc(seen, func(w any) bool { return Equal(v, w) }) {
			seen = append(seen, v)
			if len(seen) == 3 {
				break
			}
		}
	}
	return len(seen)
}

// describe prints the input row, for failure messages.
func describe(rec arrow.RecordBatch, r int) string {
	var b strings.Builder
	for k, f := range rec.Schema().Fields()[1:] {
		v, _ := Value(rec.Column(k+1), r)
		fmt.Fprintf(&b, "%s=%#v ", f.Name, v)
	}
	return strings.TrimSpace(b.String())
}
