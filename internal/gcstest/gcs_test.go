package gcstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/internal/objstore"
)

const bucket = "lake"

var server *fakestorage.Server

// TestMain serves an empty fake Cloud Storage over plain HTTP and points kindling at it
// the way a user points a program at an emulator: STORAGE_EMULATOR_HOST.
func TestMain(m *testing.M) {
	var err error
	server, err = fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	os.Setenv("STORAGE_EMULATOR_HOST", server.URL())
	code := m.Run()
	server.Stop()
	os.Exit(code)
}

// upload copies every file under dir into the bucket under prefix, keeping relative
// paths as object names.
func upload(t *testing.T, dir, prefix string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		server.CreateObject(fakestorage.Object{
			ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: prefix + "/" + filepath.ToSlash(rel)},
			Content:     data,
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sample is a table of n rows with int, float and string columns.
func sample(s *dataset.Session, n int) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "g", Type: arrow.PrimitiveTypes.Int64}, {Name: "x", Type: arrow.PrimitiveTypes.Float64},
		{Name: "name", Type: arrow.BinaryTypes.String}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.Int64Builder).Append(int64(i % 7))
		b.Field(2).(*array.Float64Builder).Append(float64(i) / 4)
		b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("n-%d", i*7919%1000))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// rows renders a dataset's rows as sorted strings, in column order.
func rows(t *testing.T, d *dataset.Dataset) []string {
	t.Helper()
	recs, err := d.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		for i := range int(r.NumRows()) {
			var b strings.Builder
			for c := range int(r.NumCols()) {
				fmt.Fprintf(&b, "%s=%s;", r.ColumnName(c), r.Column(c).ValueStr(i))
			}
			out = append(out, b.String())
		}
		r.Release()
	}
	slices.Sort(out)
	return out
}

func newSession(t *testing.T) *dataset.Session {
	t.Helper()
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, MaxPartitionBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestReadFromCloudStorage writes tables in every format locally, uploads the files, and
// reads them back through gs:// paths (a directory, a glob, one object, a partitioned
// table): every read equals the same read of the local files.
func TestReadFromCloudStorage(t *testing.T) {
	s := newSession(t)
	ctx := context.Background()
	dir := t.TempDir()
	src := sample(s, 20_000)
	for _, w := range []struct {
		name  string
		write func(path string) error
	}{
		{"csv", func(p string) error { return src.Repartition(3).WriteCSV(ctx, p) }},
		{"json", func(p string) error { return src.Repartition(3).WriteJSON(ctx, p) }},
		{"parquet", func(p string) error { return src.Repartition(3).WriteParquet(ctx, p) }},
		{"partitioned", func(p string) error { return src.WriteParquet(ctx, p, dataset.PartitionedBy("g")) }},
	} {
		if err := w.write(filepath.Join(dir, w.name)); err != nil {
			t.Fatalf("writing %s: %v", w.name, err)
		}
	}
	upload(t, dir, "tables")
	gs := "gs://" + bucket + "/tables/"
	local := func(p string) string { return filepath.Join(dir, p) }
	reads := []struct {
		name       string
		local, gcs *dataset.Dataset
	}{
		{"csv directory", s.ReadCSV(local("csv")), s.ReadCSV(gs + "csv")},
		{"csv glob", s.ReadCSV(local("csv/*.csv")), s.ReadCSV(gs + "csv/*.csv")},
		{"json directory", s.ReadJSON(local("json")), s.ReadJSON(gs + "json")},
		{"parquet directory", s.ReadParquet(local("parquet")), s.ReadParquet(gs + "parquet")},
		{"parquet with a filter", s.ReadParquet(local("parquet")).Filter(dataset.Col("id").Lt(dataset.Lit(int64(777)))),
			s.ReadParquet(gs + "parquet").Filter(dataset.Col("id").Lt(dataset.Lit(int64(777))))},
		{"partitioned parquet", s.ReadParquet(local("partitioned")), s.ReadParquet(gs + "partitioned")},
		{"partitioned parquet, one partition", s.ReadParquet(local("partitioned")).Filter(dataset.Col("g").Eq(dataset.Lit(int64(3)))),
			s.ReadParquet(gs + "partitioned").Filter(dataset.Col("g").Eq(dataset.Lit(int64(3))))},
	}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			want, got := rows(t, r.local), rows(t, r.gcs)
			if len(want) == 0 {
				t.Fatal("the local read has no rows")
			}
			if !slices.Equal(got, want) {
				t.Fatalf("gs:// read: %d rows, local read %d; first difference at %d", len(got), len(want), firstDiff(got, want))
			}
		})
	}
	// A file of the CSV directory, read alone through gs:// and as a file.
	files, err := filepath.Glob(local("csv/*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CSV files written: %v", err)
	}
	name := filepath.Base(files[0])
	if got, want := rows(t, s.ReadCSV(gs+"csv/"+name)), rows(t, s.ReadCSV(files[0])); !slices.Equal(got, want) {
		t.Fatalf("one object: %d rows, the file %d", len(got), len(want))
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestMissingObject: a gs:// path that names nothing fails the action with an error
// naming the path, and a job over it runs no task.
func TestMissingObject(t *testing.T) {
	s := newSession(t)
	_, err := s.ReadParquet("gs://" + bucket + "/no/such/table").Count(context.Background())
	if err == nil || !strings.Contains(err.Error(), "gs://"+bucket+"/no/such/table") {
		t.Fatalf("reading a missing gs:// path: %v, want an error naming it", err)
	}
	_, err = s.ReadCSV("gs://no-such-bucket/x.csv").Count(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("reading from a missing bucket: %v, want an error naming it", err)
	}
}

// TestIncrementalLoadFromBucket: files landing in a bucket are loaded once each into a
// local table: the second run's NewFiles returns only the object that arrived since the
// first run committed, and the table ends with every landed row once.
func TestIncrementalLoadFromBucket(t *testing.T) {
	s := newSession(t)
	ctx := context.Background()
	target := filepath.Join(t.TempDir(), "events")
	land := func(name string, lines ...string) {
		server.CreateObject(fakestorage.Object{
			ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: "landing/" + name},
			Content:     []byte("id,amount\n" + strings.Join(lines, "\n") + "\n"),
		})
	}
	run := func() []string {
		l, err := s.IncrementalLoad(target, "landing")
		if err != nil {
			t.Fatal(err)
		}
		files, err := l.NewFiles("gs://" + bucket + "/landing/*.csv")
		if err != nil {
			t.Fatal(err)
		}
		if len(files) > 0 {
			err = s.ReadCSV(files...).WriteParquet(ctx, target, dataset.WriteMode(dataset.ModeAppend), dataset.CommitLoad(l))
			if err != nil {
				t.Fatal(err)
			}
		}
		return files
	}
	land("day1.csv", "1,10", "2,20")
	land("day2.csv", "3,30")
	if got := run(); len(got) != 2 {
		t.Fatalf("first run loaded %v, want both landed files", got)
	}
	land("day3.csv", "4,40", "5,50")
	if got := run(); !slices.Equal(got, []string{"gs://" + bucket + "/landing/day3.csv"}) {
		t.Fatalf("second run loaded %v, want only day3.csv", got)
	}
	if got := run(); len(got) != 0 {
		t.Fatalf("a run with nothing new loaded %v", got)
	}
	l, err := s.IncrementalLoad(target, "landing")
	if err != nil {
		t.Fatal(err)
	}
	if loaded := l.LoadedFiles(); !slices.Contains(loaded, "gs://"+bucket+"/landing/day1.csv") || len(loaded) != 3 {
		t.Fatalf("the load's state names %v, want the three objects' gs:// paths", loaded)
	}
	want := []string{"amount=10;id=1;", "amount=20;id=2;", "amount=30;id=3;", "amount=40;id=4;", "amount=50;id=5;"}
	if got := rows(t, s.ReadParquet(target).Select(dataset.Col("amount"), dataset.Col("id"))); !slices.Equal(got, want) {
		t.Fatalf("the table holds %v, want %v", got, want)
	}
}

