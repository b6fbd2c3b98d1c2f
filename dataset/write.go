package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/exec"
	"github.com/kindling-data/kindling/internal/vfs"
	"github.com/kindling-data/kindling/storage"
)

// WriteOption adjusts WriteParquet, WriteCSV and the other writes.
type WriteOption func(*writeOptions)

type writeOptions struct {
	mode        SaveMode
	partitionBy []string
	csv         datasource.CSVWriteOptions
	parquet     datasource.ParquetWriteOptions
	load        *IncrementalLoad // CommitLoad's
	replaceDirs []string         // partitions replaced even if unwritten (a merge's)
	lineageJob  string           // LineageJobName's
}

// LineageJobName names the write's OpenLineage job (by default Config.Lineage.Job and
// the output directory's base name), so that two tables of one name in different
// directories (ods/orders, fact/orders) are two jobs.
func LineageJobName(name string) WriteOption {
	return func(o *writeOptions) { o.lineageJob = name }
}

// SaveMode says what a write does when its output directory exists: ModeErrorIfExists
// (the default), ModeOverwrite, ModeAppend or ModeOverwritePartitions; WriteMode sets it.
type SaveMode = datasource.SaveMode

// The save modes, as Spark's SaveMode and its dynamic partitionOverwriteMode.
const (
	// ModeErrorIfExists fails the write if the output directory exists.
	ModeErrorIfExists SaveMode = datasource.ErrorIfExists
	// ModeOverwrite replaces the whole output directory, atomically.
	ModeOverwrite SaveMode = datasource.Overwrite
	// ModeAppend adds the job's files to the table (created if missing). The files
	// appear together when the job commits; file names carry the job's id.
	ModeAppend SaveMode = datasource.Append
	// ModeOverwritePartitions replaces only the partition directories the job writes
	// (Spark's dynamic partition overwrite) and leaves the others untouched. Without
	// PartitionedBy it is ModeOverwrite.
	ModeOverwritePartitions SaveMode = datasource.OverwritePartitions
)

// WriteMode sets what the write does when the output directory exists.
func WriteMode(m SaveMode) WriteOption { return func(o *writeOptions) { o.mode = m } }

// Overwrite replaces an existing output directory (atomically, once the job succeeded):
// WriteMode(ModeOverwrite). Without it, writing to an existing directory is an error.
func Overwrite() WriteOption { return WriteMode(ModeOverwrite) }

// PartitionedBy lays the output out in the Hive layout, a directory per value of each
// column in turn (day=2024-01-01/region=eu/part-00000.parquet), as Spark's partitionBy.
// The files do not hold the partition columns; ReadParquet (and the other readers) of the
// table directory add them back, typed from their values, and skip the directories a
// filter on them excludes. NULL and "" are written as __HIVE_DEFAULT_PARTITION__. A
// partition column must be a string, number, boolean, date or timestamp.
func PartitionedBy(columns ...string) WriteOption {
	return func(o *writeOptions) { o.partitionBy = append(o.partitionBy, columns...) }
}

// ParquetRowGroupRows bounds the rows of each row group WriteParquet writes (default
// 262144). Smaller row groups let a reader split a file into more tasks and skip more
// of it by statistics; larger ones compress better.
func ParquetRowGroupRows(n int) WriteOption {
	return func(o *writeOptions) { o.parquet.RowGroupRows = n }
}

// ParquetCompression sets the codec WriteParquet uses: zstd (the default), snappy, gzip,
// brotli, lz4 or none.
func ParquetCompression(codec string) WriteOption {
	return func(o *writeOptions) { o.parquet.Compression = codec }
}

// CSVDelimiter sets the field separator WriteCSV uses (default ',').
func CSVDelimiter(r rune) WriteOption { return func(o *writeOptions) { o.csv.Delimiter = r } }

// CSVNullValue sets the text WriteCSV writes for NULL (default empty).
func CSVNullValue(s string) WriteOption { return func(o *writeOptions) { o.csv.NullValue = s } }

// WriteParquet runs the job and writes the result as a directory of Parquet part files
// (zstd-compressed), one per non-empty partition. The directory appears only when the
// whole job succeeded: a failed or cancelled job leaves no partial output.
func (d *Dataset) WriteParquet(ctx context.Context, dir string, opts ...WriteOption) error {
	return d.write(ctx, "writeParquet", dir, "parquet", opts)
}

// WriteCSV runs the job and writes the result as a directory of CSV part files with a
// header line, committed atomically like WriteParquet.
func (d *Dataset) WriteCSV(ctx context.Context, dir string, opts ...WriteOption) error {
	return d.write(ctx, "writeCSV", dir, "csv", opts)
}

