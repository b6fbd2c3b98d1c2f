package dataset

// FormatNumber formats the number x with d decimal places and its integer part grouped
// by thousands, as Spark's format_number(x, d) (Java's DecimalFormat
// "#,###,###,##0.00…" in Locale.US): format_number(1234567.891, 2) is "1,234,567.89".
// Rounding is HALF_EVEN on the exact binary value of a float (2.5 with 0 places gives
// "2", 0.125 with 2 places "0.12"); d = 0 prints no decimal point, and more than 340
// places print as 340 (DecimalFormat's limit). x may be any integer or floating-point
// expression and d any integer expression, a column included. NULL x or d, or a
// negative d, gives NULL. NaN prints "NaN" and the infinities "∞" and "-∞"; a negative
// number that rounds to zero keeps its sign ("-0.00"), as in Java. Spark's other form,
// a DecimalFormat pattern string as d, is not supported: it is an analysis error.
func FormatNumber(x, d Expr) Expr { return call("format_number", x, d) }

// FormatString formats its arguments with the printf-style format, as Spark's
// format_string (and printf), which uses Java's java.util.Formatter in Locale.US. format
// is a string or an Expr (a column of formats, say); args are integer, floating-point,
// string or boolean expressions (others, dates and decimals included, are an analysis
// error). Supported, with Java's rules:
//
//   - conversions %s (Java's toString: a double prints as Double.toString, 1.0E7), %d,
//     %x and %o, %f and %e (a double), %c (an integer code point), %b ("false" for
//     NULL or false, "true" otherwise), %% and %n; %S %X %E %C %B upper-case the
//     result. Integers are widened to bigint first: %x and %o print a negative value
//     as its 64-bit two's complement (Spark, passing an int column as a Java Integer,
//     prints 32 bits: %x of an int -1 is "ffffffff" there, "ffffffffffffffff" here),
//     and %c takes a bigint, which Spark refuses (Java's %c takes no Long);
//   - flags '-' (left-justify), '+' and ' ' (sign), '0' (zero padding), ',' (groups of
//     thousands), '(' (negatives in parentheses) and '#' (0x and 0 prefixes; a '.' for
//     %.0f), each only where Java allows it;
//   - a width (the minimum number of characters) and a precision (digits after the
//     point for %f and %e, default 6; the maximum number of characters for %s and %b);
//   - argument indexes: %2$s is the second argument, %<s the previous one again.
//
// %f and %e round the shortest decimal that reads back as the double half up, as
// Java: %.2f of 2.675 is "2.68", %.20f of 0.1 is "0.1" followed by zeros; NaN and
// the infinities print "NaN", "Infinity" and "-Infinity". Widths and precisions count
// characters (code points; Java counts UTF-16 units, which differs only outside the
// Basic Multilingual Plane). Other conversions (%h, %g, %a, %t dates), a flag the
// conversion does not take, a missing argument or a conversion that does not fit its
// argument's type (%d of a double) are an analysis error for a literal format and an
// error of the query, naming the function and the format, for a format from a column.
// A NULL format gives NULL; a NULL argument prints "null", cut to the precision as
// Java does (%.2f of NULL is "nu"), and %b of NULL prints "false". Extra arguments are
// ignored.
func FormatString(format any, args ...Expr) Expr {
	return call("format_string", append([]Expr{argExpr(format)}, args...)...)
}
