package datasource

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/memtest"
)

// csvSeeds are the malformed inputs of the reliability issue and of the reader's tests.
var csvSeeds = []string{
	"name,n\nab\"c,1\n",
	"name,n\n\"ab\"c,1\n",
	"a,b\n1,2\n3,\"x\n5,6\n7,8\n",
	"a,b\n1,\"x\ny\",2\n5,6\n",
	"a,b\r\n\"1,2\r\n\r\n3,4\r\n",
	"a,b\n1,2\n3,x\n5\n6,7,8\n9,10\nbad\"quote,1\n11,12\n",
	"id,s\n1,x\xc3(\n2,ok\n",
	"\xef\xbb\xbfa,b\n\n1,2\n\r\n3,4",
	"a\n\"\n\"\n\"\n",
	"a,b\n1,2020-01-02\n2,2020-01-02 10:00:00\n3,true\n",
	"",
	"\n\n",
	"\n\r\n\na,b\n1,2\n3,4\n",
}

// FuzzCSV reads arbitrary bytes as CSV in every mode and checks what the modes promise:
// no panic; every batch valid, with valid UTF-8 strings, and released (checked allocator);
// outside MultiLine mode every line after the header is one record, so Permissive returns
// a row per line, DropMalformed returns rows plus malformed rows equal to the lines, and
// FailFast either fails or returns every line; reading in splits gives the same rows.
func FuzzCSV(f *testing.F) {
	for _, s := range csvSeeds {
		for _, flags := range []uint8{0, 1, 2, 4, 8, 16} {
			f.Add([]byte(s), flags)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, flags uint8) {
		opts := CSVOptions{
			Mode:       ParseMode(flags % 3),
			MultiLine:  flags&4 != 0,
			LazyQuotes: flags&8 != 0,
			NoHeader:   flags&16 != 0,
			BatchRows:  1 + int(flags>>5),
		}
		if flags&32 != 0 {
			opts.DictionaryAllStrings = true
		}
		p := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		schema, err := InferCSVSchema(p, opts)
		if err != nil {
			return // a header that cannot be read, or no data: an error is the answer
		}
		rows, malformed, err := fuzzReadCSV(t, []FileSplit{{Path: p, End: int64(len(data)), FileSize: int64(len(data))}}, schema, opts)
		if opts.MultiLine {
			// Each record, good or malformed, has a first line of its own; a permissive
			// malformed record is also a row.
			records := int64(len(rows))
			if opts.Mode != Permissive {
				records += malformed
			} else if malformed > records {
				t.Fatalf("multiline permissive: %d malformed of %d rows", malformed, records)
			}
			if err == nil && records > int64(fuzzDataLines(data, opts.NoHeader)) {
				t.Fatalf("multiline: %d rows, %d malformed from %d lines", len(rows), malformed, fuzzDataLines(data, opts.NoHeader))
			}
			return
		}
		lines := fuzzDataLines(data, opts.NoHeader)
		switch opts.Mode {
		case FailFast:
			if err == nil && (len(rows) != lines || malformed != 0) {
				t.Fatalf("fail fast: %d rows, %d malformed, no error, from %d lines", len(rows), malformed, lines)
			}
		case Permissive:
			if err != nil || len(rows) != lines {
				t.Fatalf("permissive: %d rows from %d lines, %v", len(rows), lines, err)
			}
		case DropMalformed:
			if err != nil || int64(len(rows))+malformed != int64(lines) {
				t.Fatalf("drop: %d rows + %d malformed from %d lines, %v", len(rows), malformed, lines, err)
			}
		}
		if err != nil || len(data) < 2 {
			return
		}
		step := int64(1 + int(data[0])%max(1, len(data)/2))
		split, smal, serr := fuzzReadCSV(t, cutSplits(p, int64(len(data)), step), schema, opts)
		if serr != nil || !slices.Equal(split, rows) || smal != malformed {
			t.Fatalf("splits of %d bytes: %d rows, %d malformed, %v; whole: %d rows, %d malformed",
				step, len(split), smal, serr, len(rows), malformed)
		}
	})
}

// fuzzReadCSV reads the splits in turn and checks every batch.
func fuzzReadCSV(t *testing.T, splits []FileSplit, schema *arrow.Schema, opts CSVOptions) ([]string, int64, error) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	var rows []string
	var malformed int64
	for _, sp := range splits {
		r, err := OpenCSV(context.Background(), sp, schema, opts, nil, mem)
		if err != nil {
			return rows, malformed, err
		}
		for {
			b, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.Close()
				if !strings.HasPrefix(err.Error(), "datasource: ") {
					t.Fatalf("error without the package prefix: %v", err)
				}
				return rows, malformed, err
			}
			if b.NumRows() == 0 || b.NumRows() > int64(opts.batchRows()) {
				t.Fatalf("batch of %d rows (BatchRows %d)", b.NumRows(), opts.batchRows())
			}
			if err := array.ValidateRecordFull(b); err != nil {
				t.Fatalf("invalid batch: %v", err)
			}
			for _, col := range b.Columns() {
				if s, ok := col.(*array.String); ok && !utf8.Valid(s.ValueBytes()) {
					t.Fatalf("invalid UTF-8 in column values")
				}
				if d, ok := col.(*array.Dictionary); ok && !utf8.Valid(d.Dictionary().(*array.String).ValueBytes()) {
					t.Fatalf("invalid UTF-8 in a dictionary")
				}
			}
			rows = append(rows, renderRows(b)...)
			b.Release()
		}
		malformed += r.Malformed()
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return rows, malformed, nil
}

// fuzzDataLines counts, independently of the reader, the lines encoding/csv does not skip
// as blank, less the header line.
func fuzzDataLines(data []byte, noHeader bool) int {
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	n := 0
	for l := range bytes.SplitSeq(data, []byte{'\n'}) {
		if len(bytes.TrimSuffix(l, []byte{'\r'})) > 0 {
			n++
		}
	}
	if !noHeader && n > 0 {
		n--
	}
	return n
}
