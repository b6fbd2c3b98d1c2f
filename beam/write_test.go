package beam

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/beam/internal/etl"
	"github.com/kindling-data/kindling/dataset"
)

// readBack reads a written table in a fresh local session as sorted rows.
func readBack(t *testing.T, format, dir string) []etl.Row {
	t.Helper()
	s, err := dataset.NewSession(testWorker.SessionConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := s.ReadParquet(dir)
	if format == "csv" {
		d = s.ReadCSV(filepath.Join(dir, "*.csv"))
	}
	rows, err := etl.SortedRows(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestWriteOnPrism(t *testing.T) {
	for _, format := range []string{"parquet", "csv"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			localOut, beamOut := filepath.Join(dir, "local"), filepath.Join(dir, "beam")
			s, err := dataset.NewSession(testWorker.SessionConfig())
			if err != nil {
				t.Fatal(err)
			}
			d, err := testJobs["test/groupby-int"](s, nil)
			if err == nil {
				if format == "csv" {
					err = d.WriteCSV(context.Background(), localOut)
				} else {
					err = d.WriteParquet(context.Background(), localOut)
				}
			}
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			action := map[string]string{"parquet": "writeParquet", "csv": "writeCSV"}[format]
			res, err := Run(context.Background(), "test/groupby-int", nil, Options{Worker: testWorker, Action: action, OutputDir: beamOut})
			if err != nil {
				t.Fatal(err)
			}
			if res.Files == 0 {
				t.Error("the write reports no files")
			}
			want, got := readBack(t, format, localOut), readBack(t, format, beamOut)
			if d := etl.Diff(got, want); len(want) == 0 || d != "" {
				t.Fatalf("read back: Beam's output (%d rows) differs from the local write's (%d): %s", len(got), len(want), d)
			}
			if _, err := os.Stat(filepath.Join(beamOut, "_SUCCESS")); err != nil {
				t.Errorf("no _SUCCESS marker: %v", err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".") {
					t.Errorf("a staging leftover next to the output: %s", e.Name())
				}
			}
			// Overwrite replaces the table; without it the existing output is refused.
			if _, err := Run(context.Background(), "test/groupby-int", nil, Options{Worker: testWorker, Action: action, OutputDir: beamOut, Mode: dataset.ModeOverwrite}); err != nil {
				t.Fatal(err)
			}
			if d := etl.Diff(readBack(t, format, beamOut), want); d != "" {
				t.Fatalf("after Overwrite: %s", d)
			}
		})
	}
}

func TestFailedWriteLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	_, err := Run(context.Background(), "refuse/fails", nil, Options{Worker: testWorker, Action: "writeParquet", OutputDir: out})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v, want the task's failure", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("a failed job left %s", e.Name())
	}
}

func TestETLOnPrism(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "input")
	if err := os.Mkdir(input, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := etl.Generate(input, 20000); err != nil {
		t.Fatal(err)
	}
	s, err := dataset.NewSession(testWorker.SessionConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	localOut, beamOut := filepath.Join(dir, "local"), filepath.Join(dir, "beam")
	if err := etl.Daily(s, input).WriteParquet(ctx, localOut); err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, etl.Job, []string{input}, Options{Worker: testWorker, Action: "writeParquet", OutputDir: beamOut})
	if err != nil {
		t.Fatal(err)
	}
	if err := etl.SameTables(ctx, s, localOut, beamOut); err != nil {
		t.Fatal(err)
	}
	t.Logf("ETL on Prism: %d files, wall %v, kindling task time %v", res.Files, res.Metrics.Wall, res.Metrics.TaskTime)
}
