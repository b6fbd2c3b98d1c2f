package sql

import "testing"

// TestParseSubqueries: the three forms parse into subquery nodes at their positions,
// with NOT around IN and EXISTS, and nested queries whole.
func TestParseSubqueries(t *testing.T) {
	cases := []struct {
		where, want string
		kind        int
		line, col   int
	}{
		{"x IN (SELECT c FROM u)", "(x IN (subquery))", subIn, 1, 29},
		{"x NOT IN (SELECT c FROM u WHERE d IN (SELECT e FROM v))", "(NOT (x IN (subquery)))", subIn, 1, 33},
		{"NOT EXISTS (SELECT * FROM u WHERE u.k = t.k)", "(NOT exists(subquery))", subExists, 1, 27},
		{"y > (SELECT avg(y) FROM u) * 2", "(y > (scalarsubquery() * 2))", subScalar, 1, 27},
		{"y = ((SELECT max(y) FROM u))", "(y = scalarsubquery())", subScalar, 1, 28},
	}
	for _, c := range cases {
		q, err := parseQuery("SELECT * FROM t WHERE " + c.where)
		if err != nil {
			t.Errorf("%s: %v", c.where, err)
			continue
		}
		w := q.terms[0].where
		if got := w.String(); got != c.want {
			t.Errorf("%s: got %s, want %s", c.where, got, c.want)
		}
		s := findSubquery(w)
		if s == nil || s.kind != c.kind || s.p.line != c.line || s.p.col != c.col || len(s.q.terms) != 1 {
			t.Errorf("%s: subquery %+v", c.where, s)
		}
	}
	if _, err := parseQuery("SELECT * FROM t WHERE x IN (SELECT c FROM u"); err == nil {
		t.Error("an unclosed subquery parsed")
	}
}
