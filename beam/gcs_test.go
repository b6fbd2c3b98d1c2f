package beam

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/kindling-data/kindling/beam/internal/etl"
	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/internal/objstore"
)

const testBucket = "kindling-beam"

var fakeGCS struct {
	once sync.Once
	srv  *fakestorage.Server
	err  error
}

// cloudStorage starts a Cloud Storage emulator in the test process (once) and points
// kindling's client at it, as a user points a program at one: STORAGE_EMULATOR_HOST.
func cloudStorage(t *testing.T) {
	t.Helper()
	fakeGCS.once.Do(func() {
		fakeGCS.srv, fakeGCS.err = fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1"})
		if fakeGCS.err == nil {
			fakeGCS.srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: testBucket})
			os.Setenv("STORAGE_EMULATOR_HOST", fakeGCS.srv.URL())
		}
	})
	if fakeGCS.err != nil {
		t.Fatal(fakeGCS.err)
	}
}

// objectNames lists the objects under prefix, relative to it.
func objectNames(t *testing.T, prefix string) []string {
	t.Helper()
	c, err := objstore.Default()
	if err != nil {
		t.Fatal(err)
	}
	objs, _, err := c.List(context.Background(), testBucket, prefix, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, strings.TrimPrefix(o.Name, prefix))
	}
	return out
}

// TestCloudStorageOnPrism runs jobs whose shared directories are gs:// prefixes, as on
// Dataflow, where no worker shares a file system with the driver: collect, count and
// expectations through a gs:// ResultDir give the local answers and leave nothing
// there; writes to a gs:// OutputDir (the tasks upload their files to the committer's
// staging prefix with a manifest, the driver copies them in) read back as the local
// write, in every mode, partitioned, with _SUCCESS and no staging objects left; a
// failing job commits nothing.
func TestCloudStorageOnPrism(t *testing.T) {
	cloudStorage(t)
	ctx := context.Background()
	results := objstore.Scheme + testBucket + "/results"

	want := local(t, "test/groupby")
	res, err := Run(ctx, "test/groupby", nil, Options{Worker: testWorker, ResultDir: results})
	if err != nil {
		t.Fatal(err)
	}
	got := rowStrings(res.Batches)
	res.Release()
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("collect through gs://: %d rows, local %d; first difference at %d", len(got), len(want), firstDiff(got, want))
	}
	n, err := Run(ctx, "test/facts", nil, Options{Worker: testWorker, ResultDir: results, Action: "count"})
	if err != nil || n.Count != 20000 {
		t.Fatalf("count through gs://: %d, %v; want 20000", n.Count, err)
	}
	warn, err := Run(ctx, "expect/warn-strict", nil, Options{Worker: testWorker, ResultDir: results})
	if err != nil {
		t.Fatal(err)
	}
	warn.Release()
	failed := 0
	for _, e := range warn.Expectations {
		if !e.Passed {
			failed++
		}
	}
	if len(warn.Expectations) != 4 || failed == 0 {
		t.Fatalf("expectations through gs://: %+v, want 4 results with failures", warn.Expectations)
	}
	own, err := Run(ctx, "expect/own-jobs", nil, Options{Worker: testWorker, ResultDir: results})
	if err != nil {
		t.Fatal(err)
	}
	own.Release()
	if len(own.Expectations) != 4 || own.Expectations[0].Passed || !own.Expectations[3].Passed {
		t.Fatalf("expectations with jobs of their own through gs://: %+v", own.Expectations)
	}
	if left := objectNames(t, "results/"); len(left) > 0 {
		t.Fatalf("the jobs left %v under the result prefix", left)
	}

	// Writes: each table equals the same local write's, read back.
	dir := t.TempDir()
	for _, format := range []string{"parquet", "csv", "json"} {
		out := objstore.Scheme + testBucket + "/tables/" + format
		action := map[string]string{"parquet": "writeParquet", "csv": "writeCSV", "json": "writeJSON"}[format]
		res, err := Run(ctx, "test/groupby-int", nil, Options{Worker: testWorker, Action: action, OutputDir: out})
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		names := objectNames(t, "tables/"+format+"/")
		if len(names) != res.Files+1 || !slices.Contains(names, "_SUCCESS") {
			t.Fatalf("%s: the table holds %v, want %d files and _SUCCESS, nothing staged", format, names, res.Files)
		}
		localOut := filepath.Join(dir, format)
		writeLocally(t, "test/groupby-int", localOut, format, dataset.ModeErrorIfExists)
		if got, want := readBack(t, format, out), readBack(t, format, localOut); etl.Diff(got, want) != "" || len(want) == 0 {
			t.Fatalf("%s: read back from gs:// (%d rows) differs from the local write's (%d): %s", format, len(got), len(want), etl.Diff(got, want))
		}
	}

	// A partitioned table, appended to, one partition overwritten, then replaced, beside
	// the same local writes.
	out, localOut := objstore.Scheme+testBucket+"/tables/by-g", filepath.Join(dir, "by-g")
	write := func(job string, mode dataset.SaveMode) {
		t.Helper()
		if _, err := Run(ctx, job, nil, Options{Worker: testWorker, Action: "writeParquet", OutputDir: out, Mode: mode, PartitionedBy: []string{"g"}}); err != nil {
			t.Fatal(err)
		}
		writeLocally(t, job, localOut, "parquet", mode, dataset.PartitionedBy("g"))
		for _, name := range objectNames(t, "tables/by-g/") {
			if strings.HasPrefix(name, "_temporary") {
				t.Fatalf("staging object %s left after a %v write", name, mode)
			}
		}
		want, got := readBack(t, "parquet", localOut), readBack(t, "parquet", out)
		if d := etl.Diff(got, want); len(want) == 0 || d != "" {
			t.Fatalf("after a %v write of %s: the gs:// table (%d rows) differs from the local one (%d): %s", mode, job, len(got), len(want), d)
		}
	}
	write("test/facts", dataset.ModeErrorIfExists)
	if _, err := Run(ctx, "test/facts", nil, Options{Worker: testWorker, Action: "writeParquet", OutputDir: out, PartitionedBy: []string{"g"}}); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("a second write without a mode: %v, want it refused", err)
	}
	write("test/facts", dataset.ModeAppend)
	write("test/facts-g1", dataset.ModeOverwritePartitions)
	write("test/facts", dataset.ModeOverwrite)

	// A failing job commits nothing and leaves no staging object.
	before := objectNames(t, "tables/by-g/")
	_, err = Run(ctx, "expect/fail-strict", nil, Options{Worker: testWorker, Action: "writeParquet", OutputDir: out, Mode: dataset.ModeOverwrite, ResultDir: results})
	var expErr *dataset.ExpectationError
	if !errors.As(err, &expErr) {
		t.Fatalf("a write failing its expectations: %v, want an ExpectationError", err)
	}
	if after := objectNames(t, "tables/by-g/"); !slices.Equal(after, before) {
		t.Fatalf("a failed write changed the table: %v, was %v", after, before)
	}
}

// writeLocally writes job's result at out in a local session configured as the workers.
func writeLocally(t *testing.T, job, out, format string, mode dataset.SaveMode, opts ...dataset.WriteOption) {
	t.Helper()
	s, err := dataset.NewSession(testWorker.SessionConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := testJobs[job](s, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts = append(opts, dataset.WriteMode(mode))
	switch format {
	case "csv":
		err = d.WriteCSV(context.Background(), out, opts...)
	case "json":
		err = d.WriteJSON(context.Background(), out, opts...)
	default:
		err = d.WriteParquet(context.Background(), out, opts...)
	}
	if err != nil {
		t.Fatal(err)
	}
}
