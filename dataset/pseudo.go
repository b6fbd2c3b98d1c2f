package dataset

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// Pseudonymization: a token (keyed HMAC-SHA256 of a value's UTF-8 bytes) replaces each
// personal value, so that tables hold no raw identifier while tokens still join, group
// and count across tables, runs and sessions. The key never enters a plan: a token is a
// call of a function whose implementation holds the key, which plans print by name
// alone (pseudonym_token(email)). HmacSha256 by contrast takes its key as a literal,
// which Explain, job plans and analysis errors print.

// MinPseudonymKeyBytes is the shortest key NewPseudonymKey and PseudonymKeyFromEnv
// accept: 256 bits, HMAC-SHA256's output size, below which the key is the weak point.
const MinPseudonymKeyBytes = 32

// PseudonymKey is the secret key of Token and Pseudonymize, and how tokens are written.
// It never shows itself: printing it (fmt, slog, encoding/json) gives
// PseudonymKey(<redacted>). The zero PseudonymKey has no key; tokens made with it fail
// the action that uses them.
type PseudonymKey struct {
	// k is behind a pointer so that printing a struct holding a PseudonymKey shows an
	// address, not the key's bytes.
	k *pseudonymKey
}

type pseudonymKey struct {
	secret []byte
	format TokenFormat
	chars  int // length of the token; 0 for the whole encoding
	err    error
}

// TokenFormat is how a token's 32 bytes of HMAC are written.
type TokenFormat int

const (
	// TokenHex is 64 lower-case hex digits, the same text as HmacSha256 with the same key.
	TokenHex TokenFormat = iota
	// TokenBase64URL is 43 characters of URL-safe base64 without padding: shorter
	// tokens, still safe in file names and URLs.
	TokenBase64URL
)

// minTokenBits is the least a truncated token keeps: at 64 bits, a billion distinct
// values share a token with probability under 3%; fewer bits make collisions likely in
// large tables, and a collision merges two people.
const minTokenBits = 64

// NewPseudonymKey makes a key of secret (a copy is kept), which must hold at least
// MinPseudonymKeyBytes bytes: say, 32 random bytes from a secrets manager. Tokens are
// hex; WithFormat changes that.
func NewPseudonymKey(secret []byte) (PseudonymKey, error) {
	if len(secret) < MinPseudonymKeyBytes {
		return PseudonymKey{}, fmt.Errorf("dataset: pseudonym key of %d bytes: it needs at least %d (generate one with: openssl rand -base64 32)", len(secret), MinPseudonymKeyBytes)
	}
	return PseudonymKey{k: &pseudonymKey{secret: append([]byte(nil), secret...)}}, nil
}

// PseudonymKeyFromEnv reads a key from the environment variable name: its text, as
// bytes, is the key (so "openssl rand -base64 32" makes a good one). It refuses an
// unset or empty variable, one shorter than MinPseudonymKeyBytes, and one with white
// space at either end (a newline read from a file along with the key would make other
// tools, given the key without it, compute other tokens). Errors name the variable,
// never its value.
func PseudonymKeyFromEnv(name string) (PseudonymKey, error) {
	v, ok := os.LookupEnv(name)
	switch {
	case !ok || v == "":
		return PseudonymKey{}, fmt.Errorf("dataset: pseudonym key: environment variable %s is not set", name)
	case strings.TrimSpace(v) != v:
		return PseudonymKey{}, fmt.Errorf("dataset: pseudonym key: environment variable %s has white space at its start or end", name)
	case len(v) < MinPseudonymKeyBytes:
		return PseudonymKey{}, fmt.Errorf("dataset: pseudonym key: environment variable %s holds %d bytes, fewer than the %d a key needs (generate one with: openssl rand -base64 32)", name, len(v), MinPseudonymKeyBytes)
	}
	return NewPseudonymKey([]byte(v))
}

// WithFormat returns the key writing its tokens in format f, truncated to chars
// characters (0: the whole encoding). A truncated token keeps at least 64 bits: 16 hex
// digits or 11 base64 characters. An invalid format makes the tokens fail the action.
func (k PseudonymKey) WithFormat(f TokenFormat, chars int) PseudonymKey {
	if k.k == nil {
		return k
	}
	c := *k.k
	c.format, c.chars = f, chars
	full, bits := 0, 0
	switch f {
	case TokenHex:
		full, bits = hex.EncodedLen(sha256.Size), 4
	case TokenBase64URL:
		full, bits = base64.RawURLEncoding.EncodedLen(sha256.Size), 6
	default:
		c.err = fmt.Errorf("dataset: pseudonym key: unknown token format %d", int(f))
		return PseudonymKey{k: &c}
	}
	if chars != 0 && (chars*bits < minTokenBits || chars > full) {
		c.err = fmt.Errorf("dataset: pseudonym key: a token of %d characters: it needs %d to %d", chars, (minTokenBits+bits-1)/bits, full)
	}
	return PseudonymKey{k: &c}
}

// String returns PseudonymKey(<redacted>): the key is never printed.
func (k PseudonymKey) String() string { return "PseudonymKey(<redacted>)" }

// GoString returns what String does, for %#v.
func (k PseudonymKey) GoString() string { return k.String() }

