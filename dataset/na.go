package dataset

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// FillNull replaces the NULLs of the cols (all columns when none is named) with value, as
// Spark's na.fill: a number (int, int32, int64, float32, float64) fills the numeric
// columns, converted to each column's type (a float truncated for an integer column), and
// also replaces NaN in floating-point ones; a string fills the string columns (a
// dictionary-encoded one becomes a plain string column); a bool fills the boolean
// columns. Columns of another type are left as they are, even when named. Naming a
// column that does not exist, or passing a value of another Go type, is an error.
func (d *Dataset) FillNull(value any, cols ...string) *Dataset {
	site := callSite("fillNull")
	schema, err := d.Schema()
	if err != nil {
		return d.deriveErr(err)
	}
	if err := checkFillValue(value); err != nil {
		return d.deriveErr(fmt.Errorf("dataset: FillNull at %s: %w", site, err))
	}
	if len(cols) == 0 {
		cols = fieldNames(schema)
	}
	fills := map[string]any{}
	for _, c := range cols {
		t := fieldType(schema, c)
		if t == nil {
			return d.deriveErr(fmt.Errorf("dataset: FillNull at %s: no column %q among %v", site, c, fieldNames(schema)))
		}
		if fillCompatible(value, t) {
			fills[c] = value
		}
	}
	return d.fill(schema, fills, site)
}

// FillNullMap replaces the NULLs of each column of fills with its value, as Spark's
// na.fill(Map): the value must suit the column's type as for FillNull (a number for a
// numeric column, a string for a string column, a bool for a boolean one); a mismatch or
// a column that does not exist is an error naming the column.
func (d *Dataset) FillNullMap(fills map[string]any) *Dataset {
	site := callSite("fillNull")
	schema, err := d.Schema()
	if err != nil {
		return d.deriveErr(err)
	}
	for c, v := range fills {
		t := fieldType(schema, c)
		if t == nil {
			return d.deriveErr(fmt.Errorf("dataset: FillNullMap at %s: no column %q among %v", site, c, fieldNames(schema)))
		}
		if err := checkFillValue(v); err != nil {
			return d.deriveErr(fmt.Errorf("dataset: FillNullMap at %s: column %q: %w", site, c, err))
		}
		if !fillCompatible(v, t) {
			return d.deriveErr(fmt.Errorf("dataset: FillNullMap at %s: cannot fill column %q of type %s with %T %v", site, c, t, v, v))
		}
	}
	return d.fill(schema, fills, site)
}

// fill projects every column of schema, those of fills with their NULLs (and NaNs)
// replaced.
func (d *Dataset) fill(schema *arrow.Schema, fills map[string]any, site string) *Dataset {
	es := make([]plan.Expr, schema.NumFields())
	for i, f := range schema.Fields() {
		var col plan.Expr = &plan.ColumnRef{Name: f.Name}
		v, ok := fills[f.Name]
		if !ok {
			es[i] = col
			continue
		}
		lit := &plan.Cast{Child: Lit(fillLiteral(v)).e, To: fillType(f.Type)}
		if f.Type.ID() == arrow.FLOAT32 || f.Type.ID() == arrow.FLOAT64 {
			col = &plan.Call{Func: "nanvl", Args: []plan.Expr{col, lit}}
		}
		es[i] = &plan.Alias{Child: &plan.Call{Func: "coalesce", Args: []plan.Expr{col, lit}}, Name: f.Name}
	}
	return d.derive(&plan.Project{Meta: plan.Meta{CallSite: site}, Input: d.node, Exprs: es})
}

// fillType is the type a fill value is cast to for a column of type t.
func fillType(t arrow.DataType) arrow.DataType {
	if t.ID() == arrow.DICTIONARY {
		return arrow.BinaryTypes.String
	}
	return t
}

func fillLiteral(v any) any {
	switch v := v.(type) {
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case float32:
		return float64(v)
	}
	return v
}

