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
