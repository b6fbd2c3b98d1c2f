package plan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// The nested-values family: struct fields (get_field) and lists (size, element_at,
// array_contains, split).

func init() {
	register(map[string]funcSpec{
		"get_field":      {resolve: resolveGetField},
		"size":           {resolve: resolveSize},
		"element_at":     {resolve: resolveElementAt},
		"array_contains": {resolve: resolveArrayContains},
		"split":          {resolve: resolveSplit},
	})
}

// listArg returns argument i's list type, or nil when it is not a list.
func (c *callSite) listArg(i int) *arrow.ListType {
	lt, _ := c.types[i].(*arrow.ListType)
	return lt
}

// resolveGetField: get_field(struct, field name string literal) → the field's type.
func resolveGetField(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(struct, field name string literal)"
	if len(c.args) != 2 {
		return nil, nil, c.bad(want)
	}
	st, ok := c.types[0].(*arrow.StructType)
	if !ok {
		return nil, nil, c.bad(want)
	}
	name, ok, lit := c.stringLiteralArg(1)
	if !lit || !ok {
		return nil, nil, c.bad(want)
	}
	idx, found := st.FieldIdx(name)
	if !found {
		names := make([]string, st.NumFields())
		for i, f := range st.Fields() {
			names[i] = f.Name
		}
		return nil, nil, c.bad(fmt.Sprintf("%s naming one of the fields (%s)", want, strings.Join(names, ", ")))
	}
	return c.done(st.Field(idx).Type)
}

// resolveSize: size(list) → int64.
func resolveSize(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 1 || c.listArg(0) == nil {
		return nil, nil, c.bad("one list")
	}
	return c.done(typInt64)
}

// resolveElementAt: element_at(list, index integer) → the element type. The index is
// converted to int64; a literal index 0 is an error, as in Spark.
func resolveElementAt(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(list, integer index)"
	if len(c.args) != 2 || c.listArg(0) == nil {
		return nil, nil, c.bad(want)
	}
	switch t := c.types[1]; {
	case isNullType(t):
		c.args[1] = &Literal{Type: typInt64}
	case IsInteger(t):
		c.args[1], _ = coerce(c.args[1], t, typInt64)
	default:
		return nil, nil, c.bad(want)
	}
	c.types[1] = typInt64
	if l, ok := c.args[1].(*Literal); ok && l.Value == int64(0) {
		return nil, nil, c.bad(want + " other than 0 (indices start at 1)")
	}
	return c.done(c.listArg(0).Elem())
}

// containsElemOK reports whether array_contains can compare elements of t: numbers,
// booleans, dates, timestamps and strings.
func containsElemOK(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL, arrow.DATE32, arrow.TIMESTAMP, arrow.STRING:
		return true
	}
	return false
}

// resolveArrayContains: array_contains(list, value) → bool. The value is converted to
// the element type: a literal (or NULL) to any element type it fits, a string column
// (dictionary-encoded or large) to a string element; any other column must already have
// the element type.
func resolveArrayContains(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(list of numbers, booleans, dates, timestamps or strings, value of the element type)"
	if len(c.args) != 2 || c.listArg(0) == nil {
		return nil, nil, c.bad(want)
	}
	et := c.listArg(0).Elem()
	if !containsElemOK(et) {
		return nil, nil, c.bad(want)
	}
	vt := c.types[1]
	_, lit := c.args[1].(*Literal)
	switch {
	case arrow.TypeEqual(vt, et):
	case lit || isNullType(vt):
		if !CanCast(vt, et) {
			return nil, nil, c.bad(want)
		}
		e, err := coerce(c.args[1], vt, et)
		if err != nil {
			return nil, nil, c.bad(want)
		}
		c.args[1] = e
	case et.ID() == arrow.STRING && isStringLike(vt):
		c.args[1], _ = coerce(c.args[1], vt, typString)
	default:
		return nil, nil, c.bad(want)
	}
	c.types[1] = et
	return c.done(typBool)
}

// resolveSplit: split(string, regex string) → list of strings.
func resolveSplit(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, regular expression string)"
	if len(c.args) != 2 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	if _, err := c.regexArg(1, want); err != nil {
		return nil, nil, err
	}
	return c.done(arrow.ListOf(typString))
}