// MarshalText returns what String does, so that encoding/json and slog print no key.
func (k PseudonymKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Token is the pseudonym of the string x: HMAC-SHA256 of its UTF-8 bytes keyed by k, hex
// unless WithFormat says otherwise. The same value and key give the same token in every
// run, session and process (and, in hex, the same as HmacSha256 with the key's text), so
// tokens join and group like the values they replace; another key gives other tokens.
// NULL stays NULL; "" has a token like any value. A non-string x is an analysis error:
// cast numbers to strings first. Plans and errors show pseudonym_token(x), never the
// key.
func (k PseudonymKey) Token(x Expr) Expr {
	switch {
	case x.err != nil:
		return x
	case x.e == nil:
		return Expr{err: errors.New("dataset: Token of a zero Expr (use Col or Lit)")}
	case k.k == nil:
		return Expr{err: errors.New("dataset: Token with a zero PseudonymKey (make one with PseudonymKeyFromEnv or NewPseudonymKey)")}
	case k.k.err != nil:
		return Expr{err: k.k.err}
	}
	return Expr{e: &plan.UDFCall{Name: "pseudonym_token", Args: []plan.Expr{x.e},
		ArgTypes: []arrow.DataType{arrow.BinaryTypes.String}, Returns: arrow.BinaryTypes.String,
		Impl: &tokenImpl{k: k.k}}}
}

// Pseudonymize replaces each named column by its Token, under the same name and at the
// same place, so that the raw values are gone from the result and everything derived
// from it. Naming no column, or an unknown one, is an error.
func (d *Dataset) Pseudonymize(k PseudonymKey, cols ...string) *Dataset {
	if len(cols) == 0 {
		return d.deriveErr(errors.New("dataset: Pseudonymize: no column given"))
	}
	es := make([]plan.Expr, len(cols))
	for i, c := range cols {
		t := k.Token(Col(c))
		if t.err != nil {
			return d.deriveErr(t.err)
		}
		es[i] = &plan.Alias{Child: t.e, Name: c}
	}
	return d.derive(&plan.WithColumns{Meta: plan.Meta{CallSite: callSite("pseudonymize")}, Input: d.node, Exprs: es})
}

// tokenImpl computes tokens a batch at a time. It holds the key; plans hold it only as
// the implementation of a call, which they never print.
type tokenImpl struct{ k *pseudonymKey }

// Eval writes each row's token; the analyzer has made the argument utf8 (a dictionary
// is evaluated once per distinct value).
func (t *tokenImpl) Eval(args []arrow.Array, n int, mem memory.Allocator) (arrow.Array, error) {
	in, ok := args[0].(*array.String)
	if len(args) != 1 || !ok || in.Len() != n {
		return nil, fmt.Errorf("pseudonym_token: want %d rows of one utf8 argument", n)
	}
	width := t.k.chars
	if width == 0 {
		width = hex.EncodedLen(sha256.Size)
		if t.k.format == TokenBase64URL {
			width = base64.RawURLEncoding.EncodedLen(sha256.Size)
		}
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	if n == 0 {
		return b.NewArray(), nil
	}
	b.Reserve(n)
	b.ReserveData(width * (n - in.NullN()))
	mac := hmac.New(sha256.New, t.k.secret)
	data, offs := in.ValueBytes(), in.ValueOffsets()
	var sum [sha256.Size]byte
	var text [2 * sha256.Size]byte
	for i := range n {
		if in.IsNull(i) {
			b.AppendNull()
			continue
		}
		mac.Reset()
		mac.Write(data[offs[i]-offs[0] : offs[i+1]-offs[0]])
		mac.Sum(sum[:0])
		if t.k.format == TokenBase64URL {
			base64.RawURLEncoding.Encode(text[:], sum[:])
		} else {
			hex.Encode(text[:], sum[:])
		}
		b.BinaryBuilder.Append(text[:width])
	}
	return b.NewArray(), nil
}

// MaskEmail shows only the domain of an e-mail address: "ada@example.com" gives
// "***@example.com" (everything up to the last @ replaced), for display to people who
// must see which organization, not whom. A value without @ gives "***"; NULL stays NULL.
// It hides values from readers, not from anyone holding other data: use Token for
// columns that must still join.
func MaskEmail(x Expr) Expr {
	return When(Contains(x, "@"), RegexpReplace(x, `(?s)^.*@`, "***@")).
		When(x.IsNotNull(), Lit("***")).End()
}

// MaskExceptLast keeps the last n characters of x and replaces every character before
// them by '*': "+49 170 1234567" gives "***********4567" with n = 4, the customary way to
// show a phone or card number. Separators are starred too, since Mask's classes keep
// letters without case (Chinese, Arabic …) as they are. A value of n characters or fewer
// is starred whole; NULL stays NULL; a negative n is an error.
func MaskExceptLast(x Expr, n int) Expr {
	if n < 0 {
		return Expr{err: fmt.Errorf("dataset: MaskExceptLast(%d): negative", n)}
	}
	stars := func(e Expr) Expr { return MaskWith(e, "*", "*", "*", "*") }
	length := Length(x)
	head := Substring(x, 1, length.Sub(Lit(n)))
	return If(length.Gt(Lit(n)), Concat(stars(head), Substring(x, -n, n)), stars(x))
}
