package eval

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
)

// The arithmetic and math family. The analyzer (plan/functions_math.go) has coerced every
// argument to int64 or float64, so each kernel is a typed loop over one of those two.
// Semantics are Spark's (non-ANSI), whose math is Java's: see each kernel.

func init() {
	register(map[string]function{
		"div":    {apply: mathIntDiv},
		"abs":    {apply: mathAbs},
		"signum": {apply: mathFloatFunc("signum", mathSignum)},
		"sqrt":   {apply: mathFloatFunc("sqrt", math.Sqrt)},
		"exp":    {apply: mathFloatFunc("exp", math.Exp)},
		"ln":     {apply: mathLogFunc("ln", math.Log)},
		"log10":  {apply: mathLogFunc("log10", math.Log10)},
		"pow":    {apply: mathPow},
		"floor":  {apply: mathFloorCeil("floor", math.Floor)},
		"ceil":   {apply: mathFloorCeil("ceil", math.Ceil)},
		"round":  {apply: mathRound("round", false)},
		"bround": {apply: mathRound("bround", true)},
	})
}

// mathWant checks that args has want arguments and that the first is of type id.
func mathWant(name string, args []evValue, want int, id arrow.Type) error {
	if len(args) != want {
		return fmt.Errorf("%s takes %d arguments, got %d", name, want, len(args))
	}
	if args[0].dataType().ID() != id {
		return fmt.Errorf("%s of %v, want %v", name, args[0].dataType(), id)
	}
	return nil
}

// evMapFixed applies f to every value of arr (NULL rows included: f must not fail on
// their arbitrary values) and keeps arr's validity.
func evMapFixed[I, O kernel.FixedWidth](mem memory.Allocator, dt arrow.DataType, width int, arr arrow.Array, f func(I) O) arrow.Array {
	n := arr.Len()
	buf, out := evNewValues[O](mem, n, width)
	for i, x := range kernel.FixedValues[I](arr) {
		out[i] = f(x)
	}
	return evFinishArray(dt, n, evCopyValidity(mem, arr), buf)
}

// evMapFixedNull is evMapFixed for an f that reports false to make a row NULL.
func evMapFixedNull[I, O kernel.FixedWidth](mem memory.Allocator, dt arrow.DataType, width int, arr arrow.Array, f func(I) (O, bool)) arrow.Array {
	n := arr.Len()
	validity := evCopyValidity(mem, arr)
	if validity == nil {
		validity = evNewBitmap(mem, n, true)
	}
	bits := validity.Bytes()
	buf, out := evNewValues[O](mem, n, width)
	for i, x := range kernel.FixedValues[I](arr) {
		o, ok := f(x)
		out[i] = o
		if !ok {
			bitutil.ClearBit(bits, i)
		}
	}
	return evFinishArray(dt, n, validity, buf)
}

