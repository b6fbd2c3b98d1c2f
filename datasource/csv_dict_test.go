package datasource

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/memtest"
)

// genDictCSV writes rows of an int and a string column drawn from many distinct values,
// some quoted (with delimiters, doubled quotes), some empty (NULL).
func genDictCSV(t *testing.T, n, distinct int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	var sb strings.Builder
	sb.WriteString("id,cat\n")
	for i := range n {
		k := rng.IntN(distinct)
		switch {
		case k%97 == 0:
			fmt.Fprintf(&sb, "%d,\n", i)
		case k%13 == 0:
			fmt.Fprintf(&sb, "%d,\"c,%d \"\"q\"\"\"\n", i, k)
		default:
			fmt.Fprintf(&sb, "%d,cat-%d-%s\n", i, k, strings.Repeat("x", k%17))
		}
	}
	return writeFile(t, t.TempDir(), "d.csv", sb.String())
}

// csvOracle reads a file with encoding/csv alone: rows rendered as the reader's tests
// render them ("" is NULL), header dropped.
func csvOracle(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rec := range recs[1:] {
		for i, v := range rec {
			if v == "" {
				rec[i] = "(null)"
			}
		}
		out = append(out, strings.Join(rec, "|"))
	}
	return out
}

// The batches of one split share one dictionary: each batch's dictionary is the one
// before it with the new values appended, over the same buffers until they grow (a few
// times for thousands of values), and the values read are encoding/csv's.
func TestCSVDictionarySharedBySplit(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	p := genDictCSV(t, 20_000, 3000)
	opts := CSVOptions{DictionaryColumns: []string{"cat"}, BatchRows: 500}
	schema, err := InferCSVSchema(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := csvOracle(t, p)
	st, _ := os.Stat(p)
	for _, step := range []int64{st.Size(), st.Size()/3 + 1} {
		var got []string
		for _, sp := range cutSplits(p, st.Size(), step) {
			got = append(got, readSharedDict(t, mem, sp, schema, opts)...)
		}
		if len(got) != len(want) {
			t.Fatalf("step %d: %d rows, want %d", step, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("step %d row %d: %q, want %q", step, i, got[i], want[i])
			}
		}
	}
}

// readSharedDict reads one split, checks that each batch's dictionary extends the one
// before, and returns the rendered rows.
func readSharedDict(t *testing.T, mem memory.Allocator, sp FileSplit, schema *arrow.Schema, opts CSVOptions) []string {
	t.Helper()
	r, err := OpenCSV(context.Background(), sp, schema, opts, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows, prev []string
	buffers := map[*memory.Buffer]bool{}
	var prevOffs *memory.Buffer
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		dict := b.Column(1).(*array.Dictionary).Dictionary().(*array.String)
		if dict.Len() < len(prev) {
			t.Fatalf("dictionary shrank from %d to %d values", len(prev), dict.Len())
		}
		for j, v := range prev {
			if dict.Value(j) != v {
				t.Fatalf("dictionary entry %d changed from %q to %q", j, v, dict.Value(j))
			}
		}
		seen := map[string]bool{}
		prev = prev[:0]
		for j := range dict.Len() {
			v := strings.Clone(dict.Value(j))
			if seen[v] {
				t.Fatalf("dictionary holds %q twice", v)
			}
			seen[v] = true
			prev = append(prev, v)
		}
		offs := dict.Data().Buffers()[1]
		if prevOffs != nil && offs != prevOffs && buffers[offs] {
			t.Fatalf("dictionary went back to an older buffer")
		}
		buffers[offs], prevOffs = true, offs
		rows = append(rows, renderRows(b)...)
		b.Release()
	}
	if len(buffers) > 6 {
		t.Errorf("%d dictionary buffers for %d values: it should grow by doubling", len(buffers), len(prev))
	}
	return rows
}

// A dictionary value is checked for UTF-8 once, when it enters the dictionary; an invalid
// one never does, in any mode.
func TestCSVDictionaryInvalidUTF8NotAdded(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	p := writeFile(t, t.TempDir(), "u.csv", "s\nok\nb\xffd\nok\nb\xffd\nfine\n")
	schema, err := InferCSVSchema(p, CSVOptions{DictionaryAllStrings: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenCSV(context.Background(), wholeSplit(t, p), schema, CSVOptions{Mode: Permissive, BatchRows: 2}, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var last *array.String
	var rows []string
	for {
		b, err := r.Next()
		if err != nil {
			break
		}
		rows = append(rows, renderRows(b)...)
		if last != nil {
			last.Release()
		}
		last = b.Column(0).(*array.Dictionary).Dictionary().(*array.String)
		last.Retain()
		b.Release()
	}
	defer last.Release()
	if want := "ok|(null)|ok|(null)|fine"; strings.Join(rows, "|") != want || r.Malformed() != 2 {
		t.Fatalf("rows %q, %d malformed; want %s, 2", rows, r.Malformed(), want)
	}
	if last.Len() != 2 || last.Value(0) != "ok" || last.Value(1) != "fine" {
		t.Fatalf("dictionary %v", last)
	}
}

// Earlier batches may be read on other goroutines while the reader appends to the
// dictionary they share: the reader writes only past what they see (run with -race).
func TestCSVDictionaryConcurrentReaders(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	p := genDictCSV(t, 5000, 2000)
	opts := CSVOptions{DictionaryColumns: []string{"cat"}, BatchRows: 100}
	schema, err := InferCSVSchema(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenCSV(context.Background(), wholeSplit(t, p), schema, opts, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var wg sync.WaitGroup
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer b.Release()
			d := b.Column(1).(*array.Dictionary).Dictionary().(*array.String)
			n := 0
			for j := range d.Len() {
				n += len(d.Value(j))
			}
			if n != len(d.ValueBytes()) {
				t.Errorf("dictionary values of %d bytes, want %d", n, len(d.ValueBytes()))
			}
		})
	}
	wg.Wait()
}
