package dataset

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/plan"
)

// maxPivotValues caps the distinct values Pivot discovers, as Spark's
// spark.sql.pivotMaxValues.
const maxPivotValues = 10000

// Pivoted is a grouped dataset with a pivot column, waiting for its aggregates.
type Pivoted struct {
	g      *Grouped
	col    string
	values []any
	site   string
}

// Pivot turns the distinct values of pivotCol into columns, as Spark's
// groupBy(...).pivot(col, values): Agg then computes every aggregate once per value, over
// the group's rows whose pivotCol equals it. values lists the values (Go values as Lit
// takes them; nil for the NULL value) in the order of the result's columns; with none,
// they are the column's distinct values in ascending order (NULL first), found by a
// distinct job that Agg runs at once with a background context (as Spark's pivot runs
// one), and more than 10000 of them is an error; over no rows the result has only the
// group keys.
func (g *Grouped) Pivot(pivotCol string, values ...any) *Pivoted {
	return &Pivoted{g: g, col: pivotCol, values: values, site: callSite("pivot")}
}

// Agg computes the aggregates for every pivot value: the result has the group keys, then
// one column per value and aggregate, named by the value (with one aggregate) or
// value_aggregate (with several; the aggregate's name is its As name or its default
// one). A value no row of a group has gives NULL, for counts too, as in Spark.
func (p *Pivoted) Agg(aggs ...Agg) *Dataset {
	d := p.g.d
	if d.err != nil {
		return d
	}
	if len(aggs) == 0 {
		return d.deriveErr(fmt.Errorf("dataset: Pivot at %s: Agg needs at least one aggregate", p.site))
	}
	values := p.values
	if len(values) == 0 {
		var err error
		if values, err = p.discover(context.Background()); err != nil {
			return d.deriveErr(err)
		}
		if len(values) == 0 {
			// No rows: only the group keys, as Spark.
			return (&Grouped{d: d, keys: p.g.keys, site: p.g.site}).Agg()
		}
	}
	// Each value also counts its rows: a cell of a group without any is NULL, as in
	// Spark (where count would otherwise give 0).
	var out []Agg
	var cells []Expr
	for i, v := range values {
		cond := Col(p.col).Eq(Lit(v))
		if v == nil {
			cond = Col(p.col).IsNull()
		}
		rows := "__pivot_rows_" + strconv.Itoa(i)
		out = append(out, Count().Filter(cond).As(rows))
		for _, a := range aggs {
			name := pivotName(v)
			if len(aggs) > 1 {
				name += "_" + a.a.Name
			}
			out = append(out, a.Filter(cond).As(name))
			cells = append(cells, If(Col(rows).Gt(Lit(0)), Col(name), Lit(nil)).As(name))
		}
	}
	g := &Grouped{d: d, keys: p.g.keys, site: p.g.site}
	cols := make([]Expr, 0, len(p.g.keys)+len(cells))
	for _, k := range p.g.keys {
		cols = append(cols, Col(k))
	}
	return g.Agg(out...).Select(append(cols, cells...)...)
}

// pivotName is the column name of a pivot value.
func pivotName(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case arrow.Date32:
		return v.FormattedString()
	}
	return fmt.Sprint(v)
}

// discover runs the distinct job over the pivot column and returns its values sorted.
func (p *Pivoted) discover(ctx context.Context) ([]any, error) {
	d := p.g.d.SelectColumns(p.col).Distinct().OrderBy(Asc(p.col)).Limit(maxPivotValues + 1)
	recs, err := d.collect(ctx, "pivot")
	if err != nil {
		return nil, fmt.Errorf("dataset: Pivot at %s: finding the values of %q: %w", p.site, p.col, err)
	}
	defer releaseAll(recs)
	var values []any
	for _, r := range recs {
		for i := range int(r.NumRows()) {
			v, err := goValue(r.Column(0), i)
			if err != nil {
				return nil, fmt.Errorf("dataset: Pivot at %s: column %q: %w", p.site, p.col, err)
			}
			values = append(values, v)
		}
	}
	if len(values) > maxPivotValues {
		return nil, fmt.Errorf("dataset: Pivot at %s: column %q has more than %d distinct values; list the values to pivot on", p.site, p.col, maxPivotValues)
	}
	return values, nil
}

