package sql

import (
	"strings"
	"testing"
)

// TestParseExpressions checks precedence and the keyword forms by the plan's rendering
// of the WHERE clause.
func TestParseExpressions(t *testing.T) {
	cases := []struct{ where, want string }{
		{"a + b * c - d", "((a + (b * c)) - d)"},
		{"a = 1 OR b = 2 AND NOT c", "((a = 1) OR ((b = 2) AND (NOT c)))"},
		{"x BETWEEN 1 AND 2 AND y", "(((x >= 1) AND (x <= 2)) AND y)"},
		{"x NOT IN (1, 2)", "(NOT in(x, 1, 2))"},
		{"s NOT LIKE 'a%' -- comment\n", `(NOT like(s, "a%"))`},
		{"`my col` IS NOT NULL /* c */", "(my col IS NOT NULL)"},
		{"t.a <> -3", "(t.a != -3)"},
		{"a || 'x''y'", `concat(a, "x'y")`},
		{"CASE k WHEN 1 THEN 'one' ELSE 'many' END = 'one'", `(case_when((k = 1), "one", "many") = "one")`},
		{"extract(YEAR FROM d) = 1995 AND substring(p FROM 1 FOR 2) = '13'", `((year(d) = 1995) AND (substring(p, 1, 2) = "13"))`},
		{"d >= DATE '1995-01-01'", "(d >= DATE '1995-01-01')"},
		{"CAST(x AS decimal(12, 2)) > 1.5e2", "(CAST(x AS decimal(12, 2)) > 150)"},
		{"substr(s, 2) = ucase('x')", `(substring(s, 2) = upper("x"))`},
	}
	for _, c := range cases {
		q, err := parseQuery("SELECT * FROM t WHERE " + c.where)
		if err != nil {
			t.Errorf("%s: %v", c.where, err)
			continue
		}
		if got := q.terms[0].where.String(); got != c.want {
			t.Errorf("%s: got %s, want %s", c.where, got, c.want)
		}
	}
}

// TestParseClauses checks ORDER BY's NULLS forms, LIMIT, DISTINCT, joins and aliases.
func TestParseClauses(t *testing.T) {
	q, err := parseQuery(`select distinct a.x as renamed, b.* from a left outer join b using (id) cross join c z
		order by 1 desc nulls first, x asc, y desc limit 10;`)
	if err != nil {
		t.Fatal(err)
	}
	s := q.terms[0]
	if !s.distinct || s.limit != 10 || len(s.items) != 2 || !s.items[1].star || s.items[1].starQual != "b" {
		t.Fatalf("parsed %+v", s)
	}
	o := s.orderBy
	if len(o) != 3 || !o[0].desc || o[0].nullsFirst == nil || !*o[0].nullsFirst || o[1].desc || o[1].nullsFirst != nil || !o[2].desc {
		t.Fatalf("order by %+v", o)
	}
	j, ok := s.from[0].(*joinRef)
	if !ok || !j.cross || j.right.(*tableName).alias != "z" {
		t.Fatalf("from %+v", s.from[0])
	}
	if inner := j.left.(*joinRef); len(inner.using) != 1 || inner.using[0] != "id" {
		t.Fatalf("using %+v", inner)
	}
}

// TestParseErrors: the position is the offending token's, the message names it.
func TestParseErrors(t *testing.T) {
	cases := []struct{ q, want string }{
		{"SELECT a FROM t ORDER BY a NULLS", "line 1:33: unexpected end of query, expected FIRST or LAST"},
		{"SELECT a FROM\n\tt WHERE a = )", "line 2:14: unexpected ')', expected an expression"},
		{"SELECT a FROM t JOIN u", "line 1:23: unexpected end of query, expected ON or USING"},
		{"SELECT a FROM t INTERSECT ALL SELECT a FROM u", "line 1:27: INTERSECT ALL is not supported yet"},
		{"SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u", "line 1:46: unexpected end of query, expected ')'"},
		{"SELECT a + INTERVAL '1' FORTNIGHT FROM t", "line 1:21: malformed interval '1'"},
		{"SELECT a FROM t LIMIT x", "line 1:23: unexpected 'x', expected a row count"},
		{"SELECT a # b FROM t", "line 1:10: unexpected character '#'"},
		{"SELECT CAST(a AS blob) FROM t", "line 1:18: unknown or unsupported type blob"},
		{"EXPLAIN SELECT 1", "line 1:1: EXPLAIN is not supported yet"},
	}
	for _, c := range cases {
		_, err := parseQuery(c.q)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.q, err, c.want)
		}
	}
}
