package beam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	Format string // "parquet", "csv" or "json"
	Names  datasource.TaskFiles
	// Staging is, for a gs:// output, the committer's staging prefix: a task writes its
	// files on its worker's disk, uploads them there when it succeeded, then a manifest
	// naming them (remoteTaskFiles), since workers share no directory with the driver.
	Staging     string
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
func startWrite(ctx context.Context, opts Options, schema *arrow.Schema) (*datasource.DirectoryCommitter, writeSpec, error) {
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
	c, err := datasource.NewDirectoryCommitter(opts.OutputDir, opts.Mode, datasource.CommitPartitionDepth(len(opts.PartitionedBy)),
		datasource.CommitContext(context.WithoutCancel(ctx)))
	if err != nil {
		return nil, spec, fmt.Errorf("beam: action %s: %w", opts.Action, err)
	}
	spec.Names, spec.Staging = c.TaskFiles(), c.StagingPrefix()
	return c, spec, nil
}

// finishWrite commits the staged files of a pipeline that succeeded: the leftovers of
// failed or duplicated attempts go first; a new or replaced unpartitioned table with no
// row gets one empty file (as a local write does, so that readers see the schema); then
// the committer commits (renaming the staging directory into place, or moving its files
// into an existing table for Append and OverwritePartitions).
func finishWrite(ctx context.Context, c *datasource.DirectoryCommitter, spec writeSpec, schema *arrow.Schema) (int, error) {
	files, err := stagedFiles(spec.Names.Dir)
	if err == nil && spec.Staging != "" {
		var remote int
		remote, err = addRemoteFiles(ctx, c, sharedDir(spec.Staging))
		files += remote
	}
	if err != nil {
		return 0, errors.Join(err, c.AbortJob())
	}
	intoTable := (c.Mode() == dataset.ModeAppend || c.Mode() == dataset.ModeOverwritePartitions) && c.OutputExists()
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
		attempt := fmt.Sprintf("%s%05d-%s", attemptPrefix, t.task, hex.EncodeToString(id[:]))
		// Remote staging: the files wait on this worker's disk until the task succeeded.
		parent := t.spec.Names.Dir
		if t.spec.Staging != "" {
			parent = os.TempDir()
		}
		dir := filepath.Join(parent, attempt)
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
func (t *taskWriter) finish(ctx context.Context, taskErr error) error {
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
	if t.spec.Staging != "" {
		return uploadTaskFiles(ctx, sharedDir(t.spec.Staging), t.task, t.attemptDir)
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

// remoteTaskFiles is the manifest of a task's files under a remote staging prefix: the
// attempt directory they were uploaded into and their paths relative to the output. A
// task writes it last, in one put, so that a manifest names only files that are all
// there; a retried or duplicated task's manifest replaces the earlier one (either names
// a whole attempt), and the attempts no manifest names are removed with the prefix.
type remoteTaskFiles struct {
	Attempt string
	Files   []string
}

func manifestName(task int) string { return fmt.Sprintf("task-%05d.json", task) }

// uploadTaskFiles uploads a succeeded task's files from its attempt directory to the
// staging prefix, then its manifest.
func uploadTaskFiles(ctx context.Context, staging sharedDir, task int, attemptDir string) error {
	m := remoteTaskFiles{Attempt: filepath.Base(attemptDir)}
	err := filepath.WalkDir(attemptDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(attemptDir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		m.Files = append(m.Files, rel)
		return staging.putFile(ctx, m.Attempt+"/"+rel, path)
	})
	if err == nil {
		var data []byte
		if data, err = json.Marshal(m); err == nil {
			err = staging.put(ctx, manifestName(task), data)
		}
	}
	if err != nil {
		return fmt.Errorf("beam: committing task %d: %w", task, err)
	}
	return nil
}

// addRemoteFiles adds to the job the files the tasks' manifests name under the staging
// prefix (the committer copies them in at commit) and returns how many there are.
func addRemoteFiles(ctx context.Context, c *datasource.DirectoryCommitter, staging sharedDir) (int, error) {
	names, err := staging.list(ctx, "task-")
	if err != nil {
		return 0, fmt.Errorf("beam: listing the tasks' files: %w", err)
	}
	files := 0
	for _, name := range names {
		data, err := staging.get(ctx, name)
		if err != nil {
			return 0, fmt.Errorf("beam: %s: %w", staging.path(name), err)
		}
		var m remoteTaskFiles
		if err := json.Unmarshal(data, &m); err != nil {
			return 0, fmt.Errorf("beam: %s: %w", staging.path(name), err)
		}
		for _, rel := range m.Files {
			if err := c.AddStagedObject(rel, staging.path(m.Attempt+"/"+rel)); err != nil {
				return 0, err
			}
		}
		files += len(m.Files)
	}
	return files, nil
}
