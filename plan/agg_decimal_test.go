package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestDecimalAggregateTyping checks Spark's result and state types of the aggregates over
// decimal(p,s) columns, and the errors of those that take no decimals, which name the
// aggregate.
func TestDecimalAggregateTyping(t *testing.T) {
	dec := func(p, s int32) *arrow.Decimal128Type { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: dec(12, 2)},
		{Name: "a", Type: dec(12, 2), Nullable: true},
		{Name: "b", Type: dec(36, 36), Nullable: true},
		{Name: "w", Type: &arrow.Decimal256Type{Precision: 40, Scale: 2}, Nullable: true},
	}, nil)
	col := func(n string) Expr { return &ColumnRef{Name: n} }
	agg := func(f AggFunc, arg string) AggExpr { return AggExpr{Func: f, Arg: col(arg)} }
	for _, tc := range []struct {
		a    AggExpr
		want arrow.DataType
	}{
		{agg(AggSum, "a"), dec(22, 2)},
		{agg(AggSum, "b"), dec(38, 36)},
		{agg(AggMean, "a"), dec(16, 6)},
		{agg(AggMean, "b"), dec(38, 38)},
		{agg(AggMin, "a"), dec(12, 2)},
		{agg(AggMax, "b"), dec(36, 36)},
		{agg(AggFirst, "a"), dec(12, 2)},
		{agg(AggCount, "a"), arrow.PrimitiveTypes.Int64},
		{agg(AggCountDistinct, "a"), arrow.PrimitiveTypes.Int64},
	} {
		n, err := Analyze(&Aggregate{Meta: Meta{CallSite: "agg@t.go:1"}, Input: scanOf("t", schema, 1, 0), Keys: []string{"k"}, Aggs: []AggExpr{tc.a}})
		if err != nil {
			t.Errorf("%s: %v", tc.a, err)
			continue
		}
		out := n.Schema()
		if !arrow.TypeEqual(out.Field(0).Type, dec(12, 2)) {
			t.Errorf("%s: key type %s", tc.a, out.Field(0).Type)
		}
		if got := out.Field(1).Type; !arrow.TypeEqual(got, tc.want) {
			t.Errorf("%s: type %s, want %s", tc.a, got, tc.want)
		}
	}
	// The partial states of sum and mean: the sum in the sum type and a count.
	for _, f := range []AggFunc{AggSum, AggMean} {
		st := AggStateFields(AggExpr{Func: f, Name: "x"}, dec(12, 2))
		if len(st) != 2 || !arrow.TypeEqual(st[0].Type, dec(22, 2)) || !arrow.TypeEqual(st[1].Type, arrow.PrimitiveTypes.Int64) {
			t.Errorf("%s states: %v", f, st)
		}
	}
	for _, tc := range []struct {
		a    AggExpr
		want string
	}{
		{agg(AggMedian, "a"), "median(a) needs an integer or floating-point argument, got decimal(12, 2)"},
		{agg(AggStddev, "a"), "stddev(a) needs an integer or floating-point argument"},
		{agg(AggSum, "w"), "sum(w) needs a numeric argument, got decimal256(40, 2)"},
		{agg(AggMean, "w"), "mean(w) needs a numeric argument"},
	} {
		_, err := Analyze(&Aggregate{Meta: Meta{CallSite: "agg@t.go:1"}, Input: scanOf("t", schema, 1, 0), Aggs: []AggExpr{tc.a}})
		var ae *AnalysisError
		if !errors.As(err, &ae) || ae.Kind != ErrType || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want an ErrType containing %q", tc.a, err, tc.want)
		}
	}
}
