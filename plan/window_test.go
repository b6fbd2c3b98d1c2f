package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func winSpec(part []string, order ...SortKey) WindowSpec {
	return WindowSpec{PartitionBy: part, OrderBy: order}
}

func winFn(f WindowFuncKind, spec WindowSpec, args ...Expr) *WindowFunc {
	return &WindowFunc{Func: f, Args: args, Spec: spec, Site: f.String() + "@report.go:7"}
}

func winAgg(f AggFunc, arg Expr, spec WindowSpec) *WindowFunc {
	return &WindowFunc{Func: WinAgg, Agg: AggExpr{Func: f, Arg: arg}, Spec: spec, Site: "over@report.go:9"}
}

// TestWindowAnalysisErrors checks that misuse of window functions fails analysis with
// an error naming the call site and the function.
func TestWindowAnalysisErrors(t *testing.T) {
	byDay := winSpec([]string{"region"}, SortKey{Column: "day", NullsFirst: true})
	framed := byDay
	framed.Frame = &WindowFrame{Kind: FrameRows, Start: -1, End: 1}
	twoKeys := winSpec(nil, SortKey{Column: "day"}, SortKey{Column: "amount"})
	twoKeys.Frame = &WindowFrame{Kind: FrameRange, Start: -2, End: 0}
	byRegion := winSpec(nil, SortKey{Column: "region"})
	byRegion.Frame = &WindowFrame{Kind: FrameRange, Start: -2, End: 0}
	backwards := byDay
	backwards.Frame = &WindowFrame{Kind: FrameRows, Start: 2, End: -1}
	cases := []struct {
		name string
		e    Expr
		want string
		kind error
	}{
		{"rank without order", winFn(WinRank, winSpec([]string{"region"})), "rank@report.go:7: rank() OVER (PARTITION BY region): rank needs a window with ORDER BY", ErrInvalidPlan},
		{"frame on a ranking function", winFn(WinRowNumber, framed), "row_number takes no frame (ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)", ErrInvalidPlan},
		{"range offsets over two keys", winAgg(AggSum, col("amount"), twoKeys), "over@report.go:9: sum(amount) OVER (ORDER BY day ASC NULLS LAST, amount ASC NULLS LAST RANGE BETWEEN 2 PRECEDING AND CURRENT ROW): a RANGE frame with offsets needs exactly one ORDER BY key, got 2", ErrInvalidPlan},
		{"range offsets over a string", winAgg(AggSum, col("amount"), byRegion), `needs a numeric or date ORDER BY key, "region" is string`, ErrType},
		{"frame starting after its end", winAgg(AggSum, col("amount"), backwards), "ROWS BETWEEN 2 FOLLOWING AND 1 PRECEDING starts after its end", ErrInvalidPlan},
		{"sum of a string", winAgg(AggSum, col("region"), byDay), "needs an integer or floating-point argument over a window, got string", ErrType},
		{"unsupported aggregate", winAgg(AggMedian, col("amount"), byDay), "median is not supported over a window", ErrInvalidPlan},
		{"unknown partition column", winFn(WinRowNumber, winSpec([]string{"regoin"}, SortKey{Column: "day"})), `unknown column "regoin"`, ErrUnknownColumn},
		{"unknown value column", winFn(WinLag, byDay, col("amout")), `unknown column "amout"`, ErrUnknownColumn},
		{"ntile of zero", &WindowFunc{Func: WinNTile, Spec: byDay}, "ntile needs 1 <= n", ErrInvalidPlan},
		{"nested window function", winAgg(AggSum, winFn(WinRank, byDay), byDay), "cannot take another window function", ErrInvalidPlan},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Analyze(sel(salesScan(2), col("region"), as(c.e, "w")))
			if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, c.kind) {
				t.Fatalf("got %v, want an error containing %q (%v)", err, c.want, c.kind)
			}
		})
	}
	t.Run("in a filter", func(t *testing.T) {
		_, err := Analyze(where(salesScan(2), bin(OpEq, winFn(WinRank, byDay), i64(1))))
		if err == nil || !strings.Contains(err.Error(), "filter@etl.go:15") || !strings.Contains(err.Error(), "allowed only in Select and WithColumn") {
			t.Fatalf("got %v", err)
		}
	})
}

