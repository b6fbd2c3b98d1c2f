package eval

import (
	"context"
	"errors"
	"fmt"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/plan"
)

// Eval evaluates an analyzed expression over every row of rec and returns an array of
// rec.NumRows() values that the caller owns and must Release.
//
// Evaluation is vectorized: each node of the tree runs once per batch, over whole
// arrays. Literals stay scalars until an operator needs them as arrays, and a tree
// made only of literals is folded to one scalar and broadcast at the end.
//
// Result types follow the analyzer's contract (operands of arithmetic and comparisons
// already share a type), with these choices:
//   - length(s) is int64;
//   - a dictionary<int32, utf8> column is accepted wherever utf8 is; comparisons with a
//     scalar and the predicates length/contains/starts_with/ends_with run once over the
//     dictionary and gather the result by index; string-valued results (lower, upper,
//     substring, coalesce, cast to utf8) are decoded to plain utf8, because a transformed
//     dictionary may hold duplicates that key-based consumers would not expect.
//
// Errors name the expression that failed.
func Eval(ctx context.Context, e plan.Expr, rec arrow.RecordBatch, mem memory.Allocator) (arrow.Array, error) {
	return evalMemo(ctx, e, rec, mem, nil)
}

// evalMemo is Eval with the batch's memo of shared subexpressions (nil: none).
func evalMemo(ctx context.Context, e plan.Expr, rec arrow.RecordBatch, mem memory.Allocator, memo *evMemo) (arrow.Array, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("exec: eval %s: %w", e, err)
	}
	ev := &Evaluator{
		Ctx:  colop.ComputeCtx(ctx, mem),
		Rec:  rec,
		Mem:  mem,
		N:    int(rec.NumRows()),
		memo: memo,
	}
	v, err := ev.eval(e)
	if err != nil {
		return nil, err
	}
	defer v.release()
	arr, err := v.toArray(ev.N, mem)
	if err != nil {
		return nil, &EvalError{expr: e.String(), err: err}
	}
	return arr, nil
}

// EvalError carries the text of the innermost expression that failed, so that a
// failure deep in a tree is reported once, at its origin, rather than re-wrapped by
// every ancestor.
type EvalError struct {
	expr string
	err  error
}

// Error names the expression that failed, then why.
func (e *EvalError) Error() string { return "exec: eval " + e.expr + ": " + e.err.Error() }

// Unwrap returns the cause, so that errors.Is sees a budget refusal through it.
func (e *EvalError) Unwrap() error { return e.err }

// evValue is an evaluated sub-expression: exactly one of arr and sc is set. The holder
// owns one reference to it.
type evValue struct {
	arr arrow.Array
	sc  scalar.Scalar
}

func evArray(a arrow.Array) evValue    { return evValue{arr: a} }
func evScalar(s scalar.Scalar) evValue { return evValue{sc: s} }

func (v evValue) isScalar() bool { return v.arr == nil }

func (v evValue) dataType() arrow.DataType {
	if v.arr != nil {
		return v.arr.DataType()
	}
	return v.sc.DataType()
}

// retain takes one more reference to the value.
func (v evValue) retain() {
	if v.arr != nil {
		v.arr.Retain()
		return
	}
	if r, ok := v.sc.(scalar.Releasable); ok {
		r.Retain()
	}
}

func (v evValue) release() {
	if v.arr != nil {
		v.arr.Release()
		return
	}
	if r, ok := v.sc.(scalar.Releasable); ok {
		r.Release()
	}
}

// datum views the value as a compute.Datum without taking a reference.
func (v evValue) datum() compute.Datum {
	if v.arr != nil {
		return compute.NewDatumWithoutOwning(v.arr)
	}
	return compute.NewDatumWithoutOwning(v.sc)
}

// toArray returns the value as an array of n rows, owned by the caller.
func (v evValue) toArray(n int, mem memory.Allocator) (arrow.Array, error) {
	if v.arr != nil {
		v.arr.Retain()
		return v.arr, nil
	}
	if v.sc.DataType().ID() == arrow.NULL {
		return array.NewNull(n), nil
	}
	return scalar.MakeArrayFromScalar(v.sc, n, mem)
}

// Evaluator holds what every node of one Eval call needs.
type Evaluator struct {
	Ctx context.Context // carries the allocator for compute kernels
	Rec arrow.RecordBatch
	Mem memory.Allocator
	N   int

	memo *evMemo // the batch's shared subexpressions (cse.go); nil: none
}