func (d *Dataset) write(ctx context.Context, action, dir, format string, opts []WriteOption) (err error) {
	o := writeOptions{csv: datasource.CSVWriteOptions{Header: true}}
	for _, opt := range opts {
		opt(&o)
	}
	schema, err := d.Schema()
	if err != nil {
		return err
	}
	sink, err := newFileSink(format, schema, o)
	if err != nil {
		return fmt.Errorf("dataset: %s: %w", action, err)
	}
	// The write is one job for Session.Close from its first file to the commit's renames:
	// Close waits for it, and a write that Close ended commits nothing.
	ctx, end, err := d.s.beginJob(ctx)
	if err != nil {
		return fmt.Errorf("dataset: %s: %w", action, err)
	}
	defer end()
	// The lineage run ends (COMPLETE or FAIL) before the job does: Close may then shut the
	// event bus it posts on.
	lin := d.startLineage(action, dir, format, o.lineageJob)
	defer func() { lin.finish(err) }()
	commitOpts := []datasource.CommitOption{datasource.CommitFS(d.s.fs), datasource.CommitContext(ctx),
		datasource.CommitPartitionDepth(len(o.partitionBy)), datasource.CommitReplacePartitions(o.replaceDirs)}
	var loaded loadState
	if o.load != nil {
		var state []byte
		if state, loaded, err = o.load.stateForCommit(dir); err != nil {
			return fmt.Errorf("dataset: %s: %w", action, err)
		}
		commitOpts = append(commitOpts, datasource.CommitState(state))
	}
	c, err := datasource.NewDirectoryCommitter(dir, o.mode, commitOpts...)
	if err != nil {
		return fmt.Errorf("dataset: %s: %w", action, err)
	}
	sink.committer, sink.names, sink.fs = c, c.TaskFiles(), c.FS()
	if _, err := d.run(ctx, action, sink); err != nil {
		return errors.Join(err, c.AbortJob())
	}
	// Expectations were counted in the job; under Fail a failed one commits nothing.
	if err := d.expectationsGate(ctx, action); err != nil {
		return errors.Join(err, c.AbortJob())
	}
	if err := sink.writeEmptyFile(); err != nil {
		return errors.Join(fmt.Errorf("dataset: %s: %w", action, err), c.AbortJob())
	}
	if context.Cause(ctx) == ErrSessionClosed {
		return errors.Join(fmt.Errorf("dataset: %s: %w", action, ErrSessionClosed), c.AbortJob())
	}
	if err := c.CommitJob(); err != nil {
		return errors.Join(fmt.Errorf("dataset: %s: %w", action, err), c.AbortJob())
	}
	if o.load != nil {
		o.load.committedRun(loaded)
	}
	return nil
}

// writeEmptyFile gives an empty result one file, so that readers see the schema, when
// the job makes a new table or replaces one. A partitioned table has no place for it (a
// file beside its partition directories would spoil the layout), and an append adds
// nothing.
func (f *fileSink) writeEmptyFile() error {
	if f.files.Load() > 0 || f.splitCols != nil {
		return nil
	}
	if m := f.committer.Mode(); (m == ModeAppend || m == ModeOverwritePartitions) && f.committer.OutputExists() {
		return nil
	}
	t, err := f.NewTask(0, 1, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	ft := t.(*fileTask)
	if err := ft.open(); err != nil {
		return err
	}
	return ft.Commit()
}

// batchWriter is what the Parquet and CSV file writers have in common.
type batchWriter interface {
	Write(rec arrow.RecordBatch) error
	Close() error
}

type fileSink struct {
	committer  *datasource.DirectoryCommitter // nil for a worker's FileTaskWriter
	names      datasource.TaskFiles           // how tasks name their files
	fs         vfs.FS
	format     string
	schema     *arrow.Schema // the dataset's
	fileSchema *arrow.Schema // the files': schema less the partition columns
	dataCols   []int         // fileSchema's columns in schema
	splitCols  []string      // partition columns, nil when unpartitioned
	csv        datasource.CSVWriteOptions
	parquet    datasource.ParquetWriteOptions
	files      atomic.Int64 // part files written
}

// newFileSink checks the options against the dataset's schema before any task runs, so
// that a bad partition column or codec fails the write at once.
func newFileSink(format string, schema *arrow.Schema, o writeOptions) (*fileSink, error) {
	f := &fileSink{format: format, schema: schema, fileSchema: schema, csv: o.csv, parquet: o.parquet}
	if format == "parquet" {
		if _, err := datasource.ParquetCodec(o.parquet.Compression); err != nil {
			return nil, err
		}
	}
	if len(o.partitionBy) > 0 {
		sp, err := datasource.NewPartitionSplitter(schema, o.partitionBy)
		if err != nil {
			return nil, err
		}
		f.splitCols = o.partitionBy
		f.dataCols = sp.DataColumns(schema.NumFields())
		fields := make([]arrow.Field, len(f.dataCols))
		for i, c := range f.dataCols {
			fields[i] = schema.Field(c)
		}
		md := schema.Metadata()
		f.fileSchema = arrow.NewSchema(fields, &md)
	}
	return f, nil
}

type fileTask struct {
	sink      *fileSink
	partition int
	path      string
	mem       memory.Allocator
	w         batchWriter
	parts     *partitionedFiles // when the sink is partitioned
}

func (f *fileSink) NewTask(partition, attempt int, mem memory.Allocator) (exec.TaskSink, error) {
	t := &fileTask{sink: f, partition: partition, path: f.names.Path(partition, "", 0, f.ext()), mem: mem}
	if f.splitCols != nil {
		sp, err := datasource.NewPartitionSplitter(f.schema, f.splitCols)
		if err != nil {
			return nil, err
		}
		t.parts = &partitionedFiles{task: t, splitter: sp, open: map[string]*partFile{}}
	}
	return t, nil
}

func (f *fileSink) ext() string {
	if f.format == "checkpoint" {
		return exec.CheckpointExt
	}
	return f.format
}

// checkpointWriter writes a checkpoint part in the spill file format, checksummed.
type checkpointWriter struct {
	f    io.WriteCloser
	w    *storage.StreamWriter
	path string
	done bool
}

func (c *checkpointWriter) Write(rec arrow.RecordBatch) error {
	if err := c.w.Write(rec); err != nil {
		return fmt.Errorf("dataset: %s: %w", c.path, err)
	}
	return nil
}

func (c *checkpointWriter) Close() error {
	if c.done {
		return nil
	}
	c.done = true
	err := c.w.Finish()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("dataset: %s: %w", c.path, err)
	}
	return nil
}

