package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// isFloat reports whether t is a floating-point type.
func isFloat(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return true
	}
	return false
}

// isStringLike reports whether t is a string, or a dictionary of strings: for type
// checking a dictionary-encoded string column is a string column (exec reads both).
func isStringLike(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING:
		return true
	case arrow.DICTIONARY:
		return isStringLike(t.(*arrow.DictionaryType).ValueType)
	}
	return false
}

func isNullType(t arrow.DataType) bool { return t.ID() == arrow.NULL }

func isBool(t arrow.DataType) bool { return t.ID() == arrow.BOOL }

// isComparable reports whether values of t can be ordered and grouped: every flat type.
func isComparable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST, arrow.LIST_VIEW, arrow.LARGE_LIST_VIEW,
		arrow.STRUCT, arrow.MAP, arrow.SPARSE_UNION, arrow.DENSE_UNION, arrow.RUN_END_ENCODED:
		return false
	}
	return true
}

var (
	typInt64   arrow.DataType = arrow.PrimitiveTypes.Int64
	typFloat64 arrow.DataType = arrow.PrimitiveTypes.Float64
	typBool    arrow.DataType = arrow.FixedWidthTypes.Boolean
	typString  arrow.DataType = arrow.BinaryTypes.String
)

// widen is the type arithmetic runs in: int64 for integers, float64 for floats.
func widen(t arrow.DataType) arrow.DataType {
	if isFloat(t) {
		return typFloat64
	}
	return typInt64
}

// CanCast reports whether Cast supports converting from to to, following Spark's
// non-ANSI cast matrix: numeric↔numeric, numeric↔string, numeric↔bool, bool↔string,
// decimal↔numeric, decimal↔string, decimal↔bool,
// string→date32/timestamp, date32↔timestamp, date32/timestamp→string, numeric↔timestamp
// (Unix seconds) and dictionary of strings→string, plus NULL to anything and any type
// to itself. A value that cannot be converted becomes NULL at run time.
func CanCast(from, to arrow.DataType) bool {
	if ok, handled := canCastDecimal(from, to); handled && !isNullType(from) {
		return ok
	}
	switch {
	case arrow.TypeEqual(from, to), isNullType(from):
		return true
	case from.ID() == arrow.DICTIONARY:
		return isStringLike(from) && (to.ID() == arrow.STRING || CanCast(typString, to))
	case to.ID() == arrow.DICTIONARY:
		return false
	case IsNumeric(from):
		return IsNumeric(to) || isStringLike(to) || isBool(to) || to.ID() == arrow.TIMESTAMP
	case isStringLike(from):
		return IsNumeric(to) || isStringLike(to) || isBool(to) || to.ID() == arrow.DATE32 || to.ID() == arrow.TIMESTAMP
	case isInterval(from):
		return to.ID() == arrow.STRING
	case from.ID() == arrow.TIMESTAMP:
		return to.ID() == arrow.DATE32 || to.ID() == arrow.TIMESTAMP || to.ID() == arrow.STRING || IsNumeric(to)
	case from.ID() == arrow.DATE32:
		return to.ID() == arrow.TIMESTAMP || to.ID() == arrow.STRING
	case isBool(from):
		return IsNumeric(to) || to.ID() == arrow.STRING
	}
	return false
}

// TypeOf returns the type of e over rows of schema, checking column names and operand
// types as the analyzer does.
func TypeOf(e Expr, schema *arrow.Schema) (arrow.DataType, error) {
	_, t, err := resolveExpr(e, schema)
	return t, err
}

