package dataset

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// SortWithinPartitions sorts the rows of each partition by keys, as Spark's
// sortWithinPartitions: no shuffle, the partitions stay what they were, so the result is
// not globally ordered. The sort is the external sort of OrderBy (it spills when memory
// is short) and is stable; a Limit over it is not a top-N: it takes the first rows of the
// partitions in order.
func (d *Dataset) SortWithinPartitions(keys ...SortKey) *Dataset {
	site := callSite("sortWithinPartitions")
	if len(keys) == 0 {
		return d.deriveErr(errors.New("dataset: SortWithinPartitions needs at least one key"))
	}
	ks := make([]plan.SortKey, len(keys))
	for i, k := range keys {
		ks[i] = k.k
	}
	return d.derive(&plan.Sort{Meta: plan.Meta{CallSite: site}, Input: d.node, Keys: ks, Local: true})
}

// WithColumns adds or replaces several columns at once, as Spark's withColumns: every
// expression sees the input's columns (not each other's results). A column whose name
// exists keeps its position; new columns are appended in the order of their names.
func (d *Dataset) WithColumns(cols map[string]Expr) *Dataset {
	site := callSite("withColumns")
	names := make([]string, 0, len(cols))
	for n := range cols {
		names = append(names, n)
	}
	sort.Strings(names)
	es := make([]plan.Expr, len(names))
	for i, n := range names {
		x := cols[n]
		if x.err != nil {
			return d.deriveErr(x.err)
		}
		if x.e == nil {
			return d.deriveErr(fmt.Errorf("dataset: WithColumns: a zero Expr for %q", n))
		}
		es[i] = &plan.Alias{Child: x.e, Name: n}
	}
	return d.derive(&plan.WithColumns{Meta: plan.Meta{CallSite: site}, Input: d.node, Exprs: es})
}

// WithColumnsRenamed renames several columns at once (old name to new name), as Spark's
// withColumnsRenamed: the columns keep their positions, and a name that is not a column
// is ignored.
func (d *Dataset) WithColumnsRenamed(renames map[string]string) *Dataset {
	site := callSite("withColumnsRenamed")
	schema, err := d.Schema()
	if err != nil {
		return d.deriveErr(err)
	}
	es := make([]plan.Expr, schema.NumFields())
	for i, f := range schema.Fields() {
		es[i] = &plan.ColumnRef{Name: f.Name}
		if to, ok := renames[f.Name]; ok && to != f.Name {
			es[i] = &plan.Alias{Child: es[i], Name: to}
		}
	}
	return d.derive(&plan.Project{Meta: plan.Meta{CallSite: site}, Input: d.node, Exprs: es})
}

// DropDuplicates keeps one row per distinct combination of the cols, as Spark's
// dropDuplicates; with no cols it is Distinct. It runs as an aggregate grouped by cols
// (NULLs equal NULLs) with First of every other column, so the columns keep their order
// and types, and only one row per group and partition crosses the shuffle. Which
// duplicate survives is unspecified (as in Spark), but it is one input row whole: a
// nullable column travels as a non-NULL value with a NULL flag, so that every First of
// the group takes the same row. (Dictionary-encoded, nested and interval columns are
// the exception: they travel as they are, so when duplicates differ by NULLs in them,
// the kept row may take their first non-NULL value from another duplicate.)
func (d *Dataset) DropDuplicates(cols ...string) *Dataset {
	site := callSite("dropDuplicates")
	if d.err != nil {
		return d
	}
	if len(cols) == 0 {
		return d.derive(&plan.Distinct{Meta: plan.Meta{CallSite: site}, Input: d.node})
	}
	schema, err := d.Schema()
	if err != nil {
		return d.deriveErr(err)
	}
	keys := make([]string, 0, len(cols))
	for _, c := range cols {
		if schema.FieldIndices(c) == nil {
			return d.deriveErr(fmt.Errorf("dataset: DropDuplicates at %s: no column %q among %v", site, c, fieldNames(schema)))
		}
		if !slices.Contains(keys, c) {
			keys = append(keys, c)
		}
	}
	var aggs []plan.AggExpr
	order := make([]plan.Expr, schema.NumFields())
	for i, f := range schema.Fields() {
		var c plan.Expr = &plan.ColumnRef{Name: f.Name}
		order[i] = c
		if slices.Contains(keys, f.Name) {
			continue
		}
		zero := zeroOf(f.Type)
		if !f.Nullable || zero == nil {
			aggs = append(aggs, plan.AggExpr{Func: plan.AggFirst, Arg: c, Name: f.Name})
			continue
		}
		value, isNull := "__dedup_value_"+strconv.Itoa(i), "__dedup_null_"+strconv.Itoa(i)
		aggs = append(aggs,
			plan.AggExpr{Func: plan.AggFirst, Arg: &plan.Call{Func: "coalesce", Args: []plan.Expr{c, zero}}, Name: value},
			plan.AggExpr{Func: plan.AggFirst, Arg: &plan.Unary{Op: plan.OpIsNull, Child: c}, Name: isNull})
		order[i] = &plan.Alias{Name: f.Name, Child: &plan.Call{Func: "case_when", Args: []plan.Expr{
			&plan.ColumnRef{Name: isNull}, &plan.Cast{Child: &plan.Literal{Value: nil, Type: arrow.Null}, To: f.Type}, &plan.ColumnRef{Name: value}}}}
	}
	agg := &plan.Aggregate{Meta: plan.Meta{CallSite: site}, Input: d.node, Keys: keys, Aggs: aggs}
	return d.derive(&plan.Project{Meta: plan.Meta{CallSite: site}, Input: agg, Exprs: order})
}

