package dataset_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// pseudoSecret is long enough to be a key and unusual enough that finding it in a
// string means it leaked.
const pseudoSecret = "Zq7-unmistakable-secret-9f3K-0123456789abcdef"

func pseudoKey(t *testing.T, secret string) dataset.PseudonymKey {
	t.Helper()
	k, err := dataset.NewPseudonymKey([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pseudoSession(t *testing.T) *dataset.Session {
	t.Helper()
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, ShufflePartitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pseudoValues are the test's strings: empty, multi-byte, long, and NULL (nil).
var pseudoValues = []*string{ptr("ada@example.com"), ptr(""), nil, ptr("Zoë Ünal"), ptr("日本語のテキスト"),
	ptr(strings.Repeat("long value ", 500)), ptr("ada@example.com"), ptr("\x00\n\t"), nil, ptr("a")}

func ptr(s string) *string { return &s }

// pseudoData is pseudoValues as column v, with an id, split into two batches.
func pseudoData(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	var recs []arrow.RecordBatch
	for _, part := range [][]*string{pseudoValues[:4], pseudoValues[4:]} {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for _, v := range part {
			b.Field(0).(*array.Int64Builder).Append(int64(len(recs)))
			if v == nil {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append(*v)
			}
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	return s.FromRecords(recs...)
}

// pseudoStrings collects column col of d, nil for NULL.
func pseudoStrings(t *testing.T, d *dataset.Dataset, col string) []*string {
	t.Helper()
	recs, err := d.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []*string
	for _, r := range recs {
		idx := r.Schema().FieldIndices(col)
		if len(idx) != 1 {
			t.Fatalf("no column %s in %s", col, r.Schema())
		}
		a := r.Column(idx[0]).(*array.String)
		for i := range a.Len() {
			if a.IsNull(i) {
				out = append(out, nil)
			} else {
				out = append(out, ptr(strings.Clone(a.Value(i)))) // the batch is released below
			}
		}
		r.Release()
	}
	return out
}

func TestPseudonymTokenIsKeyedHMAC(t *testing.T) {
	s := pseudoSession(t)
	k := pseudoKey(t, pseudoSecret)
	mac := func(v string) []byte {
		h := hmac.New(sha256.New, []byte(pseudoSecret))
		h.Write([]byte(v))
		return h.Sum(nil)
	}
	for _, c := range []struct {
		key    dataset.PseudonymKey
		encode func([]byte) string
	}{
		{k, hex.EncodeToString},
		{k.WithFormat(dataset.TokenHex, 16), func(b []byte) string { return hex.EncodeToString(b)[:16] }},
		{k.WithFormat(dataset.TokenBase64URL, 0), base64.RawURLEncoding.EncodeToString},
		{k.WithFormat(dataset.TokenBase64URL, 22), func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b)[:22] }},
	} {
		got := pseudoStrings(t, pseudoData(s).Select(c.key.Token(dataset.Col("v")).As("t")), "t")
		if len(got) != len(pseudoValues) {
			t.Fatalf("%d tokens for %d values", len(got), len(pseudoValues))
		}
		for i, v := range pseudoValues {
			switch {
			case v == nil && got[i] != nil:
				t.Errorf("NULL gave token %q", *got[i])
			case v != nil && (got[i] == nil || *got[i] != c.encode(mac(*v))):
				t.Errorf("token of %q = %v, want %s", *v, got[i], c.encode(mac(*v)))
			}
		}
	}
	// In hex, the same text as HmacSha256 with the key's text.
	h := pseudoStrings(t, pseudoData(s).Select(dataset.HmacSha256(dataset.Col("v"), pseudoSecret).As("h")), "h")
	tok := pseudoStrings(t, pseudoData(s).Select(k.Token(dataset.Col("v")).As("t")), "t")
	if fmt.Sprint(deref(h)) != fmt.Sprint(deref(tok)) {
		t.Errorf("Token and HmacSha256 differ:\n%v\n%v", deref(tok), deref(h))
	}
}

func deref(ps []*string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		if p == nil {
			out[i] = "NULL"
		} else {
			out[i] = *p
		}
	}
	return out
}

func TestPseudonymTokensAcrossSessionsAndKeys(t *testing.T) {
	run := func(secret string) []string {
		s := pseudoSession(t)
		return deref(pseudoStrings(t, pseudoData(s).Pseudonymize(pseudoKey(t, secret), "v"), "v"))
	}
	a, b := run(pseudoSecret), run(pseudoSecret)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("two sessions gave different tokens:\n%v\n%v", a, b)
	}
	other := run(pseudoSecret + "!")
	for i := range a {
		if a[i] != "NULL" && a[i] == other[i] {
			t.Errorf("row %d: two keys gave the same token %s", i, a[i])
		}
	}
	if a[0] != a[6] {
		t.Errorf("one value gave two tokens: %s, %s", a[0], a[6])
	}
}

func TestPseudonymizeLeavesNoRawValue(t *testing.T) {
	s := pseudoSession(t)
	raw := map[string]bool{}
	for _, v := range pseudoValues {
		if v != nil {
			raw[*v] = true
		}
	}
	d := pseudoData(s).Pseudonymize(pseudoKey(t, pseudoSecret), "v")
	schema, err := d.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(schema.Fields()) != "[id: type=int64 v: type=utf8, nullable]" {
		t.Errorf("schema %v: want id and v in place", schema.Fields())
	}
	for i, v := range pseudoStrings(t, d, "v") {
		if v != nil && raw[*v] {
			t.Errorf("row %d still holds the raw value %q", i, *v)
		}
		if (v == nil) != (pseudoValues[i] == nil) {
			t.Errorf("row %d: NULL-ness changed", i)
		}
	}
}

func TestPseudonymKeyNeverShows(t *testing.T) {
	s := pseudoSession(t)
	k := pseudoKey(t, pseudoSecret)
	d := pseudoData(s).Pseudonymize(k, "v").Filter(k.Token(dataset.Col("v")).IsNotNull())
	if _, err := d.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("key", "k", k)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("key", "k", k)
	js, _ := json.Marshal(struct{ K dataset.PseudonymKey }{k})
	ev, err := d.Lineage(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lineage, _ := json.Marshal(ev)
	// A token of an integer column is an analysis error; it must not quote the key.
	_, badErr := pseudoData(s).Select(k.Token(dataset.Col("id"))).Collect(context.Background())
	if badErr == nil || !strings.Contains(badErr.Error(), "pseudonym_token") {
		t.Errorf("token of an int64 column: %v, want an error naming pseudonym_token", badErr)
	}
	texts := map[string]string{
		"Explain":           d.Explain(),
		"JobMetrics.Plan":   s.LastJob().Plan,
		"fmt":               fmt.Sprintf("%v %+v %#v %s %q %x", k, k, k, k, k, k),
		"struct with a key": fmt.Sprintf("%+v %#v", struct{ k dataset.PseudonymKey }{k}, struct{ k dataset.PseudonymKey }{k}),
		"slog":              logged.String(),
		"json":              string(js),
		"lineage":           string(lineage),
		"error":             fmt.Sprint(badErr),
	}
	for what, text := range texts {
		if strings.Contains(text, pseudoSecret) || strings.Contains(text, hex.EncodeToString([]byte(pseudoSecret))[:32]) {
			t.Errorf("%s shows the key:\n%s", what, text)
		}
	}
	if !strings.Contains(texts["Explain"], "pseudonym_token(v)") {
		t.Errorf("Explain does not name the token:\n%s", texts["Explain"])
	}
}

func TestPseudonymKeyFromEnv(t *testing.T) {
	const name = "KINDLING_TEST_PSEUDONYM_KEY"
	for _, c := range []struct{ value, want string }{
		{"", "is not set"},
		{"short-key-of-secret", "holds 19 bytes, fewer than the 32"},
		{pseudoSecret + "\n", "white space"},
	} {
		t.Setenv(name, c.value)
		_, err := dataset.PseudonymKeyFromEnv(name)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), name) {
			t.Errorf("%q: error %v, want one naming %s that says %q", c.value, err, name, c.want)
		} else if c.value != "" && strings.Contains(err.Error(), strings.TrimSpace(c.value)) {
			t.Errorf("the error shows the value: %v", err)
		}
	}
	t.Setenv(name, pseudoSecret)
	k, err := dataset.PseudonymKeyFromEnv(name)
	if err != nil {
		t.Fatal(err)
	}
	s := pseudoSession(t)
	a := deref(pseudoStrings(t, pseudoData(s).Pseudonymize(k, "v"), "v"))
	b := deref(pseudoStrings(t, pseudoData(s).Pseudonymize(pseudoKey(t, pseudoSecret), "v"), "v"))
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("the key from the environment gives other tokens")
	}
}

