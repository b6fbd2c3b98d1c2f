package dataset

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// Describe computes count, mean, stddev, min and max of the cols, as Spark's describe:
// the result has a string column "summary" naming the statistic, then one string column
// per described column, one row per statistic. With no cols it describes every numeric
// (decimals included, as Spark) and string column. Mean and stddev (the sample standard deviation) are computed as
// float64, a string column's values read as numbers as Spark casts them (NULL where none
// is one); count counts the non-NULL values. It runs one aggregate over the input.
func (d *Dataset) Describe(cols ...string) *Dataset {
	return d.summarize(callSite("describe"), []string{"count", "mean", "stddev", "min", "max"}, cols)
}

// Summary computes the named statistics of every numeric (decimals included) and string
// column, as Spark's summary: the result is shaped as Describe's, one row per statistic
// in the order asked, labelled as asked. With no stats it computes Spark's default list: count, mean, stddev,
// min, 25%, 50%, 75%, max. The statistics (names in any case, as Spark matches them):
//
//   - "count", "mean", "stddev", "min", "max": as Describe.
//   - "count_distinct": the exact number of distinct non-NULL values.
//   - "approx_count_distinct": its HyperLogLog estimate (ApproxCountDistinct at Spark's
//     default 5% error; kindling hashes differently, so estimates may differ from Spark's).
//   - a percentile "NN%" or "NN.N%" (any number from 0 to 100 before the %): as Spark,
//     percentile_approx at the default accuracy (ApproxPercentiles, one sketch per column
//     for all the percentiles asked), so the value is one of the column's values, not an
//     interpolation: the smallest whose rank reaches the fraction, sorted[ceil(f*n)-1] of
//     the n non-NULL values (the first for 0%), exact up to about 100,000 values per
//     column. Use Percentile for the interpolated value.
//
// Mean, stddev and the percentiles read a string column's values as numbers, as Spark's
// cast to double does, so they are NULL unless it holds numbers. A decimal column's
// percentiles are computed over float64 and given back as decimals, as Spark's
// percentile_approx does; its mean is a float64 where Spark's is a decimal of four more
// digits of scale (16.527222222222225 for Spark's 16.527222). An unknown statistic, a
// percentile that is not a number or lies outside [0%, 100%] is an error.
func (d *Dataset) Summary(stats ...string) *Dataset {
	if len(stats) == 0 {
		stats = []string{"count", "mean", "stddev", "min", "25%", "50%", "75%", "max"}
	}
	return d.summarize(callSite("summary"), stats, nil)
}

// summaryStat is a statistic of Summary parsed: its keyword, lower case, or "%" for a
// percentile at fraction.
type summaryStat struct {
	kind     string
	fraction float64
}

// parseSummaryStats parses Summary's statistics, as Spark's StatFunctions.summary does.
func parseSummaryStats(stats []string) ([]summaryStat, error) {
	out := make([]summaryStat, len(stats))
	for i, st := range stats {
		kind := strings.ToLower(st)
		switch kind {
		case "count", "mean", "stddev", "min", "max", "count_distinct", "approx_count_distinct":
			out[i] = summaryStat{kind: kind}
			continue
		}
		num, ok := strings.CutSuffix(st, "%")
		if !ok {
			return nil, fmt.Errorf("statistic %q is not supported (count, count_distinct, approx_count_distinct, mean, stddev, min, max, or a percentile such as 25%% or 99.9%%)", st)
		}
		p, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || math.IsNaN(p) {
			return nil, fmt.Errorf("statistic %q: %q is not a number", st, num)
		}
		if p < 0 || p > 100 {
			return nil, fmt.Errorf("statistic %q: a percentile must be in [0%%, 100%%]", st)
		}
		out[i] = summaryStat{kind: "%", fraction: p / 100}
	}
	return out, nil
}

