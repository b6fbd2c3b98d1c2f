package datasource

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"
)

// jsonSeeds are lines of every kind the scanner meets, good and bad.
var jsonSeeds = []string{
	`{"a": 1, "b": [1.5, -2e3, 0], "c": {"d": "x\"y\\z\/\b\f\n\r\t\u00e9\ud83d\ude00"}, "e": null, "f": true}`,
	`{"a": "\ud800", "b": "\udc00\u0041", "c": "\uD834\uDD1E"}`,
	`{"a": 01}`,
	`{"a": 1.}`,
	`{"a": -}`,
	`{"a": 1e}`,
	`{"a": "x` + "\x01" + `"}`,
	`{"a": "` + "\xff" + `"}`,
	`{"a": [1, 2,]}`,
	`{"a": 1,}`,
	`{"a" 1}`,
	`{"a": tru}`,
	`{"a": 1} x`,
	`[1, 2]`,
	`"just a string"`,
	`  { "a" : { } , "b" : [ ] }  `,
	`{"a": "\x"}`,
	`{"a": "\u12G4"}`,
	"",
	"\r",
}

// FuzzJSONScan holds the scanner to encoding/json: a text is one valid value exactly
// when json.Valid says so (and it is valid UTF-8, which the scanner also requires), and a
// string decodes to what json.Unmarshal gives.
func FuzzJSONScan(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Count(data, []byte{'['})+bytes.Count(data, []byte{'{'}) >= jsonMaxDepth {
			return // deeper than the scanner allows, maybe
		}
		var s jsonScan
		s.reset(data)
		ok := s.skip(0) && s.atEnd()
		want := json.Valid(data) && utf8.Valid(data)
		if ok != want {
			t.Fatalf("%q: scanner says %v (%s at %d), encoding/json %v", data, ok, s.errMsg, s.errPos, want)
		}
		if !ok || s.errMsg != "" {
			return
		}
		s.reset(data)
		if s.peek() != '"' {
			return
		}
		got, ok := s.str()
		var str string
		if err := json.Unmarshal(data, &str); err != nil || !ok || string(got) != str {
			t.Fatalf("%q: decoded %q (%v), encoding/json %q (%v)", data, got, ok, str, err)
		}
	})
}

// FuzzJSON reads arbitrary bytes as JSON lines in every mode and checks what the modes
// promise: no panic; every batch valid and released (checked allocator); Permissive
// returns a row per non-blank line, DropMalformed rows plus malformed rows equal to those
// lines, FailFast fails or returns every line; a line encoding/json finds invalid, or that
// is not an object, is always malformed; reading in splits gives the same rows.
func FuzzJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s+"\n"+jsonSeeds[0]+"\n\n"+jsonSeeds[1]), uint8(0))
	}
	f.Add([]byte(jsonModesFile), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, flags uint8) {
		p := filepath.Join(t.TempDir(), "f.json")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		schema, err := InferJSONSchema([]string{p}, JSONOptions{Mode: DropMalformed, PrimitivesAsString: flags&1 != 0})
		if err != nil {
			return // no record: an error is the answer
		}
		lines, invalid := fuzzJSONLines(data)
		whole := []FileSplit{{Path: p, End: int64(len(data)), FileSize: int64(len(data))}}
		for _, mode := range []ParseMode{FailFast, Permissive, DropMalformed} {
			opts := JSONOptions{Mode: mode, BatchRows: 1 + int(flags>>4)}
			rows, malformed, err := readJSONSplits(t, whole, schema, opts, nil)
			switch {
			case mode == FailFast && err == nil && (len(rows) != lines || invalid > 0):
				t.Fatalf("fail fast: %d rows, no error, from %d lines (%d invalid)", len(rows), lines, invalid)
			case mode == Permissive && (err != nil || len(rows) != lines || malformed < int64(invalid)):
				t.Fatalf("permissive: %d rows, %d malformed from %d lines (%d invalid), %v", len(rows), malformed, lines, invalid, err)
			case mode == DropMalformed && (err != nil || int64(len(rows))+malformed != int64(lines) || malformed < int64(invalid)):
				t.Fatalf("drop: %d rows + %d malformed from %d lines (%d invalid), %v", len(rows), malformed, lines, invalid, err)
			}
			if mode == FailFast || len(data) < 2 {
				continue
			}
			step := int64(1 + int(data[0])%max(1, len(data)/2))
			split, smal, serr := readJSONSplits(t, cutSplits(p, int64(len(data)), step), schema, opts, nil)
			if serr != nil || !slices.Equal(split, rows) || smal != malformed {
				t.Fatalf("%v, splits of %d bytes: %d rows, %d malformed, %v; whole: %d rows, %d malformed",
					mode, step, len(split), smal, serr, len(rows), malformed)
			}
		}
	})
}

// fuzzJSONLines counts, independently of the reader, the lines that are not blank, and
// those that encoding/json does not take for an object.
func fuzzJSONLines(data []byte) (lines, invalid int) {
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	for l := range bytes.SplitSeq(data, []byte{'\n'}) {
		body := bytes.Trim(l, " \t\r")
		if len(body) == 0 {
			continue
		}
		lines++
		deep := bytes.Count(l, []byte{'['})+bytes.Count(l, []byte{'{'}) >= jsonMaxDepth
		if !deep && (body[0] != '{' || !json.Valid(l) || !utf8.Valid(l)) {
			invalid++
		}
	}
	return lines, invalid
}
