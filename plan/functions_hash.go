package plan

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// The hashing and pseudonymization family: md5, sha1, sha2, hmac_sha256 (hex digests
// of a string's UTF-8 bytes), mask (character classes replaced), hash (Spark's
// Murmur3 hash, int32) and xxhash64 (Spark's xxHash64, int64).

func init() {
	register(map[string]funcSpec{
		"md5":         {resolve: resolveStringTo(typString)},
		"sha1":        {resolve: resolveStringTo(typString)},
		"sha2":        {resolve: resolveSha2},
		"hmac_sha256": {resolve: resolveHmac},
		"mask":        {resolve: resolveMask},
		"hash":        {resolve: resolveHashOf(arrow.PrimitiveTypes.Int32)},
		"xxhash64":    {resolve: resolveHashOf(typInt64)},
	})
}

// resolveSha2: sha2(string, bits int literal) → string; bits other than 0, 224, 256,
// 384 and 512 give NULL when evaluated, as in Spark.
func resolveSha2(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, bit length int64 literal)"
	if len(c.args) != 2 || !c.plainStringArg(0) {
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
	return c.done(typString)
}

// resolveHmac: hmac_sha256(string, key string literal) → string.
func resolveHmac(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string, key string literal)"
	if len(c.args) != 2 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	if _, _, lit := c.stringLiteralArg(1); !lit {
		return nil, nil, c.bad(want)
	}
	return c.done(typString)
}

// resolveMask: mask(string[, upper, lower, digit, other]) → string, the replacements
// string literals of one character each, or NULL (that class kept as it is).
func resolveMask(c *callSite) (Expr, arrow.DataType, error) {
	const want = "(string[, upper, lower, digit, other: one-character string literals or NULL])"
	if len(c.args) == 0 || len(c.args) > 5 || !c.plainStringArg(0) {
		return nil, nil, c.bad(want)
	}
	for i := 1; i < len(c.args); i++ {
		s, ok, lit := c.stringLiteralArg(i)
		if !lit || (ok && len([]rune(s)) != 1) {
			return nil, nil, c.bad(want)
		}
	}
	return c.done(typString)
}

// hashableType reports whether hash and xxhash64 take a value of type t: the types
// whose byte layout Spark's hash functions define and the evaluator implements.
func hashableType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.NULL, arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.STRING, arrow.BINARY, arrow.DATE32, arrow.TIMESTAMP:
		return true
	case arrow.DICTIONARY:
		return t.(*arrow.DictionaryType).ValueType.ID() == arrow.STRING
	}
	return false
}

// resolveHashOf types hash (int32) and xxhash64 (int64): one or more values of
// hashable types; large strings are converted to plain ones.
func resolveHashOf(t arrow.DataType) func(c *callSite) (Expr, arrow.DataType, error) {
	return func(c *callSite) (Expr, arrow.DataType, error) {
		const want = "one or more values (boolean, integer, float, string, binary, date or timestamp)"
		if len(c.args) == 0 {
			return nil, nil, c.bad(want)
		}
		for i := range c.args {
			if c.types[i].ID() == arrow.LARGE_STRING {
				c.plainStringArg(i)
			}
			if !hashableType(c.types[i]) {
				return nil, nil, c.bad(want)
			}
		}
		return c.done(t)
	}
}
