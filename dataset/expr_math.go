package dataset

// Arithmetic and math functions, with Spark SQL's default (non-ANSI) semantics.
//
// Integer overflow: x.Add(y), x.Sub(y), x.Mul(y) and x.Neg() on integer columns compute
// in int64 and wrap around on overflow (two's complement), as Spark does with ANSI mode
// off: math.MaxInt64 + 1 is math.MinInt64, and -math.MinInt64 is math.MinInt64. They
// never fail and never give NULL for an overflow. Float arithmetic follows IEEE 754
// (overflow gives ±Inf). Abs, IntDiv and Round on int64 wrap the same way.

// IntDiv is Spark's x div y: the integer quotient truncated toward zero, as int64
// (7 div -2 is -3). Division by zero gives NULL. Float operands are first converted to
// int64 as a cast does (truncated, saturated, NaN as 0), so 7.9 div 2 is 3.
// math.MinInt64 div -1 wraps to math.MinInt64.
func (x Expr) IntDiv(y Expr) Expr { return call("div", x, y) }

// Abs is the absolute value, of x's type widened to int64 or float64. As in Spark,
// Abs(math.MinInt64) wraps to math.MinInt64, and Abs(-0.0) is 0.0.
func Abs(x Expr) Expr { return call("abs", x) }

// Signum is -1, 0 or 1 as a float64, by the sign of x, as Spark's signum: NaN stays NaN
// and -0.0 stays -0.0.
func Signum(x Expr) Expr { return call("signum", x) }

// Sign is Signum (Spark's sign is another name for signum).
func Sign(x Expr) Expr { return Signum(x) }

// Sqrt is the square root as a float64; negative numbers give NaN, as in Spark.
func Sqrt(x Expr) Expr { return call("sqrt", x) }

// Exp is e raised to x, as a float64.
func Exp(x Expr) Expr { return call("exp", x) }

// Log is the natural logarithm as a float64 (Spark's ln, and log with one argument). As
// in Spark, x <= 0 (including -0.0) gives NULL, NaN gives NaN.
func Log(x Expr) Expr { return call("ln", x) }

// Log10 is the base-10 logarithm as a float64; x <= 0 gives NULL, as in Spark.
func Log10(x Expr) Expr { return call("log10", x) }

// Pow is x raised to y as a float64, as Spark's pow (Java's Math.pow): a NaN exponent
// gives NaN even for base 1, and ±1 raised to ±Inf is NaN; an exponent of 0 gives 1.
func Pow(x, y Expr) Expr { return call("pow", x, y) }

// Floor is the largest integer not above x, as int64 (Spark's floor returns a long). An
// integer is returned unchanged; a float beyond the int64 range saturates at its bounds
// and NaN gives 0, as Java's conversion to long does.
func Floor(x Expr) Expr { return call("floor", x) }

// Ceil is the smallest integer not below x, as int64, with Floor's conversion rules.
func Ceil(x Expr) Expr { return call("ceil", x) }

// Round rounds x to scale decimal places, halves away from zero (HALF_UP, as Spark's
// round): Round(2.5, 0) is 3, Round(-2.5, 0) is -3. A negative scale rounds to tens,
// hundreds, ...: Round(1250, -2) is 1300. Integers stay int64 (a positive scale leaves
// them as they are; a result beyond the int64 range wraps); floats stay float64, and are
// rounded in decimal, from the shortest decimal that reads back as x, so Round(2.675, 2)
// is 2.68. NaN and ±Inf are returned unchanged; a result of zero is 0.0, never -0.0.
func Round(x Expr, scale int) Expr { return call("round", x, Lit(scale)) }

// BRound is Round with banker's rounding (HALF_EVEN, as Spark's bround): a half goes to
// the even neighbour, so BRound(2.5, 0) is 2 and BRound(3.5, 0) is 4.
func BRound(x Expr, scale int) Expr { return call("bround", x, Lit(scale)) }