// zeroOf is a non-NULL literal of type t, or nil for the types DropDuplicates carries
// as they are.
func zeroOf(t arrow.DataType) plan.Expr {
	var lit plan.Expr
	switch {
	case plan.IsNumeric(t):
		lit = &plan.Literal{Value: int64(0), Type: arrow.PrimitiveTypes.Int64}
	case t.ID() == arrow.STRING || t.ID() == arrow.LARGE_STRING:
		lit = &plan.Literal{Value: "", Type: arrow.BinaryTypes.String}
	case t.ID() == arrow.BOOL:
		lit = &plan.Literal{Value: false, Type: arrow.FixedWidthTypes.Boolean}
	case t.ID() == arrow.DATE32:
		lit = &plan.Literal{Value: arrow.Date32(0), Type: arrow.FixedWidthTypes.Date32}
	case t.ID() == arrow.TIMESTAMP:
		lit = &plan.Literal{Value: arrow.Timestamp(0), Type: arrow.FixedWidthTypes.Timestamp_us}
	default:
		return nil
	}
	return &plan.Cast{Child: lit, To: t}
}

// UnionByName appends the rows of other, matching columns by name rather than position,
// as Spark's unionByName. The result has d's columns in d's order, each of the common
// type of the two sides (an int32 and an int64 column give int64, an integer and a
// float float64, a dictionary and a plain string string, decimals a decimal holding
// both); two types with no common type are an error naming the column. With
// allowMissing, a column only one side has is kept (d's extra columns in place, other's
// appended) and NULL on the other side's rows; without it, such a column is an error.
func (d *Dataset) UnionByName(other *Dataset, allowMissing bool) *Dataset {
	site := callSite("unionByName")
	if other.s != d.s {
		return d.deriveErr(errors.New("dataset: UnionByName of datasets from different sessions"))
	}
	if other.err != nil {
		return d.deriveErr(other.err)
	}
	ls, err := d.Schema()
	if err != nil {
		return d.deriveErr(err)
	}
	rs, err := other.Schema()
	if err != nil {
		return d.deriveErr(err)
	}
	names := fieldNames(ls)
	for _, f := range rs.Fields() {
		if !slices.Contains(names, f.Name) {
			names = append(names, f.Name)
		}
	}
	left := make([]plan.Expr, len(names))
	right := make([]plan.Expr, len(names))
	for i, n := range names {
		lt, rt := fieldType(ls, n), fieldType(rs, n)
		if (lt == nil || rt == nil) && !allowMissing {
			return d.deriveErr(fmt.Errorf("dataset: UnionByName at %s: column %q is missing on one side (left %v, right %v); pass allowMissing to fill it with NULLs",
				site, n, fieldNames(ls), fieldNames(rs)))
		}
		var t arrow.DataType
		switch {
		case lt == nil:
			t = rt
		case rt == nil:
			t = lt
		default:
			if t, err = plan.CommonType(lt, rt); err != nil {
				return d.deriveErr(fmt.Errorf("dataset: UnionByName at %s: column %q is %s on the left and %s on the right: %w", site, n, lt, rt, err))
			}
		}
		left[i] = unionColumn(n, lt, t)
		right[i] = unionColumn(n, rt, t)
	}
	lp := &plan.Project{Meta: plan.Meta{CallSite: site}, Input: d.node, Exprs: left}
	rp := &plan.Project{Meta: plan.Meta{CallSite: site}, Input: other.node, Exprs: right}
	return d.derive(&plan.Union{Meta: plan.Meta{CallSite: site}, Inputs: []plan.Node{lp, rp}})
}

// unionColumn is column name of type have (nil: missing) converted to want.
func unionColumn(name string, have, want arrow.DataType) plan.Expr {
	var e plan.Expr = &plan.ColumnRef{Name: name}
	switch {
	case have == nil:
		e = &plan.Cast{Child: &plan.Literal{Value: nil, Type: arrow.Null}, To: want}
	case !arrow.TypeEqual(have, want):
		e = &plan.Cast{Child: e, To: want}
	default:
		return e
	}
	return &plan.Alias{Child: e, Name: name}
}

func fieldNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

// fieldType is the type of s's column name, or nil.
func fieldType(s *arrow.Schema, name string) arrow.DataType {
	if idx := s.FieldIndices(name); len(idx) > 0 {
		return s.Field(idx[0]).Type
	}
	return nil
}