func (ev *Evaluator) eval(e plan.Expr) (evValue, error) {
	v, slot, ok := ev.memo.lookup(e)
	if ok {
		return v, nil
	}
	v, err := ev.evalNode(e)
	if err == nil && slot >= 0 {
		ev.memo.store(slot, v)
	}
	if err != nil {
		var ee *EvalError
		if errors.As(err, &ee) {
			return evValue{}, err
		}
		return evValue{}, &EvalError{expr: e.String(), err: err}
	}
	return v, nil
}

func (ev *Evaluator) evalNode(e plan.Expr) (evValue, error) {
	switch e := e.(type) {
	case *plan.ColumnRef:
		idx := ev.Rec.Schema().FieldIndices(e.Name)
		if len(idx) == 0 {
			return evValue{}, fmt.Errorf("unknown column %q", e.Name)
		}
		col := ev.Rec.Column(idx[0])
		col.Retain()
		return evArray(col), nil
	case *plan.Literal:
		sc, err := evLiteral(e)
		if err != nil {
			return evValue{}, err
		}
		return evScalar(sc), nil
	case *plan.Alias:
		return ev.eval(e.Child)
	case *plan.Binary:
		return ev.evalArgs([]plan.Expr{e.Left, e.Right}, func(args []evValue, n int) (evValue, error) {
			return ev.binary(e.Op, args[0], args[1], n)
		})
	case *plan.Unary:
		return ev.evalArgs([]plan.Expr{e.Child}, func(args []evValue, n int) (evValue, error) {
			return ev.unary(e.Op, args[0], n)
		})
	case *plan.Cast:
		return ev.evalArgs([]plan.Expr{e.Child}, func(args []evValue, n int) (evValue, error) {
			return ev.cast(args[0], e.To, n)
		})
	case *plan.Call:
		f, ok := functions[e.Func]
		if !ok {
			return evValue{}, fmt.Errorf("unknown function %q", e.Func)
		}
		if f.lazy != nil {
			return f.lazy(ev, e.Args)
		}
		return ev.evalArgs(e.Args, func(args []evValue, n int) (evValue, error) {
			return f.apply(ev, args, n)
		})
	case *plan.UDFCall:
		return ev.evalUDF(e)
	case nil:
		return evValue{}, errors.New("nil expression")
	}
	return evValue{}, fmt.Errorf("unsupported expression type %T", e)
}

// evalArgs evaluates the children and applies fn to them. fn always receives an
// array as its first argument (when there is one): when every argument is a scalar,
// the first is materialized as a one-row array and the one-row result is turned back
// into a scalar. So each operator is written once, for arrays, with scalar fast
// paths for its other arguments where they pay.
func (ev *Evaluator) evalArgs(children []plan.Expr, fn func(args []evValue, n int) (evValue, error)) (evValue, error) {
	args := make([]evValue, 0, len(children))
	defer func() {
		for _, a := range args {
			a.release()
		}
	}()
	allScalar := true
	for _, c := range children {
		v, err := ev.eval(c)
		if err != nil {
			return evValue{}, err
		}
		args = append(args, v)
		allScalar = allScalar && v.isScalar()
	}
	if !allScalar || len(args) == 0 {
		return fn(args, ev.N)
	}
	first, err := args[0].toArray(1, ev.Mem)
	if err != nil {
		return evValue{}, err
	}
	defer first.Release()
	one := append([]evValue{evArray(first)}, args[1:]...)
	res, err := fn(one, 1)
	if err != nil {
		return evValue{}, err
	}
	if res.isScalar() {
		return res, nil
	}
	defer res.release()
	sc, err := scalar.GetScalar(res.arr, 0)
	if err != nil {
		return evValue{}, err
	}
	return evScalar(sc), nil
}

