package plan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ScalarUDF is the implementation of a user-defined scalar function: the evaluator calls
// Eval once per record batch with one array of n rows per argument (scalar arguments
// broadcast to n rows) and takes ownership of the array it returns, which must have n
// rows of the call's return type. Eval borrows args. Every allocation must come from mem.
//
// A UDF is assumed deterministic and free of side effects, as Spark assumes by default:
// the optimizer may evaluate it over fewer or more rows than the query names (once per
// dictionary value of a dictionary-encoded string argument, say). The analyzer never
// calls it: a call whose arguments are all literals is not folded at analysis but
// evaluated per batch like any other call.
type ScalarUDF interface {
	Eval(args []arrow.Array, n int, mem memory.Allocator) (arrow.Array, error)
}

// UDFCall applies a user-defined scalar function, named Name, to Args. It carries its
// implementation, so plans need no registry to be evaluated.
type UDFCall struct {
	Name string
	Args []Expr
	// ArgTypes are the types the implementation takes, one per argument; the analyzer
	// converts each argument to its type (NULL, integer and float widening, dictionary
	// strings kept for the evaluator to run once per dictionary value) or reports an
	// error naming the UDF and the argument. Nil ArgTypes (a vectorized UDF) take
	// arguments of any type, dictionary strings decoded to utf8.
	ArgTypes []arrow.DataType
	// Returns is the result type; every result may be NULL.
	Returns arrow.DataType
	Impl    ScalarUDF
}

// String renders the call as name(arg, ...), as a built-in function prints.
func (u *UDFCall) String() string {
	args := make([]string, len(u.Args))
	for i, a := range u.Args {
		args[i] = a.String()
	}
	return u.Name + "(" + strings.Join(args, ", ") + ")"
}

// Children returns the arguments, in order.
func (u *UDFCall) Children() []Expr { return u.Args }

// WithChildren returns a call of the same function on a copy of ch.
func (u *UDFCall) WithChildren(ch []Expr) Expr {
	c := *u
	c.Args = append([]Expr(nil), ch...)
	return &c
}

// resolveUDFCall checks a UDF's arguments against the types its implementation takes.
func resolveUDFCall(e *UDFCall, schema *arrow.Schema) (Expr, arrow.DataType, error) {
	if e.Impl == nil || e.Returns == nil {
		return nil, nil, errAt(ErrInvalidPlan, fmt.Sprintf("%s: user function %s has no implementation or return type", e, e.Name))
	}
	if e.ArgTypes != nil && len(e.ArgTypes) != len(e.Args) {
		return nil, nil, errAt(ErrType, fmt.Sprintf("%s: user function %s takes %d arguments, got %d", e, e.Name, len(e.ArgTypes), len(e.Args)))
	}
	if e.ArgTypes == nil && len(e.Args) == 0 {
		return nil, nil, errAt(ErrType, fmt.Sprintf("%s: vectorized user function %s needs at least one argument", e, e.Name))
	}
	args := make([]Expr, len(e.Args))
	for i, a := range e.Args {
		arg, t, err := resolveExpr(a, schema)
		if err != nil {
			return nil, nil, err
		}
		if e.ArgTypes == nil {
			if t.ID() == arrow.DICTIONARY {
				arg = &Cast{Child: arg, To: typString}
			}
			args[i] = arg
			continue
		}
		want := e.ArgTypes[i]
		switch {
		case arrow.TypeEqual(t, want):
		case isNullType(t):
			arg = &Literal{Type: want}
		case want.ID() == arrow.STRING && isStringLike(t):
			if t.ID() != arrow.DICTIONARY {
				arg = &Cast{Child: arg, To: want}
			}
		case udfWidens(t, want):
			if arg, err = coerce(arg, t, want); err != nil {
				return nil, nil, atExpr(err, e)
			}
		default:
			return nil, nil, errAt(ErrType, fmt.Sprintf("%s: user function %s argument %d takes %s, got %s", e, e.Name, i+1, typeName(want), typeName(t)))
		}
		args[i] = arg
	}
	return &UDFCall{Name: e.Name, Args: args, ArgTypes: e.ArgTypes, Returns: e.Returns, Impl: e.Impl}, e.Returns, nil
}

// udfWidens reports whether a value of type from converts to want without loss, as Spark's
// implicit casts of UDF inputs allow: a narrower integer to a wider one, an integer or
// float to a float at least as wide.
func udfWidens(from, want arrow.DataType) bool {
	if !IsNumeric(from) || !IsNumeric(want) {
		return false
	}
	fw, ok1 := from.(arrow.FixedWidthDataType)
	ww, ok2 := want.(arrow.FixedWidthDataType)
	if !ok1 || !ok2 {
		return false
	}
	switch {
	case IsInteger(from) && IsInteger(want):
		if udfUnsigned(from) != udfUnsigned(want) {
			// uint32 fits int64 but not int32; no signed type fits an unsigned one.
			return udfUnsigned(from) && fw.BitWidth() < ww.BitWidth()
		}
		return fw.BitWidth() <= ww.BitWidth()
	case isFloat(want):
		return IsInteger(from) || fw.BitWidth() <= ww.BitWidth()
	}
	return false
}

func udfUnsigned(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	}
	return false
}
