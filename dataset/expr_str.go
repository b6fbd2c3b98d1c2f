package dataset

// String functions: pattern matching, building and searching. They follow Spark SQL's
// non-ANSI semantics: a NULL argument gives NULL (concat_ws skips NULL values instead),
// positions and lengths count characters (UTF-8 code points), not bytes. Patterns,
// regular expressions and the other non-string arguments are literals; the string
// argument may be any string expression, a dictionary-encoded column included (which is
// then computed once per distinct value).

// Like is true where x matches the SQL LIKE pattern: '%' matches any sequence of
// characters, '_' exactly one character (a UTF-8 character, not a byte), and '\'
// escapes '%', '_' or '\' itself; everything else matches itself, case-sensitively. The
// whole string must match. A backslash before any other character, or at the end, is an
// analysis error, as in Spark. NULL x gives NULL.
func Like(x Expr, pattern string) Expr { return call("like", x, Lit(pattern)) }

// ILike is Like ignoring case: x and the pattern are both lower-cased (Unicode
// lower-casing) before matching, as Spark's ilike does.
func ILike(x Expr, pattern string) Expr { return call("ilike", x, Lit(pattern)) }

// RLike is true where the regular expression regex matches somewhere in x (anchor it
// with ^ and $ to match the whole string), as Spark's rlike. The expression uses Go's
// RE2 syntax, not Java's: no backreferences or lookaround, and matching runs in linear
// time; Perl classes such as \d, \w, \s, (?i) flags and named groups (?P<name>...) work.
// An invalid expression is an analysis error. NULL x gives NULL.
func RLike(x Expr, regex string) Expr { return call("rlike", x, Lit(regex)) }

// Concat joins its arguments end to end; the result is NULL when any argument is NULL,
// as Spark's concat. Arguments may be columns or literals; non-string arguments
// (numbers, dates, timestamps, booleans) are cast to strings first. Concat() is the
// empty string.
func Concat(xs ...Expr) Expr { return call("concat", xs...) }

// ConcatWS joins the non-NULL values among xs with the separator sep in between, as
// Spark's concat_ws: NULL values are skipped (all NULL gives ""), and only a NULL
// separator makes the result NULL. The separator may be a column or Lit(", ");
// non-string values are cast to strings first.
func ConcatWS(sep Expr, xs ...Expr) Expr {
	return call("concat_ws", append([]Expr{sep}, xs...)...)
}

// Trim removes leading and trailing spaces from x. Like Spark's trim, only the space
// character ' ' is removed, not tabs or newlines.
func Trim(x Expr) Expr { return call("trim", x) }

// LTrim removes leading spaces (' ' only, as Spark's ltrim) from x.
func LTrim(x Expr) Expr { return call("ltrim", x) }

// RTrim removes trailing spaces (' ' only, as Spark's rtrim) from x.
func RTrim(x Expr) Expr { return call("rtrim", x) }

// Replace replaces every occurrence of search in x with replacement, as Spark's
// replace; an empty search leaves x as it is. search and replacement are literals.
func Replace(x Expr, search, replacement string) Expr {
	return call("replace", x, Lit(search), Lit(replacement))
}

// RegexpReplace replaces every match of regex in x with repl, as Spark's
// regexp_replace. regex is Go RE2 syntax (see RLike) and repl is expanded as Go's
// Regexp.Expand does: $1 or ${1} is group 1, ${name} a named group and $$ a literal $.
// Unlike Java, a backslash does not escape in repl, and $1x names a group "1x" (write
// ${1}x). An invalid regex is an analysis error.
func RegexpReplace(x Expr, regex, repl string) Expr {
	return call("regexp_replace", x, Lit(regex), Lit(repl))
}

// RegexpExtract returns group idx (0 for the whole match) of the first match of regex in
// x, and "" when regex does not match or the group took no part in the match, as
// Spark's regexp_extract. regex is Go RE2 syntax (see RLike); an invalid regex or a
// group the expression does not have is an analysis error.
func RegexpExtract(x Expr, regex string, idx int) Expr {
	return call("regexp_extract", x, Lit(regex), Lit(idx))
}

// LPad pads x on the left with repetitions of pad to length characters, as Spark's
// lpad: a string longer than length is truncated to its first length characters, a
// length of 0 or less gives "", and an empty pad only truncates.
func LPad(x Expr, length int, pad string) Expr { return call("lpad", x, Lit(length), Lit(pad)) }

// RPad pads x on the right with repetitions of pad to length characters, with the
// rules of LPad (Spark's rpad).
func RPad(x Expr, length int, pad string) Expr { return call("rpad", x, Lit(length), Lit(pad)) }

// Reverse reverses the characters of x (Spark's reverse for strings).
func Reverse(x Expr) Expr { return call("reverse", x) }

// InitCap lower-cases x and then upper-cases (title-cases) the first letter of each
// word, words being separated by spaces, as Spark's initcap: "hELLO wORLD" gives
// "Hello World", and "o'neil-smith" gives "O'neil-smith".
func InitCap(x Expr) Expr { return call("initcap", x) }

// Instr is the 1-based character position of the first occurrence of sub in x, 0 when
// sub does not occur, as Spark's instr; an empty sub gives 1. sub is a literal.
func Instr(x Expr, sub string) Expr { return call("instr", x, Lit(sub)) }

// Locate is the 1-based character position of the first occurrence of sub in x, 0 when
// absent: Spark's locate(sub, x), with Spark's argument order (Instr with its arguments
// swapped). sub is a literal.
func Locate(sub string, x Expr) Expr { return call("locate", Lit(sub), x) }
