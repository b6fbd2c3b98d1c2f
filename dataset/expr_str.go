package dataset

// String functions: pattern matching, building and searching. They follow Spark SQL's
// non-ANSI semantics: a NULL argument gives NULL (concat_ws skips NULL values instead),
// positions and lengths count characters (UTF-8 code points), not bytes. Every
// argument may be a column: the parameters typed any (patterns, regular expressions,
// search strings, lengths, positions, separators) take either a Go value, used as a
// literal (as Lit makes it), or an Expr, used as it is; a Go value of the wrong type
// (an int pattern, say) is an analysis error naming the call. With literal arguments a
// pattern is compiled once and a dictionary-encoded string column is computed once per
// distinct value; with a column of patterns each distinct pattern of a batch is
// compiled once, and an invalid one fails the query with an error naming the function
// and the pattern, as in Spark. A NULL argument in a row gives NULL in that row.

// argExpr is the expression of a parameter typed any: an Expr as it is, any other Go
// value as a literal.
func argExpr(v any) Expr {
	switch e := v.(type) {
	case Expr:
		return e
	case *Expr:
		if e != nil {
			return *e
		}
	}
	return Lit(v)
}

// Like is true where x matches the SQL LIKE pattern: '%' matches any sequence of
// characters, '_' exactly one character (a UTF-8 character, not a byte), and '\'
// escapes '%', '_' or '\' itself; everything else matches itself, case-sensitively. The
// whole string must match. A backslash before any other character, or at the end, is an
// analysis error for a literal pattern, as in Spark, and an error of the query for a
// pattern of a column. NULL x or pattern gives NULL. pattern is a string or an Expr.
func Like(x Expr, pattern any) Expr { return call("like", x, argExpr(pattern)) }

// ILike is Like ignoring case: x and the pattern are both lower-cased (Unicode
// lower-casing) before matching, as Spark's ilike does. pattern is a string or an Expr.
func ILike(x Expr, pattern any) Expr { return call("ilike", x, argExpr(pattern)) }

// RLike is true where the regular expression regex matches somewhere in x (anchor it
// with ^ and $ to match the whole string), as Spark's rlike. The expression uses Go's
// RE2 syntax, not Java's: no backreferences or lookaround, and matching runs in linear
// time; Perl classes such as \d, \w, \s, (?i) flags and named groups (?P<name>...) work.
// An invalid literal expression is an analysis error (in a column, an error of the
// query naming the expression). NULL x or regex gives NULL. regex is a string or an
// Expr.
func RLike(x Expr, regex any) Expr { return call("rlike", x, argExpr(regex)) }

// Concat joins its arguments end to end; the result is NULL when any argument is NULL,
// as Spark's concat. Arguments may be columns or literals; non-string arguments
// (numbers, dates, timestamps, booleans) are cast to strings first. Concat() is the
// empty string.
func Concat(xs ...Expr) Expr { return call("concat", xs...) }

// ConcatWS joins the non-NULL values among xs with the separator sep in between, as
// Spark's concat_ws: NULL values are skipped (all NULL gives ""), and only a NULL
// separator makes the result NULL. sep is a string or an Expr (a column, say);
// non-string values are cast to strings first.
func ConcatWS(sep any, xs ...Expr) Expr {
	return call("concat_ws", append([]Expr{argExpr(sep)}, xs...)...)
}

// Trim removes leading and trailing spaces from x. Like Spark's trim, only the space
// character ' ' is removed, not tabs or newlines.
func Trim(x Expr) Expr { return call("trim", x) }

// LTrim removes leading spaces (' ' only, as Spark's ltrim) from x.
func LTrim(x Expr) Expr { return call("ltrim", x) }

// RTrim removes trailing spaces (' ' only, as Spark's rtrim) from x.
func RTrim(x Expr) Expr { return call("rtrim", x) }

