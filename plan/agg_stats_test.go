package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestStatAggregateTyping checks the result types of the statistical aggregates, their
// default names (with their parameters) and the errors of bad arguments or parameters,
// which name the aggregate and the call site.
func TestStatAggregateTyping(t *testing.T) {
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64},
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: dict, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	fr := func(f ...float64) *AggStatParams { return &AggStatParams{Fractions: f} }
	many := func(f ...float64) *AggStatParams { return &AggStatParams{Fractions: f, Many: true} }
	analyze := func(a AggExpr) (Node, error) {
		return Analyze(&Aggregate{Meta: Meta{CallSite: "agg@t.go:7"}, Input: scanOf("t", schema, 1, 0), Keys: []string{"k"}, Aggs: []AggExpr{a}})
	}
	i64, f64 := arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64
	for _, tc := range []struct {
		a        AggExpr
		want     arrow.DataType
		name     string
		nullable bool
	}{
		{AggExpr{Func: AggApproxCountDistinct, Arg: col("d")}, i64, "approx_count_distinct(d)", false},
		{AggExpr{Func: AggApproxCountDistinct, Arg: col("s"), Stat: &AggStatParams{RSD: 0.01}}, i64, "approx_count_distinct(s, 0.01)", false},
		{AggExpr{Func: AggApproxPercentile, Arg: col("i"), Stat: fr(0.5)}, arrow.PrimitiveTypes.Int32, "percentile_approx(i, 0.5, 10000)", true},
		{AggExpr{Func: AggApproxPercentile, Arg: col("f"), Stat: &AggStatParams{Fractions: []float64{0.1, 0.9}, Many: true, Accuracy: 50}},
			arrow.ListOf(arrow.PrimitiveTypes.Float32), "percentile_approx(f, array(0.1, 0.9), 50)", true},
		{AggExpr{Func: AggPercentile, Arg: col("i"), Stat: fr(0.25)}, f64, "percentile(i, 0.25)", true},
		{AggExpr{Func: AggPercentile, Arg: col("f"), Stat: many(0.5)}, arrow.ListOf(f64), "percentile(f, array(0.5))", true},
		{AggExpr{Func: AggStatMode, Arg: col("i")}, arrow.PrimitiveTypes.Int32, "mode(i)", true},
		{AggExpr{Func: AggStatMode, Arg: col("d")}, arrow.BinaryTypes.String, "mode(d)", true},
		{AggExpr{Func: AggStatMode, Arg: col("day")}, arrow.FixedWidthTypes.Date32, "mode(day)", true},
		{AggExpr{Func: AggApproxPercentile, Arg: col("day"), Stat: fr(0.5)}, arrow.FixedWidthTypes.Date32, "percentile_approx(day, 0.5, 10000)", true},
	} {
		n, err := analyze(tc.a)
		if err != nil {
			t.Errorf("%s: %v", tc.a, err)
			continue
		}
		f := n.Schema().Field(1)
		if !arrow.TypeEqual(f.Type, tc.want) || f.Name != tc.name || f.Nullable != tc.nullable {
			t.Errorf("%s: field %s (nullable %v), want %s %s (nullable %v)", tc.a, f, f.Nullable, tc.name, tc.want, tc.nullable)
		}
		ra := n.(*Aggregate).Aggs[0]
		if len(AggStateFields(ra, schema.Field(schema.FieldIndices(tc.a.Arg.(*ColumnRef).Name)[0]).Type)) == 0 {
			t.Errorf("%s: no state fields", tc.a)
		}
	}
	for _, tc := range []struct {
		a    AggExpr
		kind error
		want string
	}{
		{AggExpr{Func: AggApproxPercentile, Arg: col("s"), Stat: fr(0.5)}, ErrType, "percentile_approx(s, 0.5, 10000) needs a numeric, date or time argument, got string"},
		{AggExpr{Func: AggPercentile, Arg: col("d"), Stat: fr(0.5)}, ErrType, "percentile(d, 0.5) needs an integer or floating-point argument"},
		{AggExpr{Func: AggPercentile, Arg: col("day"), Stat: fr(0.5)}, ErrType, "percentile(day, 0.5) needs an integer or floating-point argument, got date"},
		{AggExpr{Func: AggStatMode, Arg: col("l")}, ErrType, "mode(l) needs a numeric, string, date or time argument, got list"},
		{AggExpr{Func: AggApproxCountDistinct, Arg: col("l")}, ErrType, "approx_count_distinct(l) needs a comparable argument"},
		{AggExpr{Func: AggApproxCountDistinct, Arg: col("i"), Stat: &AggStatParams{RSD: 0.5}}, ErrInvalidPlan, "relative standard deviation 0.5 is too large"},
		{AggExpr{Func: AggApproxCountDistinct, Arg: col("i"), Stat: &AggStatParams{RSD: 1e-4}}, ErrInvalidPlan, "is too small"},
		{AggExpr{Func: AggApproxCountDistinct, Arg: col("i"), Stat: &AggStatParams{RSD: -1}}, ErrInvalidPlan, "must be positive"},
		{AggExpr{Func: AggPercentile, Arg: col("i"), Stat: fr(1.5)}, ErrInvalidPlan, "percentile(i, 1.5): percentage 1.5 is not between 0 and 1"},
		{AggExpr{Func: AggPercentile, Arg: col("i"), Stat: many()}, ErrInvalidPlan, "needs at least one percentage"},
		{AggExpr{Func: AggApproxPercentile, Arg: col("i"), Stat: &AggStatParams{Fractions: []float64{0.5}, Accuracy: -3}}, ErrInvalidPlan, "accuracy must be positive, got -3"},
	} {
		_, err := analyze(tc.a)
		var ae *AnalysisError
		if !errors.As(err, &ae) || ae.Kind != tc.kind || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "t.go:7") {
			t.Errorf("%s: error %v, want a %v containing %q and the call site", tc.a, err, tc.kind, tc.want)
		}
	}
}
