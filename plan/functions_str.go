package plan

import (
	"regexp"

	"github.com/apache/arrow-go/v18/arrow"
)

// The strings family: pattern matching (like, ilike, rlike) and string building and
// searching (concat, concat_ws, trim, ltrim, rtrim, replace, regexp_replace,
// regexp_extract, lpad, rpad, reverse, initcap, instr, locate).

func init() {
	register(map[string]funcSpec{
		"like":           {resolve: resolveLike},
		"ilike":          {resolve: resolveLike},
		"rlike":          {resolve: resolveRLike},
		"concat":         {resolve: resolveConcat},
		"concat_ws":      {resolve: resolveConcatWS},
		"trim":           {resolve: resolveStringTo(typString)},
		"ltrim":          {resolve: resolveStringTo(typString)},
		"rtrim":          {resolve: resolveStringTo(typString)},
		"reverse":        {resolve: resolveStringTo(typString)},
		"initcap":        {resolve: resolveStringTo(typString)},
		"replace":        {resolve: resolveReplace},
		"regexp_replace": {resolve: resolveRegexpReplace},
		"regexp_extract": {resolve: resolveRegexpExtract},
		"lpad":           {resolve: resolvePad},
		"rpad":           {resolve: resolvePad},
		"instr":          {resolve: resolveInstr},
		"locate":         {resolve: resolveInstr},
	})
}

// stringLiteralArg checks that argument i is a string literal (NULL allowed), retyped
// as a plain string; it returns the value and whether it is non-NULL.
func (c *callSite) stringLiteralArg(i int) (string, bool, bool) {
	l, lit := c.args[i].(*Literal)
	if !lit || !(isStringLike(c.types[i]) || isNullType(c.types[i])) {
		return "", false, false
	}
	c.args[i] = &Literal{Value: l.Value, Type: typString, Redacted: l.Redacted}
	c.types[i] = typString
	s, ok := l.Value.(string)
	return s, ok, true
}

// plainStringArg checks that argument i is a string and converts a large string to a
// plain one (the evaluator's string kernels read utf8 and dictionaries of utf8).
func (c *callSite) plainStringArg(i int) bool {
	if !c.stringArg(i) {
		return false
	}
	if c.types[i].ID() == arrow.LARGE_STRING {
		c.args[i], _ = coerce(c.args[i], c.types[i], typString)
		c.types[i] = typString
	}
	return true
}

// toStringArg converts argument i to a plain string: strings as they are, other
// castable types (numbers, dates, timestamps, booleans) cast as Spark's implicit
// conversion for concat does. A dictionary stays one: the evaluator decodes it.
func (c *callSite) toStringArg(i int) bool {
	if c.plainStringArg(i) {
		return true
	}
	if !CanCast(c.types[i], typString) {
		return false
	}
	e, err := coerce(c.args[i], c.types[i], typString)
	if err != nil {
		return false
	}
	c.args[i], c.types[i] = e, typString
	return true
}

// likePatternError says why a LIKE pattern is malformed as Spark's escaping
// rules see it: a backslash must precede '_', '%' or another backslash. It returns
// "" for a well-formed pattern.
func likePatternError(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] != '\\' {
			continue
		}
		if i+1 == len(p) {
			return "it ends with the escape character"
		}
		switch p[i+1] {
		case '_', '%', '\\':
			i++
		default:
			return "the escape character precedes " + string(p[i+1:i+2]) + ", not '_', '%' or '\\'"
		}
	}
	return ""
}

// resolveLike: like/ilike(string, pattern string) → bool. A literal pattern is checked
// here; a column of patterns is checked row by row by the evaluator.
func resolveLike(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, pattern string)"
	if len(c.args) != 2 || !c.plainStringArg(0) || !c.plainStringArg(1) {
		return nil, nil, c.bad(want)
	}
	if p, ok := literalString(c.args[1]); ok {
		if msg := likePatternError(p); msg != "" {
			return nil, nil, c.bad(want + " with a valid pattern: " + msg)
		}
	}
	return c.done(typBool)
}

// literalString returns the value of a non-NULL string literal.
func literalString(e Expr) (string, bool) {
	l, ok := e.(*Literal)
	if !ok {
		return "", false
	}
	s, ok := l.Value.(string)
	return s, ok
}

