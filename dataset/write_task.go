package dataset

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/internal/vfs"
)

// FileTaskWriter writes one task's rows of a file write the way a local write's task
// does: the format's writer over the files' schema and, with PartitionedBy, one
// directory per partition value (at most 32 files open at once, then rolled over), the
// files named as names says. It is the part of a write that a distributed runner's
// worker does (the beam module); the runner's driver commits the directory with a
// datasource.DirectoryCommitter whose TaskFiles gave names.
type FileTaskWriter struct {
	task *fileTask
}

// NewFileTaskWriter returns the writer of the files of task, in format ("parquet",
// "csv", "json" or "arrow") under names.Dir, for batches of schema. Of opts, those
// shaping the files count (PartitionedBy, ParquetRowGroupRows, ParquetCompression and the
// CSV options); the save mode is the committer's. Nothing is created before the first
// batch with rows.
func NewFileTaskWriter(format string, schema *arrow.Schema, names datasource.TaskFiles, task int, mem memory.Allocator, opts ...WriteOption) (*FileTaskWriter, error) {
	switch format {
	case "parquet", "csv", "json", "arrow":
	default:
		return nil, fmt.Errorf("dataset: NewFileTaskWriter: unknown format %q (parquet, csv, json, arrow)", format)
	}
	o := writeOptions{csv: datasource.CSVWriteOptions{Header: true}}
	for _, opt := range opts {
		opt(&o)
	}
	sink, err := newFileSink(format, schema, o)
	if err != nil {
		return nil, fmt.Errorf("dataset: NewFileTaskWriter: %w", err)
	}
	sink.names, sink.fs = names, vfs.Default
	t, err := sink.NewTask(task, 1, mem)
	if err != nil {
		return nil, fmt.Errorf("dataset: NewFileTaskWriter: %w", err)
	}
	return &FileTaskWriter{task: t.(*fileTask)}, nil
}

// Write writes rec's rows (it releases rec).
func (w *FileTaskWriter) Write(ctx context.Context, rec arrow.RecordBatch) error {
	return w.task.Consume(ctx, rec)
}

// Commit closes the task's files, complete.
func (w *FileTaskWriter) Commit() error { return w.task.Commit() }

// CommitEmpty gives a task that wrote no row one empty file, so that readers of a new
// table see its schema, as a local write of an empty result does. A partitioned table
// has no place for it: there it fails.
func (w *FileTaskWriter) CommitEmpty() error {
	if w.task.parts != nil {
		return fmt.Errorf("dataset: FileTaskWriter: a partitioned table gets no empty file")
	}
	if w.task.w == nil {
		if err := w.task.open(); err != nil {
			return err
		}
	}
	return w.task.Commit()
}

// Abort closes the task's files and removes them.
func (w *FileTaskWriter) Abort() { w.task.Abort() }

// Files is the number of files the task has closed complete.
func (w *FileTaskWriter) Files() int64 { return w.task.sink.files.Load() }
