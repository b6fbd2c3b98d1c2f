package beam

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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
)

// writeSpec tells a result task where and how to write its part file. Dir is the
// committer's hidden staging directory next to the output, which Run renames into place
// once the whole pipeline succeeded: readers never see a partial table.
type writeSpec struct {
	Format string // "parquet" or "csv"
	Dir    string
}

// formatOf returns the file format of a write action ("" for the other actions).
func formatOf(action string) string {
	switch action {
	case actionWriteParquet:
		return "parquet"
	case actionWriteCSV:
		return "csv"
	}
	return ""
}

// startWrite checks a write's options and prepares its commit before submission, so
// that an existing output (without Overwrite) or an unsupported mode fails at once.
func startWrite(opts Options) (*datasource.DirectoryCommitter, error) {
	if opts.OutputDir == "" {
		return nil, fmt.Errorf("beam: action %s needs Options.OutputDir", opts.Action)
	}
	switch opts.Mode {
	case dataset.ModeErrorIfExists, dataset.ModeOverwrite:
	default:
		return nil, fmt.Errorf("beam: action %s: save mode %v is not supported on Beam yet (ErrorIfExists, Overwrite)", opts.Action, opts.Mode)
	}
	c, err := datasource.NewDirectoryCommitter(opts.OutputDir, opts.Mode)
	if err != nil {
		return nil, fmt.Errorf("beam: action %s: %w", opts.Action, err)
	}
	return c, nil
}

// finishWrite commits the staged part files of a pipeline that succeeded: the leftovers
// of failed or duplicated attempts go first, an empty result gets one empty file (as a
// local write does, so that readers see the schema), then the staging directory is
// renamed into place.
func finishWrite(c *datasource.DirectoryCommitter, spec writeSpec, schema *arrow.Schema) (int, error) {
	entries, err := os.ReadDir(spec.Dir)
	if err != nil {
		return 0, errors.Join(err, c.AbortJob())
	}
	files := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), attemptPrefix) {
			if err := os.RemoveAll(filepath.Join(spec.Dir, e.Name())); err != nil {
				return 0, errors.Join(err, c.AbortJob())
			}
			continue
		}
		files++
	}
	if files == 0 {
		w, err := newPartWriter(spec, 0, schema, memory.DefaultAllocator)
		if err == nil {
			err = w.commit()
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

// attemptPrefix names the per-attempt directories under the staging directory: an
// attempt writes its part file there and renames it up when the task succeeded, so that
// a failed attempt's half file is never committed and two attempts never share a file.
const attemptPrefix = ".attempt-"

// partWriter writes one task attempt's part file.
type partWriter struct {
	w           batchWriter
	attemptDir  string
	path, final string
}

// batchWriter is what kindling's Parquet and CSV file writers have in common.
type batchWriter interface {
	Write(rec arrow.RecordBatch) error
	Close() error
}

// newPartWriter creates the part file of task in a new attempt directory.
func newPartWriter(spec writeSpec, task int, schema *arrow.Schema, mem memory.Allocator) (*partWriter, error) {
	var id [6]byte
	_, _ = rand.Read(id[:])
	dir := filepath.Join(spec.Dir, fmt.Sprintf("%s%05d-%s", attemptPrefix, task, hex.EncodeToString(id[:])))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("beam: writing part %d: %w", task, err)
	}
	name := fmt.Sprintf("part-%05d.%s", task, spec.Format)
	p := &partWriter{attemptDir: dir, path: filepath.Join(dir, name), final: filepath.Join(spec.Dir, name)}
	f, err := os.Create(p.path)
	if err == nil {
		switch spec.Format {
		case "parquet":
			var pw *datasource.ParquetFileWriter
			if pw, err = datasource.NewParquetWriter(f, p.path, schema, mem); err == nil {
				p.w = pw
			}
		default:
			var cw *datasource.CSVFileWriter
			if cw, err = datasource.NewCSVWriter(f, p.path, schema, datasource.CSVWriteOptions{Header: true}); err == nil {
				p.w = cw
			}
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("beam: writing part %d: %w", task, err)
	}
	return p, nil
}

// commit closes the file and renames it into the staging directory. A duplicate attempt
// of the same task renames the same content over it (tasks are deterministic).
func (p *partWriter) commit() error {
	err := p.w.Close()
	if err == nil {
		err = os.Rename(p.path, p.final)
	}
	os.RemoveAll(p.attemptDir)
	if err != nil {
		return fmt.Errorf("beam: committing %s: %w", p.final, err)
	}
	return nil
}

// abort drops the attempt's file.
func (p *partWriter) abort() {
	p.w.Close()
	os.RemoveAll(p.attemptDir)
}

// taskWriter is a result task's sink under a write action: the part file is created at
// the first batch with rows, so that an empty partition leaves no file (as locally).
type taskWriter struct {
	spec   writeSpec
	task   int
	schema *arrow.Schema
	mem    memory.Allocator
	w      *partWriter
}

func (t *taskWriter) write(rec arrow.RecordBatch) error {
	defer rec.Release()
	if rec.NumRows() == 0 {
		return nil
	}
	if t.w == nil {
		w, err := newPartWriter(t.spec, t.task, t.schema, t.mem)
		if err != nil {
			return err
		}
		t.w = w
	}
	return t.w.Write(rec)
}

// Write implements batchWriter for the open part file.
func (p *partWriter) Write(rec arrow.RecordBatch) error { return p.w.Write(rec) }

// finish commits the part file if the task succeeded, and drops it if not.
func (t *taskWriter) finish(taskErr error) error {
	if t.w == nil {
		return taskErr
	}
	if taskErr != nil {
		t.w.abort()
		return taskErr
	}
	return t.w.commit()
}
