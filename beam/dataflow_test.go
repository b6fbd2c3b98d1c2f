package beam

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/internal/objstore"
)

func init() {
	// A job over the CSV files its arguments name.
	dataset.RegisterJob("test/read-csv", func(s *dataset.Session, args []string) (*dataset.Dataset, error) {
		return s.ReadCSV(args...).GroupBy("g").Agg(dataset.Count()), nil
	})
}

// TestDataflowBeforeSubmission: the Dataflow runner is linked, and a job it could not
// run is refused before submission (a local result directory, output or input file,
// no gs:// staging location, an asynchronous submission); a job it can run translates
// to a Dataflow job (Beam's dry run, offline: nothing is submitted), which Run reports
// as ErrNotRun, committing nothing and leaving the program's flags as they were.
func TestDataflowBeforeSubmission(t *testing.T) {
	cloudStorage(t)
	ctx := context.Background()
	localCSV := filepath.Join(t.TempDir(), "in.csv")
	data := "g,v\na,1\nb,2\na,3\n"
	if err := os.WriteFile(localCSV, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := objstore.Default()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(ctx, testBucket, "inputs/in.csv", strings.NewReader(data), int64(len(data)), objstore.AnyGeneration); err != nil {
		t.Fatal(err)
	}
	gsCSV := objstore.Scheme + testBucket + "/inputs/in.csv"
	results := objstore.Scheme + testBucket + "/df-results"
	out := objstore.Scheme + testBucket + "/df-out"
	flags := func(extra ...string) map[string]string {
		f := map[string]string{"project": "kindling-test", "region": "europe-west1", "staging_location": objstore.Scheme + testBucket + "/staging"}
		for i := 0; i+1 < len(extra); i += 2 {
			f[extra[i]] = extra[i+1]
		}
		return f
	}
	for _, tc := range []struct {
		args   []string
		opts   Options
		reason string
	}{
		{[]string{gsCSV}, Options{Runner: "dataflow", ResultDir: results}, "staging_location"},
		{[]string{gsCSV}, Options{Runner: "dataflow", Flags: flags()}, "ResultDir on gs://"},
		{[]string{gsCSV}, Options{Runner: "dataflow", Flags: flags(), ResultDir: t.TempDir()}, "ResultDir on gs://"},
		{[]string{gsCSV}, Options{Runner: "dataflow", Flags: flags(), Action: "writeParquet", OutputDir: filepath.Join(t.TempDir(), "out")}, "only to gs:// outputs"},
		{[]string{localCSV}, Options{Runner: "dataflow", Flags: flags(), ResultDir: results}, "reads the local file " + localCSV},
		{[]string{gsCSV}, Options{Runner: "dataflow", Flags: flags("async", "true"), ResultDir: results}, "Run waits for the job"},
		{[]string{gsCSV}, Options{Runner: "dataflow", Flags: flags(), ResultDir: results, EnvironmentType: "LOOPBACK"}, "runs its workers in containers"},
	} {
		_, err := Run(ctx, "test/read-csv", tc.args, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%v %+v: err = %v, want it to say %q", tc.args, tc.opts, err, tc.reason)
		}
	}

	_, err = Run(ctx, "test/read-csv", []string{gsCSV}, Options{Runner: "dataflow", Flags: flags("dry_run", "true"), ResultDir: results})
	if !errors.Is(err, ErrNotRun) {
		t.Fatalf("a dry run: %v, want ErrNotRun", err)
	}
	_, err = Run(ctx, "test/read-csv", []string{gsCSV}, Options{Runner: "dataflow", Flags: flags("dry_run", "true"), Action: "writeParquet", OutputDir: out})
	if !errors.Is(err, ErrNotRun) {
		t.Fatalf("a write's dry run: %v, want ErrNotRun", err)
	}
	if left := objectNames(t, "df-out/"); len(left) > 0 {
		t.Fatalf("a dry run left %v under its output", left)
	}
	for _, f := range []string{"dry_run", "project", "staging_location"} {
		if v := flag.Lookup(f).Value.String(); v != flag.Lookup(f).DefValue {
			t.Errorf("flag %s is %q after Run, want its default %q back", f, v, flag.Lookup(f).DefValue)
		}
	}
}