// evLiteral turns a literal into a scalar of the literal's declared type.
func evLiteral(l *plan.Literal) (scalar.Scalar, error) {
	dt := l.Type
	if l.Value == nil {
		if dt == nil {
			dt = arrow.Null
		}
		return scalar.MakeNullScalar(dt), nil
	}
	var sc scalar.Scalar
	switch v := l.Value.(type) {
	case arrow.Timestamp:
		tt, ok := dt.(*arrow.TimestampType)
		if !ok {
			return nil, fmt.Errorf("timestamp literal with type %v", dt)
		}
		return scalar.NewTimestampScalar(v, tt), nil
	case arrow.Date32:
		sc = scalar.NewDate32Scalar(v)
	case decimal128.Num:
		if _, ok := dt.(*arrow.Decimal128Type); !ok {
			return nil, fmt.Errorf("decimal literal with type %v", dt)
		}
		return scalar.NewDecimal128Scalar(v, dt), nil
	case arrow.MonthDayNanoInterval:
		sc = scalar.NewMonthDayNanoIntervalScalar(v)
	case bool, int64, float64, string:
		sc = scalar.MakeScalar(v)
	default:
		return nil, fmt.Errorf("unsupported literal evValue of Go type %T", v)
	}
	if dt == nil || arrow.TypeEqual(sc.DataType(), dt) {
		return sc, nil
	}
	out, err := sc.CastTo(dt)
	if err != nil {
		return nil, fmt.Errorf("literal %v as %v: %w", l.Value, dt, err)
	}
	return out, nil
}

// callKernel runs a compute function and unwraps its result.
func (ev *Evaluator) callKernel(name string, opts compute.FunctionOptions, args ...evValue) (evValue, error) {
	ds := make([]compute.Datum, len(args))
	for i, a := range args {
		ds[i] = a.datum()
	}
	out, err := compute.CallFunction(ev.Ctx, name, opts, ds...)
	if err != nil {
		return evValue{}, fmt.Errorf("%s: %w", name, err)
	}
	return evFromDatum(out)
}

// evFromDatum takes over the reference held by a kernel's output datum.
func evFromDatum(d compute.Datum) (evValue, error) {
	switch d := d.(type) {
	case *compute.ArrayDatum:
		arr := d.MakeArray()
		d.Release()
		return evArray(arr), nil
	case *compute.ScalarDatum:
		return evScalar(d.Value), nil
	}
	d.Release()
	return evValue{}, fmt.Errorf("unexpected kernel result kind %v", d.Kind())
}

// Buffer helpers. Every output buffer comes from the Evaluator's allocator.

// evNewBitmap allocates a bitmap of n bits, all set to fill.
func evNewBitmap(mem memory.Allocator, n int, fill bool) *memory.Buffer {
	b := kernel.NewRawBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	var c byte
	if fill {
		c = 0xff
	}
	memory.Set(b.Bytes(), c)
	return b
}

// evNewValues allocates a buffer for n fixed-width values and returns it with a typed view.
func evNewValues[T arrow.FixedWidthType](mem memory.Allocator, n int, width int) (*memory.Buffer, []T) {
	b := kernel.NewRawBuffer(mem, n*width)
	return b, arrow.GetData[T](b.Bytes())[:n]
}

// evCombinedValidity returns a fresh validity bitmap that is the AND of the given
// arrays' validity, or nil when none of them has nulls.
func evCombinedValidity(mem memory.Allocator, n int, arrs ...arrow.Array) *memory.Buffer {
	var out *memory.Buffer
	for _, a := range arrs {
		bits, off := kernel.Validity(a)
		if bits == nil {
			continue
		}
		if out == nil {
			out = kernel.NewRawBuffer(mem, int(bitutil.BytesForBits(int64(n))))
			bitutil.CopyBitmap(bits, off, n, out.Bytes(), 0)
			continue
		}
		bitutil.BitmapAnd(out.Bytes(), bits, 0, int64(off), out.Bytes(), 0, int64(n))
	}
	return out
}

// evFinishArray wraps freshly built buffers into an array and drops the builder's
// references to them; validity may be nil. It counts the NULLs for kernel.MakeArray,
// which the builders here do not track.
func evFinishArray(dt arrow.DataType, n int, validity *memory.Buffer, bufs ...*memory.Buffer) arrow.Array {
	nulls := 0
	if validity != nil {
		nulls = n - bitutil.CountSetBits(validity.Bytes(), 0, n)
	}
	return kernel.MakeArray(dt, n, nulls, append([]*memory.Buffer{validity}, bufs...), nil)
}

// evBufferBytes returns the bytes of buffer i of arr, or nil when it is absent (as in
// some empty arrays).
func evBufferBytes(arr arrow.Array, i int) []byte {
	bufs := arr.Data().Buffers()
	if i >= len(bufs) || bufs[i] == nil {
		return nil
	}
	return bufs[i].Bytes()
}
