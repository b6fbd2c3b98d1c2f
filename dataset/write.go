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
	"github.com/kindling-data/kindling/storage"
)

// WriteOption adjusts WriteParquet and WriteCSV.
type WriteOption func(*writeOptions)

type writeOptions struct {
	overwrite bool
	csv       datasource.CSVWriteOptions
}

// Overwrite replaces an existing output directory (atomically, once the job succeeded).
// Without it, writing to an existing directory is an error.
func Overwrite() WriteOption { return func(o *writeOptions) { o.overwrite = true } }

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

func (d *Dataset) write(ctx context.Context, action, dir, format string, opts []WriteOption) error {
	o := writeOptions{csv: datasource.CSVWriteOptions{Header: true}}
	for _, opt := range opts {
		opt(&o)
	}
	schema, err := d.Schema()
	if err != nil {
		return err
	}
	// The write is one job for Session.Close from its first file to the commit's renames:
	// Close waits for it, and a write that Close ended commits nothing.
	ctx, end, err := d.s.beginJob(ctx)
	if err != nil {
		return fmt.Errorf("dataset: %s: %w", action, err)
	}
	defer end()
	c, err := datasource.NewDirectoryCommitter(dir, o.overwrite, datasource.CommitFS(d.s.fs))
	if err != nil {
		return fmt.Errorf("dataset: %s: %w", action, err)
	}
	sink := &fileSink{committer: c, format: format, schema: schema, csv: o.csv}
	if _, err := d.run(ctx, action, sink); err != nil {
		return errors.Join(err, c.AbortJob())
	}
	if sink.files.Load() == 0 {
		// An empty result still gets one file, so that readers see the schema.
		t, err := sink.NewTask(0, 1, memory.DefaultAllocator)
		if err == nil {
			ft := t.(*fileTask)
			err = ft.open()
			if err == nil {
				err = ft.Commit()
			}
		}
		if err != nil {
			return errors.Join(fmt.Errorf("dataset: %s: %w", action, err), c.AbortJob())
		}
	}
	if context.Cause(ctx) == ErrSessionClosed {
		return errors.Join(fmt.Errorf("dataset: %s: %w", action, ErrSessionClosed), c.AbortJob())
	}
	if err := c.CommitJob(); err != nil {
		return errors.Join(fmt.Errorf("dataset: %s: %w", action, err), c.AbortJob())
	}
	return nil
}

// batchWriter is what the Parquet and CSV file writers have in common.
type batchWriter interface {
	Write(rec arrow.RecordBatch) error
	Close() error
}

type fileSink struct {
	committer *datasource.DirectoryCommitter
	format    string
	schema    *arrow.Schema
	csv       datasource.CSVWriteOptions
	files     atomic.Int64 // part files written
}

type fileTask struct {
	sink *fileSink
	path string
	mem  memory.Allocator
	w    batchWriter
}

func (f *fileSink) NewTask(partition, attempt int, mem memory.Allocator) (exec.TaskSink, error) {
	ext := f.format
	if ext == "checkpoint" {
		ext = exec.CheckpointExt
	}
	return &fileTask{sink: f, path: f.committer.TaskPath(partition, ext), mem: mem}, nil
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
	f, err := t.sink.committer.FS().Create(t.path)
	if err != nil {
		return fmt.Errorf("dataset: create %s: %w", t.path, err)
	}
	// Each constructor is assigned to t.w only on success: a failed one returns a typed
	// nil pointer, which as a non-nil batchWriter would make Abort call Close on nil.
	var w batchWriter
	switch t.sink.format {
	case "parquet":
		var pw *datasource.ParquetFileWriter
		if pw, err = datasource.NewParquetWriter(f, t.path, t.sink.schema, t.mem); err == nil {
			w = pw
		}
	case "arrow":
		var iw *datasource.IPCFileWriter
		if iw, err = datasource.NewIPCWriter(f, t.path, t.sink.schema, t.mem); err == nil {
			w = iw
		}
	case "checkpoint":
		var sw *storage.StreamWriter
		if sw, err = storage.NewStreamWriter(f, t.sink.schema); err == nil {
			w = &checkpointWriter{f: f, w: sw, path: t.path}
		} else {
			f.Close()
			err = fmt.Errorf("dataset: %s: %w", t.path, err)
		}
	default:
		var cw *datasource.CSVFileWriter
		if cw, err = datasource.NewCSVWriter(f, t.path, t.sink.schema, t.sink.csv); err == nil {
			w = cw
		}
	}
	if err != nil {
		t.sink.committer.FS().Remove(t.path)
		return err
	}
	t.w = w
	return nil
}

// Consume writes the batch, opening the part file at the first batch with rows so that
// empty partitions leave no file.
func (t *fileTask) Consume(ctx context.Context, rec arrow.RecordBatch) error {
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil
	}
	if t.w == nil {
		if err := t.open(); err != nil {
			return err
		}
	}
	return t.w.Write(rec)
}

func (t *fileTask) Commit() error {
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
	if t.w != nil {
		t.w.Close()
		t.w = nil
	}
	t.sink.committer.FS().Remove(t.path)
}