// regexArg checks that argument i is a string: a column of regular expressions, or a
// literal, which must then be a valid Go (RE2) regular expression or NULL. It returns
// the compiled literal, nil for NULL or a column.
func (c *callSite) regexArg(i int, want string) (*regexp.Regexp, error) {
	if !c.plainStringArg(i) {
		return nil, c.bad(want)
	}
	p, ok := literalString(c.args[i])
	if !ok {
		return nil, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, c.bad(want + " with a valid regular expression: " + err.Error())
	}
	return re, nil
}

// resolveRLike: rlike(string, regex string) → bool.
func resolveRLike(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, regular expression string)"
	if len(c.args) != 2 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	if _, err := c.regexArg(1, want); err != nil {
		return nil, nil, err
	}
	return c.done(typBool)
}

// resolveConcat: concat(values...) → string; every argument a string or a type that
// casts to one.
func resolveConcat(c *callSite) (Expr, arrow.DataType, error) {
	for i := range c.args {
		if !c.toStringArg(i) {
			return nil, nil, c.bad("strings (or values castable to string)")
		}
	}
	return c.done(typString)
}

// resolveConcatWS: concat_ws(separator string, values...) → string.
func resolveConcatWS(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(separator string, strings (or values castable to string)...)"
	if len(c.args) == 0 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	for i := 1; i < len(c.args); i++ {
		if !c.toStringArg(i) {
			return nil, nil, c.bad(want)
		}
	}
	return c.done(typString)
}

// resolveReplace: replace(string, search string, replacement string).
func resolveReplace(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, search string, replacement string)"
	if len(c.args) != 3 || !c.plainStringArg(0) || !c.plainStringArg(1) || !c.plainStringArg(2) {
		return nil, nil, c.bad(want)
	}
	return c.done(typString)
}

// resolveRegexpReplace: regexp_replace(string, regex string, replacement string).
func resolveRegexpReplace(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, regular expression string, replacement string)"
	if len(c.args) != 3 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	if _, err := c.regexArg(1, want); err != nil {
		return nil, nil, err
	}
	if !c.plainStringArg(2) {
		return nil, nil, c.bad(want)
	}
	return c.done(typString)
}

// resolveRegexpExtract: regexp_extract(string, regex string, group integer); with a
// literal regex and a literal group, the group must exist in the expression, as Spark
// checks (otherwise the evaluator checks it row by row).
func resolveRegexpExtract(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, regular expression string, group integer)"
	if len(c.args) != 3 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	re, err := c.regexArg(1, want)
	if err != nil {
		return nil, nil, err
	}
	if !c.intArg(2) {
		return nil, nil, c.bad(want)
	}
	if l, ok := c.args[2].(*Literal); ok && l.Value != nil {
		idx := l.Value.(int64)
		if idx < 0 || (re != nil && idx > int64(re.NumSubexp())) {
			return nil, nil, c.bad(want + " with a group between 0 and the expression's group count")
		}
	}
	return c.done(typString)
}

// resolvePad: lpad/rpad(string, length integer, pad string).
func resolvePad(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, length integer, pad string)"
	if len(c.args) != 3 || !c.plainStringArg(0) || !c.intArg(1) || !c.plainStringArg(2) {
		return nil, nil, c.bad(want)
	}
	return c.done(typString)
}

// resolveInstr: instr(string, substring string) and locate(substring string, string[,
// position integer]) → int64.
func resolveInstr(c *callSite) (Expr, arrow.DataType, error) {
	if c.name == "locate" {
		const want = "(substring string, string[, position integer])"
		if len(c.args) < 2 || len(c.args) > 3 || !c.plainStringArg(0) || !c.plainStringArg(1) ||
			(len(c.args) == 3 && !c.intArg(2)) {
			return nil, nil, c.bad(want)
		}
		return c.done(typInt64)
	}
	const want = "(string, substring string)"
	if len(c.args) != 2 || !c.plainStringArg(0) || !c.plainStringArg(1) {
		return nil, nil, c.bad(want)
	}
	return c.done(typInt64)
}
