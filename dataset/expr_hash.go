package dataset

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// Hashing and pseudonymization functions. The digests (Md5, Sha1, Sha2, HmacSha256)
// hash a string's UTF-8 bytes and return lower-case hex, NULL for NULL, as Spark's
// md5, sha1 and sha2 do on strings; a dictionary-encoded column is hashed once per
// distinct value. Hash and XxHash64 are Spark's row hashes, never NULL.

// Md5 is the MD5 digest of x as 32 lower-case hex digits, as Spark's md5. NULL x gives
// NULL.
func Md5(x Expr) Expr { return call("md5", x) }

// Sha1 is the SHA-1 digest of x as 40 lower-case hex digits, as Spark's sha1. NULL x
// gives NULL.
func Sha1(x Expr) Expr { return call("sha1", x) }

// Sha2 is the SHA-2 digest of x in lower-case hex, as Spark's sha2: bits selects
// SHA-224, SHA-256, SHA-384 or SHA-512 (224, 256, 384, 512; 0 means 256). Any other
// bit length gives NULL rows, as in Spark, and so does NULL x.
func Sha2(x Expr, bits int) Expr { return call("sha2", x, Lit(bits)) }

// HmacSha256 is the HMAC-SHA256 of x keyed by key, in lower-case hex (64 digits). It is
// meant for pseudonymizing a column: the same value and key give the same output in
// every run and on every machine, so pseudonymized columns still join and group,
// while without the key the values cannot be recovered by hashing guesses (as they can
// from an unkeyed Sha2 of, say, an e-mail address). Keep the key secret and stable.
// NULL x gives NULL. Spark has no such function (it is sha2 with a key).
//
// The key never shows in Explain or errors: it prints as <redacted> and a fingerprint.
func HmacSha256(x Expr, key string) Expr {
	return call("hmac_sha256", x, Expr{e: &plan.Literal{Value: key, Type: arrow.BinaryTypes.String, Redacted: true}})
}

// Mask replaces each upper-case letter of x by 'X', each lower-case letter by 'x' and
// each digit by 'n', and keeps other characters, as Spark 3.4's mask with its
// defaults. Letters and digits are Unicode's (Go's unicode.IsUpper, IsLower, IsDigit),
// so "Zoë 42" gives "Xxx nn". NULL x gives NULL.
func Mask(x Expr) Expr { return call("mask", x) }

// MaskWith is Mask with the replacement characters given: upper for upper-case letters,
// lower for lower-case letters, digit for digits and other for every other character,
// as Spark's mask(x, upper, lower, digit, other). An empty string keeps that class of
// characters as it is (Spark's NULL replacement); a replacement of more than one
// character is an analysis error.
func MaskWith(x Expr, upper, lower, digit, other string) Expr {
	args := []Expr{x}
	for _, r := range []string{upper, lower, digit, other} {
		if r == "" {
			args = append(args, Lit(nil))
		} else {
			args = append(args, Lit(r))
		}
	}
	return call("mask", args...)
}

// Hash is Spark's hash: Murmur3 (x86, 32-bit) of the values xs with seed 42, each
// value hashed with the previous one's hash as its seed; an int32. The bytes hashed
// are Spark's: booleans, 8-, 16- and 32-bit integers and dates as a 32-bit int,
// 64-bit integers and timestamps (in microseconds) as a 64-bit long, floats and
// doubles by their bits (-0.0 as 0.0, one NaN), strings as their UTF-8 bytes (with
// Spark's handling of the last 1 to 3 bytes). A NULL value is skipped, so the result is
// never NULL. Values match Spark's for the same Spark types: note that an integer
// literal, Lit(1), is a 64-bit long here (Spark's 1L), not Spark's int 1; write
// Lit(1).Cast(arrow.PrimitiveTypes.Int32) for Spark's hash(1), -559580957. Decimals,
// lists and structs are not supported (an analysis error).
func Hash(xs ...Expr) Expr { return call("hash", xs...) }

// XxHash64 is Spark's xxhash64: XXH64 of the values xs with seed 42, chained and laid
// out as in Hash; an int64, never NULL.
func XxHash64(xs ...Expr) Expr { return call("xxhash64", xs...) }
