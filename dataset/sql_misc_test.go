package dataset

import (
	"math"
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