// TestWindowTypes checks the output types (Spark's) and that the projection's columns
// keep their names and order around the extracted window.
func TestWindowTypes(t *testing.T) {
	w := winSpec([]string{"region"}, SortKey{Column: "day", NullsFirst: true})
	whole := winSpec([]string{"region"})
	n := mustAnalyze(t, sel(salesScan(2),
		col("region"),
		as(winFn(WinRowNumber, w), "rn"),
		as(winFn(WinPercentRank, w), "pr"),
		as(winAgg(AggSum, col("qty"), w), "s"),
		as(winAgg(AggMean, col("amount"), whole), "m"),
		as(winFn(WinLag, w, col("cat"), lit(nil)), "prev_cat"),
		as(bin(OpAdd, winFn(WinDenseRank, w), i64(1)), "dr1"),
		as(winAgg(AggMin, col("price"), whole), "lo"),
		as(winFn(WinLead, w, col("cat"), lit("none")), "next_cat"),
	))
	want := "region:utf8 rn:int32 pr:float64 s:int64 m:float64 prev_cat:dictionary<values=utf8, indices=int32, ordered=false> dr1:int64 lo:float64 next_cat:utf8"
	var got []string
	for _, f := range n.Schema().Fields() {
		got = append(got, f.Name+":"+f.Type.String())
	}
	if strings.Join(got, " ") != want {
		t.Fatalf("schema %s\nwant   %s", strings.Join(got, " "), want)
	}
	// Two specs: two Window nodes, the functions sharing one.
	windows := 0
	for x := n.Children()[0]; ; x = x.Children()[0] {
		wn, ok := x.(*Window)
		if !ok {
			break
		}
		windows++
		if len(wn.PartitionBy) != 1 || len(wn.Exprs) < 2 {
			t.Fatalf("window %s", wn.Describe())
		}
	}
	if windows != 2 {
		t.Fatalf("%d Window nodes, want 2:\n%s", windows, FormatLogical(n))
	}
}

// TestWindowPhysical checks the physical shape: one exchange and one sort for windows of
// one partitioning and order, a single partition without PARTITION BY, and no second
// exchange when the input is already partitioned by the keys.
func TestWindowPhysical(t *testing.T) {
	cfg := PhysicalConfig{ShufflePartitions: 4}
	w := winSpec([]string{"region"}, SortKey{Column: "day", NullsFirst: true})
	framed := w
	framed.Frame = &WindowFrame{Kind: FrameRows, Start: -6, End: 0}
	n := mustAnalyze(t, sel(salesScan(2), col("region"), as(winFn(WinRank, w), "r"), as(winAgg(AggSum, col("amount"), framed), "s7")))
	plan := FormatPhysical(mustPhysical(t, Optimize(n), cfg))
	if strings.Count(plan, "Exchange") != 1 || strings.Count(plan, "Sort [") != 1 ||
		!strings.Contains(plan, "Sort [region ASC NULLS FIRST, day ASC NULLS FIRST]") ||
		!strings.Contains(plan, "Exchange hash[region] x 4") {
		t.Fatalf("two windows of one spec should share an exchange and a sort:\n%s", plan)
	}
	global := winSpec(nil, SortKey{Column: "day", NullsFirst: true})
	n = mustAnalyze(t, sel(salesScan(2), col("day"), as(winFn(WinRowNumber, global), "rn")))
	plan = FormatPhysical(mustPhysical(t, Optimize(n), cfg))
	if !strings.Contains(plan, "(single partition: no PARTITION BY)") || !strings.Contains(plan, "Exchange single") {
		t.Fatalf("a window without PARTITION BY runs in one partition:\n%s", plan)
	}
	// Grouped by region then windowed by region: the aggregate's exchange serves both.
	agg := groupBy(salesScan(2), []string{"region"}, sum(col("amount"), "total"))
	n = mustAnalyze(t, sel(agg, col("region"), as(winFn(WinRank, winSpec([]string{"region"}, SortKey{Column: "total"})), "r")))
	plan = FormatPhysical(mustPhysical(t, Optimize(n), cfg))
	if strings.Count(plan, "Exchange") != 1 {
		t.Fatalf("the window should reuse the aggregate's partitioning:\n%s", plan)
	}
	// An argument expression is projected into a column and dropped after.
	n = mustAnalyze(t, sel(salesScan(2), as(winAgg(AggSum, bin(OpMul, col("amount"), i64(2)), w), "s2")))
	p := mustPhysical(t, Optimize(n), cfg)
	if !arrow.TypeEqual(p.Schema().Field(0).Type, arrow.PrimitiveTypes.Int64) || p.Schema().NumFields() != 1 {
		t.Fatalf("schema %s:\n%s", p.Schema(), FormatPhysical(p))
	}
}

// TestWindowFilterPushdown: a filter on partition keys moves below the window; one on a
// window column or another column stays above it.
func TestWindowFilterPushdown(t *testing.T) {
	w := winSpec([]string{"region"}, SortKey{Column: "day", NullsFirst: true})
	proj := sel(salesScan(2), col("region"), col("amount"), as(winFn(WinRowNumber, w), "rn"))
	cond := bin(OpAnd, bin(OpEq, col("region"), lit("east")),
		bin(OpAnd, bin(OpEq, col("rn"), i64(1)), bin(OpGt, col("amount"), i64(0))))
	got := FormatLogical(Optimize(mustAnalyze(t, where(proj, cond))))
	above := strings.Index(got, "Filter ((amount > 0) AND (CAST(rn AS int64) = 1))")
	window := strings.Index(got, "Window [row_number()")
	below := strings.Index(got, `Filter (region = "east")`)
	if above < 0 || window < 0 || below < 0 || !(above < window && window < below) {
		t.Fatalf("want the key filter below the window and the others above:\n%s", got)
	}
}