// The client's writes: an upload appears whole and reads back; IfAbsent refuses a name
// that exists, AnyGeneration replaces it; a delete removes it, and a second names it as
// missing.
func TestUploadAndDelete(t *testing.T) {
	ctx := t.Context()
	c, err := objstore.Default()
	if err != nil {
		t.Fatal(err)
	}
	const name = "writes/part-0.bin"
	first := bytes.Repeat([]byte("kindling "), 100_000)
	info, err := c.Upload(ctx, bucket, name, bytes.NewReader(first), int64(len(first)), objstore.IfAbsent)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(first)) || info.Generation <= 0 {
		t.Fatalf("uploaded %+v, want %d bytes and a generation", info, len(first))
	}
	if got := readObject(t, c, name); !bytes.Equal(got, first) {
		t.Fatalf("read back %d bytes, want the %d uploaded", len(got), len(first))
	}
	second := []byte("replaced")
	if _, err := c.Upload(ctx, bucket, name, bytes.NewReader(second), int64(len(second)), objstore.IfAbsent); !errors.Is(err, objstore.ErrPrecondition) {
		t.Fatalf("IfAbsent upload over an existing object: %v, want ErrPrecondition", err)
	}
	if _, err := c.Upload(ctx, bucket, name, bytes.NewReader(second), int64(len(second)), objstore.AnyGeneration); err != nil {
		t.Fatal(err)
	}
	if got := readObject(t, c, name); !bytes.Equal(got, second) {
		t.Fatalf("read back %q after replacing, want %q", got, second)
	}
	if err := c.Delete(ctx, bucket, name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stat(ctx, bucket, name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat after delete: %v, want fs.ErrNotExist", err)
	}
	if err := c.Delete(ctx, bucket, name); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), name) {
		t.Fatalf("delete of a missing object: %v, want fs.ErrNotExist naming it", err)
	}
}