func checkFillValue(v any) error {
	switch v.(type) {
	case int, int32, int64, float32, float64, string, bool:
		return nil
	}
	return fmt.Errorf("unsupported fill value %T (want a number, a string or a bool)", v)
}

// fillCompatible reports whether value v fills a column of type t.
func fillCompatible(v any, t arrow.DataType) bool {
	switch v.(type) {
	case string:
		return isStringType(t)
	case bool:
		return t.ID() == arrow.BOOL
	}
	return plan.IsNumeric(t)
}

func isStringType(t arrow.DataType) bool {
	switch t := t.(type) {
	case *arrow.StringType, *arrow.LargeStringType:
		return true
	case *arrow.DictionaryType:
		return isStringType(t.ValueType)
	}
	return false
}

// DropNull drops rows with NULLs in the cols (all columns when none is named), as
// Spark's na.drop: with thresh > 0 a row is kept when it has at least thresh non-NULL
// values among the cols, whatever how says; otherwise how "any" drops a row with any
// NULL among them and "all" a row whose values are all NULL. As in Spark, NaN counts as
// NULL in floating-point columns. Another how, or a column that does not exist, is an
// error.
func (d *Dataset) DropNull(how string, thresh int, cols ...string) *Dataset {
	site := callSite("dropNull")
	schema, err := d.Schema()
	if err != nil {
		return d.deriveErr(err)
	}
	if len(cols) == 0 {
		cols = fieldNames(schema)
	}
	present := make([]plan.Expr, 0, len(cols))
	for _, c := range cols {
		t := fieldType(schema, c)
		if t == nil {
			return d.deriveErr(fmt.Errorf("dataset: DropNull at %s: no column %q among %v", site, c, fieldNames(schema)))
		}
		present = append(present, presentExpr(c, t))
	}
	if thresh <= 0 {
		switch how {
		case "any":
			thresh = len(cols)
		case "all":
			thresh = 1
		default:
			return d.deriveErr(fmt.Errorf("dataset: DropNull at %s: how is %q, want \"any\" or \"all\"", site, how))
		}
	}
	var cond plan.Expr
	switch {
	case thresh > len(present):
		cond = &plan.Literal{Value: false, Type: arrow.FixedWidthTypes.Boolean}
	case thresh == len(present):
		cond = conjunction(present, plan.OpAnd)
	case thresh == 1:
		cond = conjunction(present, plan.OpOr)
	default:
		var sum plan.Expr
		for _, p := range present {
			one := &plan.Call{Func: "case_when", Args: []plan.Expr{p,
				&plan.Literal{Value: int64(1), Type: arrow.PrimitiveTypes.Int64},
				&plan.Literal{Value: int64(0), Type: arrow.PrimitiveTypes.Int64}}}
			if sum == nil {
				sum = one
			} else {
				sum = &plan.Binary{Op: plan.OpAdd, Left: sum, Right: one}
			}
		}
		cond = &plan.Binary{Op: plan.OpGtEq, Left: sum, Right: &plan.Literal{Value: int64(thresh), Type: arrow.PrimitiveTypes.Int64}}
	}
	if len(present) == 0 {
		return d
	}
	return d.derive(&plan.Filter{Meta: plan.Meta{CallSite: site}, Input: d.node, Cond: cond})
}

// presentExpr is true where column c (of type t) is neither NULL nor NaN.
func presentExpr(c string, t arrow.DataType) plan.Expr {
	var e plan.Expr = &plan.Unary{Op: plan.OpIsNotNull, Child: &plan.ColumnRef{Name: c}}
	if t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64 {
		notNaN := &plan.Unary{Op: plan.OpNot, Child: &plan.Call{Func: "isnan", Args: []plan.Expr{&plan.ColumnRef{Name: c}}}}
		e = &plan.Binary{Op: plan.OpAnd, Left: e, Right: notNaN}
	}
	return e
}

func conjunction(xs []plan.Expr, op plan.BinaryOp) plan.Expr {
	e := xs[0]
	for _, x := range xs[1:] {
		e = &plan.Binary{Op: op, Left: e, Right: x}
	}
	return e
}
