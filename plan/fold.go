package plan

import (
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// foldExpr evaluates the literal-only subexpressions of a resolved expression in Go and
// simplifies boolean identities. Every rewrite keeps the expression's type: a folded
// subexpression becomes a literal of the type it had.
func foldExpr(e Expr, schema *arrow.Schema) Expr {
	ch := e.Children()
	if len(ch) > 0 {
		nc := make([]Expr, len(ch))
		changed := false
		for i, c := range ch {
			nc[i] = foldExpr(c, schema)
			changed = changed || nc[i] != c
		}
		if changed {
			e = e.WithChildren(nc)
		}
	}
	switch e := e.(type) {
	case *Binary:
		return foldBinary(e, schema)
	case *Unary:
		return foldUnary(e, schema)
	case *Cast:
		if l, ok := e.Child.(*Literal); ok {
			if v, ok := foldCastValue(l.Value, literalType(l), e.To); ok {
				return &Literal{Value: v, Type: e.To}
			}
		}
	case *Call:
		return foldCall(e)
	}
	return e
}

// foldCastValue is castValue made to agree with what the evaluator computes for a
// column: a float cast to an integer type truncates toward zero and saturates at the
// target's range, NaN giving 0 (Java's conversion, Spark non-ANSI); an integer cast to a
// narrower integer type wraps; a float cast to a string (Java's Double.toString format,
// which the evaluator implements) is not folded but left to the evaluator.
func foldCastValue(v any, from, to arrow.DataType) (any, bool) {
	if v == nil {
		return nil, true
	}
	if isFloat(from) && isStringLike(to) {
		return nil, false
	}
	x, ok := castValue(v, from, to)
	if !ok {
		return nil, false
	}
	if f, isF := v.(float64); isF && IsInteger(to) {
		lo, hi := intRange(to)
		switch {
		case f != f:
			return int64(0), true
		case f >= float64(hi):
			return hi, true
		case f <= float64(lo):
			return lo, true
		}
		return int64(f), true
	}
	if i, isI := x.(int64); isI && IsInteger(to) {
		return wrapInt(i, to), true
	}
	return x, true
}

// intRange is the range of the integer type t, as int64 (uint64's upper end saturates).
func intRange(t arrow.DataType) (lo, hi int64) {
	switch t.ID() {
	case arrow.INT8:
		return math.MinInt8, math.MaxInt8
	case arrow.INT16:
		return math.MinInt16, math.MaxInt16
	case arrow.INT32:
		return math.MinInt32, math.MaxInt32
	case arrow.UINT8:
		return 0, math.MaxUint8
	case arrow.UINT16:
		return 0, math.MaxUint16
	case arrow.UINT32:
		return 0, math.MaxUint32
	case arrow.UINT64:
		return 0, math.MaxInt64
	}
	return math.MinInt64, math.MaxInt64
}

// wrapInt wraps i into the integer type t (two's complement), as the evaluator's
// integer narrowing does.
func wrapInt(i int64, t arrow.DataType) int64 {
	switch t.ID() {
	case arrow.INT8:
		return int64(int8(i))
	case arrow.INT16:
		return int64(int16(i))
	case arrow.INT32:
		return int64(int32(i))
	case arrow.UINT8:
		return int64(uint8(i))
	case arrow.UINT16:
		return int64(uint16(i))
	case arrow.UINT32:
		return int64(uint32(i))
	}
	return i
}

func boolLit(v any) *Literal { return &Literal{Value: v, Type: typBool} }

// literalBool reports a boolean literal's value: known false when it is NULL.
func literalBool(e Expr) (val bool, isNull, ok bool) {
	l, isLit := e.(*Literal)
	if !isLit {
		return false, false, false
	}
	if l.Value == nil {
		return false, true, true
	}
	b, isB := l.Value.(bool)
	return b, false, isB
}

func foldBinary(e *Binary, schema *arrow.Schema) Expr {
	if e.Op.IsLogical() {
		return foldLogical(e)
	}
	l, lok := e.Left.(*Literal)
	r, rok := e.Right.(*Literal)
	if (lok && l.Value == nil) || (rok && r.Value == nil) {
		// Every arithmetic and comparison operator is NULL when an operand is (Spark's
		// NullPropagation), whatever the other side: amount > NULL filters every row.
		if t, err := TypeOf(e, schema); err == nil {
			return &Literal{Type: t}
		}
		return e
	}
	if !lok || !rok {
		if e.Op.IsComparison() {
			if u, ok := unwrapDecimalCast(e, schema); ok {
				return u
			}
		}
		return e
	}
	t, err := TypeOf(e, schema)
	if err != nil {
		return e
	}
	if e.Op.IsComparison() {
		c, ok := compareValues(l.Value, r.Value)
		if !ok {
			return e
		}
		return boolLit(comparisonHolds(e.Op, c))
	}
	if folded := foldArithmetic(e.Op, l.Value, r.Value, t); folded != nil {
		return folded
	}
	return e
}

// comparisonHolds reports whether op holds between two values that compare as c (<0, 0
// or >0).
func comparisonHolds(op BinaryOp, c int) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpNotEq:
		return c != 0
	case OpLt:
		return c < 0
	case OpLtEq:
		return c <= 0
	case OpGt:
		return c > 0
	case OpGtEq:
		return c >= 0
	}
	return false
}

