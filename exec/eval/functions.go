package eval

import (
	"github.com/kindling-data/kindling/plan"
)

// function is how the evaluator computes one function of plan's catalog
// (plan.FunctionNames): exactly one of apply and lazy is set. A test checks that the two
// catalogs list the same names.
type function struct {
	// apply computes the function over its evaluated arguments; n is the batch's rows.
	// evalArgs calls it with an array first whenever some argument is an array.
	apply func(ev *Evaluator, args []evValue, n int) (evValue, error)
	// lazy evaluates the arguments itself, for functions that must not evaluate all of
	// them for every row (coalesce stops once no NULL is left).
	lazy func(ev *Evaluator, args []plan.Expr) (evValue, error)
}

// functions is the evaluator's catalog. Each family's file registers its functions in
// an init function (register): lazy functions call back into the evaluator, which looks
// functions up here, so a map literal would be an initialization cycle.
var functions = map[string]function{}

// register adds a family of functions; a name registered twice is a programming error.
func register(family map[string]function) {
	for name, f := range family {
		if _, dup := functions[name]; dup {
			panic("eval: function " + name + " registered twice")
		}
		functions[name] = f
	}
}

func init() {
	register(map[string]function{
		"coalesce":    {lazy: (*Evaluator).coalesce},
		"length":      stringFunction("length"),
		"lower":       stringFunction("lower"),
		"upper":       stringFunction("upper"),
		"substring":   stringFunction("substring"),
		"contains":    stringFunction("contains"),
		"starts_with": stringFunction("starts_with"),
		"ends_with":   stringFunction("ends_with"),
	})
}

// stringFunction is a function of string.go's stringCall, which dispatches by name.
func stringFunction(name string) function {
	return function{apply: func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		return ev.stringCall(name, args, n)
	}}
}