// mathIntDiv is Spark's `div`: int64 quotient truncated toward zero, NULL for a zero
// divisor; MinInt64 div -1 wraps to MinInt64 (Go defines it so; Java computes the same).
func mathIntDiv(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if err := mathWant("div", args, 2, arrow.INT64); err != nil {
		return evValue{}, err
	}
	if args[1].dataType().ID() != arrow.INT64 {
		return evValue{}, fmt.Errorf("div of %v, want int64", args[1].dataType())
	}
	out, err := evBinaryFixed(ev.Mem, arrow.PrimitiveTypes.Int64, 8, n, args[0], args[1], func(a, b int64) (int64, bool) {
		if b == 0 {
			return 0, false
		}
		return a / b, true
	})
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// mathAbs is Spark's abs: Java's Math.abs, so abs(MinInt64) wraps to MinInt64 and
// abs(-0.0) is 0.0.
func mathAbs(ev *Evaluator, args []evValue, _ int) (evValue, error) {
	if len(args) != 1 {
		return evValue{}, fmt.Errorf("abs takes 1 argument, got %d", len(args))
	}
	a := args[0].arr
	switch a.DataType().ID() {
	case arrow.INT64:
		return evArray(evMapFixed(ev.Mem, a.DataType(), 8, a, func(x int64) int64 {
			if x < 0 {
				return -x
			}
			return x
		})), nil
	case arrow.FLOAT64:
		return evArray(evMapFixed(ev.Mem, a.DataType(), 8, a, math.Abs)), nil
	case arrow.DECIMAL128:
		return evArray(evAbsDecimal(ev, a)), nil
	}
	return evValue{}, fmt.Errorf("abs of %v, want int64 or float64", a.DataType())
}

// mathSignum is Java's Math.signum: -1, 0 or 1, keeping NaN and the sign of a zero.
func mathSignum(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x // ±0 or NaN
}

// mathFloatFunc computes f over a float64 argument.
func mathFloatFunc(name string, f func(float64) float64) func(*Evaluator, []evValue, int) (evValue, error) {
	return func(ev *Evaluator, args []evValue, _ int) (evValue, error) {
		if err := mathWant(name, args, 1, arrow.FLOAT64); err != nil {
			return evValue{}, err
		}
		return evArray(evMapFixed(ev.Mem, arrow.PrimitiveTypes.Float64, 8, args[0].arr, f)), nil
	}
}

// mathLogFunc computes a logarithm as Spark does: NULL for x <= 0 (so for -0.0), NaN for
// NaN.
func mathLogFunc(name string, f func(float64) float64) func(*Evaluator, []evValue, int) (evValue, error) {
	return func(ev *Evaluator, args []evValue, _ int) (evValue, error) {
		if err := mathWant(name, args, 1, arrow.FLOAT64); err != nil {
			return evValue{}, err
		}
		return evArray(evMapFixedNull(ev.Mem, arrow.PrimitiveTypes.Float64, 8, args[0].arr, func(x float64) (float64, bool) {
			if x <= 0 {
				return 0, false
			}
			return f(x), true
		})), nil
	}
}

// mathJavaPow is Java's Math.pow, which Spark's pow is. It differs from Go's math.Pow
// where the exponent is NaN (NaN, even for base 1) and where a base of ±1 meets an
// infinite exponent (NaN).
func mathJavaPow(x, y float64) float64 {
	switch {
	case y == 0:
		return 1
	case y != y:
		return math.NaN()
	case (x == 1 || x == -1) && math.IsInf(y, 0):
		return math.NaN()
	case x == 1:
		return 1
	}
	return math.Pow(x, y)
}

// mathPow is Spark's pow(x, y) over float64 operands.
func mathPow(ev *Evaluator, args []evValue, n int) (evValue, error) {
	if err := mathWant("pow", args, 2, arrow.FLOAT64); err != nil {
		return evValue{}, err
	}
	if args[1].dataType().ID() != arrow.FLOAT64 {
		return evValue{}, fmt.Errorf("pow of %v, want float64", args[1].dataType())
	}
	out, err := evBinaryFixed(ev.Mem, arrow.PrimitiveTypes.Float64, 8, n, args[0], args[1], func(x, y float64) (float64, bool) {
		return mathJavaPow(x, y), true
	})
	if err != nil {
		return evValue{}, err
	}
	return evArray(out), nil
}

// mathToLong is Java's (long) conversion of a double: truncation, saturating at the
// int64 bounds, NaN giving 0.
func mathToLong(x float64) int64 {
	switch {
	case x != x:
		return 0
	case x >= math.MaxInt64: // float64(MaxInt64) is 2^63
		return math.MaxInt64
	case x <= math.MinInt64:
		return math.MinInt64
	}
	return int64(x)
}

// mathFloorCeil is Spark's floor/ceil: an int64 argument is returned as it is, a float64
// one is rounded and converted to int64 as Java's (long) does.
func mathFloorCeil(name string, f func(float64) float64) func(*Evaluator, []evValue, int) (evValue, error) {
	return func(ev *Evaluator, args []evValue, _ int) (evValue, error) {
		if len(args) != 1 {
			return evValue{}, fmt.Errorf("%s takes 1 argument, got %d", name, len(args))
		}
		a := args[0].arr
		switch a.DataType().ID() {
		case arrow.INT64:
			a.Retain()
			return evArray(a), nil
		case arrow.FLOAT64:
			return evArray(evMapFixed(ev.Mem, arrow.PrimitiveTypes.Int64, 8, a, func(x float64) int64 {
				return mathToLong(f(x))
			})), nil
		case arrow.DECIMAL128:
			return evArray(evFloorCeilDecimal(ev, a, name == "ceil")), nil
		}
		return evValue{}, fmt.Errorf("%s of %v, want int64 or float64", name, a.DataType())
	}
}

// mathRound is Spark's round (HALF_UP) or bround (HALF_EVEN, when even) to scale decimal
// places; scale may be negative. Integers stay integers.
func mathRound(name string, even bool) func(*Evaluator, []evValue, int) (evValue, error) {
	return func(ev *Evaluator, args []evValue, n int) (evValue, error) {
		if len(args) != 2 {
			return evValue{}, fmt.Errorf("%s takes 2 arguments, got %d", name, len(args))
		}
		scale, err := evIntLiteral(args[1])
		if err != nil {
			return evValue{}, fmt.Errorf("%s scale: %w", name, err)
		}
		a := args[0].arr
		dt := a.DataType()
		if !scale.valid {
			return evArray(array.MakeArrayOfNull(ev.Mem, dt, n)), nil
		}
		switch dt.ID() {
		case arrow.DECIMAL128:
			return evArray(evRoundDecimal(ev, a, scale.v, even)), nil
		case arrow.INT64:
			if scale.v >= 0 {
				a.Retain()
				return evArray(a), nil
			}
			digits := -scale.v
			return evArray(evMapFixed(ev.Mem, dt, 8, a, func(x int64) int64 {
				return mathRoundInt(x, digits, even)
			})), nil
		case arrow.FLOAT64:
			s := int(max(min(scale.v, 1000), -1000)) // beyond ±1000 nothing changes more
			var buf []byte
			return evArray(evMapFixed(ev.Mem, dt, 8, a, func(x float64) float64 {
				var r float64
				r, buf = mathRoundFloat(x, s, even, buf)
				return r
			})), nil
		}
		return evValue{}, fmt.Errorf("%s of %v, want int64 or float64", name, dt)
	}
}

// mathPow10 holds 10^k for k = 0..18, every power of ten an int64 can hold.
var mathPow10 = func() (p [19]int64) {
	p[0] = 1
	for k := 1; k < len(p); k++ {
		p[k] = p[k-1] * 10
	}
	return p
}()

// mathRoundInt rounds x to a multiple of 10^digits (digits > 0). A result beyond the
// int64 range wraps (its low 64 bits), as Spark's conversion of the rounded decimal to
// long does.
func mathRoundInt(x int64, digits int64, even bool) int64 {
	if digits >= 19 {
		if digits > 19 {
			return 0 // |x| < 5·10^19: rounds to 0 in either mode
		}
		// 10^19 does not fit: x rounds to 0 or to ±10^19, which wraps.
		const half = 5_000_000_000_000_000_000
		var wrapped uint64 = 10_000_000_000_000_000_000
		switch {
		case x >= half && !(even && x == half):
			return int64(wrapped)
		case x <= -half && !(even && x == -half):
			return -int64(wrapped)
		}
		return 0
	}
	p := mathPow10[digits]
	q, r := x/p, x%p
	if r < 0 {
		r = -r
	}
	// r ≤ p-1 < 10^18, so 2r cannot overflow.
	if 2*r > p || (2*r == p && (!even || q%2 != 0)) {
		if x < 0 {
			q--
		} else {
			q++
		}
	}
	return q * p // wraps past the int64 range
}

// mathRoundFloat rounds x to scale decimal places in decimal arithmetic, on the shortest
// decimal that reads back as x (as Spark's BigDecimal(x) does, from Java's
// Double.toString): round(2.675, 2) is 2.68. NaN and ±Inf are returned as they are; a
// zero result is +0.0, as a decimal has no negative zero. buf is scratch space.
func mathRoundFloat(x float64, scale int, even bool, buf []byte) (float64, []byte) {
	if x != x || math.IsInf(x, 0) {
		return x, buf
	}
	if x == 0 {
		return 0, buf
	}
	// "d.ddde±XX": digits d1..dn, the first of weight 10^exp.
	buf = strconv.AppendFloat(buf[:0], x, 'e', -1, 64)
	neg := buf[0] == '-'
	s := buf
	if neg {
		s = s[1:]
	}
	// Digits without the point, then the exponent.
	var digits [32]byte
	nd, i := 0, 0
	for ; s[i] != 'e'; i++ {
		if s[i] != '.' {
			digits[nd] = s[i]
			nd++
		}
	}
	exp, expNeg := 0, s[i+1] == '-'
	for _, c := range s[i+2:] {
		exp = exp*10 + int(c-'0')
	}
	if expNeg {
		exp = -exp
	}
	keep := exp + scale + 1 // digits of weight ≥ 10^-scale
	if keep >= nd {
		return x, buf
	}
	if keep < 0 {
		return 0, buf
	}
	next := digits[keep]
	rest := false
	for _, c := range digits[keep+1 : nd] {
		if c != '0' {
			rest = true
			break
		}
	}
	lastOdd := keep > 0 && (digits[keep-1]-'0')%2 == 1
	up := next > '5' || (next == '5' && (!even || rest || lastOdd))
	// The result is (kept digits + up) × 10^-scale: write it out and parse it, which
	// rounds correctly to the nearest float64 (as BigDecimal.doubleValue does).
	kept := digits[:keep]
	if up {
		// Add one to the kept digits, carrying; a carry out of the first adds a digit.
		j := len(kept) - 1
		for ; j >= 0 && kept[j] == '9'; j-- {
			kept[j] = '0'
		}
		if j >= 0 {
			kept[j]++
		} else {
			copy(digits[1:], kept)
			digits[0] = '1'
			kept = digits[:keep+1]
		}
	}
	if len(kept) == 0 {
		return 0, buf
	}
	var outArr [64]byte
	out := outArr[:0]
	if neg {
		out = append(out, '-')
	}
	out = append(out, kept...)
	out = append(out, 'e')
	out = strconv.AppendInt(out, int64(-scale), 10)
	r, _ := strconv.ParseFloat(string(out), 64) // out of range gives ±Inf, as Java does
	if r == 0 {
		return 0, buf
	}
	return r, buf
}
