package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// The function catalog: every scalar function a Call may name, with the rule that types
// it. A function is added in one place here and in one place in exec/eval's catalog; a
// test there checks that the two list the same names.

// funcSpec is one function of the catalog.
type funcSpec struct {
	// resolve checks the call's resolved arguments, coerces them to what the evaluator
	// expects (casts inserted, literals retyped) and returns the call with its result type.
	resolve func(c *callSite) (Expr, arrow.DataType, error)
}

// callSite is a call whose arguments are resolved: what a funcSpec checks.
type callSite struct {
	call  *Call
	name  string // the function's name, lower case
	args  []Expr
	types []arrow.DataType
}

// bad is the analysis error of a call whose arguments do not fit: it names the call, the
// function, what it takes and what it got.
func (c *callSite) bad(want string) error {
	s := make([]string, len(c.types))
	for i, t := range c.types {
		s[i] = typeName(t)
	}
	return errAt(ErrType, fmt.Sprintf("%s: %s takes %s, got (%s)", c.call, c.call.Func, want, strings.Join(s, ", ")))
}

// done returns the rewritten call with its result type.
func (c *callSite) done(t arrow.DataType) (Expr, arrow.DataType, error) {
	return &Call{Func: c.name, Args: c.args}, t, nil
}

// stringArg checks that argument i is a string (or NULL, typed as a string).
func (c *callSite) stringArg(i int) bool {
	if isNullType(c.types[i]) {
		c.args[i] = &Literal{Type: typString}
		c.types[i] = typString
		return true
	}
	return isStringLike(c.types[i])
}

// functions is the catalog. Each family's file registers its functions (register, in an
// init function), so that families are added without touching one shared list.
var functions = map[string]funcSpec{}

// register adds a family of functions to the catalog; a name registered twice is a
// programming error.
func register(family map[string]funcSpec) {
	for name, spec := range family {
		if _, dup := functions[name]; dup {
			panic("plan: function " + name + " registered twice")
		}
		functions[name] = spec
	}
}

func init() {
	register(map[string]funcSpec{
		"coalesce":    {resolve: resolveCoalesce},
		"length":      {resolve: resolveStringTo(typInt64)},
		"lower":       {resolve: resolveStringTo(typString)},
		"upper":       {resolve: resolveStringTo(typString)},
		"substring":   {resolve: resolveSubstring},
		"contains":    {resolve: resolveStringMatch},
		"starts_with": {resolve: resolveStringMatch},
		"ends_with":   {resolve: resolveStringMatch},
	})
}

// FunctionNames lists the catalog's functions, sorted: for error messages, and for the
// evaluator's test that it implements every one.
func FunctionNames() []string {
	names := make([]string, 0, len(functions))
	for n := range functions {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// resolveCoalesce: the first non-NULL argument, all arguments converted to one type.
func resolveCoalesce(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) == 0 {
		return nil, nil, c.bad("at least one argument")
	}
	target, err := commonType(c.types)
	if err != nil {
		return nil, nil, c.bad("arguments of one type")
	}
	for i := range c.args {
		if c.args[i], err = coerce(c.args[i], c.types[i], target); err != nil {
			return nil, nil, atExpr(err, c.call)
		}
	}
	return c.done(target)
}

// resolveStringTo types a function of one string returning t (length, lower, upper).
func resolveStringTo(t arrow.DataType) func(c *callSite) (Expr, arrow.DataType, error) {
	return func(c *callSite) (Expr, arrow.DataType, error) {
		if len(c.args) != 1 || !c.stringArg(0) {
			return nil, nil, c.bad("one string")
		}
		return c.done(t)
	}
}

// resolveSubstring: substring(string, start integer[, length integer]) → string; every
// argument may be a column.
func resolveSubstring(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, start integer[, length integer])"
	if len(c.args) < 2 || len(c.args) > 3 || !c.plainStringArg(0) || !c.intArg(1) ||
		(len(c.args) == 3 && !c.intArg(2)) {
		return nil, nil, c.bad(want)
	}
	return c.done(typString)
}

// resolveStringMatch: contains, starts_with, ends_with(string, string) → bool.
func resolveStringMatch(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 || !c.plainStringArg(0) || !c.plainStringArg(1) {
		return nil, nil, c.bad("(string, string)")
	}
	return c.done(typBool)
}
