package exectest

import (
	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// The plain-Go, row-by-row oracle that the Evaluator's tests compare against. Its test
// data is in oracle_data.go and its casts in oracle_cast.go.

// OracleEval evaluates e over one row with plain Go, following Spark's non-ANSI rules.
func OracleEval(e plan.Expr, row map[string]any) any {
	switch e := e.(type) {
	case *plan.ColumnRef:
		return row[e.Name]
	case *plan.Literal:
		return e.Value
	case *plan.Alias:
		return OracleEval(e.Child, row)
	case *plan.Unary:
		return oUnary(e.Op, OracleEval(e.Child, row))
	case *plan.Binary:
		return oBinary(e.Op, OracleEval(e.Left, row), OracleEval(e.Right, row))
	case *plan.Cast:
		return oCast(OracleEval(e.Child, row), e.To)
	case *plan.Call:
		return oCall(e, row)
	}
	panic(fmt.Sprintf("oracle: %T", e))
}

// oUnary applies a unary operator; the null tests are the only ones that see NULL.
func oUnary(op plan.UnaryOp, v any) any {
	switch op {
	case plan.OpIsNull:
		return v == nil
	case plan.OpIsNotNull:
		return v != nil
	}
	if v == nil {
		return nil
	}
	if op == plan.OpNot {
		return !v.(bool)
	}
	switch v := v.(type) {
	case int64:
		return -v
	case float64:
		return -v
	}
	panic("oracle: neg")
}

// oBinary applies a binary operator. AND and OR follow three-valued logic; every other
// operator is NULL if either side is.
func oBinary(op plan.BinaryOp, l, r any) any {
	switch op {
	case plan.OpAnd:
		return oAnd(l, r)
	case plan.OpOr:
		return oOr(l, r)
	}
	if l == nil || r == nil {
		return nil
	}
	if op.IsComparison() {
		return oCompare(op, oCmp(l, r))
	}
	switch a := l.(type) {
	case int64:
		if v, ok := oArithInt(op, a, r.(int64)); ok {
			return v
		}
	case float64:
		if v, ok := oArithFloat(op, a, r.(float64)); ok {
			return v
		}
	}
	panic(fmt.Sprintf("oracle: binary %v on %T", op, l))
}

// oAnd is SQL's AND: false wins over NULL.
func oAnd(l, r any) any {
	if l == false || r == false {
		return false
	}
	if l == nil || r == nil {
		return nil
	}
	return true
}

// oOr is SQL's OR: true wins over NULL.
func oOr(l, r any) any {
	if l == true || r == true {
		return true
	}
	if l == nil || r == nil {
		return nil
	}
	return false
}

// oCompare turns the three-way result c of oCmp into comparison op's answer.
func oCompare(op plan.BinaryOp, c int) bool {
	switch op {
	case plan.OpEq:
		return c == 0
	case plan.OpNotEq:
		return c != 0
	case plan.OpLt:
		return c < 0
	case plan.OpLtEq:
		return c <= 0
	case plan.OpGt:
		return c > 0
	}
	return c >= 0
}

// oArithInt applies integer arithmetic, wrapping on overflow like Spark's non-ANSI mode. A
// modulo by zero is NULL. It reports false for an operator integers do not have here.
func oArithInt(op plan.BinaryOp, a, b int64) (any, bool) {
	switch op {
	case plan.OpAdd:
		return a + b, true
	case plan.OpSub:
		return a - b, true
	case plan.OpMul:
		return a * b, true
	case plan.OpMod:
		if b == 0 {
			return nil, true
		}
		if b == -1 {
			return int64(0), true
		}
		return a % b, true
	}
	return nil, false
}

// oArithFloat applies float arithmetic; division and modulo by zero are NULL, as in Spark.
// It reports false for an operator floats do not have here.
func oArithFloat(op plan.BinaryOp, a, b float64) (any, bool) {
	switch op {
	case plan.OpAdd:
		return a + b, true
	case plan.OpSub:
		return a - b, true
	case plan.OpMul:
		return a * b, true
	case plan.OpDiv:
		if b == 0 {
			return nil, true
		}
		return a / b, true
	case plan.OpMod:
		if b == 0 {
			return nil, true
		}
		return math.Mod(a, b), true
	}
	return nil, false
}

// oCall evaluates a function call. coalesce is the only function that sees NULL
// arguments; the others are NULL if any argument is.
func oCall(e *plan.Call, row map[string]any) any {
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		args[i] = OracleEval(a, row)
	}
	if e.Func == "coalesce" {
		for _, a := range args {
			if a != nil {
				return a
			}
		}
		return nil
	}
	for _, a := range args {
		if a == nil {
			return nil
		}
	}
	if v, ok := oStringFunc(e.Func, args); ok {
		return v
	}
	panic(fmt.Sprintf("oracle: %T", e))
}

// oStringFunc applies a string function to non-NULL args, the first of which is the
// string. It reports false for a function it does not know.
func oStringFunc(name string, args []any) (any, bool) {
	s := args[0].(string)
	switch name {
	case "length":
		return int64(utf8.RuneCountInString(s)), true
	case "lower":
		return cases.Lower(language.Und).String(s), true // Java's full case mapping
	case "upper":
		return cases.Upper(language.Und).String(s), true
	case "substring":
		length := int64(math.MaxInt32)
		if len(args) == 3 {
			length = args[2].(int64)
		}
		return oSubstring(s, args[1].(int64), length), true
	case "contains":
		return strings.Contains(s, args[1].(string)), true
	case "starts_with":
		return strings.HasPrefix(s, args[1].(string)), true
	case "ends_with":
		return strings.HasSuffix(s, args[1].(string)), true
	}
	return nil, false
}

// oSubstring transcribes Spark's UTF8String.substringSQL over runes.
func oSubstring(s string, pos, length int64) string {
	rs := []rune(s)
	n := int64(len(rs))
	var start int64
	if pos > 0 {
		start = pos - 1
	} else if pos < 0 {
		start = n + pos
	}
	end := start + length
	if start < 0 {
		start = 0
	}
	if end > n {
		end = n
	}
	if start >= end {
		return ""
	}
	return string(rs[start:end])
}

func oCmp(l, r any) int {
	switch a := l.(type) {
	case int64:
		return oCmpOrdered(a, r.(int64))
	case int32:
		return oCmpOrdered(a, r.(int32))
	case arrow.Date32:
		return oCmpOrdered(a, r.(arrow.Date32))
	case arrow.Timestamp:
		return oCmpOrdered(a, r.(arrow.Timestamp))
	case string:
		return strings.Compare(a, r.(string))
	case bool:
		b := r.(bool)
		switch {
		case a == b:
			return 0
		case !a:
			return -1
		}
		return 1
	case float64:
		b := r.(float64)
		switch {
		case math.IsNaN(a) && math.IsNaN(b):
			return 0
		case math.IsNaN(a):
			return 1
		case math.IsNaN(b):
			return -1
		}
		return oCmpOrdered(a, b)
	}
	panic(fmt.Sprintf("oracle: compare %T", l))
}

func oCmpOrdered[T int32 | int64 | float64 | arrow.Date32 | arrow.Timestamp](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// OracleEqual compares an evaluator result with the oracle's: floats must agree in sign
// too (0 and -0 differ) and NaN equals NaN.
func OracleEqual(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && (fa == fb && math.Signbit(fa) == math.Signbit(fb) || math.IsNaN(fa) && math.IsNaN(fb))
	}
	return a == b
}
