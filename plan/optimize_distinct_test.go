package plan

import (
	"strings"
	"testing"
)

func countDistinct(arg Expr, name string) AggExpr {
	return AggExpr{Func: AggCountDistinct, Arg: arg, Name: name}
}

func init() {
	for name, build := range map[string]func() Node{
		"count-distinct-split": func() Node {
			return groupBy(salesScan(4), []string{"region"}, countDistinct(col("day"), "days"))
		},
		"count-and-sum-distinct-split": func() Node {
			return groupBy(salesScan(4), []string{"region", "day"}, countDistinct(col("amount"), "n"),
				AggExpr{Func: AggSumDistinct, Arg: col("amount"), Name: "s"})
		},
		"global-count-distinct-split": func() Node {
			return groupBy(salesScan(4), nil, countDistinct(col("region"), "regions"))
		},
		"count-distinct-of-expression-split": func() Node {
			return groupBy(salesScan(4), []string{"region"}, countDistinct(bin(OpMul, col("price"), col("qty")), "totals"))
		},
		"count-distinct-of-dictionary-split": func() Node {
			return groupBy(salesScan(4), []string{"region"}, countDistinct(col("cat"), "cats"))
		},
		"count-distinct-of-key-split": func() Node {
			return groupBy(salesScan(4), []string{"region"}, countDistinct(col("region"), "one"))
		},
		"count-distinct-with-others-split": func() Node {
			return groupBy(salesScan(4), []string{"region"}, countDistinct(col("day"), "days"), sum(col("amount"), "total"),
				countAll("n"), AggExpr{Func: AggCount, Arg: col("qty"), Name: "nq"}, AggExpr{Func: AggMax, Arg: col("cat"), Name: "top"})
		},
		"global-count-distinct-with-count-split": func() Node {
			return groupBy(salesScan(4), nil, countAll("n"), countDistinct(bin(OpAdd, col("qty"), i64(1)), "q"))
		},
		"count-distinct-with-mean-expanded": func() Node {
			return groupBy(salesScan(4), []string{"region"}, countDistinct(col("day"), "days"), AggExpr{Func: AggMean, Arg: col("price"), Name: "p"})
		},
		"two-distinct-arguments-expanded": func() Node {
			return groupBy(salesScan(4), []string{"region"}, countDistinct(col("day"), "days"), countDistinct(col("qty"), "qtys"))
		},
		"global-distinct-arguments-with-regulars-expanded": func() Node {
			return groupBy(salesScan(4), nil, countAll("n"), countDistinct(col("cat"), "cats"),
				AggExpr{Func: AggSumDistinct, Arg: bin(OpMul, col("qty"), i64(2)), Name: "q2"},
				countDistinct(col("day"), "days"), AggExpr{Func: AggStddev, Arg: col("price"), Name: "sd"},
				AggExpr{Func: AggCorr, Arg: col("price"), Arg2: col("qty"), Name: "c"})
		},
		"distinct-arguments-with-collect-kept": func() Node {
			return groupBy(salesScan(4), []string{"region"}, countDistinct(col("day"), "days"), countDistinct(col("qty"), "qtys"),
				AggExpr{Func: AggCollectList, Arg: col("qty"), Name: "qs"})
		},
	} {
		goldenPlans[name] = build
	}
}

// The rewrite keeps the schema, names and types (nullability of sum aside, which a
// distinct sum has too), and OptimizeKeepingDistinct leaves the aggregation alone.
func TestSplitDistinctKeepsSchema(t *testing.T) {
	for _, name := range []string{"count-distinct-split", "count-and-sum-distinct-split", "global-count-distinct-split",
		"count-distinct-of-expression-split", "count-distinct-of-dictionary-split", "count-distinct-of-key-split",
		"count-distinct-with-others-split", "global-count-distinct-with-count-split",
		"count-distinct-with-mean-expanded", "two-distinct-arguments-expanded", "global-distinct-arguments-with-regulars-expanded"} {
		analyzed, err := Analyze(goldenPlans[name]())
		if err != nil {
			t.Fatal(err)
		}
		split := Optimize(analyzed)
		if !split.Schema().Equal(analyzed.Schema()) {
			t.Errorf("%s: schema %s, want %s", name, split.Schema(), analyzed.Schema())
		}
		if got := FormatLogical(split); strings.Count(got, "Aggregate")+strings.Count(got, "Distinct [") != 2 || strings.Contains(got, "DISTINCT") {
			t.Errorf("%s: not split:\n%s", name, got)
		}
		kept := OptimizeKeepingDistinct(analyzed)
		if got := FormatLogical(kept); strings.Count(got, "Aggregate") != 1 || !strings.Contains(got, "DISTINCT") {
			t.Errorf("%s: split though kept:\n%s", name, got)
		}
	}
}

// The collection and boolean aggregates check their argument's type, and name
// themselves after their call.
func TestCollectAggregateAnalysis(t *testing.T) {
	for _, c := range []struct {
		agg  AggExpr
		want string // the error, or the output field
	}{
		{AggExpr{Func: AggBoolAnd, Arg: col("amount")}, "bool_and(amount) needs a boolean argument, got int64"},
		{AggExpr{Func: AggBoolOr, Arg: col("ok")}, "bool_or(ok): type=bool"},
		{AggExpr{Func: AggSumDistinct, Arg: col("region")}, "needs a numeric argument, got string"},
		{AggExpr{Func: AggSumDistinct, Arg: col("qty")}, "sum(DISTINCT qty): type=int64"},
		{AggExpr{Func: AggCollectList, Arg: col("cat")}, "collect_list(cat): type=list<item: utf8, nullable>"},
		{AggExpr{Func: AggCollectSet, Arg: col("day")}, "collect_set(day): type=list<item: date32, nullable>"},
		{AggExpr{Func: AggLast, Arg: col("price"), IgnoreNulls: true}, "last(price, true): type=float64, nullable"},
		{AggExpr{Func: AggAnyValue, Arg: col("region")}, "any_value(region): type=utf8, nullable"},
	} {
		a, err := Analyze(groupBy(salesScan(2), nil, c.agg))
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = a.Schema().Field(0).String()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%s: %s, want %s", c.agg, got, c.want)
		}
	}
}
