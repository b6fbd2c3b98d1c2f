package sql

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/plan"
)

// TestNumberLiterals: a point without an exponent is a decimal of the written digits, an
// exponent a double, an integer a bigint (a decimal beyond bigint's range).
func TestNumberLiterals(t *testing.T) {
	cases := []struct{ text, typ, val string }{
		{"0.05", "decimal(2, 2)", "0.05"},
		{"100.00", "decimal(5, 2)", "100.00"},
		{".5", "decimal(1, 1)", "0.5"},
		{"7.", "decimal(1, 0)", "7"},
		{"-0.001", "decimal(3, 3)", "-0.001"},
		{"1.5e3", "float64", "1500"},
		{"2E-2", "float64", "0.02"},
		{"42", "int64", "42"},
		{"-42", "int64", "-42"},
		{"12345678901234567890", "decimal(20, 0)", "12345678901234567890"},
	}
	for _, c := range cases {
		q, err := parseQuery("SELECT " + c.text + " FROM t")
		if err != nil {
			t.Errorf("%s: %v", c.text, err)
			continue
		}
		lit, ok := q.terms[0].items[0].expr.(*plan.Literal)
		if !ok {
			t.Errorf("%s: parsed %T, want a literal", c.text, q.terms[0].items[0].expr)
			continue
		}
		if got := lit.Type.String(); got != c.typ {
			t.Errorf("%s: type %s, want %s", c.text, got, c.typ)
		}
		var got string
		if d, ok := lit.Type.(*arrow.Decimal128Type); ok {
			got = lit.Value.(decimal128.Num).ToString(d.Scale)
		} else {
			got = strings.TrimPrefix(lit.String(), "+")
		}
		if got != c.val {
			t.Errorf("%s: value %s, want %s", c.text, got, c.val)
		}
	}
	for _, bad := range []struct{ q, want string }{
		{"SELECT 1.2.3 FROM t", "line 1:8: malformed number 1.2.3"},
		{"SELECT 0.123456789012345678901234567890123456789 FROM t", "line 1:8: decimal literal"},
	} {
		if _, err := parseQuery(bad.q); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: got %v, want %q", bad.q, err, bad.want)
		}
	}
}

// TestIntervalLiterals: Spark's interval forms become the month, day and nanosecond
// literal LitInterval builds.
func TestIntervalLiterals(t *testing.T) {
	cases := []struct {
		text string
		want arrow.MonthDayNanoInterval
	}{
		{"INTERVAL '90' DAY", arrow.MonthDayNanoInterval{Days: 90}},
		{"INTERVAL 3 MONTH", arrow.MonthDayNanoInterval{Months: 3}},
		{"interval '1' year", arrow.MonthDayNanoInterval{Months: 12}},
		{"INTERVAL 1 YEAR 2 MONTHS 3 DAYS", arrow.MonthDayNanoInterval{Months: 14, Days: 3}},
		{"INTERVAL -2 WEEKS", arrow.MonthDayNanoInterval{Days: -14}},
		{"INTERVAL '1.5' SECOND", arrow.MonthDayNanoInterval{Nanoseconds: 1_500_000_000}},
		{"INTERVAL 2 HOURS 30 MINUTES", arrow.MonthDayNanoInterval{Nanoseconds: 9000e9}},
		{"INTERVAL '1 day 2 hours'", arrow.MonthDayNanoInterval{Days: 1, Nanoseconds: 7200e9}},
		{"INTERVAL '-3 months'", arrow.MonthDayNanoInterval{Months: -3}},
		{"INTERVAL '1-2' YEAR TO MONTH", arrow.MonthDayNanoInterval{Months: 14}},
	}
	for _, c := range cases {
		q, err := parseQuery("SELECT " + c.text + " AS iv FROM t")
		if err != nil {
			t.Errorf("%s: %v", c.text, err)
			continue
		}
		lit, ok := q.terms[0].items[0].expr.(*plan.Literal)
		if !ok || lit.Value != c.want || q.terms[0].items[0].alias != "iv" {
			t.Errorf("%s: parsed %v (alias %q), want %+v", c.text, q.terms[0].items[0].expr, q.terms[0].items[0].alias, c.want)
		}
	}
	// The interval ends where no value and unit follow: the minus is the subtraction's.
	q, err := parseQuery("SELECT * FROM t WHERE d - INTERVAL '1' DAY - INTERVAL 2 MONTHS > e - 3")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := q.terms[0].where.String(), "(((d - INTERVAL '1 days') - INTERVAL '2 months') > (e - 3))"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	for _, bad := range []struct{ q, want string }{
		{"SELECT INTERVAL '1.5' DAY FROM t", "line 1:17: interval value 1.5 DAY: want a whole number of days"},
		{"SELECT INTERVAL 3 FROM t", "line 1:19: unexpected 'FROM', expected an interval unit"},
		{"SELECT INTERVAL '1 fortnight' FROM t", "line 1:17: malformed interval '1 fortnight': unknown unit fortnight"},
		{"SELECT INTERVAL '1-13' YEAR TO MONTH FROM t", "line 1:17: interval '1-13' YEAR TO MONTH: want 'years-months'"},
		{"SELECT INTERVAL 99999999999 DAY FROM t", "line 1:17: interval value 99999999999 DAY: want a whole number"},
	} {
		if _, err := parseQuery(bad.q); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: got %v, want %q", bad.q, err, bad.want)
		}
	}
	// A column named interval is still a column.
	if _, err := parseQuery("SELECT interval FROM t"); err != nil {
		t.Errorf("a column named interval: %v", err)
	}
}