// Replace replaces every occurrence of search in x with replacement, as Spark's
// replace; an empty search leaves x as it is. search and replacement are each a
// string or an Expr; a NULL one gives NULL.
func Replace(x Expr, search, replacement any) Expr {
	return call("replace", x, argExpr(search), argExpr(replacement))
}

// RegexpReplace replaces every match of regex in x with repl, as Spark's
// regexp_replace. regex is Go RE2 syntax (see RLike) and repl is expanded as Go's
// Regexp.Expand does: $1 or ${1} is group 1, ${name} a named group and $$ a literal $.
// Unlike Java, a backslash does not escape in repl, and $1x names a group "1x" (write
// ${1}x). An invalid literal regex is an analysis error (in a column, an error of the
// query). regex and repl are each a string or an Expr; a NULL one gives NULL.
func RegexpReplace(x Expr, regex, repl any) Expr {
	return call("regexp_replace", x, argExpr(regex), argExpr(repl))
}

// RegexpExtract returns group idx (0 for the whole match) of the first match of regex in
// x, and "" when regex does not match or the group took no part in the match, as
// Spark's regexp_extract. regex is Go RE2 syntax (see RLike); an invalid regex or a
// group the expression does not have is an analysis error for literals and an error of
// the query for columns, as in Spark. regex is a string or an Expr, idx an int or an
// Expr (of an integer type).
func RegexpExtract(x Expr, regex, idx any) Expr {
	return call("regexp_extract", x, argExpr(regex), argExpr(idx))
}

// LPad pads x on the left with repetitions of pad to length characters, as Spark's
// lpad: a string longer than length is truncated to its first length characters, a
// length of 0 or less gives "", and an empty pad only truncates. length is an int or an
// Expr (of an integer type), pad a string or an Expr; a NULL one gives NULL.
func LPad(x Expr, length, pad any) Expr {
	return call("lpad", x, argExpr(length), argExpr(pad))
}

// RPad pads x on the right with repetitions of pad to length characters, with the
// rules of LPad (Spark's rpad). length is an int or an Expr, pad a string or an Expr.
func RPad(x Expr, length, pad any) Expr {
	return call("rpad", x, argExpr(length), argExpr(pad))
}

// Reverse reverses the characters of x (Spark's reverse for strings).
func Reverse(x Expr) Expr { return call("reverse", x) }

// InitCap lower-cases x and then title-cases the first character of each word, words
// being separated by spaces (' ' only), as Spark's initcap: "hELLO wORLD" gives
// "Hello World", and "o'neil-smith" gives "O'neil-smith". As in Spark, the lower-casing
// is Java's full case mapping (as Lower: "ΟΔΟΣ" gives "Οδος", "İ" gives "I" followed by
// U+0307) and the title-casing Java's one-character Character.toTitleCase: "ǆemal"
// gives "ǅemal", while "ß" and "ﬁ", which have no one-character title case, stay as
// they are ("ßa" gives "ßa").
func InitCap(x Expr) Expr { return call("initcap", x) }

// Instr is the 1-based character position of the first occurrence of sub in x, 0 when
// sub does not occur, as Spark's instr; an empty sub gives 1. sub is a string or an
// Expr; NULL x or sub gives NULL.
func Instr(x Expr, sub any) Expr { return call("instr", x, argExpr(sub)) }

// Locate is the 1-based character position of the first occurrence of sub in x, 0 when
// absent: Spark's locate(sub, x), with Spark's argument order (Instr with its arguments
// swapped). sub is a string or an Expr. With a position pos (an int or an Expr; at most
// one), the search starts at character pos (1-based), as Spark's locate(sub, x, pos):
// a pos below 1 gives 0, and a NULL pos gives 0, not NULL, as in Spark (and Hive).
func Locate(sub any, x Expr, pos ...any) Expr {
	args := []Expr{argExpr(sub), x}
	for _, p := range pos {
		args = append(args, argExpr(p))
	}
	return call("locate", args...)
}