// foldArithmetic evaluates a op b for non-NULL literal values when the result type t is
// the values' own, or returns nil.
func foldArithmetic(op BinaryOp, a, b any, t arrow.DataType) Expr {
	switch a := a.(type) {
	case int64:
		if b, ok := b.(int64); ok && t.ID() == arrow.INT64 {
			return foldInt64(op, a, b, t)
		}
	case float64:
		if b, ok := b.(float64); ok && t.ID() == arrow.FLOAT64 {
			return foldFloat64(op, a, b, t)
		}
	}
	return nil
}

func foldInt64(op BinaryOp, a, b int64, t arrow.DataType) Expr {
	switch op {
	case OpAdd:
		return &Literal{Value: a + b, Type: t}
	case OpSub:
		return &Literal{Value: a - b, Type: t}
	case OpMul:
		return &Literal{Value: a * b, Type: t}
	case OpMod:
		if b == 0 {
			return &Literal{Type: t}
		}
		if b == -1 { // avoids the MinInt64 % -1 trap; the result is 0 anyway
			return &Literal{Value: int64(0), Type: t}
		}
		return &Literal{Value: a % b, Type: t}
	}
	return nil
}

func foldFloat64(op BinaryOp, a, b float64, t arrow.DataType) Expr {
	switch op {
	case OpAdd:
		return &Literal{Value: a + b, Type: t}
	case OpSub:
		return &Literal{Value: a - b, Type: t}
	case OpMul:
		return &Literal{Value: a * b, Type: t}
	case OpDiv:
		if b == 0 {
			return &Literal{Type: t}
		}
		return &Literal{Value: a / b, Type: t}
	case OpMod:
		if b == 0 {
			return &Literal{Type: t}
		}
		return &Literal{Value: math.Mod(a, b), Type: t}
	}
	return nil
}

// foldLogical applies three-valued AND/OR identities: false AND x is false, true OR x is
// true, true AND x and false OR x are x; two literals evaluate fully.
func foldLogical(e *Binary) Expr {
	lv, lnull, lok := literalBool(e.Left)
	rv, rnull, rok := literalBool(e.Right)
	if e.Op == OpAnd {
		switch {
		case lok && !lnull && !lv, rok && !rnull && !rv:
			return boolLit(false)
		case lok && !lnull && lv:
			return e.Right
		case rok && !rnull && rv:
			return e.Left
		case lok && rok: // both NULL
			return boolLit(nil)
		}
		return e
	}
	switch {
	case lok && !lnull && lv, rok && !rnull && rv:
		return boolLit(true)
	case lok && !lnull && !lv:
		return e.Right
	case rok && !rnull && !rv:
		return e.Left
	case lok && rok:
		return boolLit(nil)
	}
	return e
}

func foldUnary(e *Unary, schema *arrow.Schema) Expr {
	l, ok := e.Child.(*Literal)
	if !ok {
		if e.Op == OpNot { // NOT NOT x is x under three-valued logic
			if inner, ok := e.Child.(*Unary); ok && inner.Op == OpNot {
				return inner.Child
			}
		}
		return e
	}
	switch e.Op {
	case OpIsNull:
		return boolLit(l.Value == nil)
	case OpIsNotNull:
		return boolLit(l.Value != nil)
	case OpNot:
		if l.Value == nil {
			return boolLit(nil)
		}
		if b, ok := l.Value.(bool); ok {
			return boolLit(!b)
		}
	case OpNeg:
		t, err := TypeOf(e, schema)
		if err != nil {
			return e
		}
		switch v := l.Value.(type) {
		case nil:
			return &Literal{Type: t}
		case int64:
			if t.ID() == arrow.INT64 {
				return &Literal{Value: -v, Type: t}
			}
		case float64:
			if t.ID() == arrow.FLOAT64 {
				return &Literal{Value: -v, Type: t}
			}
		}
	}
	return e
}

// foldCall drops leading NULL literals of coalesce and resolves it when the first
// remaining argument is a literal, and folds date-interval arithmetic over literals.
func foldCall(e *Call) Expr {
	if !strings.EqualFold(e.Func, "coalesce") {
		return foldIntervalCall(e)
	}
	args := e.Args
	for len(args) > 1 {
		l, ok := args[0].(*Literal)
		if !ok || l.Value != nil {
			break
		}
		args = args[1:]
	}
	if l, ok := args[0].(*Literal); ok {
		return l
	}
	if len(args) == len(e.Args) {
		return e
	}
	return &Call{Func: e.Func, Args: append([]Expr(nil), args...)}
}