func TestPseudonymBadUses(t *testing.T) {
	s := pseudoSession(t)
	k := pseudoKey(t, pseudoSecret)
	for what, d := range map[string]*dataset.Dataset{
		"too short hex":   pseudoData(s).Select(k.WithFormat(dataset.TokenHex, 15).Token(dataset.Col("v"))),
		"too long base64": pseudoData(s).Select(k.WithFormat(dataset.TokenBase64URL, 44).Token(dataset.Col("v"))),
		"unknown format":  pseudoData(s).Select(k.WithFormat(dataset.TokenFormat(9), 0).Token(dataset.Col("v"))),
		"zero key":        pseudoData(s).Pseudonymize(dataset.PseudonymKey{}, "v"),
		"no column":       pseudoData(s).Pseudonymize(k),
		"unknown column":  pseudoData(s).Pseudonymize(k, "email"),
		"negative n":      pseudoData(s).Select(dataset.MaskExceptLast(dataset.Col("v"), -1)),
	} {
		if _, err := d.Collect(context.Background()); err == nil {
			t.Errorf("%s: no error", what)
		} else if strings.Contains(err.Error(), pseudoSecret) {
			t.Errorf("%s: the error shows the key: %v", what, err)
		}
	}
	if _, err := dataset.NewPseudonymKey(make([]byte, 31)); err == nil {
		t.Errorf("a 31-byte key was accepted")
	}
}

