package beam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/datasource"
)

// The write actions: the result stage's tasks write part files themselves, and Run
// commits them after the pipeline succeeded.
const (
	actionWriteParquet = "writeParquet"
	actionWriteCSV     = "writeCSV"
	actionWriteJSON    = "writeJSON"
)

// writeSpec tells a result task where and how to write its files: Names are the
// driver's committer's (its hidden staging directory next to the output, and the job's
// id for appending writes), which Run commits once the whole pipeline succeeded: readers
// never see a partial table.
type writeSpec struct {
	Format      string // "parquet", "csv" or "json"
	Names       datasource.TaskFiles
	PartitionBy []string
	// The file options of Options, zero for the defaults.
	RowGroupRows int
	Compression  string
	Delimiter    rune
	NullValue    string
}

// formatOf returns the file format of a write action ("" for the other actions).
func formatOf(action string) string {
	switch action {
	case actionWriteParquet:
		return "parquet"
	case actionWriteCSV:
		return "csv"
	case actionWriteJSON:
		return "json"
	}
	return ""
}

// options are the write options the tasks write with.
func (w writeSpec) options() []dataset.WriteOption {
	var opts []dataset.WriteOption
	if len(w.PartitionBy) > 0 {
		opts = append(opts, dataset.PartitionedBy(w.PartitionBy...))
	}
	if w.RowGroupRows > 0 {
		opts = append(opts, dataset.ParquetRowGroupRows(w.RowGroupRows))
	}
	if w.Compression != "" {
		opts = append(opts, dataset.ParquetCompression(w.Compression))
	}
	if w.Delimiter != 0 {
		opts = append(opts, dataset.CSVDelimiter(w.Delimiter))
	}
	if w.NullValue != "" {
		opts = append(opts, dataset.CSVNullValue(w.NullValue))
	}
	return opts
}

// startWrite checks a write's options and prepares its commit before submission, so
// that an existing output (with ErrorIfExists), a bad partition column or an unknown codec
// fails at once.
func startWrite(opts Options, schema *arrow.Schema) (*datasource.DirectoryCommitter, writeSpec, error) {
	spec := writeSpec{Format: formatOf(opts.Action), PartitionBy: opts.PartitionedBy, RowGroupRows: opts.ParquetRowGroupRows,
		Compression: opts.ParquetCompression, Delimiter: opts.CSVDelimiter, NullValue: opts.CSVNullValue}
	if opts.OutputDir == "" {
		return nil, spec, fmt.Errorf("beam: action %s needs Options.OutputDir", opts.Action)
	}
	// The tasks' writer checks the format and the partition columns against the schema
	// without creating anything.
	if _, err := dataset.NewFileTaskWriter(spec.Format, schema, datasource.TaskFiles{}, 0, memory.DefaultAllocator, spec.options()...); err != nil {
		return nil, spec, fmt.Errorf("beam: action %s: %w", opts.Action, err)
	}
	c, err := datasource.NewDirectoryCommitter(opts.OutputDir, opts.Mode, datasource.CommitPartitionDepth(len(opts.PartitionedBy)))
	if err != nil {
		return nil, spec, fmt.Errorf("beam: action %s: %w", opts.Action, err)
	}
	spec.Names = c.TaskFiles()
	return c, spec, nil
}

// finishWrite commits the staged files of a pipeline that succeeded: the leftovers of
// failed or duplicated attempts go first; a new or replaced unpartitioned table with no
// row gets one empty file (as a local write does, so that readers see the schema); then
// the committer commits (renaming the staging directory into place, or moving its files
// into an existing table for Append and OverwritePartitions).
func finishWrite(c *datasource.DirectoryCommitter, spec writeSpec, schema *arrow.Schema) (int, error) {
	files, err := stagedFiles(spec.Names.Dir)
	if err != nil {
		return 0, errors.Join(err, c.AbortJob())
	}
	_, statErr := os.Stat(c.OutDir())
	intoTable := (c.Mode() == dataset.ModeAppend || c.Mode() == dataset.ModeOverwritePartitions) && statErr == nil
	if files == 0 && len(spec.PartitionBy) == 0 && !intoTable {
		w, err := dataset.NewFileTaskWriter(spec.Format, schema, spec.Names, 0, memory.DefaultAllocator, spec.options()...)
		if err == nil {
			err = w.CommitEmpty()
		}
		if err != nil {
			return 0, errors.Join(err, c.AbortJob())
		}
		files = 1
	}
	if err := c.CommitJob(); err != nil {
		return 0, errors.Join(err, c.AbortJob())
	}
	return files, nil
}

// stagedFiles removes the attempt directories left in the staging directory and counts
// the files committed there.
func stagedFiles(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), attemptPrefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return 0, err
			}
		}
	}
	files := 0
	err = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return err
	})
	return files, err
}

// attemptPrefix names the per-attempt directories under the staging directory: an
// attempt writes its files there and moves them up when the task succeeded, so that a
// failed attempt's half file is never committed and two attempts never share a file.
const attemptPrefix = ".attempt-"

// taskWriter is a result task's sink under a write action: the task's files are written
// as a local write's task writes them (dataset.FileTaskWriter), into an attempt
// directory created at the first batch with rows, so that an empty partition leaves no
// file (as locally).
type taskWriter struct {
	spec       writeSpec
	task       int
	schema     *arrow.Schema
	mem        memory.Allocator
	attemptDir string
	w          *dataset.FileTaskWriter
}

func (t *taskWriter) write(ctx context.Context, rec arrow.RecordBatch) error {
	if rec.NumRows() == 0 {
		rec.Release()
		return nil
	}
	if t.w == nil {
		var id [6]byte
		_, _ = rand.Read(id[:])
		dir := filepath.Join(t.spec.Names.Dir, fmt.Sprintf("%s%05d-%s", attemptPrefix, t.task, hex.EncodeToString(id[:])))
		if err := os.Mkdir(dir, 0o755); err != nil {
			rec.Release()
			return fmt.Errorf("beam: writing task %d: %w", t.task, err)
		}
		names := t.spec.Names
		names.Dir = dir
		w, err := dataset.NewFileTaskWriter(t.spec.Format, t.schema, names, t.task, t.mem, t.spec.options()...)
		if err != nil {
			os.RemoveAll(dir)
			rec.Release()
			return fmt.Errorf("beam: writing task %d: %w", t.task, err)
		}
		t.w, t.attemptDir = w, dir
	}
	return t.w.Write(ctx, rec)
}

// finish commits the task's files if the task succeeded, and drops them if not.
func (t *taskWriter) finish(taskErr error) error {
	if t.w == nil {
		return taskErr
	}
	defer os.RemoveAll(t.attemptDir)
	if taskErr != nil {
		t.w.Abort()
		return taskErr
	}
	if err := t.w.Commit(); err != nil {
		t.w.Abort()
		return err
	}
	if err := moveUp(t.attemptDir, t.spec.Names.Dir); err != nil {
		return fmt.Errorf("beam: committing task %d: %w", t.task, err)
	}
	return nil
}

// moveUp renames every file under from to the same relative path under to. A duplicate
// attempt of the same task renames the same content over it (tasks are deterministic).
func moveUp(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.Rename(path, dst)
	})
}
