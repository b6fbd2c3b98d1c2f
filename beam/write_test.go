package beam

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/file"

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
	switch format {
	case "csv":
		pattern := filepath.Join(dir, "*.csv")
		if strings.HasPrefix(dir, "gs://") {
			pattern = dir + "/*.csv"
		}
		d = s.ReadCSV(pattern)
	case "json":
		d = s.ReadJSON(dir)
	}
	rows, err := etl.SortedRows(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestWriteOnPrism(t *testing.T) {
	for _, format := range []string{"parquet", "csv", "json"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			localOut, beamOut := filepath.Join(dir, "local"), filepath.Join(dir, "beam")
			s, err := dataset.NewSession(testWorker.SessionConfig())
			if err != nil {
				t.Fatal(err)
			}
			d, err := testJobs["test/groupby-int"](s, nil)
			if err == nil {
				switch format {
				case "csv":
					err = d.WriteCSV(context.Background(), localOut)
				case "json":
					err = d.WriteJSON(context.Background(), localOut)
				default:
					err = d.WriteParquet(context.Background(), localOut)
				}
			}
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			action := map[string]string{"parquet": "writeParquet", "csv": "writeCSV", "json": "writeJSON"}[format]
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

// TestFailedAppendLeavesTheTable: a partitioned table, then an append and an overwrite
// of its partitions by a job whose tasks fail: the table's files stay as they were, and
// nothing is left beside it.
func TestFailedAppendLeavesTheTable(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	ctx := context.Background()
	if _, err := Run(ctx, "test/facts", nil, Options{Worker: testWorker, Action: "writeParquet", OutputDir: out, PartitionedBy: []string{"g"}}); err != nil {
		t.Fatal(err)
	}
	before := filesUnder(t, out)
	for _, mode := range []dataset.SaveMode{dataset.ModeAppend, dataset.ModeOverwritePartitions} {
		_, err := Run(ctx, "refuse/fails", nil, Options{Worker: testWorker, Action: "writeParquet", OutputDir: out, PartitionedBy: []string{"g"}, Mode: mode})
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("%v: err = %v, want the task's failure", mode, err)
		}
		if after := filesUnder(t, out); !maps.Equal(after, before) {
			t.Fatalf("%v: a failed job changed the table: %v, was %v", mode, after, before)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.Name() != "out" {
				t.Errorf("%v: a failed job left %s", mode, e.Name())
			}
		}
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

// TestPartitionedWritesOnPrism: a partitioned write on Beam makes the partition
// directories a local write makes, with the same rows; an appending write adds the job's
// rows again (in new files, the first ones untouched); a write overwriting partitions
// replaces g=g1 alone.
func TestPartitionedWritesOnPrism(t *testing.T) {
	dir := t.TempDir()
	localOut, beamOut := filepath.Join(dir, "local"), filepath.Join(dir, "beam")
	s, err := dataset.NewSession(testWorker.SessionConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	write := func(job, out string, mode dataset.SaveMode) {
		t.Helper()
		d, err := testJobs[job](s, nil)
		if err == nil {
			err = d.WriteParquet(ctx, out, dataset.PartitionedBy("g"), dataset.WriteMode(mode))
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(ctx, job, nil, Options{Worker: testWorker, Action: "writeParquet", OutputDir: beamOut,
			PartitionedBy: []string{"g"}, Mode: mode}); err != nil {
			t.Fatal(err)
		}
	}
	same := func(when string) {
		t.Helper()
		if l, b := partitionDirs(t, localOut), partitionDirs(t, beamOut); strings.Join(l, ",") != strings.Join(b, ",") || len(l) < 2 {
			t.Fatalf("%s: Beam's partition directories %v, the local write's %v", when, b, l)
		}
		want, got := readBack(t, "parquet", localOut), readBack(t, "parquet", beamOut)
		if d := etl.Diff(got, want); len(want) == 0 || d != "" {
			t.Fatalf("%s: Beam's table (%d rows) differs from the local one (%d): %s", when, len(got), len(want), d)
		}
	}
	write("test/facts", localOut, dataset.ModeErrorIfExists)
	same("partitioned")
	before := readBack(t, "parquet", beamOut)
	first := filesUnder(t, beamOut)

	write("test/facts", localOut, dataset.ModeAppend)
	same("after an append")
	if got := readBack(t, "parquet", beamOut); len(got) != 2*len(before) {
		t.Fatalf("after an append: %d rows, want %d", len(got), 2*len(before))
	}
	after := filesUnder(t, beamOut)
	for f, size := range first {
		if after[f] != size {
			t.Errorf("the append changed %s", f)
		}
	}

	write("test/facts-g1", localOut, dataset.ModeOverwritePartitions)
	same("after overwriting g=g1")
	for f, size := range after {
		if !strings.HasPrefix(f, "g=g1/") && filesUnder(t, beamOut)[f] != size {
			t.Errorf("overwriting g=g1 changed %s", f)
		}
	}
}

// partitionDirs lists the partition directories of a table.
func partitionDirs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for f := range filesUnder(t, dir) {
		if d := filepath.Dir(f); d != "." && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// filesUnder maps the data files under dir (relative paths) to their sizes.
func filesUnder(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), "_") || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWriteOptionsOnPrism: the file options reach the workers' writers: a CSV written
// with ';' and "NA" for NULL, and Parquet with one-thousand-row row groups, read back as
// the local writes with the same options do.
func TestWriteOptionsOnPrism(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	csvOut := filepath.Join(dir, "csv")
	if _, err := Run(ctx, "test/facts", nil, Options{Worker: testWorker, Action: "writeCSV", OutputDir: csvOut,
		CSVDelimiter: ';', CSVNullValue: "NA"}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(csvOut, "*.csv"))
	var text strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text.Write(b)
	}
	if !strings.HasPrefix(text.String(), "k;g;v\n") || !strings.Contains(text.String(), "\nNA;") {
		t.Fatalf("the CSV files do not use ';' and NA: %.80q", text.String())
	}
	pqOut := filepath.Join(dir, "parquet")
	if _, err := Run(ctx, "test/facts", nil, Options{Worker: testWorker, Action: "writeParquet", OutputDir: pqOut,
		ParquetRowGroupRows: 1000, ParquetCompression: "snappy"}); err != nil {
		t.Fatal(err)
	}
	s, err := dataset.NewSession(testWorker.SessionConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, err := s.ParquetRowCount(ctx, pqOut)
	if err != nil || n != 20000 {
		t.Fatalf("%d rows (%v), want 20000", n, err)
	}
	parts, _ := filepath.Glob(filepath.Join(pqOut, "*.parquet"))
	for _, p := range parts {
		r, err := file.OpenParquetFile(p, false)
		if err != nil {
			t.Fatal(err)
		}
		for g := range r.NumRowGroups() {
			if rows := r.RowGroup(g).NumRows(); rows > 1000 {
				t.Errorf("%s: row group %d has %d rows, want at most 1000", p, g, rows)
			}
		}
		if r.NumRows() > 1000 && r.NumRowGroups() < 2 {
			t.Errorf("%s: %d rows in one row group", p, r.NumRows())
		}
		r.Close()
	}
	local := filepath.Join(dir, "local")
	d, err := testJobs["test/facts"](s, nil)
	if err == nil {
		err = d.WriteParquet(ctx, local, dataset.ParquetRowGroupRows(1000), dataset.ParquetCompression("snappy"))
	}
	if err != nil {
		t.Fatal(err)
	}
	if d := etl.Diff(readBack(t, "parquet", pqOut), readBack(t, "parquet", local)); d != "" {
		t.Fatal(d)
	}
}
