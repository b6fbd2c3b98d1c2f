package dataset

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/sql"
)

// TestSQLHandComputed checks grouped aggregates, HAVING, ORDER BY with NULLS LAST and
// LIMIT against plain Go over the generated rows, including under a memory limit small
// enough to spill.
func TestSQLHandComputed(t *testing.T) {
	for _, cfg := range []struct {
		name string
		c    Config
	}{{"default", Config{}}, {"spill", Config{MemoryLimit: 256 << 10, ShufflePartitions: 3}}} {
		t.Run(cfg.name, func(t *testing.T) {
			f, _ := sqlFixture(t, []int{0, 1, 37, 0, 250, 1, 1, 900, 4000}, cfg.c)
			type acc struct {
				n, sum, cnt int64
				k           any
			}
			groups := map[string]*acc{}
			for _, r := range f.rows {
				key := "∅"
				if r.k != nil {
					key = *r.k
				}
				a := groups[key]
				if a == nil {
					a = &acc{k: val(r.k)}
					groups[key] = a
				}
				a.n++
				if r.x != nil && *r.x > 0 {
					a.sum += *r.x
					a.cnt++
				}
			}
			var want [][]any
			for _, a := range groups {
				if a.n > 10 {
					var s any
					if a.cnt > 0 {
						s = a.sum
					}
					want = append(want, []any{a.k, a.n, s})
				}
			}
			// ORDER BY n DESC, k NULLS LAST: counts may tie, k breaks ties.
			sort.Slice(want, func(i, j int) bool {
				if want[i][1] != want[j][1] {
					return want[i][1].(int64) > want[j][1].(int64)
				}
				if want[i][0] == nil || want[j][0] == nil {
					return want[j][0] == nil && want[i][0] != nil
				}
				return want[i][0].(string) < want[j][0].(string)
			})
			want = want[:min(len(want), 4)]
			got := collectRows(t, mustSQL(t, f.s, `
				SELECT k, count(*) AS n, sum(CASE WHEN x > 0 THEN x END) AS pos
				FROM t
				GROUP BY k
				HAVING n > 10
				ORDER BY 2 DESC, k ASC NULLS LAST
				LIMIT 4`))
			if len(got) != len(want) {
				t.Fatalf("got %d rows %v, want %d %v", len(got), got, len(want), want)
			}
			for i := range got {
				if !sameRow(got[i], want[i]) {
					t.Fatalf("row %d: got %v, want %v (all: %v)", i, got[i], want[i], got)
				}
			}
		})
	}
}

// TestSQLOrderByHidden sorts by an expression that is not in the select list (it is
// computed, sorted on and dropped) and by a column of the input that is not selected.
func TestSQLOrderByHidden(t *testing.T) {
	f, _ := sqlFixture(t, []int{5, 0, 90, 30}, Config{})
	got := collectRows(t, mustSQL(t, f.s, "SELECT s FROM t WHERE x IS NOT NULL ORDER BY x * -1, length(s) DESC NULLS FIRST, s"))
	type row struct {
		x int64
		s *string
	}
	var rows []row
	for _, r := range f.rows {
		if r.x != nil {
			rows = append(rows, row{*r.x, r.s})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.x != b.x {
			return a.x > b.x
		}
		if (a.s == nil) != (b.s == nil) {
			return a.s == nil
		}
		if a.s == nil {
			return false
		}
		la, lb := len([]rune(*a.s)), len([]rune(*b.s))
		if la != lb {
			return la > lb
		}
		return *a.s < *b.s
	})
	if len(got) != len(rows) {
		t.Fatalf("got %d rows, want %d", len(got), len(rows))
	}
	for i, r := range rows {
		if len(got[i]) != 1 || got[i][0] != val(r.s) {
			t.Fatalf("row %d: got %v, want %v", i, got[i], val(r.s))
		}
	}
}

// TestSQLCommaJoinIsHashJoin: relations listed with commas and joined in WHERE become a
// hash join on the equality, not a cartesian product filtered afterwards.
func TestSQLCommaJoinIsHashJoin(t *testing.T) {
	f, _ := sqlFixture(t, []int{10, 20}, Config{BroadcastThreshold: -1})
	if err := f.ds.CreateOrReplaceTempView("t2"); err != nil {
		t.Fatal(err)
	}
	d := mustSQL(t, f.s, "SELECT t.k, d.mx, t2.s FROM d, t, t2 WHERE t.g = d.g AND t2.x = t.x AND t.x > 0")
	ex := d.Explain()
	if strings.Count(ex, "HashJoin") < 2 || strings.Contains(ex, "Cartesian") || strings.Contains(ex, "NestedLoop") {
		t.Fatalf("want two hash joins:\n%s", ex)
	}
	want := f.ds.Filter(Col("x").Gt(Lit(0))).JoinWhere(f.ds.GroupBy("g").Agg(Max("x").As("mx")), LeftCol("g").Eq(RightCol("g")), Inner).
		JoinWhere(f.ds.SelectColumns("x", "s").Rename("x", "x2").Rename("s", "s2"), LeftCol("x").Eq(RightCol("x2")), Inner).
		Select(Col("k"), Col("mx"), Col("s2"))
	assertSameRows(t, collectRows(t, d), collectRows(t, want))
}