// resolveExpr checks e against schema and returns it rewritten so that exec can evaluate it
// without implicit conversions: operands of arithmetic and comparisons have one common type
// (Cast nodes inserted, literals retyped), with the result type.
func resolveExpr(e Expr, schema *arrow.Schema) (Expr, arrow.DataType, error) {
	switch e := e.(type) {
	case *ColumnRef:
		idx := schema.FieldIndices(e.Name)
		if len(idx) == 0 {
			return nil, nil, unknownColumn(e.Name, schemaNames(schema))
		}
		return e, schema.Field(idx[0]).Type, nil
	case *Literal:
		t := literalType(e)
		v, ok := normalValue(e.Value, t)
		if !ok {
			return nil, nil, errAt(ErrType, fmt.Sprintf("literal %s (%T) does not fit type %s", e, e.Value, typeName(t)))
		}
		if e.Type == nil || v != e.Value {
			return &Literal{Value: v, Type: t, Redacted: e.Redacted}, t, nil
		}
		return e, t, nil
	case *Alias:
		c, t, err := resolveExpr(e.Child, schema)
		if err != nil {
			return nil, nil, err
		}
		return &Alias{Child: c, Name: e.Name}, t, nil
	case *Binary:
		return resolveBinary(e, schema)
	case *Unary:
		return resolveUnary(e, schema)
	case *Cast:
		c, t, err := resolveExpr(e.Child, schema)
		if err != nil {
			return nil, nil, err
		}
		if e.To == nil {
			return nil, nil, errAt(ErrType, fmt.Sprintf("%s: cast to no type", e))
		}
		if !CanCast(t, e.To) {
			return nil, nil, errAt(ErrType, fmt.Sprintf("%s: cannot cast %s to %s", e, typeName(t), typeName(e.To)))
		}
		if arrow.TypeEqual(t, e.To) {
			return c, t, nil
		}
		if t.ID() == arrow.DICTIONARY && e.To.ID() != arrow.STRING {
			c = &Cast{Child: c, To: typString}
		}
		return &Cast{Child: c, To: e.To}, e.To, nil
	case *Call:
		return resolveCall(e, schema)
	case *InSubquery: // a filter conjunct is rewritten before resolution
		return nil, nil, e.misplaced()
	case *UDFCall:
		return resolveUDFCall(e, schema)
	case *JoinSideRef: // bound by the join analyzer; anywhere else a misuse
		return nil, nil, errAt(ErrInvalidPlan, fmt.Sprintf("%s names a side of a join: it belongs in a join condition only; use Col(%q) elsewhere", e, e.Name))
	case *WindowFunc:
		return nil, nil, misplacedWindow(e)
	case nil:
		return nil, nil, errAt(ErrInvalidPlan, "nil expression")
	}
	return nil, nil, errAt(ErrInvalidPlan, fmt.Sprintf("unsupported expression %T", e))
}

// coerce converts e (of type from) to type to: a literal is retyped when plan can convert
// its value, anything else cast.
func coerce(e Expr, from, to arrow.DataType) (Expr, error) {
	if arrow.TypeEqual(from, to) {
		return e, nil
	}
	if l, ok := e.(*Literal); ok {
		v, ok := castValue(l.Value, from, to)
		if !ok && CanCast(from, to) {
			// A conversion plan does not fold (a date or timestamp to string, say):
			// the evaluator casts the literal once per batch.
			return &Cast{Child: e, To: to}, nil
		}
		if !ok || (v == nil && l.Value != nil) {
			return nil, errAt(ErrType, fmt.Sprintf("cannot use %s as %s", l, typeName(to)))
		}
		return &Literal{Value: v, Type: to, Redacted: l.Redacted}, nil
	}
	if from.ID() == arrow.DICTIONARY && to.ID() != arrow.STRING {
		e = &Cast{Child: e, To: typString}
	}
	return &Cast{Child: e, To: to}, nil
}

func resolveBinary(e *Binary, schema *arrow.Schema) (Expr, arrow.DataType, error) {
	l, lt, err := resolveExpr(e.Left, schema)
	if err != nil {
		return nil, nil, err
	}
	r, rt, err := resolveExpr(e.Right, schema)
	if err != nil {
		return nil, nil, err
	}
	mismatch := func(what string) error {
		return errAt(ErrType, fmt.Sprintf("%s: %s %s and %s", e, what, typeName(lt), typeName(rt)))
	}
	if out, t, ok, err := resolveDecimalBinary(e, l, lt, r, rt); ok {
		return out, t, err
	}
	var target, result arrow.DataType
	switch {
	case intervalOperands(e.Op, lt, rt): // interval.go
		return resolveIntervalArithmetic(e, l, lt, r, rt, schema)
	case (e.Op == OpAdd || e.Op == OpSub) && (lt.ID() == arrow.DATE32 || rt.ID() == arrow.DATE32):
		return resolveDateArithmetic(e, l, lt, r, rt)
	case e.Op.IsArithmetic():
		if !(IsNumeric(lt) || isNullType(lt)) || !(IsNumeric(rt) || isNullType(rt)) {
			return nil, nil, mismatch("cannot apply " + e.Op.String() + " to")
		}
		target = typInt64
		if isFloat(lt) || isFloat(rt) || e.Op == OpDiv {
			target = typFloat64
		}
		result = target
	case e.Op.IsLogical():
		if !(isBool(lt) || isNullType(lt)) || !(isBool(rt) || isNullType(rt)) {
			return nil, nil, mismatch(e.Op.String() + " needs boolean operands, got")
		}
		target, result = typBool, typBool
	case e.Op.IsComparison():
		result = typBool
		target, err = comparisonType(e, l, lt, r, rt)
		if err != nil {
			return nil, nil, err
		}
		if target == nil { // operands already comparable as they are
			return &Binary{Op: e.Op, Left: l, Right: r}, result, nil
		}
	default:
		return nil, nil, errAt(ErrInvalidPlan, fmt.Sprintf("unknown operator %d", e.Op))
	}
	if l, err = coerce(l, lt, target); err != nil {
		return nil, nil, atExpr(err, e)
	}
	if r, err = coerce(r, rt, target); err != nil {
		return nil, nil, atExpr(err, e)
	}
	return &Binary{Op: e.Op, Left: l, Right: r}, result, nil
}

