package datasource

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
)

// scanOutcome is what a CSV splitter says about one record: its fields, where each
// starts, the input offset after it, and its error.
type scanOutcome struct {
	fields []string
	pos    [][2]int
	offset int64
	err    string
}

// scanWith reads every record of data with our scanner (a read block of bufBytes).
func scanWith(data []byte, opts CSVOptions, bufBytes int) []scanOutcome {
	s := newCSVScanner(opts, bytes.NewReader(data), bufBytes)
	var out []scanOutcome
	for {
		rec, err := s.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		o := scanOutcome{offset: s.InputOffset()}
		for i, f := range rec {
			o.fields = append(o.fields, string(f))
			l, c := s.FieldPos(i)
			o.pos = append(o.pos, [2]int{l, c})
		}
		if err != nil {
			o.err = err.Error()
		}
		out = append(out, o)
		if err != nil && !isParseError(err) {
			return out
		}
	}
}

// scanOracle reads every record of data with encoding/csv set up as the reader used to.
func scanOracle(data []byte, opts CSVOptions) []scanOutcome {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = opts.delimiter()
	r.FieldsPerRecord = -1
	r.LazyQuotes = opts.LazyQuotes
	var out []scanOutcome
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		o := scanOutcome{offset: r.InputOffset()}
		for i, f := range rec {
			o.fields = append(o.fields, f)
			l, c := r.FieldPos(i)
			o.pos = append(o.pos, [2]int{l, c})
		}
		if err != nil {
			o.err = err.Error()
		}
		out = append(out, o)
		if err != nil && !isParseError(err) {
			return out
		}
	}
}

func isParseError(err error) bool {
	var pe *csv.ParseError
	return errors.As(err, &pe)
}

// scanSeeds adds quoting across lines, CRLF inside and outside quotes, a delimiter of
// several bytes and a lone CR to the reader's seeds.
var scanSeeds = append([]string{
	"a,\"b\r\nc\",d\r\ne,f\r\n",
	"x;\"y;z\";\"\"\"\"\n;;\n\"\"\n",
	"1\t\"a\"\"b\"\t\"\"\r\n\r\n2\t\"\n\"\n",
	"α→β→\"γ→δ\"\n→\n",
	"a\rb,c\n\"q\"x,y\n",
	"\"abc\"\r",
	"\"unterminated\n\nmore",
	"k,\"lazy\"quote\"\",v\n",
}, csvSeeds...)

// The scanner splits records exactly as encoding/csv does: the same fields, positions,
// offsets and errors, whatever the read block's size (lines and quoted fields across
// block boundaries).
func TestCSVScannerMatchesEncodingCSV(t *testing.T) {
	for _, seed := range scanSeeds {
		for _, opts := range scanOptions() {
			want := scanOracle([]byte(seed), opts)
			for _, buf := range []int{16, 17, 64, 1 << 16} {
				if got := scanWith([]byte(seed), opts, buf); !reflect.DeepEqual(got, want) {
					t.Errorf("%q %+v block %d:\n got %+v\nwant %+v", seed, opts, buf, got, want)
				}
			}
		}
	}
}

func scanOptions() []CSVOptions {
	return []CSVOptions{{}, {LazyQuotes: true}, {Delimiter: ';'}, {Delimiter: '\t', LazyQuotes: true}, {Delimiter: '→'}}
}

// FuzzCSVScanner compares the scanner with encoding/csv on arbitrary input.
func FuzzCSVScanner(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, flags uint8) {
		opts := scanOptions()[int(flags)%len(scanOptions())]
		want := scanOracle(data, opts)
		buf := 16 + int(flags>>3)
		if got := scanWith(data, opts, buf); !reflect.DeepEqual(got, want) {
			t.Fatalf("block %d, %+v:\n got %s\nwant %s", buf, opts, fmt.Sprint(got), fmt.Sprint(want))
		}
	})
}
