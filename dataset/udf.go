package dataset

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// Scalar is the set of Go types a typed user-defined function (UDF1, UDF2, UDF3) takes
// and returns, with the Arrow type each stands for:
//
//	int64   int64
//	int32   int32
//	float64 float64 (NaN and ±Inf pass through unchanged)
//	float32 float32
//	string  utf8 (a dictionary of strings is accepted too)
//	bool    boolean
//
// An argument is converted to the parameter's type as Spark's implicit casts of UDF
// inputs do: NULL to anything, a narrower integer to a wider one, an integer or a float
// to a float at least as wide. Any other argument type is an analysis error naming the
// UDF and the argument. Dates and timestamps are not taken: cast them to string or to a
// number first.
type Scalar interface {
	int64 | int32 | float64 | float32 | string | bool
}

// UDF is a user-defined scalar function: a Go function applied to every row of the
// columns it is called on (UDF1, UDF2, UDF3), or to whole Arrow arrays (VectorUDF). Use it
// in any expression through Call, and register it by name with Session.RegisterUDF.
//
// The engine runs a UDF a record batch at a time. A UDF is assumed deterministic and free
// of side effects (Spark's default): it may run over more or fewer rows than the query
// names, once per distinct value of a dictionary-encoded string column, say, and over a
// single row when all its arguments are literals. It is never called while a plan is
// analyzed. A panic in the function (or an error of a vectorized one) fails the task with
// an error naming the UDF; like MapBatches' user code, the task is retried up to
// Config.MaxTaskAttempts times before the action fails.
type UDF struct {
	name string
	args []arrow.DataType // nil: vectorized, any argument types
	ret  arrow.DataType
	impl plan.ScalarUDF
}

// Name returns the UDF's name, as plans print it.
func (u *UDF) Name() string { return u.name }

// ReturnType returns the Arrow type of the UDF's results.
func (u *UDF) ReturnType() arrow.DataType { return u.ret }

// Call applies the UDF to args. A typed UDF must get as many arguments as its Go function
// takes; a wrong count makes the action that uses the expression fail.
func (u *UDF) Call(args ...Expr) Expr {
	if err := firstErr(args...); err != nil {
		return Expr{err: err}
	}
	if u.args != nil && len(args) != len(u.args) {
		return Expr{err: fmt.Errorf("dataset: user function %s takes %d arguments, got %d", u.name, len(u.args), len(args))}
	}
	pa := make([]plan.Expr, len(args))
	for i, a := range args {
		pa[i] = a.e
	}
	return Expr{e: &plan.UDFCall{Name: u.name, Args: pa, ArgTypes: u.args, Returns: u.ret, Impl: u.impl}}
}

// UDF1 makes a UDF of one argument from fn. A row whose argument is NULL gives NULL
// without calling fn, as Spark does for a Scala UDF of primitive parameter types (and
// here for strings too).
func UDF1[A, R Scalar](name string, fn func(A) R) *UDF {
	return typedUDF[R](name, []arrow.DataType{arrowType[A]()}, func(args []arrow.Array) func(int) R {
		a := reader[A](args[0])
		return func(i int) R { return fn(a(i)) }
	})
}

// UDF2 makes a UDF of two arguments from fn. A row with a NULL argument gives NULL
// without calling fn.
func UDF2[A, B, R Scalar](name string, fn func(A, B) R) *UDF {
	return typedUDF[R](name, []arrow.DataType{arrowType[A](), arrowType[B]()}, func(args []arrow.Array) func(int) R {
		a, b := reader[A](args[0]), reader[B](args[1])
		return func(i int) R { return fn(a(i), b(i)) }
	})
}

// UDF3 makes a UDF of three arguments from fn. A row with a NULL argument gives NULL
// without calling fn.
func UDF3[A, B, C, R Scalar](name string, fn func(A, B, C) R) *UDF {
	return typedUDF[R](name, []arrow.DataType{arrowType[A](), arrowType[B](), arrowType[C]()}, func(args []arrow.Array) func(int) R {
		a, b, c := reader[A](args[0]), reader[B](args[1]), reader[C](args[2])
		return func(i int) R { return fn(a(i), b(i), c(i)) }
	})
}

// VectorUDF makes a UDF that works on whole arrays: fn gets one array per argument (the
// rows of one batch; literals repeated to the batch's length; dictionary strings decoded;
// other types as the argument has them) and returns an array of as many rows of type
// returns, allocated from mem, which the engine then owns. fn borrows args. No NULL
// handling is done for fn: it sees NULL rows and decides their results. A vectorized UDF
// takes at least one argument.
func VectorUDF(name string, returns arrow.DataType, fn func(args []arrow.Array, mem memory.Allocator) (arrow.Array, error)) *UDF {
	return &UDF{name: name, ret: returns, impl: vectorImpl(fn)}
}