// resolveDateArithmetic types the date operators: date + int, int + date and date - int
// are dates (the integer counts days, as Spark's date_add/date_sub), and date - date is
// the number of days between them as int32 (Spark 3 returns an interval there; kindling
// has no interval type, so it gives what datediff(left, right) gives). The integer side
// is read as int64; a NULL literal stands for a NULL of the other side's kind.
func resolveDateArithmetic(e *Binary, l Expr, lt arrow.DataType, r Expr, rt arrow.DataType) (Expr, arrow.DataType, error) {
	isDate := func(t arrow.DataType) bool { return t.ID() == arrow.DATE32 }
	isDays := func(t arrow.DataType) bool { return IsInteger(t) || isNullType(t) }
	var result arrow.DataType = arrow.FixedWidthTypes.Date32
	var err error
	switch {
	case isDate(lt) && isDate(rt) && e.Op == OpSub:
		result = arrow.PrimitiveTypes.Int32
	case isDate(lt) && isDays(rt):
		r, err = coerce(r, rt, typInt64)
	case isDays(lt) && isDate(rt) && e.Op == OpAdd:
		l, err = coerce(l, lt, typInt64)
	default:
		want := "date + integer, integer + date, date - integer or date - date"
		return nil, nil, errAt(ErrType, fmt.Sprintf("%s: cannot apply %s to %s and %s (date arithmetic takes %s)",
			e, e.Op, typeName(lt), typeName(rt), want))
	}
	if err != nil {
		return nil, nil, atExpr(err, e)
	}
	return &Binary{Op: e.Op, Left: l, Right: r}, result, nil
}

// atExpr prefixes an analysis error's message with the expression it arose in.
func atExpr(err error, e Expr) error {
	if ae, ok := err.(*AnalysisError); ok {
		c := *ae
		c.Msg = e.String() + ": " + c.Msg
		return &c
	}
	return err
}

// comparisonType picks the type both sides of a comparison are converted to; nil means
// they are compared as they are (strings, including dictionary-encoded ones).
func comparisonType(e *Binary, l Expr, lt arrow.DataType, r Expr, rt arrow.DataType) (arrow.DataType, error) {
	norm := func(t arrow.DataType) arrow.DataType {
		if isStringLike(t) {
			return typString
		}
		return t
	}
	switch {
	case isNullType(lt) && isNullType(rt):
		return typBool, nil
	case isNullType(lt):
		return norm(rt), nil
	case isNullType(rt):
		return norm(lt), nil
	case IsNumeric(lt) && IsNumeric(rt):
		if isFloat(lt) || isFloat(rt) {
			return typFloat64, nil
		}
		return typInt64, nil
	case isStringLike(lt) && isStringLike(rt):
		if lt.ID() == arrow.LARGE_STRING || rt.ID() == arrow.LARGE_STRING {
			if !arrow.TypeEqual(lt, rt) {
				return typString, nil
			}
		}
		return nil, nil
	case isBool(lt) && isBool(rt):
		return nil, nil
	case lt.ID() == arrow.DATE32 && rt.ID() == arrow.DATE32:
		return nil, nil
	case lt.ID() == arrow.TIMESTAMP && rt.ID() == arrow.TIMESTAMP:
		return timestampComparisonType(l, lt.(*arrow.TimestampType), r, rt.(*arrow.TimestampType)), nil
	case (lt.ID() == arrow.DATE32 || lt.ID() == arrow.TIMESTAMP) && isStringLike(rt):
		return lt, nil
	case isStringLike(lt) && (rt.ID() == arrow.DATE32 || rt.ID() == arrow.TIMESTAMP):
		return rt, nil
	}
	return nil, errAt(ErrType, fmt.Sprintf("%s: cannot compare %s with %s", e, typeName(lt), typeName(rt)))
}

// timestampComparisonType is the type two timestamps are compared as: the finer unit of
// the two, so that no side loses precision, and the zone of the side that is not a
// literal, so that a column is converted only when its unit is coarser. A zone-less
// timestamp is a wall-clock time read in the session time zone, which is UTC (as Spark's
// TIMESTAMP_NTZ against a TIMESTAMP with spark.sql.session.timeZone=UTC): an instant and
// a zone-less value then compare by their epoch offsets, and changing only the zone
// label does not change the value.
func timestampComparisonType(l Expr, lt *arrow.TimestampType, r Expr, rt *arrow.TimestampType) arrow.DataType {
	zone := lt.TimeZone
	if _, lit := l.(*Literal); lit {
		zone = rt.TimeZone
	}
	return &arrow.TimestampType{Unit: max(lt.Unit, rt.Unit), TimeZone: zone}
}

