package exec

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

func TestJSONSource(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	missing := NewJSONSource([]string{filepath.Join(t.TempDir(), "nope", "*.json")}, datasource.JSONOptions{})
	if _, err := missing.Schema(); err == nil || !strings.Contains(err.Error(), "no files match") {
		t.Errorf("missing files: Schema error %v", err)
	}

	dir := t.TempDir()
	var sb strings.Builder
	for i := range 200 {
		if i%50 == 9 {
			sb.WriteString(`{"a": "not a number", "b": "x"}` + "\n")
			continue
		}
		sb.WriteString(`{"a": ` + strings.Repeat("1", 1+i%5) + `, "b": "x"}` + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "1.json"), []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// A second file adds a member, which inference finds.
	if err := os.WriteFile(filepath.Join(dir, "2.json"), []byte(`{"a": 5, "c": [true]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := datasource.JSONOptions{Mode: datasource.DropMalformed}
	src := NewJSONSource([]string{dir}, opts)
	if got := src.String(); got != "json["+dir+"]" {
		t.Errorf("String = %q", got)
	}
	schema, err := src.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if got := schema.String(); !strings.Contains(got, "a: type=utf8") || !strings.Contains(got, "c: type=list<item: bool, nullable>") {
		t.Errorf("schema %s", got)
	}

	// With a given schema, column a is an int64 and four lines are malformed.
	opts.Schema, err = datasource.InferJSONSchema([]string{filepath.Join(dir, "2.json")}, datasource.JSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src = NewJSONSource([]string{filepath.Join(dir, "*.json")}, opts)
	req := plan.ScanRequest{Columns: []string{"c", "a"}, MaxPartitionBytes: 1000, MinPartitions: 2, BatchRows: 7}
	parts, err := src.Partitions(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 3 {
		t.Fatalf("%d partitions, want the first file cut", len(parts))
	}
	var files []string
	for _, p := range parts {
		fp, ok := p.(plan.FileInput)
		if !ok {
			t.Fatalf("%s does not name its file", p)
		}
		files = append(files, filepath.Base(fp.InputFile()))
	}
	if files = slices.Compact(files); !slices.Equal(files, []string{"1.json", "2.json"}) {
		t.Errorf("partition files %v", files)
	}
	rows, _ := scanAll(t, src, req, mem)
	if len(rows) != 197 || !slices.Contains(rows, "[true]|5") || !slices.Contains(rows, "(null)|111") {
		t.Errorf("%d rows: %v...", len(rows), rows[:3])
	}

	// The scan adds the reader's malformed lines to the task's metrics.
	counter := &inputCounter{}
	for _, p := range parts {
		op := newScan(p, mem, counter)
		if err := op.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		for {
			b, err := op.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			b.Release()
		}
		if err := op.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if counter.malformed != 4 || counter.rows != 197 {
		t.Errorf("counted %d rows, %d malformed; want 197, 4", counter.rows, counter.malformed)
	}
}