// TestSQLErrors: syntax errors give the line, the column and the token; unknown names
// list the names that exist; what is not supported says so.
func TestSQLErrors(t *testing.T) {
	f, _ := sqlFixture(t, []int{3}, Config{})
	cases := []struct{ q, want string }{
		{"SELECT k,\n  x FROM t WHER x = 1", "line 2:17: unexpected 'x', expected end of query"},
		{"SELECT k FROM t WHERE", "line 1:22: unexpected end of query, expected an expression"},
		{"SELECT nope FROM t", "line 1:8: unknown column nope (columns: t.k, t.g, t.x, t.y, t.s)"},
		{"SELECT k FROM missing", "unknown table or view missing (views: d, t)"},
		{"SELECT z.k FROM t", "unknown table or alias z in z.k (known: t)"},
		{"SELECT g FROM t JOIN d ON t.g = d.g", "line 1:8: column g is ambiguous"},
		{"SELECT k, x FROM t GROUP BY k", "line 1:11: column x in the SELECT list is neither grouped"},
		{"SELECT k FROM t EXCEPT ALL SELECT k FROM t", "line 1:24: EXCEPT ALL is not supported yet"},
		{"SELECT k FROM t LIMIT 1 UNION SELECT k FROM t", "line 1:25: ORDER BY or LIMIT before UNION"},
		{"SELECT k, g FROM t UNION ALL SELECT k FROM t", "UNION of 2 columns with 1 columns"},
		{"SELECT k FROM t WHERE x IN (SELECT x, y FROM t)", "line 1:29: IN (subquery) must select exactly one column, it selects 2"},
		{"SELECT sum(x) OVER (PARTITION BY k ROWS 2 FOLLOWING) FROM t", "line 1:36: frame ROWS BETWEEN 2 FOLLOWING AND CURRENT ROW: its start is after its end"},
		{"SELECT k FROM t WHERE sum(x) > 1", "aggregates are not allowed in WHERE"},
		{"SELECT frobnicate(k) FROM t", "line 1:8: unknown function frobnicate"},
		{"SELECT 'abc FROM t", "line 1:8: unterminated string literal"},
		{"SELECT k FROM t ORDER BY 3", "ORDER BY position 3 is not in the select list (1 to 1)"},
		{"SELECT DATE '2024-13-01' FROM t", "malformed DATE literal"},
		{"SELECT k AS a, x AS a FROM t", "duplicate output column name a"},
	}
	for _, c := range cases {
		_, err := f.s.SQL(c.q)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SQL(%q): got %v, want an error containing %q", c.q, err, c.want)
		}
	}
	_, err := f.s.SQL("SELECT k FROM t WHERE x >")
	var se *sql.Error
	if !errors.As(err, &se) || se.Line != 1 || se.Col != 26 {
		t.Errorf("want a *sql.Error at 1:26, got %#v", err)
	}
	// A type error surfaces from the analyzer at the action, naming the query's call site.
	d := mustSQL(t, f.s, "SELECT k + DATE '2024-01-01' FROM t")
	if _, err := d.Collect(t.Context()); err == nil || !strings.Contains(err.Error(), "sql@sql_test.go") {
		t.Errorf("want an analysis error naming the call site, got %v", err)
	}
}

// TestSQLSpills runs a grouped, sorted query over data about ten times the memory budget
// and checks it against the dataset calls under an ample budget.
func TestSQLSpills(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	if testing.Short() {
		t.Skip("out-of-core runs take a few seconds")
	}
	ample := newFixtureSession(t, Config{BroadcastThreshold: -1, BatchRows: 2048})
	want := collectRows(t, bigData(ample.s, ample.mem).GroupBy("k").
		Agg(Sum("v").As("sv"), Count().As("n"), CountDistinct("v").As("dv")).OrderBy(Asc("k")))
	recs, err := bigData(ample.s, ample.mem).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var dataBytes int64
	for _, r := range recs {
		dataBytes += r.NumRows() * 24
	}
	releaseAll(recs)
	budget := max(dataBytes/10, outOfCoreMinBudget)
	tight := newFixtureSession(t, Config{MemoryLimit: budget, BroadcastThreshold: -1, BatchRows: 1024, ShufflePartitions: 4})
	if err := bigData(tight.s, tight.mem).CreateOrReplaceTempView("big"); err != nil {
		t.Fatal(err)
	}
	got := collectRows(t, mustSQL(t, tight.s, "SELECT k, sum(v) AS sv, count(*) AS n, count(DISTINCT v) AS dv FROM big GROUP BY k ORDER BY k"))
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range got {
		if !sameRow(got[i], want[i]) {
			t.Fatalf("row %d: %v, want %v", i, got[i], want[i])
		}
	}
	if tot := tight.s.LastJob().Totals(); tot.SpillCount == 0 {
		t.Fatalf("no operator spilled under a %d-byte budget", budget)
	}
}
