package dataset

import (
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
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

	// IN with decimal values compares as = does (NULL when no value matches and one is
	// NULL), for double and bigint columns.
	got = collectRows(t, mustSQL(t, f.s, "SELECT x, x IN (3.0, 7.5, 12) AS a, x IN (3.0, NULL) AS b, y IN (0.5, 1.5) AS c FROM t"))
	hand = nil
	for _, r := range f.rows {
		var a, b, c any
		if r.x != nil {
			a = *r.x == 3 || *r.x == 12
			b = nil
			if *r.x == 3 {
				b = true
			}
		}
		if r.y != nil {
			c = *r.y == 0.5 || *r.y == 1.5
		}
		hand = append(hand, []any{val(r.x), a, b, c})
	}
	assertSameRows(t, got, hand)
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

// TestSQLWindows: window functions in SQL build the plan Over builds (so the rows match
// too), over a partition shape with empty partitions and a spilling memory limit; rank
// and a running sum are also checked against plain Go.
func TestSQLWindows(t *testing.T) {
	cases := []struct {
		q             string
		df            func(ds *Dataset) *Dataset
		deterministic bool
	}{
		{"SELECT k, x, rank() OVER (PARTITION BY k ORDER BY x DESC) AS r, dense_rank() OVER (PARTITION BY k ORDER BY x DESC) AS dr FROM t",
			func(ds *Dataset) *Dataset {
				w := PartitionBy("k").OrderBy(Desc("x"))
				return ds.Select(Col("k"), Col("x"), Rank().Over(w).As("r"), DenseRank().Over(w).As("dr"))
			}, true},
		{"SELECT g, x, percent_rank() OVER (PARTITION BY g ORDER BY x) AS pr, cume_dist() OVER (PARTITION BY g ORDER BY x) AS cd FROM t",
			func(ds *Dataset) *Dataset {
				w := PartitionBy("g").OrderBy(Asc("x"))
				return ds.Select(Col("g"), Col("x"), PercentRank().Over(w).As("pr"), CumeDist().Over(w).As("cd"))
			}, true},
		{"SELECT k, x, sum(x) OVER (PARTITION BY k ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run, count(*) OVER (PARTITION BY k) AS n, avg(y) OVER (PARTITION BY k ORDER BY x RANGE BETWEEN 10 PRECEDING AND 5 FOLLOWING) AS av FROM t",
			func(ds *Dataset) *Dataset {
				w := PartitionBy("k").OrderBy(Asc("x"))
				return ds.Select(Col("k"), Col("x"), Sum("x").Over(w.RowsBetween(UnboundedPreceding, CurrentRow)).As("run"),
					Count().Over(PartitionBy("k")).As("n"), Mean("y").Over(w.RangeBetween(-10, 5)).As("av"))
			}, false},
		{"SELECT k, x, row_number() OVER (PARTITION BY k ORDER BY x NULLS LAST) AS rn, ntile(3) OVER (ORDER BY x) AS nt, lag(x, 2, -1) OVER (PARTITION BY k ORDER BY x) AS lg, lead(s) OVER (PARTITION BY k ORDER BY x) AS ld FROM t",
			func(ds *Dataset) *Dataset {
				return ds.Select(Col("k"), Col("x"), RowNumber().Over(PartitionBy("k").OrderBy(Asc("x").NullsLast())).As("rn"),
					NTile(3).Over(Window().OrderBy(Asc("x"))).As("nt"),
					Lag(Col("x"), 2, Lit(-1)).Over(PartitionBy("k").OrderBy(Asc("x"))).As("lg"),
					Lead(Col("s"), 1, Expr{}).Over(PartitionBy("k").OrderBy(Asc("x"))).As("ld"))
			}, false},
		{"SELECT k, first_value(s) IGNORE NULLS OVER (PARTITION BY k ORDER BY x ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS fv, last_value(s, true) OVER (PARTITION BY k ORDER BY x) AS lv, nth_value(s, 2) OVER (PARTITION BY k ORDER BY x ROWS UNBOUNDED PRECEDING) AS nv FROM t",
			func(ds *Dataset) *Dataset {
				w := PartitionBy("k").OrderBy(Asc("x"))
				return ds.Select(Col("k"), FirstValue(Col("s"), true).Over(w.RowsBetween(-2, 2)).As("fv"),
					LastValue(Col("s"), true).Over(w).As("lv"), NthValue(Col("s"), 2, false).Over(w.RowsBetween(UnboundedPreceding, CurrentRow)).As("nv"))
			}, false},
		{"SELECT k, x, dense_rank() OVER (PARTITION BY upper(k) ORDER BY x % 7 DESC, x) AS r FROM t",
			func(ds *Dataset) *Dataset {
				return ds.WithColumns(map[string]Expr{"__window_key_0": Upper(Col("k")), "__window_key_1": Col("x").Mod(Lit(7))}).
					Select(Col("k"), Col("x"), DenseRank().Over(PartitionBy("__window_key_0").OrderBy(Desc("__window_key_1"), Asc("x"))).As("r"))
			}, true},
		{"SELECT k, sum(x) AS sx, rank() OVER (ORDER BY sum(x) DESC) AS r FROM t GROUP BY k",
			func(ds *Dataset) *Dataset {
				return ds.GroupBy("k").Agg(Sum("x").As("sx")).Select(Col("k"), Col("sx"), Rank().Over(Window().OrderBy(Desc("sx"))).As("r"))
			}, true},
	}
	for _, cfg := range []struct {
		name string
		c    Config
	}{
		// The batch size is pinned: a window over one partition spilled at 256 KiB holds its
		// keys batch by batch, beyond the budget when batches are a row each (the
		// metamorphic draws' BatchRows 1); the window's own spill tests cover the operator.
		{"default", Config{BatchRows: 100}},
		{"spill", Config{MemoryLimit: 256 << 10, ShufflePartitions: 3, BatchRows: 100}},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			f, _ := sqlFixture(t, []int{0, 300, 1, 0, 900}, cfg.c)
			for _, c := range cases {
				got, want := mustSQL(t, f.s, c.q), c.df(f.ds)
				if g, w := plan.FormatLogical(got.node), plan.FormatLogical(want.node); g != w {
					t.Errorf("%s: plan differs\n sql:\n%s\n dataframe:\n%s", c.q, g, w)
				}
				if c.deterministic {
					assertSameRows(t, collectRows(t, got), collectRows(t, want))
				} else if g, w := len(collectRows(t, got)), len(f.rows); g != w {
					t.Errorf("%s: %d rows, want %d", c.q, g, w)
				}
			}
			checkRankByHand(t, f)
		})
	}
}

