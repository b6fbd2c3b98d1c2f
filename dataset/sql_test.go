package dataset

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// sqlFixture is the generated table as view t and its per-g maximum of x as view d (g,
// mx): five rows, one with a NULL g.
func sqlFixture(t *testing.T, sizes []int, cfg Config) (*fixture, *Dataset) {
	f := newFixture(t, sizes, cfg)
	dims := f.ds.GroupBy("g").Agg(Max("x").As("mx"))
	if err := f.ds.CreateOrReplaceTempView("t"); err != nil {
		t.Fatal(err)
	}
	if err := dims.CreateOrReplaceTempView("D"); err != nil { // names are case-insensitive
		t.Fatal(err)
	}
	return f, dims
}

func mustSQL(t *testing.T, s *Session, q string) *Dataset {
	t.Helper()
	d, err := s.SQL(q)
	if err != nil {
		t.Fatalf("SQL(%q): %v", q, err)
	}
	return d
}

// TestSQLMatchesDataFrame runs each query and its dataset-call equivalent over every
// partition shape: the rows must be the same and, where the calls are the ones the binder
// makes, so must the logical plan.
func TestSQLMatchesDataFrame(t *testing.T) {
	type tc struct {
		name, q  string
		df       func(f *fixture, dims *Dataset) *Dataset
		samePlan bool
	}
	cases := []tc{
		{"star-where", "SELECT * FROM t WHERE x > 10", func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.Filter(Col("x").Gt(Lit(10)))
		}, true},
		{"project", "select k, x * 2 as x2 from t where s is not null and x between 1 and 50", func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.Filter(Col("s").IsNotNull().And(Col("x").Between(Lit(1), Lit(50)))).Select(Col("k"), Col("x").Mul(Lit(2)).As("x2"))
		}, true},
		{"aggregates", "SELECT k, sum(x) AS sx, count(*) AS n, count(DISTINCT g) AS dg, avg(y), min(s), max(x) FROM t GROUP BY k", func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.GroupBy("k").Agg(Sum("x").As("sx"), Count().As("n"), CountDistinct("g").As("dg"), Mean("y").As("avg(y)"), Min("s").As("min(s)"), Max("x").As("max(x)"))
		}, true},
		{"global-agg", "SELECT count(x), sum(y) FROM t", func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.GroupBy().Agg(CountOf("x").As("count(x)"), Sum("y").As("sum(y)"))
		}, true},
		{"group-expr", "SELECT upper(k) AS uk, count(*) FROM t GROUP BY upper(k)", func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.WithColumn("uk", Upper(Col("k"))).GroupBy("uk").Agg(Count().As("count(1)"))
		}, true},
		{"having", "SELECT k, g, count(*) AS n FROM t GROUP BY 1, g HAVING count(*) > 20", func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.GroupBy("k", "g").Agg(Count().As("n")).Filter(Col("n").Gt(Lit(20)))
		}, true},
		{"join-on", "SELECT t.k, d.mx FROM t JOIN d ON t.g = d.g", func(f *fixture, dims *Dataset) *Dataset {
			return f.ds.JoinWhere(dims, LeftCol("g").Eq(RightCol("g")), Inner).Select(Col("k"), Col("mx"))
		}, true},
		{"join-using", "SELECT * FROM t LEFT JOIN d USING (g)", func(f *fixture, dims *Dataset) *Dataset {
			return f.ds.Join(dims, On("g"), LeftOuter)
		}, true},
		{"full-join", "SELECT k, d.g AS dg, mx FROM d FULL OUTER JOIN t ON t.g = d.g AND t.x > 100", func(f *fixture, dims *Dataset) *Dataset {
			return dims.JoinWhere(f.ds, RightCol("g").Eq(LeftCol("g")).And(RightCol("x").Gt(Lit(100))), FullOuter).
				Select(Col("k"), Col("g").As("dg"), Col("mx"))
		}, true},
		{"right-join", "SELECT t.g, mx, x FROM t RIGHT JOIN d ON t.g = d.g", func(f *fixture, dims *Dataset) *Dataset {
			return f.ds.JoinWhere(dims, LeftCol("g").Eq(RightCol("g")), RightOuter).Select(Col("g"), Col("mx"), Col("x"))
		}, true},
		{"comma-join", "SELECT k, mx FROM t, d WHERE t.g = d.g AND x > 3", func(f *fixture, dims *Dataset) *Dataset {
			return f.ds.JoinWhere(dims, LeftCol("g").Eq(RightCol("g")), Inner).Filter(Col("x").Gt(Lit(3))).Select(Col("k"), Col("mx"))
		}, true},
		{"case-in-like-cast", `SELECT CASE WHEN x > 50 THEN 'big' WHEN x IS NULL THEN "none" ELSE 'small' END AS size,
			CAST(x AS double) AS xd, k IN ('a', 'b') AS ab, s LIKE 'b%' AS sb, NOT (s NOT LIKE '%e%') AS se FROM t`, func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.Select(When(Col("x").Gt(Lit(50)), Lit("big")).When(Col("x").IsNull(), Lit("none")).Otherwise(Lit("small")).As("size"),
				Col("x").Cast(arrow.PrimitiveTypes.Float64).As("xd"), Col("k").IsIn("a", "b").As("ab"),
				Like(Col("s"), "b%").As("sb"), Like(Col("s"), "%e%").Not().Not().As("se"))
		}, false},
		{"distinct", "SELECT DISTINCT k, g FROM t", func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.SelectColumns("k", "g").Distinct()
		}, true},
		{"subquery", "SELECT kk, total FROM (SELECT k AS kk, sum(x) AS total FROM t GROUP BY k) AS q WHERE total > 100", func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.GroupBy("k").Agg(Sum("x").As("total")).Select(Col("k").As("kk"), Col("total")).Filter(Col("total").Gt(Lit(100)))
		}, false},
		{"with", `WITH big AS (SELECT k, x FROM t WHERE x > 100), per AS (SELECT k, count(*) AS n FROM big GROUP BY k)
			SELECT * FROM per`, func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.Filter(Col("x").Gt(Lit(100))).SelectColumns("k", "x").GroupBy("k").Agg(Count().As("n"))
		}, true},
		{"union-all", "SELECT k, x FROM t WHERE x > 100 UNION ALL SELECT s, g FROM t WHERE g = 1", func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.Filter(Col("x").Gt(Lit(100))).SelectColumns("k", "x").
				Union(f.ds.Filter(Col("g").Eq(Lit(1))).Select(Col("s").As("k"), Col("g").As("x")))
		}, true},
		{"union", "SELECT k FROM t UNION SELECT s FROM t ORDER BY 1 DESC LIMIT 3", func(f *fixture, _ *Dataset) *Dataset {
			return f.ds.SelectColumns("k").Union(f.ds.Select(Col("s").As("k"))).Distinct().OrderBy(Desc("k")).Limit(3)
		}, true},
	}
	for shape, sizes := range partitionSizes {
		t.Run(shape, func(t *testing.T) {
			f, dims := sqlFixture(t, sizes, Config{})
			for _, c := range cases {
				got := mustSQL(t, f.s, c.q)
				want := c.df(f, dims)
				if c.samePlan {
					if g, w := plan.FormatLogical(got.node), plan.FormatLogical(want.node); g != w {
						t.Errorf("%s: plan differs\n sql:\n%s\n dataframe:\n%s", c.name, g, w)
					}
				}
				assertSameRows(t, collectRows(t, got), collectRows(t, want))
			}
		})
	}
}