// goValue is row i of a as a Go value Lit takes (strings copied).
func goValue(a arrow.Array, i int) (any, error) {
	if a.IsNull(i) {
		return nil, nil
	}
	switch a := a.(type) {
	case *array.String:
		return strings.Clone(a.Value(i)), nil
	case *array.Dictionary:
		return goValue(a.Dictionary(), a.GetValueIndex(i))
	case *array.Int64:
		return a.Value(i), nil
	case *array.Int32:
		return int64(a.Value(i)), nil
	case *array.Int16:
		return int64(a.Value(i)), nil
	case *array.Int8:
		return int64(a.Value(i)), nil
	case *array.Float64:
		return a.Value(i), nil
	case *array.Float32:
		return float64(a.Value(i)), nil
	case *array.Boolean:
		return a.Value(i), nil
	case *array.Date32:
		return a.Value(i), nil
	}
	return nil, fmt.Errorf("cannot pivot on values of type %s", a.DataType())
}

// Unpivot turns the values columns into rows, as Spark's unpivot (melt): each input row
// becomes one row per value column, in the columns' order, holding the ids columns, the
// value column's name in a string column variableCol and its value in valueCol. The
// value columns are converted to their common type (integers to int64, integers and
// floats to float64, strings of any encoding to string); columns with none are an error.
// No values means every column that is not an id. It reads the input once: each row is
// repeated by an explode, not by a union of one scan per column.
func (d *Dataset) Unpivot(ids, values []string, variableCol, valueCol string) *Dataset {
	site := callSite("unpivot")
	schema, err := d.Schema()
	if err != nil {
		return d.deriveErr(err)
	}
	for _, c := range ids {
		if fieldType(schema, c) == nil {
			return d.deriveErr(fmt.Errorf("dataset: Unpivot at %s: no id column %q among %v", site, c, fieldNames(schema)))
		}
	}
	if len(values) == 0 {
		for _, f := range schema.Fields() {
			if !slices.Contains(ids, f.Name) {
				values = append(values, f.Name)
			}
		}
	}
	if len(values) == 0 {
		return d.deriveErr(fmt.Errorf("dataset: Unpivot at %s: no value columns", site))
	}
	types := make([]arrow.DataType, len(values))
	for i, c := range values {
		if types[i] = fieldType(schema, c); types[i] == nil {
			return d.deriveErr(fmt.Errorf("dataset: Unpivot at %s: no value column %q among %v", site, c, fieldNames(schema)))
		}
	}
	common, err := plan.CommonType(types...)
	if err != nil {
		return d.deriveErr(fmt.Errorf("dataset: Unpivot at %s: value columns %v of types %v have no common type: %w", site, values, types, err))
	}
	const tmp = "__unpivot_index"
	cols := make([]Expr, 0, len(ids)+len(values)+1)
	for _, c := range slices.Concat(ids, values) {
		cols = append(cols, Col(c))
	}
	// A list of len(values) empty strings per row, its index taken from the element.
	indexes := make([]string, len(values))
	for i := range indexes {
		indexes[i] = strconv.Itoa(i)
	}
	cols = append(cols, Split(Lit(strings.Join(indexes, ",")), ",").As(tmp))
	rows := d.Select(cols...).Explode(tmp)
	variable, value := CaseExpr{}, CaseExpr{}
	for i, c := range values {
		at := Col(tmp).Eq(Lit(indexes[i]))
		variable = variable.When(at, Lit(c))
		value = value.When(at, Col(c).Cast(common))
	}
	out := make([]Expr, 0, len(ids)+2)
	for _, c := range ids {
		out = append(out, Col(c))
	}
	out = append(out, variable.End().As(variableCol), value.End().As(valueCol))
	res := rows.Select(out...)
	if p, ok := res.node.(*plan.Project); ok {
		p.CallSite = site
	}
	return res
}