// checkRankByHand computes rank by x descending within k (NULLs last) by sorting.
func checkRankByHand(t *testing.T, f *fixture) {
	got := collectRows(t, mustSQL(t, f.s, "SELECT k, x, rank() OVER (PARTITION BY k ORDER BY x DESC) AS r FROM t"))
	byKey := map[string][]*int64{}
	for _, r := range f.rows {
		key := "∅"
		if r.k != nil {
			key = *r.k
		}
		byKey[key] = append(byKey[key], r.x)
	}
	var want [][]any
	for _, xs := range byKey {
		for _, x := range xs {
			r := int64(1)
			for _, o := range xs {
				if x == nil && o != nil || x != nil && o != nil && *o > *x {
					r++ // DESC puts NULLs last: every value is before a NULL
				}
			}
			want = append(want, []any{nil, val(x), r})
		}
	}
	for i := range got {
		got[i][0] = nil
	}
	assertSameRows(t, got, want)
}

// TestSQLMiscErrors: misused window functions and set operators name the call and its
// position.
func TestSQLMiscErrors(t *testing.T) {
	f, _ := sqlFixture(t, []int{3}, Config{})
	for _, c := range []struct{ q, want string }{
		{"SELECT ntile(x) OVER (ORDER BY x) FROM t", "line 1:8: ntile(x): the number of buckets must be a positive integer literal"},
		{"SELECT rank() OVER (PARTITION BY k ORDER BY 1) FROM t", "line 1:45: ORDER BY 1 in rank's window: a constant orders nothing"},
		{"SELECT lag(x, g) OVER (ORDER BY x) FROM t", "line 1:8: lag(x, g): the offset must be an integer literal"},
		{"SELECT k, rank() OVER (ORDER BY x) FROM t GROUP BY k", "column x in the SELECT list is neither grouped"},
		{"SELECT rank(x) OVER (ORDER BY x) FROM t", "line 1:8: rank takes no arguments, got 1"},
		{"SELECT k, g FROM t INTERSECT SELECT k FROM t", "line 1:30: INTERSECT of 2 columns with 1 columns"},
		{"SELECT k FROM t EXCEPT ALL SELECT k FROM t", "line 1:24: EXCEPT ALL is not supported yet"},
		{"SELECT k FROM t ORDER BY k EXCEPT SELECT k FROM t", "line 1:28: ORDER BY or LIMIT before EXCEPT"},
	} {
		_, err := f.s.SQL(c.q)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.q, err, c.want)
		}
	}
}