func (t *fileTask) open() error {
	w, err := t.sink.newWriter(t.path, t.mem)
	if err != nil {
		return err
	}
	t.w = w
	return nil
}

// newWriter creates path and a writer of the sink's format for the files' schema.
func (f *fileSink) newWriter(path string, mem memory.Allocator) (batchWriter, error) {
	file, err := f.fs.Create(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: create %s: %w", path, err)
	}
	// Each constructor is assigned to w only on success: a failed one returns a typed
	// nil pointer, which as a non-nil batchWriter would make Abort call Close on nil.
	var w batchWriter
	switch f.format {
	case "parquet":
		var pw *datasource.ParquetFileWriter
		if pw, err = datasource.NewParquetWriterWith(file, path, f.fileSchema, mem, f.parquet); err == nil {
			w = pw
		}
	case "arrow":
		var iw *datasource.IPCFileWriter
		if iw, err = datasource.NewIPCWriter(file, path, f.fileSchema, mem); err == nil {
			w = iw
		}
	case "checkpoint":
		var sw *storage.StreamWriter
		if sw, err = storage.NewStreamWriter(file, f.fileSchema); err == nil {
			w = &checkpointWriter{f: file, w: sw, path: path}
		} else {
			file.Close()
			err = fmt.Errorf("dataset: %s: %w", path, err)
		}
	case "json":
		var jw *datasource.JSONFileWriter
		if jw, err = datasource.NewJSONWriter(file, path, f.fileSchema); err == nil {
			w = jw
		}
	default:
		var cw *datasource.CSVFileWriter
		if cw, err = datasource.NewCSVWriter(file, path, f.fileSchema, f.csv); err == nil {
			w = cw
		}
	}
	if err != nil {
		f.fs.Remove(path)
		return nil, err
	}
	return w, nil
}

// Consume writes the batch, opening the part file at the first batch with rows so that
// empty partitions leave no file.
func (t *fileTask) Consume(ctx context.Context, rec arrow.RecordBatch) error {
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil
	}
	if t.parts != nil {
		return t.parts.consume(ctx, rec)
	}
	if t.w == nil {
		if err := t.open(); err != nil {
			return err
		}
	}
	return t.w.Write(rec)
}

func (t *fileTask) Commit() error {
	if t.parts != nil {
		return t.parts.commit()
	}
	if t.w == nil {
		return nil
	}
	err := t.w.Close()
	t.w = nil
	if err == nil {
		t.sink.files.Add(1)
	}
	return err
}

func (t *fileTask) Abort() {
	if t.parts != nil {
		t.parts.abort()
		return
	}
	if t.w != nil {
		t.w.Close()
		t.w = nil
	}
	t.sink.fs.Remove(t.path)
}
