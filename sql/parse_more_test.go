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
