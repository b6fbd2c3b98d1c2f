package dataset

import (
	"strings"
	"testing"
)

// TestHmacKeyNeverShows: the key of HmacSha256 is in no rendering of the plan nor in an
// analysis error, and two keys stay two expressions.
func TestHmacKeyNeverShows(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{})
	const key = "very-secret-pseudonymization-key-0123456789"
	d := f.ds.Select(HmacSha256(Col("s"), key).As("a"), HmacSha256(Col("s"), key+"x").As("b"))
	if ex := d.Explain(); strings.Contains(ex, key) || !strings.Contains(ex, "<redacted") {
		t.Fatalf("Explain shows the key or no redaction:\n%s", ex)
	}
	rows := collectRows(t, d)
	for _, r := range rows {
		if r[0] != nil && r[0] == r[1] {
			t.Fatalf("two keys gave one token: %v", r)
		}
	}
	_, err := f.ds.Select(HmacSha256(Col("x"), key)).Collect(t.Context())
	if err == nil || strings.Contains(err.Error(), key) {
		t.Fatalf("a type error shows the key or none came: %v", err)
	}
}
