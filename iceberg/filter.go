package iceberg

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	iceberggo "github.com/apache/iceberg-go"

	"github.com/kindling-data/kindling/dataset"
)

// Op is the comparison of a Predicate.
type Op int

// The predicate operations. Comparisons follow SQL: a row whose column is NULL
// satisfies none of them (only IsNull).
const (
	OpEq Op = iota
	OpNotEq
	OpLt
	OpLe
	OpGt
	OpGe
	OpIn
	OpNotIn
	OpIsNull
	OpNotNull
	OpStartsWith
)

var opNames = [...]string{"=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN", "IS NULL", "IS NOT NULL", "STARTS WITH"}

func (o Op) String() string {
	if o < 0 || int(o) >= len(opNames) {
		return fmt.Sprintf("Op(%d)", int(o))
	}
	return opNames[o]
}

// Predicate is one condition on a top-level column; a filter is a list of them, all of
// which a row must satisfy. The same filter prunes the scan planning (partitions, then
// files by their column statistics) and is evaluated by kindling on the rows read, so a
// read returns exactly the matching rows.
//
// Values are Go values: bool, int, int32, int64, float32, float64, string, time.Time
// (a timestamp column compares with the instant; a date column with its UTC date),
// arrow.Date32 and arrow.Timestamp (microseconds).
type Predicate struct {
	Column string
	Op     Op
	Values []any
}

// String renders the predicate as SQL.
func (p Predicate) String() string {
	switch p.Op {
	case OpIsNull, OpNotNull:
		return p.Column + " " + p.Op.String()
	case OpIn, OpNotIn:
		return fmt.Sprintf("%s %s %v", p.Column, p.Op, p.Values)
	}
	if len(p.Values) != 1 {
		return fmt.Sprintf("%s %s <%d values>", p.Column, p.Op, len(p.Values))
	}
	return fmt.Sprintf("%s %s %v", p.Column, p.Op, p.Values[0])
}

// Eq is column = v.
func Eq(column string, v any) Predicate { return Predicate{column, OpEq, []any{v}} }

// NotEq is column != v.
func NotEq(column string, v any) Predicate { return Predicate{column, OpNotEq, []any{v}} }

// Lt is column < v.
func Lt(column string, v any) Predicate { return Predicate{column, OpLt, []any{v}} }

// Le is column <= v.
func Le(column string, v any) Predicate { return Predicate{column, OpLe, []any{v}} }

// Gt is column > v.
func Gt(column string, v any) Predicate { return Predicate{column, OpGt, []any{v}} }

// Ge is column >= v.
func Ge(column string, v any) Predicate { return Predicate{column, OpGe, []any{v}} }

// In is column IN (vs...).
func In(column string, vs ...any) Predicate { return Predicate{column, OpIn, vs} }

// NotIn is column NOT IN (vs...).
func NotIn(column string, vs ...any) Predicate { return Predicate{column, OpNotIn, vs} }

// IsNull is column IS NULL.
func IsNull(column string) Predicate { return Predicate{Column: column, Op: OpIsNull} }

// NotNull is column IS NOT NULL.
func NotNull(column string) Predicate { return Predicate{Column: column, Op: OpNotNull} }

// StartsWith is a string column beginning with prefix.
func StartsWith(column, prefix string) Predicate {
	return Predicate{column, OpStartsWith, []any{prefix}}
}

// compiledFilter is a filter in both engines' terms: iceberg-go's expression for
// planning, kindling's for the exact evaluation.
type compiledFilter struct {
	iceberg iceberggo.BooleanExpression
	expr    dataset.Expr
	columns []string
	empty   bool
}

// compileFilter compiles preds; those on a column of skip are left out of the planning
// expression (see unprunable).
func compileFilter(schema *iceberggo.Schema, preds []Predicate, skip map[string]bool) (compiledFilter, error) {
	cf := compiledFilter{iceberg: iceberggo.AlwaysTrue{}, expr: dataset.Lit(true), empty: len(preds) == 0}
	for i, p := range preds {
		field, ok := schema.FindFieldByName(p.Column)
		if !ok {
			return cf, fmt.Errorf("iceberg: filter %s: no column %q in the table", p, p.Column)
		}
		ie, ke, err := compilePredicate(p, field.Type)
		if err != nil {
			return cf, fmt.Errorf("iceberg: filter %s: %w", p, err)
		}
		if i == 0 {
			cf.expr = ke
		} else {
			cf.expr = cf.expr.And(ke)
		}
		if !skip[p.Column] {
			cf.iceberg = iceberggo.NewAnd(cf.iceberg, ie)
		}
		cf.columns = append(cf.columns, p.Column)
	}
	return cf, nil
}