type vectorImpl func(args []arrow.Array, mem memory.Allocator) (arrow.Array, error)

func (f vectorImpl) Eval(args []arrow.Array, _ int, mem memory.Allocator) (arrow.Array, error) {
	return f(args, mem)
}

// typedImpl runs a typed Go function row by row: bind reads the argument arrays once per
// batch and returns the function of a row.
type typedImpl[R Scalar] struct {
	args []arrow.DataType
	ret  arrow.DataType
	bind func(args []arrow.Array) func(int) R
}

func typedUDF[R Scalar](name string, args []arrow.DataType, bind func(args []arrow.Array) func(int) R) *UDF {
	ret := arrowType[R]()
	return &UDF{name: name, args: args, ret: ret, impl: &typedImpl[R]{args: args, ret: ret, bind: bind}}
}

// Eval calls the function on every row without a NULL argument, appending to a builder of
// mem; rows with a NULL argument are NULL.
func (t *typedImpl[R]) Eval(args []arrow.Array, n int, mem memory.Allocator) (arrow.Array, error) {
	if len(args) != len(t.args) {
		return nil, fmt.Errorf("got %d arguments, want %d", len(args), len(t.args))
	}
	for i, a := range args {
		if !arrow.TypeEqual(a.DataType(), t.args[i]) || a.Len() != n {
			return nil, fmt.Errorf("argument %d is %d rows of %s, want %d rows of %s", i+1, a.Len(), a.DataType(), n, t.args[i])
		}
	}
	row := t.bind(args)
	b := array.NewBuilder(mem, t.ret)
	defer b.Release()
	b.Reserve(n)
	add := appender[R](b)
	nulls := false
	for _, a := range args {
		nulls = nulls || a.NullN() > 0
	}
	if !nulls {
		for i := 0; i < n; i++ {
			add(row(i))
		}
		return b.NewArray(), nil
	}
rows:
	for i := 0; i < n; i++ {
		for _, a := range args {
			if a.IsNull(i) {
				b.AppendNull()
				continue rows
			}
		}
		add(row(i))
	}
	return b.NewArray(), nil
}

// arrowType is the Arrow type a Scalar Go type stands for.
func arrowType[T Scalar]() arrow.DataType {
	var z T
	switch any(z).(type) {
	case int64:
		return arrow.PrimitiveTypes.Int64
	case int32:
		return arrow.PrimitiveTypes.Int32
	case float64:
		return arrow.PrimitiveTypes.Float64
	case float32:
		return arrow.PrimitiveTypes.Float32
	case string:
		return arrow.BinaryTypes.String
	}
	return arrow.FixedWidthTypes.Boolean
}

// reader returns the typed accessor of a's rows: a slice index for fixed-width types,
// no boxing per row.
func reader[T Scalar](a arrow.Array) func(int) T {
	var f any
	switch a := a.(type) {
	case *array.Int64:
		v := a.Int64Values()
		f = func(i int) int64 { return v[i] }
	case *array.Int32:
		v := a.Int32Values()
		f = func(i int) int32 { return v[i] }
	case *array.Float64:
		v := a.Float64Values()
		f = func(i int) float64 { return v[i] }
	case *array.Float32:
		v := a.Float32Values()
		f = func(i int) float32 { return v[i] }
	case *array.String:
		f = a.Value
	case *array.Boolean:
		f = a.Value
	}
	return f.(func(int) T)
}

// appender returns the typed Append of b, a builder of T's Arrow type.
func appender[T Scalar](b array.Builder) func(T) {
	var f any
	switch b := b.(type) {
	case *array.Int64Builder:
		f = b.Append
	case *array.Int32Builder:
		f = b.Append
	case *array.Float64Builder:
		f = b.Append
	case *array.Float32Builder:
		f = b.Append
	case *array.StringBuilder:
		f = b.Append
	case *array.BooleanBuilder:
		f = b.Append
	}
	return f.(func(T))
}

// RegisterUDF registers u under its name (case-insensitive, as Spark's function names),
// so that code which knows only the name, such as a SQL front end, can find it with
// Session.UDF. A name registered before is an error, as is an empty one.
func (s *Session) RegisterUDF(u *UDF) error {
	if u == nil || u.name == "" {
		return errors.New("dataset: RegisterUDF: a UDF needs a name")
	}
	key := strings.ToLower(u.name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.udfs[key]; dup {
		return fmt.Errorf("dataset: RegisterUDF: a function named %q is already registered", u.name)
	}
	if s.udfs == nil {
		s.udfs = map[string]*UDF{}
	}
	s.udfs[key] = u
	return nil
}

// UDF returns the UDF registered under name (case-insensitive), and whether there is one.
func (s *Session) UDF(name string) (*UDF, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.udfs[strings.ToLower(name)]
	return u, ok
}
