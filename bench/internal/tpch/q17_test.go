package tpch

import (
	"context"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/dataset"
)

// TestQ17OtherParameters checks Q17 for a brand and container whose parts have line
// items at the test scale factor: none has Brand#23 and MED BOX there, so the
// specification's parameters give NULL in both engines, which proves little.
func TestQ17OtherParameters(t *testing.T) {
	ctx := context.Background()
	dir, duck, s := testEngines(t, dataset.Config{Parallelism: 2})
	tables := Open(s, dir, false)
	for _, p := range [][2]string{{"Brand#44", "WRAP CAN"}, {"Brand#32", "LG PKG"}, {"Brand#45", "WRAP DRUM"}} {
		sql := strings.NewReplacer("'Brand#23'", "'"+p[0]+"'", "'MED BOX'", "'"+p[1]+"'").Replace(SQL(17))
		want, _, err := duck.Query(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Rows) != 1 || want.Rows[0][0].Null {
			t.Fatalf("%v: DuckDB's answer %v is not one number", p, want.Rows)
		}
		recs, err := q17For(tables, p[0], p[1]).Collect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := FromRecords(recs)
		for _, r := range recs {
			r.Release()
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := Compare(got, want, nil); err != nil {
			t.Errorf("%v: %v", p, err)
		} else {
			t.Logf("%v: avg_yearly %s", p, got.Rows[0][0])
		}
	}
}