func readObject(t *testing.T, c *objstore.Client, name string) []byte {
	t.Helper()
	o, err := c.Open(t.Context(), bucket, name)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	data, err := io.ReadAll(o)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// listNames lists the object names under prefix.
func listNames(t *testing.T, prefix string) []string {
	t.Helper()
	c, err := objstore.Default()
	if err != nil {
		t.Fatal(err)
	}
	objs, _, err := c.List(t.Context(), bucket, prefix, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, strings.TrimPrefix(o.Name, prefix))
	}
	return out
}

// TestWriteToCloudStorage writes tables to gs:// prefixes in every format and save mode
// and reads them back: each read equals the rows written (twice after an append, the new
// ones after an overwrite, the untouched partitions kept by a partition overwrite); a
// table that exists refuses ErrorIfExists and keeps its objects; every committed table
// has _SUCCESS; a missing bucket fails the write, naming it; no staging directory is left.
func TestWriteToCloudStorage(t *testing.T) {
	s := newSession(t)
	ctx := t.Context()
	src := sample(s, 20_000)
	want := rows(t, src)
	schema, err := src.Schema()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name  string
		write func(d *dataset.Dataset, path string, opts ...dataset.WriteOption) error
		read  func(path string) *dataset.Dataset
	}{
		{"parquet", func(d *dataset.Dataset, p string, o ...dataset.WriteOption) error {
			return d.WriteParquet(ctx, p, o...)
		},
			func(p string) *dataset.Dataset { return s.ReadParquet(p) }},
		{"csv", func(d *dataset.Dataset, p string, o ...dataset.WriteOption) error { return d.WriteCSV(ctx, p, o...) },
			func(p string) *dataset.Dataset { return s.ReadCSVWith(dataset.CSVOptions{Schema: schema}, p) }},
		{"json", func(d *dataset.Dataset, p string, o ...dataset.WriteOption) error { return d.WriteJSON(ctx, p, o...) },
			func(p string) *dataset.Dataset { return s.ReadJSON(p).SelectColumns("id", "g", "x", "name") }},
	} {
		t.Run(f.name, func(t *testing.T) {
			path := "gs://" + bucket + "/out/" + f.name
			if err := f.write(src, path); err != nil {
				t.Fatal(err)
			}
			if got := rows(t, f.read(path)); !slices.Equal(got, want) {
				t.Fatalf("read back %d rows, want the %d written (first difference at %d)", len(got), len(want), firstDiff(got, want))
			}
			if names := listNames(t, "out/"+f.name+"/"); !slices.Contains(names, "_SUCCESS") {
				t.Fatalf("objects %v: no _SUCCESS", names)
			}
			if err := f.write(src, path); err == nil || !strings.Contains(err.Error(), "exists") {
				t.Fatalf("a second write without a mode: %v, want an error saying the output exists", err)
			}
			if err := f.write(src, path, dataset.WriteMode(dataset.ModeAppend)); err != nil {
				t.Fatal(err)
			}
			twice := slices.Sorted(slices.Values(append(slices.Clone(want), want...)))
			if got := rows(t, f.read(path)); !slices.Equal(got, twice) {
				t.Fatalf("after an append: %d rows, want %d", len(got), len(twice))
			}
			fewer := src.Filter(dataset.Col("g").Eq(dataset.Lit(int64(3))))
			if err := f.write(fewer, path, dataset.Overwrite()); err != nil {
				t.Fatal(err)
			}
			if got, want := rows(t, f.read(path)), rows(t, fewer); !slices.Equal(got, want) {
				t.Fatalf("after an overwrite: %d rows, want the %d written", len(got), len(want))
			}
		})
	}

	t.Run("partitions", func(t *testing.T) {
		path := "gs://" + bucket + "/out/partitioned"
		if err := src.WriteParquet(ctx, path, dataset.PartitionedBy("g")); err != nil {
			t.Fatal(err)
		}
		if got := rows(t, s.ReadParquet(path).SelectColumns("id", "g", "x", "name")); !slices.Equal(got, want) {
			t.Fatalf("partitioned table: %d rows, want %d", len(got), len(want))
		}
		// Replace partition g=3 with a tenth of its rows; the others stay.
		tenth := src.Filter(dataset.Col("g").Eq(dataset.Lit(int64(3))).And(dataset.Col("id").Lt(dataset.Lit(int64(2000)))))
		if err := tenth.WriteParquet(ctx, path, dataset.PartitionedBy("g"), dataset.WriteMode(dataset.ModeOverwritePartitions)); err != nil {
			t.Fatal(err)
		}
		expect := rows(t, src.Filter(dataset.Col("g").NotEq(dataset.Lit(int64(3)))).Union(tenth))
		if got := rows(t, s.ReadParquet(path).SelectColumns("id", "g", "x", "name")); !slices.Equal(got, expect) {
			t.Fatalf("after a partition overwrite: %d rows, want %d", len(got), len(expect))
		}
	})

	if err := src.WriteParquet(ctx, "gs://no-such-bucket/out"); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("a write into a missing bucket: %v, want an error naming it", err)
	}
	var ents []string
	ents, err = filepath.Glob(filepath.Join(os.TempDir(), "kindling-output-*"))
	if err != nil || len(ents) != 0 {
		t.Fatalf("staging directories left: %v %v", ents, err)
	}
}
