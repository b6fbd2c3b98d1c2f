package datasource

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/internal/memtest"
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

// genQuotedCSV writes rows whose string fields hold delimiters, doubled quotes, empty
// quoted values and values longer than a tiny read block, with CRLF or LF line ends
// (newlines inside quotes only when multiLine).
func genQuotedCSV(t *testing.T, n int, crlf, multiLine bool) string {
	t.Helper()
	nl := "\n"
	if crlf {
		nl = "\r\n"
	}
	var sb bytes.Buffer
	sb.WriteString("id,s,d,f" + nl)
	for i := range n {
		var s string
		switch i % 7 {
		case 0:
			s = ""
		case 1:
			s = `""`
		case 2:
			s = fmt.Sprintf(`"a,b ""%d"" c"`, i)
		case 3:
			s = fmt.Sprintf("%q", bytes.Repeat([]byte{'x'}, 40+i%9))
		case 4:
			if multiLine {
				s = fmt.Sprintf("\"two\r\nlines %d\"", i)
			} else {
				s = fmt.Sprintf("plain%d", i)
			}
		default:
			s = fmt.Sprintf("v%d", i%5)
		}
		d := fmt.Sprintf("\"k,%d\"", i%11)
		if i%13 == 0 {
			d = ""
		}
		fmt.Fprintf(&sb, "%d,%s,%s,%d.5%s", i, s, d, i, nl)
	}
	return writeFile(t, t.TempDir(), "q.csv", sb.String())
}

// Read through a tiny block (quoted fields, doubled quotes and lines straddle its
// boundaries) and in splits, a file reads as encoding/csv reads it: CRLF or LF, empty
// fields NULL, a dictionary column equal to the plain one.
func TestCSVQuotedAcrossBlocks(t *testing.T) {
	defer func(n int) { csvReadBufferBytes = n }(csvReadBufferBytes)
	csvReadBufferBytes = 16
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	for _, crlf := range []bool{false, true} {
		for _, multi := range []bool{false, true} {
			p := genQuotedCSV(t, 300, crlf, multi)
			want := csvOracle(t, p)
			opts := CSVOptions{BatchRows: 7, DictionaryColumns: []string{"d"}, MultiLine: multi}
			schema, err := InferCSVSchema(p, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(fieldTypes(schema)); got != "[int64 utf8 dictionary<values=utf8, indices=int32, ordered=false> float64]" {
				t.Fatalf("schema %s", got)
			}
			st, _ := os.Stat(p)
			steps := []int64{st.Size(), 97, 1000}
			if multi {
				steps = steps[:1]
			}
			for _, step := range steps {
				got := readSplits(t, mem, cutSplits(p, st.Size(), step), schema, opts)
				if !slices.Equal(got, want) {
					t.Fatalf("crlf=%v multiline=%v step %d: %d rows, want %d; first %q want %q", crlf, multi, step, len(got), len(want), got[:min(3, len(got))], want[:3])
				}
			}
		}
	}
}

func fieldTypes(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Type.String())
	}
	return out
}

// Empty fields are NULL by default; with other null texts they are empty strings, and a
// null text is NULL quoted or not (encoding/csv's rule: quotes only delimit).
func TestCSVEmptyFieldsAndNullTexts(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	p := writeFile(t, t.TempDir(), "n.csv", "a,b\r\n,\"\"\r\nNA,\"NA\"\r\nx,\r\n")
	_, rows := readCSV(t, mem, p, CSVOptions{}, nil)
	if want := []string{"(null)|(null)", "NA|NA", "x|(null)"}; !slices.Equal(rows, want) {
		t.Errorf("default nulls: %q, want %q", rows, want)
	}
	_, rows = readCSV(t, mem, p, CSVOptions{NullValues: []string{"NA"}, DictionaryAllStrings: true}, nil)
	if want := []string{"|", "(null)|(null)", "x|"}; !slices.Equal(rows, want) {
		t.Errorf("NA nulls: %q, want %q", rows, want)
	}
}

// Errors name the file's line also when lines straddle the read blocks of a later split.
func TestCSVErrorLinesTinyBlocks(t *testing.T) {
	defer func(n int) { csvReadBufferBytes = n }(csvReadBufferBytes)
	csvReadBufferBytes = 16
	TestCSVErrorLineNumbers(t)
	TestCSVQuoteErrorsLoseNoLines(t)
	TestCSVMalformedModes(t)
}