func TestMaskHelpers(t *testing.T) {
	s := pseudoSession(t)
	v := dataset.Col("v")
	d := pseudoData(s).Select(dataset.MaskEmail(v).As("email"), dataset.MaskExceptLast(v, 4).As("last4"),
		dataset.MaskExceptLast(v, 0).As("none"))
	email, last4, none := pseudoStrings(t, d, "email"), pseudoStrings(t, d, "last4"), pseudoStrings(t, d, "none")
	want := [][3]string{
		{"***@example.com", "***********.com", "***************"},
		{"***", "", ""},
		{"NULL", "NULL", "NULL"},
		{"***", "****Ünal", "********"},
		{"***", "****テキスト", "********"},
		{"***", "", ""}, // long value: checked below
		{"***@example.com", "***********.com", "***************"},
		{"***", "***", "***"},
		{"NULL", "NULL", "NULL"},
		{"***", "*", "*"},
	}
	got := [3][]string{deref(email), deref(last4), deref(none)}
	for i, w := range want {
		for j := range 3 {
			if i == 5 && j > 0 {
				continue
			}
			if got[j][i] != w[j] {
				t.Errorf("row %d column %d: %q, want %q", i, j, got[j][i], w[j])
			}
		}
	}
	long := got[1][5]
	if !strings.HasSuffix(long, "lue ") || strings.Trim(strings.TrimSuffix(long, "lue "), "*") != "" {
		t.Errorf("long value masked as %.40q…", long)
	}
	for in, want := range map[string]string{"a@b@c.com": "***@c.com", "line\nbreak@example.com": "***@example.com", "@x.org": "***@x.org"} {
		got := pseudoStrings(t, s.FromRecords(pseudoOne(in)).Select(dataset.MaskEmail(dataset.Col("v")).As("m")), "m")
		if *got[0] != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, *got[0], want)
		}
	}
}

func pseudoOne(v string) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.BinaryTypes.String}}, nil))
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append(v)
	return b.NewRecordBatch()
}
