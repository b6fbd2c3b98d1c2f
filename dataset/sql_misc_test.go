package dataset

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"testing"
)

// TestSQLDecimalLiterals: 0.1 + 0.2 is exactly 0.3 and 0.06 - 0.01 exactly 0.05 (as
// Spark's decimals, not doubles), and a decimal bound compares with a double column as
// LitDecimal does.
func TestSQLDecimalLiterals(t *testing.T) {
	f, _ := sqlFixture(t, []int{40, 0, 70}, Config{})
	got := collectRows(t, mustSQL(t, f.s, `SELECT CAST(0.1 + 0.2 AS string) AS a, CAST(0.06 - 0.01 AS string) AS b,
		CAST(100.00 * 3 AS string) AS c, 0.1 + 0.2 = 0.3 AS exact, 1.5e3 AS dbl FROM t LIMIT 1`))
	want := []any{"0.3", "0.05", "300.00", true, 1500.0}
	if len(got) != 1 || canon(got[0]) != canon(want) {
		t.Fatalf("got %v, want [%v]", got, want)
	}
	q := mustSQL(t, f.s, "SELECT x, y FROM t WHERE y BETWEEN 0.06 - 0.01 AND 0.06 + 0.01 OR y > 100.5")
	df := f.ds.Filter(Col("y").Between(LitDecimal("0.06").Sub(LitDecimal("0.01")), LitDecimal("0.06").Add(LitDecimal("0.01"))).
		Or(Col("y").Gt(LitDecimal("100.5")))).Select(Col("x"), Col("y"))
	var hand [][]any
	for _, r := range f.rows {
		if r.y != nil && (*r.y >= 0.05 && *r.y <= 0.07 || *r.y > 100.5 || math.IsNaN(*r.y)) { // NaN is above every number, as in Spark
			hand = append(hand, []any{val(r.x), *r.y})
		}
	}
	assertSameRows(t, collectRows(t, q), collectRows(t, df))
	assertSameRows(t, collectRows(t, q), hand)
}

// TestSQLIntervals: TPC-H's date arithmetic, against the same calls with LitInterval and
// hand-computed dates (a month added to January 31st is February's last day, as Spark).
func TestSQLIntervals(t *testing.T) {
	f, _ := sqlFixture(t, []int{3}, Config{})
	q := mustSQL(t, f.s, `SELECT CAST(DATE '1998-12-01' - INTERVAL '90' DAY AS string) AS a,
		CAST(DATE '1995-01-31' + INTERVAL '1' MONTH AS string) AS b,
		CAST(DATE '1994-01-01' + INTERVAL 1 YEAR AS string) AS c,
		CAST(DATE '1993-10-01' + INTERVAL '3' MONTH AS string) AS d,
		CAST(TIMESTAMP '2020-01-01 00:00:00' + INTERVAL 90 MINUTES AS string) AS e,
		CAST(DATE '2000-03-01' - INTERVAL '1 day' AS string) AS f
		FROM t LIMIT 1`)
	want := []any{"1998-09-02", "1995-02-28", "1995-01-01", "1994-01-01", "2020-01-01 01:30:00", "2000-02-29"}
	got := collectRows(t, q)
	if len(got) != 1 || canon(got[0]) != canon(want) {
		t.Fatalf("got %v, want [%v]", got, want)
	}
	df := f.ds.Select(Lit("1998-12-01").Cast(arrow.FixedWidthTypes.Date32).Sub(LitInterval(0, 90, 0)).Cast(arrow.BinaryTypes.String).As("a")).Limit(1)
	if d := collectRows(t, df); len(d) != 1 || d[0][0] != want[0] {
		t.Fatalf("dataset calls: %v", d)
	}
}