func resolveUnary(e *Unary, schema *arrow.Schema) (Expr, arrow.DataType, error) {
	c, t, err := resolveExpr(e.Child, schema)
	if err != nil {
		return nil, nil, err
	}
	switch e.Op {
	case OpNot:
		if !isBool(t) && !isNullType(t) {
			return nil, nil, errAt(ErrType, fmt.Sprintf("%s: NOT needs a boolean operand, got %s", e, typeName(t)))
		}
		if c, err = coerce(c, t, typBool); err != nil {
			return nil, nil, atExpr(err, e)
		}
		return &Unary{Op: e.Op, Child: c}, typBool, nil
	case OpNeg:
		if isDecimal(t) {
			return &Unary{Op: e.Op, Child: c}, t, nil
		}
		if isInterval(t) { // interval.go
			return resolveIntervalNegate(c, schema)
		}
		if !IsNumeric(t) && !isNullType(t) {
			return nil, nil, errAt(ErrType, fmt.Sprintf("%s: cannot negate %s", e, typeName(t)))
		}
		w := widen(t)
		if c, err = coerce(c, t, w); err != nil {
			return nil, nil, atExpr(err, e)
		}
		return &Unary{Op: e.Op, Child: c}, w, nil
	case OpIsNull, OpIsNotNull:
		return &Unary{Op: e.Op, Child: c}, typBool, nil
	}
	return nil, nil, errAt(ErrInvalidPlan, fmt.Sprintf("unknown unary operator %d", e.Op))
}

// resolveCall checks a function call: its arguments first, then the function's own rule
// from the catalog (functions.go), which coerces the arguments and gives the result type.
func resolveCall(e *Call, schema *arrow.Schema) (Expr, arrow.DataType, error) {
	callArgs, zone := splitZoneArg(e) // the session zone ApplySession stamped, if any
	args := make([]Expr, len(callArgs))
	types := make([]arrow.DataType, len(callArgs))
	for i, a := range callArgs {
		var err error
		if args[i], types[i], err = resolveExpr(a, schema); err != nil {
			return nil, nil, err
		}
	}
	name := strings.ToLower(e.Func)
	fn, ok := functions[name]
	if !ok {
		return nil, nil, errAt(ErrType, fmt.Sprintf("%s: unknown function %q (functions: %s)", e, e.Func, strings.Join(FunctionNames(), ", ")))
	}
	c := &callSite{call: e, name: name, args: args, types: types}
	out, t, err := fn.resolve(c)
	if err != nil {
		return nil, nil, err
	}
	return withZoneArg(out, zone), t, nil
}

func isIntLiteral(e Expr, t arrow.DataType) bool {
	l, ok := e.(*Literal)
	return ok && IsInteger(t) && l.Value != nil
}

func isStringLiteral(e Expr, t arrow.DataType) bool {
	l, ok := e.(*Literal)
	return ok && isStringLike(t) && l.Value != nil
}

// commonType is the type values of types are all converted to (for coalesce).
func commonType(types []arrow.DataType) (arrow.DataType, error) {
	var t arrow.DataType
	allSame := true
	for _, x := range types {
		if isNullType(x) {
			continue
		}
		if t == nil {
			t = x
			continue
		}
		if !arrow.TypeEqual(t, x) {
			allSame = false
		}
	}
	if t == nil {
		return typInt64, nil
	}
	if allSame {
		if t.ID() == arrow.DICTIONARY && len(types) > 1 {
			return typString, nil // one output array: decode
		}
		return t, nil
	}
	if d, ok, err := commonDecimalType(types); ok {
		return d, err
	}
	num, str := true, true
	var float bool
	for _, x := range types {
		if isNullType(x) {
			continue
		}
		num = num && IsNumeric(x)
		str = str && isStringLike(x)
		float = float || isFloat(x)
	}
	switch {
	case num && float:
		return typFloat64, nil
	case num:
		return typInt64, nil
	case str:
		return typString, nil
	}
	return nil, errAt(ErrType, "no common type")
}

// columnsOf returns the distinct column names e references, sorted.
func columnsOf(e Expr) []string {
	set := map[string]bool{}
	addColumns(e, set)
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func addColumns(e Expr, set map[string]bool) {
	if c, ok := e.(*ColumnRef); ok {
		set[c.Name] = true
		return
	}
	for _, ch := range e.Children() {
		addColumns(ch, set)
	}
}

// typeName names a type in error messages the way users think of it: strings are
// "string" whatever their encoding (arrow says utf8).
func typeName(t arrow.DataType) string {
	switch t.ID() {
	case arrow.STRING:
		return "string"
	case arrow.LARGE_STRING:
		return "large_string"
	case arrow.DICTIONARY:
		if isStringLike(t) {
			return "string (dictionary-encoded)"
		}
	}
	return t.String()
}