// TestSQLIntersectExcept: INTERSECT and EXCEPT are distinct and NULL-safe (a NULL row
// of both sides is in the intersection), INTERSECT binds tighter than UNION, checked with
// maps of the rows; with a spilling memory limit too.
func TestSQLIntersectExcept(t *testing.T) {
	for _, cfg := range []struct {
		name string
		c    Config
	}{
		// The batch size is pinned: a window over one partition spilled at 256 KiB holds its
		// keys batch by batch, beyond the budget when batches are a row each (the
		// metamorphic draws' BatchRows 1); the window's own spill tests cover the operator.
		{"default", Config{BatchRows: 100}},
		{"spill", Config{MemoryLimit: 256 << 10, ShufflePartitions: 3, BatchRows: 100}},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			f, _ := sqlFixture(t, []int{0, 200, 1, 700}, cfg.c)
			type key struct {
				k string
				g int64
			}
			sets := map[string]map[key]bool{"a": {}, "b": {}, "c": {}}
			for _, r := range f.rows {
				kk := key{"∅", -1 << 62}
				if r.k != nil {
					kk.k = *r.k
				}
				if r.g != nil {
					kk.g = *r.g
				}
				x := int64(-1)
				if r.x != nil {
					x = *r.x
				}
				if x%2 == 0 || r.x == nil {
					sets["a"][kk] = true
				}
				if x%3 == 0 || r.x == nil {
					sets["b"][kk] = true
				}
				if x > 500 {
					sets["c"][kk] = true
				}
			}
			a := "SELECT k, g FROM t WHERE x % 2 = 0 OR x IS NULL"
			bq := "SELECT k, g FROM t WHERE x % 3 = 0 OR x IS NULL"
			c := "SELECT k, g FROM t WHERE x > 500"
			for _, tc := range []struct {
				q    string
				keep func(kk key) bool
			}{
				{a + " INTERSECT " + bq, func(kk key) bool { return sets["a"][kk] && sets["b"][kk] }},
				{a + " EXCEPT DISTINCT " + bq, func(kk key) bool { return sets["a"][kk] && !sets["b"][kk] }},
				{c + " UNION " + a + " INTERSECT " + bq, func(kk key) bool { return sets["c"][kk] || sets["a"][kk] && sets["b"][kk] }},
				{a + " EXCEPT " + bq + " UNION ALL " + c + " EXCEPT " + a, func(kk key) bool {
					return (sets["a"][kk] && !sets["b"][kk] || sets["c"][kk]) && !sets["a"][kk]
				}},
			} {
				var want [][]any
				all := map[key]bool{}
				for _, s := range sets {
					for kk := range s {
						all[kk] = true
					}
				}
				for kk := range all {
					if tc.keep(kk) {
						row := []any{kk.k, kk.g}
						if kk.k == "∅" {
							row[0] = nil
						}
						if kk.g == -1<<62 {
							row[1] = nil
						}
						want = append(want, row)
					}
				}
				assertSameRows(t, collectRows(t, mustSQL(t, f.s, tc.q)), want)
			}
		})
	}
}