// summarize computes stats over cols in one global aggregate, then turns its one row into
// one row per statistic with an explode.
func (d *Dataset) summarize(site string, stats, cols []string) *Dataset {
	schema, err := d.Schema()
	if err != nil {
		return d.deriveErr(err)
	}
	parsed, err := parseSummaryStats(stats)
	if err != nil {
		return d.deriveErr(fmt.Errorf("dataset: %s: %w", site, err))
	}
	if len(cols) == 0 {
		for _, f := range schema.Fields() {
			if plan.IsNumeric(f.Type) || isDecimalType(f.Type) || isStringType(f.Type) {
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
	var fractions []float64
	for _, st := range parsed {
		if st.kind == "%" {
			fractions = append(fractions, st.fraction)
		}
	}
	// values[i][j] is statistic i of column j, read from the aggregate's row; a zero Expr
	// where the statistic does not apply (the cell is NULL).
	values := make([][]Expr, len(parsed))
	var aggs []Agg
	for j, c := range cols {
		if arg, ok := numberArg(Col(c), types[j]); ok && len(fractions) > 0 {
			// One sketch answers every percentile of the column, as in Spark.
			aggs = append(aggs, ApproxPercentilesExpr(arg, fractions, 0).As(pctName(j)))
		}
	}
	for i, st := range parsed {
		values[i] = make([]Expr, len(cols))
		p := 0
		for _, prev := range parsed[:i] {
			if prev.kind == "%" {
				p++
			}
		}
		for j, c := range cols {
			if st.kind == "%" {
				if _, ok := numberArg(Col(c), types[j]); ok {
					values[i][j] = ElementAt(Col(pctName(j)), Lit(int64(p+1)))
					if isDecimalType(types[j]) {
						// Spark's percentile_approx works on doubles and returns the
						// decimal type: a value of the column, exact back from float64.
						values[i][j] = values[i][j].Cast(types[j])
					}
				}
				continue
			}
			if a, ok := statAgg(st.kind, Col(c), types[j]); ok {
				aggs = append(aggs, a.As(statName(i, j)))
				values[i][j] = Col(statName(i, j))
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
	cases := make([]CaseExpr, len(cols))
	for i, st := range stats {
		at := Col(tmp).Eq(Lit(indexes[i]))
		summary = summary.When(at, Lit(st))
		for j := range cols {
			if values[i][j].e != nil {
				cases[j] = cases[j].When(at, values[i][j].Cast(arrow.BinaryTypes.String))
			}
		}
	}
	out := []Expr{summary.End().As("summary")}
	for j, c := range cols {
		if len(cases[j].args) == 0 {
			out = append(out, Lit(nil).Cast(arrow.BinaryTypes.String).As(c))
			continue
		}
		out = append(out, cases[j].End().Cast(arrow.BinaryTypes.String).As(c))
	}
	res := agg.Select(out...)
	if p, ok := res.node.(*plan.Project); ok {
		p.CallSite = site
	}
	return res
}

func statName(i, j int) string { return "__stat_" + strconv.Itoa(i) + "_" + strconv.Itoa(j) }

func pctName(j int) string { return "__percentiles_" + strconv.Itoa(j) }

// numberArg is x as the mean, stddev and percentiles read it: an integer or float column
// as it is, a decimal one as float64 (as Spark's percentile_approx reads it), a string
// column cast to float64 as Spark's summary casts it to double (non-numbers NULL); false
// for other types.
func numberArg(x Expr, t arrow.DataType) (Expr, bool) {
	switch {
	case plan.IsNumeric(t):
		return x, true
	case isDecimalType(t), isStringType(t):
		return x.Cast(arrow.PrimitiveTypes.Float64), true
	}
	return Expr{}, false
}

func isDecimalType(t arrow.DataType) bool {
	return t.ID() == arrow.DECIMAL128 || t.ID() == arrow.DECIMAL256
}

// statAgg is the aggregate of the statistic kind (not a percentile) over x of type t;
// false when it does not apply to t (its cells are NULL).
func statAgg(kind string, x Expr, t arrow.DataType) (Agg, bool) {
	switch kind {
	case "count":
		return CountExpr(x), true
	case "count_distinct":
		return CountDistinctExpr(x), true
	case "approx_count_distinct":
		return ApproxCountDistinctExpr(x, 0), true
	case "min":
		return MinExpr(x), true
	case "max":
		return MaxExpr(x), true
	}
	arg, ok := numberArg(x, t)
	if !ok {
		return Agg{}, false
	}
	asFloat := arg.Cast(arrow.PrimitiveTypes.Float64)
	if kind == "mean" {
		return MeanExpr(asFloat), true
	}
	return StddevExpr(asFloat), true // stddev
}
