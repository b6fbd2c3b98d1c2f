package eval

import (
	"slices"
	"testing"

	"github.com/kindling-data/kindling/plan"
)

// TestEveryCatalogFunctionIsEvaluated holds the analyzer's catalog and the evaluator's to
// the same names: a function the analyzer accepts but nobody computes would fail at run
// time, one computed but never accepted is dead code.
func TestEveryCatalogFunctionIsEvaluated(t *testing.T) {
	names := plan.FunctionNames()
	for _, n := range names {
		f, ok := functions[n]
		if !ok {
			t.Errorf("plan's catalog has %q, the evaluator does not", n)
			continue
		}
		if (f.apply == nil) == (f.lazy == nil) {
			t.Errorf("%q: exactly one of apply and lazy must be set", n)
		}
	}
	for n := range functions {
		if !slices.Contains(names, n) {
			t.Errorf("the evaluator has %q, plan's catalog does not", n)
		}
	}
}
