package eval

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/plan"
)

// User-defined scalar functions (plan.UDFCall) run once per batch: the arguments are
// evaluated, scalars broadcast to arrays, and the implementation is called with one array
// per argument. Three shapes are told apart:
//   - every argument a scalar: the UDF runs over one row and its result is a scalar;
//   - a typed UDF whose only array argument is a dictionary of strings: it runs once per
//     dictionary value and the results are gathered by the indices (the result is plain,
//     not a dictionary);
//   - otherwise dictionaries are decoded and the UDF runs over the batch's rows.
//
// An error returned or a panic raised by the implementation becomes a *UDFError naming
// the UDF, which the scheduler classifies as user code and retries, as it does for
// MapBatches. A result of the wrong length or type is a plain, deterministic error.

// UDFError is an error returned or a panic raised by a user-defined function.
type UDFError struct {
	// Name is the UDF's name.
	Name string
	msg  string
	err  error
}

// Error names the UDF, then what went wrong.
func (e *UDFError) Error() string { return "user function " + e.Name + e.msg }

// Unwrap returns the error the UDF returned (nil after a panic).
func (e *UDFError) Unwrap() error { return e.err }

// evalUDF evaluates a call of a user-defined function.
func (ev *Evaluator) evalUDF(e *plan.UDFCall) (evValue, error) {
	args := make([]evValue, 0, len(e.Args))
	defer func() {
		for _, a := range args {
			a.release()
		}
	}()
	allScalar := true
	for _, c := range e.Args {
		v, err := ev.eval(c)
		if err != nil {
			return evValue{}, err
		}
		args = append(args, v)
		allScalar = allScalar && v.isScalar()
	}
	if d, at := udfSoleDict(args); e.ArgTypes != nil && d != nil {
		res, err := evMapDict(ev.Mem, d, func(dict arrow.Array) (arrow.Array, error) {
			return ev.udfOver(e, args, at, dict, dict.Len())
		})
		if err != nil {
			return evValue{}, err
		}
		return evArray(res), nil
	}
	n := ev.N
	if allScalar && len(args) > 0 {
		n = 1
	}
	res, err := ev.udfOver(e, args, -1, nil, n)
	if err != nil {
		return evValue{}, err
	}
	if !allScalar || len(args) == 0 {
		return evArray(res), nil
	}
	defer res.Release()
	sc, err := scalar.GetScalar(res, 0)
	if err != nil {
		return evValue{}, err
	}
	return evScalar(sc), nil
}

// udfSoleDict returns the dictionary array among args, and its position, when it is the
// only argument that is an array.
func udfSoleDict(args []evValue) (*array.Dictionary, int) {
	var d *array.Dictionary
	at := -1
	for i, a := range args {
		if a.isScalar() {
			continue
		}
		dd, ok := a.arr.(*array.Dictionary)
		if !ok || d != nil {
			return nil, -1
		}
		d, at = dd, i
	}
	return d, at
}

// udfOver calls the UDF over n rows: args as arrays of n rows, argument at replaced by
// sub when at >= 0 (a dictionary's values).
func (ev *Evaluator) udfOver(e *plan.UDFCall, args []evValue, at int, sub arrow.Array, n int) (arrow.Array, error) {
	arrays := make([]arrow.Array, 0, len(args))
	defer func() {
		for _, a := range arrays {
			a.Release()
		}
	}()
	for i, a := range args {
		var arr arrow.Array
		var err error
		switch {
		case i == at:
			sub.Retain()
			arr = sub
		case a.isScalar():
			arr, err = a.toArray(n, ev.Mem)
		case a.arr.DataType().ID() == arrow.DICTIONARY:
			arr, err = evDecodeDict(ev.Mem, a.arr.(*array.Dictionary))
		default:
			arr, err = a.toArray(n, ev.Mem)
		}
		if err != nil {
			return nil, err
		}
		arrays = append(arrays, arr)
	}
	return callUDF(e, arrays, n, ev.Mem)
}

// callUDF runs the implementation, turning a panic into an error, and checks its result.
func callUDF(e *plan.UDFCall, args []arrow.Array, n int, mem memory.Allocator) (res arrow.Array, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, &UDFError{Name: e.Name, msg: fmt.Sprintf(" panicked: %v", r)}
		}
	}()
	res, err = e.Impl.Eval(args, n, mem)
	if err != nil {
		if res != nil {
			res.Release()
		}
		return nil, &UDFError{Name: e.Name, msg: ": " + err.Error(), err: err}
	}
	if res == nil {
		return nil, fmt.Errorf("user function %s returned no array", e.Name)
	}
	if res.Len() != n || !arrow.TypeEqual(res.DataType(), e.Returns) {
		got := fmt.Sprintf("%d rows of %s", res.Len(), res.DataType())
		res.Release()
		return nil, fmt.Errorf("user function %s returned %s, want %d rows of %s", e.Name, got, n, e.Returns)
	}
	return res, nil
}