// TestWindowErrors: bad window forms are reported at their position.
func TestWindowErrors(t *testing.T) {
	for _, bad := range []struct{ q, want string }{
		{"SELECT rank() FROM t", "line 1:15: unexpected 'FROM', expected OVER"},
		{"SELECT rank() OVER (ORDER BY x ROWS BETWEEN 1 FOLLOWING AND 1 PRECEDING) FROM t", "line 1:32: frame ROWS BETWEEN 1 FOLLOWING AND 1 PRECEDING: its start is after its end"},
		{"SELECT sum(x) OVER (ROWS BETWEEN x PRECEDING AND CURRENT ROW) FROM t", "line 1:34: unexpected 'x', expected a frame bound"},
		{"SELECT sum(x) OVER (ROWS 3) FROM t", "line 1:27: unexpected ')', expected PRECEDING or FOLLOWING"},
		{"SELECT count(DISTINCT x) OVER () FROM t", "line 1:8: count(DISTINCT ...) OVER is not supported"},
		{"SELECT sum(x) OVER w FROM t", "line 1:20: a named window (OVER name) is not supported yet"},
		{"SELECT upper(x) OVER () FROM t", "line 1:8: upper is not a window function"},
	} {
		if _, err := parseQuery(bad.q); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: got %v, want %q", bad.q, err, bad.want)
		}
	}
}

// TestParseTPCHForms: the forms of TPC-H Q1, Q6 and Q13 that this front end once
// rejected (intervals, decimal bounds, a derived column list) parse, with the literals
// typed as Spark types them.
func TestParseTPCHForms(t *testing.T) {
	queries := map[string]string{
		"q1": `select l_returnflag, l_linestatus, sum(l_quantity) as sum_qty,
			sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) as sum_charge, count(*) as count_order
			from lineitem where l_shipdate <= date '1998-12-01' - interval '90' day
			group by l_returnflag, l_linestatus order by l_returnflag, l_linestatus`,
		"q6": `select sum(l_extendedprice * l_discount) as revenue from lineitem
			where l_shipdate >= date '1994-01-01' and l_shipdate < date '1994-01-01' + interval '1' year
			and l_discount between 0.06 - 0.01 and 0.06 + 0.01 and l_quantity < 24`,
		"q13": `select c_count, count(*) as custdist from (
				select c_custkey, count(o_orderkey) from customer left outer join orders
				on c_custkey = o_custkey and o_comment not like '%special%requests%' group by c_custkey
			) as c_orders (c_custkey, c_count) group by c_count order by custdist desc, c_count desc`,
	}
	for name, q := range queries {
		parsed, err := parseQuery(q)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		where := ""
		if w := parsed.terms[0].where; w != nil {
			where = w.String()
		}
		switch name {
		case "q1":
			if !strings.Contains(where, "(DATE '1998-12-01' - INTERVAL '90 days')") {
				t.Errorf("q1: where %s", where)
			}
		case "q6":
			if !strings.Contains(where, "(l_discount >= (0.06BD - 0.01BD))") || !strings.Contains(where, "INTERVAL '1 years'") {
				t.Errorf("q6: where %s", where)
			}
		case "q13":
			sub := parsed.terms[0].from[0].(*subqueryRef)
			if sub.alias != "c_orders" || strings.Join(sub.cols, ",") != "c_custkey,c_count" {
				t.Errorf("q13: %+v", sub)
			}
		}
	}
}
