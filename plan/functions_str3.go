package plan

import "github.com/apache/arrow-go/v18/arrow"

// Column arguments of the core string functions: substring, contains, starts_with and
// ends_with are registered with the core functions (functions.go) by rules that take
// literals only; the rules here, which take a column (any expression) for every
// argument, replace them.

func init() {
	override(map[string]funcSpec{
		"substring":   {resolve: resolveSubstringAny},
		"contains":    {resolve: resolveStringMatchAny},
		"starts_with": {resolve: resolveStringMatchAny},
		"ends_with":   {resolve: resolveStringMatchAny},
	})
}

// override replaces the rules of functions already in the catalog; a name not
// registered yet is a programming error (the replacement would then depend on the
// order of the init functions).
func override(family map[string]funcSpec) {
	for name, spec := range family {
		if _, ok := functions[name]; !ok {
			panic("plan: function " + name + " overridden before it is registered")
		}
		functions[name] = spec
	}
}

// resolveSubstringAny: substring(string, start integer[, length integer]) → string.
func resolveSubstringAny(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, start integer[, length integer])"
	if len(c.args) < 2 || len(c.args) > 3 || !c.plainStringArg(0) || !c.intArg(1) ||
		(len(c.args) == 3 && !c.intArg(2)) {
		return nil, nil, c.bad(want)
	}
	return c.done(typString)
}

// resolveStringMatchAny: contains, starts_with, ends_with(string, string) → bool.
func resolveStringMatchAny(c *callSite) (Expr, arrow.DataType, error) {
	if len(c.args) != 2 || !c.plainStringArg(0) || !c.plainStringArg(1) {
		return nil, nil, c.bad("(string, string)")
	}
	return c.done(typBool)
}
