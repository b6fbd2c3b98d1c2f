package dataset

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// Describe computes count, mean, stddev, min and max of the cols, as Spark's describe:
// the result has a string column "summary" naming the statistic, then one string column
// per described column, one row per statistic. With no cols it describes every numeric
// and string column. Mean and stddev (the sample standard deviation) are computed as
// float64 and are NULL for a string column; count counts the non-NULL values. It runs one
// aggregate over the input.
func (d *Dataset) Describe(cols ...string) *Dataset {
	return d.summarize(callSite("describe"), []string{"count", "mean", "stddev", "min", "max"}, cols)
}

// Summary computes the named statistics of every numeric and string column, as Spark's
// summary: the result is shaped as Describe's. The statistics are "count", "mean",
// "stddev", "min", "max" and the exact median "50%" (numeric columns; NULL for strings);
// with none, all six in the order count, mean, stddev, min, 50%, max. Spark's other
// percentiles ("25%", "75%", ...) and "count_distinct" are not supported yet: asking
// for them is an error.
func (d *Dataset) Summary(stats ...string) *Dataset {
	if len(stats) == 0 {
		stats = []string{"count", "mean", "stddev", "min", "50%", "max"}
	}
	return d.summarize(callSite("summary"), stats, nil)
}

// summarize computes stats over cols in one global aggregate, then turns its one row into
// one row per statistic with an explode.
func (d *Dataset) summarize(site string, stats, cols []string) *Dataset {
	schema, err := d.Schema()
	if err != nil {
		return d.deriveErr(err)
	}
	if len(cols) == 0 {
		for _, f := range schema.Fields() {
			if plan.IsNumeric(f.Type) || isStringType(f.Type) {
				cols = append(cols, f.Name)
			}
		}
	}
	types := make([]arrow.DataType, len(cols))
	for j, c := range cols {
		if types[j] = fieldType(schema, c); types[j] == nil {
			return d.deriveErr(fmt.Errorf("dataset: %s: no column %q among %v", site, c, fieldNames(schema)))
		}
	}
	var aggs []Agg
	for i, st := range stats {
		for j, c := range cols {
			a, ok, err := statAgg(st, Col(c), types[j])
			if err != nil {
				return d.deriveErr(fmt.Errorf("dataset: %s: %w", site, err))
			}
			if ok {
				aggs = append(aggs, a.As(statName(i, j)))
			}
		}
	}
	const tmp = "__summary_index"
	indexes := make([]string, len(stats))
	for i := range indexes {
		indexes[i] = strconv.Itoa(i)
	}
	// A global aggregate of no value columns still gives its one row: count it.
	agg := (&Grouped{d: d, site: site}).Agg(append(aggs, Count().As(tmp))...).
		WithColumn(tmp, Split(Lit(strings.Join(indexes, ",")), ",")).Explode(tmp)
	summary := CaseExpr{}
	values := make([]CaseExpr, len(cols))
	have := map[string]bool{}
	for _, a := range aggs {
		have[a.a.Name] = true
	}
	for i, st := range stats {
		at := Col(tmp).Eq(Lit(indexes[i]))
		summary = summary.When(at, Lit(st))
		for j := range cols {
			if have[statName(i, j)] {
				values[j] = values[j].When(at, Col(statName(i, j)).Cast(arrow.BinaryTypes.String))
			}
		}
	}
	out := []Expr{summary.End().As("summary")}
	for j, c := range cols {
		if len(values[j].args) == 0 {
			out = append(out, Lit(nil).Cast(arrow.BinaryTypes.String).As(c))
			continue
		}
		out = append(out, values[j].End().Cast(arrow.BinaryTypes.String).As(c))
	}
	res := agg.Select(out...)
	if p, ok := res.node.(*plan.Project); ok {
		p.CallSite = site
	}
	return res
}

func statName(i, j int) string { return "__stat_" + strconv.Itoa(i) + "_" + strconv.Itoa(j) }

// statAgg is the aggregate of statistic st over x of type t; false when st does not
// apply to t (its cells are NULL).
func statAgg(st string, x Expr, t arrow.DataType) (Agg, bool, error) {
	num := plan.IsNumeric(t)
	asFloat := x.Cast(arrow.PrimitiveTypes.Float64)
	switch st {
	case "count":
		return CountExpr(x), true, nil
	case "min":
		return MinExpr(x), true, nil
	case "max":
		return MaxExpr(x), true, nil
	case "mean":
		return MeanExpr(asFloat), num, nil
	case "stddev":
		return StddevExpr(asFloat), num, nil
	case "50%":
		return MedianExpr(asFloat), num, nil
	}
	return Agg{}, false, fmt.Errorf("statistic %q is not supported (count, mean, stddev, min, max, 50%%)", st)
}
