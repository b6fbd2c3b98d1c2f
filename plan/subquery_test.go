package plan

import (
	"errors"
	"strings"
	"testing"
)

// TestInSubqueryAnalyze: the analyzer rewrites IN into a semi join over the subquery's
// distinct values (keeping the other conjuncts below it), types the probe against the
// subquery column (int32 qty against int64 amount: both int64; a dictionary against a
// string: no cast), and rejects the misplaced and mistyped forms naming the call.
func TestInSubqueryAnalyze(t *testing.T) {
	sub := &Project{Input: salesScan(1), Exprs: []Expr{col("amount")}}
	in := &Filter{Input: salesScan(2), Cond: bin(OpAnd, bin(OpGt, col("price"), lit(1.0)),
		&InSubquery{Value: col("qty"), Plan: sub, Site: "isin@x.go:1"})}
	got := FormatLogical(mustAnalyze(t, in))
	for _, want := range []string{
		"Project [region, day, amount, price, qty, cat, ok]",
		"Join left_semi on [__in0_value] = [__in0_key]",
		"CAST(qty AS int64) AS __in0_value",
		"Filter (price > 1)",
		"Distinct [__in0_key]",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	cats := &Project{Input: salesScan(1), Exprs: []Expr{col("region")}}
	not := mustAnalyze(t, &Filter{Input: salesScan(2), Cond: &InSubquery{Value: col("cat"), Plan: cats, Negated: true}})
	if s := FormatLogical(not); !strings.Contains(s, "Join left_anti on [cat] = [__in0_key]") || !strings.Contains(s, "Broadcast (hint)") {
		t.Errorf("NOT IN plan:\n%s", s)
	}
	if s := FormatLogical(not); !strings.HasPrefix(s, "Project [region, day, amount, price, qty, cat, ok]") {
		t.Errorf("NOT IN output columns:\n%s", s)
	}

	for _, c := range []struct {
		n    Node
		kind error
		want string
	}{
		{&Filter{Input: salesScan(1), Cond: bin(OpOr, col("ok"), &InSubquery{Value: col("qty"), Plan: sub, Site: "isin@x.go:1"})},
			ErrInvalidPlan, "isin@x.go:1: (qty IN (subquery)): IsIn over a dataset is only supported as a filter conjunct"},
		{&Project{Input: salesScan(1), Exprs: []Expr{as(&InSubquery{Value: col("qty"), Plan: sub, Site: "isin@x.go:2"}, "b")}},
			ErrInvalidPlan, "isin@x.go:2: (qty IN (subquery)): IsIn over a dataset"},
		{&Filter{Input: salesScan(1), Cond: &InSubquery{Value: col("qty"), Plan: salesScan(1), Site: "isin@x.go:3"}},
			ErrInvalidPlan, "exactly one column, it has 7"},
		{&Filter{Input: salesScan(1), Cond: &InSubquery{Value: col("region"), Plan: sub, Negated: true, Site: "isin@x.go:4"}},
			ErrType, "isin@x.go:4: (region NOT IN (subquery)): cannot compare string with the dataset's column \"amount\" of type int64"},
	} {
		_, err := Analyze(c.n)
		if err == nil || !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %v containing %q", err, c.kind, c.want)
		}
	}
}
