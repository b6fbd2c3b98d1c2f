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
	c.args[i] = &Literal{Value: l.Value, Type: typString}
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

// resolveLike: like/ilike(string, pattern string literal) → bool.
func resolveLike(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, pattern string literal)"
	if len(c.args) != 2 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	p, ok, lit := c.stringLiteralArg(1)
	if !lit {
		return nil, nil, c.bad(want)
	}
	if ok {
		if msg := likePatternError(p); msg != "" {
			return nil, nil, c.bad(want + " with a valid pattern: " + msg)
		}
	}
	return c.done(typBool)
}

// regexArg checks that argument i is a string literal holding a valid Go (RE2) regular
// expression, or NULL; it returns the compiled expression, nil for NULL.
func (c *callSite) regexArg(i int, want string) (*regexp.Regexp, error) {
	p, ok, lit := c.stringLiteralArg(i)
	if !lit {
		return nil, c.bad(want)
	}
	if !ok {
		return nil, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, c.bad(want + " with a valid regular expression: " + err.Error())
	}
	return re, nil
}

// resolveRLike: rlike(string, regex string literal) → bool.
func resolveRLike(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, regular expression string literal)"
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

// resolveReplace: replace(string, search string literal, replacement string literal).
func resolveReplace(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, search string literal, replacement string literal)"
	if len(c.args) != 3 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	for i := 1; i < 3; i++ {
		if _, _, lit := c.stringLiteralArg(i); !lit {
			return nil, nil, c.bad(want)
		}
	}
	return c.done(typString)
}

// resolveRegexpReplace: regexp_replace(string, regex literal, replacement literal).
func resolveRegexpReplace(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, regular expression string literal, replacement string literal)"
	if len(c.args) != 3 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	if _, err := c.regexArg(1, want); err != nil {
		return nil, nil, err
	}
	if _, _, lit := c.stringLiteralArg(2); !lit {
		return nil, nil, c.bad(want)
	}
	return c.done(typString)
}

// resolveRegexpExtract: regexp_extract(string, regex literal, group int literal); the
// group must exist in the expression, as Spark checks.
func resolveRegexpExtract(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, regular expression string literal, group int64 literal)"
	if len(c.args) != 3 || !c.plainStringArg(0) || !isIntLiteral(c.args[2], c.types[2]) {
		return nil, nil, c.bad(want)
	}
	re, err := c.regexArg(1, want)
	if err != nil {
		return nil, nil, err
	}
	idx := c.args[2].(*Literal).Value.(int64)
	if idx < 0 || (re != nil && idx > int64(re.NumSubexp())) {
		return nil, nil, c.bad(want + " with a group between 0 and the expression's group count")
	}
	c.args[2] = &Literal{Value: idx, Type: typInt64}
	return c.done(typString)
}

// resolvePad: lpad/rpad(string, length int literal, pad string literal).
func resolvePad(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, length int64 literal, pad string literal)"
	if len(c.args) != 3 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	switch {
	case isIntLiteral(c.args[1], c.types[1]):
		c.args[1] = &Literal{Value: c.args[1].(*Literal).Value, Type: typInt64}
	case isNullType(c.types[1]):
		c.args[1] = &Literal{Type: typInt64}
	default:
		return nil, nil, c.bad(want)
	}
	if _, _, lit := c.stringLiteralArg(2); !lit {
		return nil, nil, c.bad(want)
	}
	return c.done(typString)
}

// resolveInstr: instr(string, substring literal) and locate(substring literal, string)
// → int64.
func resolveInstr(c *callSite) (Expr, arrow.DataType, error) {
	const wantInstr = "(string, substring string literal)"
	const wantLocate = "(substring string literal, string)"
	if len(c.args) != 2 {
		if c.name == "locate" {
			return nil, nil, c.bad(wantLocate)
		}
		return nil, nil, c.bad(wantInstr)
	}
	if c.name == "locate" {
		if _, _, lit := c.stringLiteralArg(0); !lit || !c.plainStringArg(1) {
			return nil, nil, c.bad(wantLocate)
		}
		return c.done(typInt64)
	}
	if !c.plainStringArg(0) {
		return nil, nil, c.bad(wantInstr)
	}
	if _, _, lit := c.stringLiteralArg(1); !lit {
		return nil, nil, c.bad(wantInstr)
	}
	return c.done(typInt64)
}
