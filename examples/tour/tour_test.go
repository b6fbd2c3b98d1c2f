package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/internal/leakcheck"
)

// TestMain fails the run if goroutines or temporary files outlive the tests.
func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestReadmeShowsThisProgram keeps the README's tour and this program the same text, so
// that the sample a newcomer copies is one that compiles (CI builds it) and runs (below).
func TestReadmeShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, tour, ok := strings.Cut(string(readme), "## A short tour")
	if !ok {
		t.Fatal(`README.md has no "## A short tour" section`)
	}
	_, block, ok := strings.Cut(tour, "```go\n")
	block, _, closed := strings.Cut(block, "```")
	if !ok || !closed {
		t.Fatal("the README's tour has no ```go block")
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(block) != strings.TrimSpace(string(src)) {
		t.Errorf("the README's tour and examples/tour/main.go differ; copy one to the other.\nREADME:\n%s\nmain.go:\n%s", block, src)
	}
}

// TestTourRunsAndReruns runs the tour in a directory of order files, twice (the second
// run overwrites the first's output), and checks the table it wrote against sums made
// here.
func TestTourRunsAndReruns(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("orders", 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"a.csv": "order_id,ts,region,amount\n1,2026-11-01 10:00:00,north,12.5\n2,2026-11-01 11:30:00,north,-3\n3,2026-11-02 09:00:00,south,7\n",
		"b.csv": "order_id,ts,region,amount\n4,2026-11-01 23:59:59,north,0.5\n5,2026-11-02 00:00:01,south,0\n6,2026-11-02 12:00:00,south,1.25\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join("orders", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Positive amounts by region and day: north 11-01 12.5+0.5 (2), south 11-02 7+1.25 (2).
	want := []string{"north 2026-11-01 13 2", "south 2026-11-02 8.25 2"}
	for run := 1; run <= 2; run++ {
		main()
		if got := readDaily(t); strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Fatalf("run %d wrote %v, want %v", run, got, want)
		}
	}
}

func readDaily(t *testing.T) []string {
	t.Helper()
	s, err := dataset.NewSession(dataset.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.ReadParquet("out/daily").Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range recs {
		region := r.Column(int(r.Schema().FieldIndices("region")[0])).(*array.String)
		day := r.Column(r.Schema().FieldIndices("day")[0]).(*array.Date32)
		revenue := r.Column(r.Schema().FieldIndices("revenue")[0]).(*array.Float64)
		orders := r.Column(r.Schema().FieldIndices("orders")[0]).(*array.Int64)
		for i := 0; i < int(r.NumRows()); i++ {
			rows = append(rows, fmt.Sprintf("%s %s %g %d", region.Value(i), day.Value(i).FormattedString(), revenue.Value(i), orders.Value(i)))
		}
		r.Release()
	}
	sort.Strings(rows)
	return rows
}