func compilePredicate(p Predicate, typ iceberggo.Type) (iceberggo.BooleanExpression, dataset.Expr, error) {
	ref, col := iceberggo.Reference(p.Column), dataset.Col(p.Column)
	switch p.Op {
	case OpIsNull:
		return iceberggo.UnaryPredicate(iceberggo.OpIsNull, ref), col.IsNull(), nil
	case OpNotNull:
		return iceberggo.UnaryPredicate(iceberggo.OpNotNull, ref), col.IsNotNull(), nil
	case OpIn, OpNotIn:
		if len(p.Values) == 0 {
			return nil, dataset.Expr{}, fmt.Errorf("%s needs at least one value", p.Op)
		}
		lits := make([]iceberggo.Literal, len(p.Values))
		kvs := make([]any, len(p.Values))
		for i, v := range p.Values {
			l, kv, err := literal(v, typ)
			if err != nil {
				return nil, dataset.Expr{}, err
			}
			lits[i], kvs[i] = l, kv
		}
		if p.Op == OpIn {
			return iceberggo.SetPredicate(iceberggo.OpIn, ref, lits), col.IsIn(kvs...), nil
		}
		return iceberggo.SetPredicate(iceberggo.OpNotIn, ref, lits), col.IsIn(kvs...).Not(), nil
	}
	if len(p.Values) != 1 {
		return nil, dataset.Expr{}, fmt.Errorf("%s needs one value, got %d", p.Op, len(p.Values))
	}
	l, kv, err := literal(p.Values[0], typ)
	if err != nil {
		return nil, dataset.Expr{}, err
	}
	lit := dataset.Lit(kv)
	var op iceberggo.Operation
	var ke dataset.Expr
	switch p.Op {
	case OpEq:
		op, ke = iceberggo.OpEQ, col.Eq(lit)
	case OpNotEq:
		op, ke = iceberggo.OpNEQ, col.NotEq(lit)
	case OpLt:
		op, ke = iceberggo.OpLT, col.Lt(lit)
	case OpLe:
		op, ke = iceberggo.OpLTEQ, col.Le(lit)
	case OpGt:
		op, ke = iceberggo.OpGT, col.Gt(lit)
	case OpGe:
		op, ke = iceberggo.OpGTEQ, col.Ge(lit)
	case OpStartsWith:
		s, ok := kv.(string)
		if !ok {
			return nil, dataset.Expr{}, fmt.Errorf("STARTS WITH needs a string, got %T", kv)
		}
		op, ke = iceberggo.OpStartsWith, dataset.StartsWith(col, s)
	default:
		return nil, dataset.Expr{}, fmt.Errorf("unknown operation %v", p.Op)
	}
	return iceberggo.LiteralPredicate(op, ref, l), ke, nil
}

// literal converts a Go value to iceberg-go's literal (which binding converts to the
// column's type) and to the value kindling's Lit takes. Date columns are special-cased
// because a time.Time would otherwise compare as a timestamp in kindling and bind as
// one in iceberg-go, two different meanings of the same filter.
func literal(v any, typ iceberggo.Type) (iceberggo.Literal, any, error) {
	if _, isDate := typ.(iceberggo.DateType); isDate {
		switch d := v.(type) {
		case time.Time:
			u := d.UTC()
			days := arrow.Date32FromTime(time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC))
			return iceberggo.NewLiteral(iceberggo.Date(days)), days, nil
		case arrow.Date32:
			return iceberggo.NewLiteral(iceberggo.Date(d)), d, nil
		}
	}
	switch x := v.(type) {
	case bool:
		return iceberggo.NewLiteral(x), x, nil
	case int:
		return iceberggo.NewLiteral(int64(x)), int64(x), nil
	case int32:
		return iceberggo.NewLiteral(x), int64(x), nil
	case int64:
		return iceberggo.NewLiteral(x), x, nil
	case float32:
		return iceberggo.NewLiteral(float64(x)), float64(x), nil
	case float64:
		return iceberggo.NewLiteral(x), x, nil
	case string:
		return iceberggo.NewLiteral(x), x, nil
	case time.Time:
		return iceberggo.NewLiteral(iceberggo.Timestamp(x.UnixMicro())), x, nil
	case arrow.Timestamp:
		return iceberggo.NewLiteral(iceberggo.Timestamp(x)), x, nil
	case arrow.Date32:
		return iceberggo.NewLiteral(iceberggo.Date(x)), x, nil
	case nil:
		return nil, nil, fmt.Errorf("a NULL value never compares true: use IsNull or NotNull")
	}
	return nil, nil, fmt.Errorf("unsupported value type %T", v)
}