// TestSQLAliasListsAndNoFrom: TPC-H Q13's derived column list (against maps of the rows),
// a WITH query's column list, and SELECT without FROM (one row, as Spark's
// OneRowRelation).
func TestSQLAliasListsAndNoFrom(t *testing.T) {
	f, _ := sqlFixture(t, []int{0, 300, 7, 600}, Config{})
	got := collectRows(t, mustSQL(t, f.s, `SELECT c_count, count(*) AS custdist
		FROM (SELECT k, count(x) FROM t GROUP BY k) AS c_orders (c_key, c_count)
		GROUP BY c_count ORDER BY custdist DESC, c_count DESC`))
	perKey := map[string]int64{}
	for _, r := range f.rows {
		key := "∅"
		if r.k != nil {
			key = *r.k
		}
		if r.x != nil {
			perKey[key]++
		} else if _, ok := perKey[key]; !ok {
			perKey[key] = 0
		}
	}
	dist := map[int64]int64{}
	for _, n := range perKey {
		dist[n]++
	}
	var want [][]any
	for c, n := range dist {
		want = append(want, []any{c, n})
	}
	assertSameRows(t, got, want)

	got = collectRows(t, mustSQL(t, f.s, "WITH w (kk, total) AS (SELECT k, sum(x) FROM t GROUP BY k) SELECT kk, total FROM w WHERE total > 0"))
	df := collectRows(t, f.ds.GroupBy("k").Agg(Sum("x").As("total")).Filter(Col("total").Gt(Lit(0))).Select(Col("k").As("kk"), Col("total")))
	assertSameRows(t, got, df)

	got = collectRows(t, mustSQL(t, f.s, "SELECT 1 + 1 AS two, 'a' || 'b' AS ab, CAST(DATE '2020-02-28' + INTERVAL 1 DAY AS string) AS d, 0.1 + 0.2 = 0.3 AS exact"))
	if want := []any{int64(2), "ab", "2020-02-29", true}; len(got) != 1 || canon(got[0]) != canon(want) {
		t.Fatalf("SELECT without FROM: got %v, want [%v]", got, want)
	}
	if got := collectRows(t, mustSQL(t, f.s, "SELECT 1 AS one WHERE 1 > 2")); len(got) != 0 {
		t.Fatalf("SELECT without FROM, false WHERE: got %v", got)
	}
	if got := collectRows(t, mustSQL(t, f.s, "SELECT count(*) AS n, sum(2) AS s")); len(got) != 1 || canon(got[0]) != canon([]any{int64(1), int64(2)}) {
		t.Fatalf("aggregate without FROM: got %v", got)
	}
	for _, c := range []struct{ q, want string }{
		{"SELECT * FROM (SELECT k, x FROM t) AS s (a)", "line 1:15: the column alias list names 1 columns, but the query has 2"},
		{"SELECT * FROM (SELECT k, x FROM t) AS s (a, A)", "line 1:45: column A appears twice in the column alias list"},
		{"SELECT * FROM (SELECT k, x FROM t) (a, b)", "line 1:36: unexpected '(', expected an alias before the column list"},
		{"SELECT nope", "line 1:8: unknown column nope"},
	} {
		if _, err := f.s.SQL(c.q); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.q, err, c.want)
		}
	}
}
