package datasource

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DirectoryCommitter makes a job's output directory appear all at once, as Spark's file
// output committer does: tasks write into a hidden temporary directory next to the output
// directory, and CommitJob renames it into place (a rename within one file system is
// atomic). Readers never see a half-written outDir; a failed job leaves neither outDir nor
// the temporary directory.
type DirectoryCommitter struct {
	outDir    string
	tmpDir    string
	overwrite bool
	done      bool
}

// NewDirectoryCommitter prepares a job writing outDir. It is an error if outDir exists and
// overwrite is false. The temporary directory is created at once (parent directories too).
func NewDirectoryCommitter(outDir string, overwrite bool) (*DirectoryCommitter, error) {
	outDir = filepath.Clean(outDir)
	if _, err := os.Stat(outDir); err == nil && !overwrite {
		return nil, fmt.Errorf("datasource: output directory %s exists", outDir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	parent, base := filepath.Split(outDir)
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+".kindling-")
	if err != nil {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	return &DirectoryCommitter{outDir: outDir, tmpDir: tmp, overwrite: overwrite}, nil
}

// OutDir is the final output directory.
func (c *DirectoryCommitter) OutDir() string { return c.outDir }

// TempDir is the hidden directory tasks write into until the job commits.
func (c *DirectoryCommitter) TempDir() string { return c.tmpDir }

// TaskPath is the file a task writing partition writes, e.g.
// out/.daily.kindling-123/part-00003.parquet. ext may be given with or without its dot.
func (c *DirectoryCommitter) TaskPath(partition int, ext string) string {
	if ext != "" && !strings.HasPrefix(ext, ".") {
		ext = "." + ext
	}
	return filepath.Join(c.tmpDir, fmt.Sprintf("part-%05d%s", partition, ext))
}

// CommitJob writes _SUCCESS and renames the temporary directory to outDir. When
// overwriting, the old outDir is first renamed aside, then removed once the new one is in
// place (and restored if the rename fails). On error the temporary directory is removed.
func (c *DirectoryCommitter) CommitJob() (err error) {
	if c.done {
		return errors.New("datasource: job already committed or aborted")
	}
	c.done = true
	defer func() {
		if err != nil {
			os.RemoveAll(c.tmpDir)
		}
	}()
	if err := os.WriteFile(filepath.Join(c.tmpDir, "_SUCCESS"), nil, 0o644); err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	var old string
	if _, err := os.Stat(c.outDir); err == nil {
		if !c.overwrite {
			return fmt.Errorf("datasource: output directory %s exists", c.outDir)
		}
		old = c.tmpDir + ".old"
		if err := os.Rename(c.outDir, old); err != nil {
			return fmt.Errorf("datasource: moving old output aside: %w", err)
		}
	}
	if err := os.Rename(c.tmpDir, c.outDir); err != nil {
		if old != "" {
			os.Rename(old, c.outDir)
		}
		return fmt.Errorf("datasource: committing %s: %w", c.outDir, err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("datasource: removing old output: %w", err)
		}
	}
	return nil
}

// AbortJob removes the temporary directory and everything tasks wrote. It is safe to call
// after CommitJob (it then does nothing).
func (c *DirectoryCommitter) AbortJob() error {
	if c.done {
		return nil
	}
	c.done = true
	if err := os.RemoveAll(c.tmpDir); err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	return nil
}
