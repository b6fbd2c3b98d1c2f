package datasource

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/kindling-data/kindling/internal/vfs"
)

// DirectoryCommitter makes a job's output directory appear all at once, as Spark's file
// output committer does: tasks write into a hidden temporary directory next to the output
// directory, and CommitJob renames it into place (a rename within one file system is
// atomic). Readers never see a half-written outDir; a failed job leaves neither outDir nor
// the temporary directory.
type DirectoryCommitter struct {
	fs        vfs.FS
	outDir    string
	tmpDir    string
	overwrite bool
	done      bool
}

// CommitOption configures NewDirectoryCommitter.
type CommitOption func(*DirectoryCommitter)

// CommitFS makes the committer and its tasks write through fsys (default: the operating
// system's file system).
func CommitFS(fsys vfs.FS) CommitOption {
	return func(c *DirectoryCommitter) {
		if fsys != nil {
			c.fs = fsys
		}
	}
}

// NewDirectoryCommitter prepares a job writing outDir. It is an error if outDir exists and
// overwrite is false. The temporary directory is created at once (parent directories too).
func NewDirectoryCommitter(outDir string, overwrite bool, opts ...CommitOption) (*DirectoryCommitter, error) {
	c := &DirectoryCommitter{fs: vfs.Default, outDir: filepath.Clean(outDir), overwrite: overwrite}
	for _, o := range opts {
		o(c)
	}
	outDir = c.outDir
	if _, err := c.fs.Stat(outDir); err == nil && !overwrite {
		return nil, fmt.Errorf("datasource: output directory %s exists", outDir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	parent, base := filepath.Split(outDir)
	if parent == "" {
		parent = "."
	}
	if err := c.fs.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	c.tmpDir = filepath.Join(parent, "."+base+".kindling-"+hex.EncodeToString(b[:]))
	if err := c.fs.Mkdir(c.tmpDir, 0o755); err != nil {
		return nil, fmt.Errorf("datasource: %w", err)
	}
	return c, nil
}

// FS returns the file system the committer writes through.
func (c *DirectoryCommitter) FS() vfs.FS { return c.fs }

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
			c.fs.RemoveAll(c.tmpDir)
		}
	}()
	if err := vfs.WriteFile(c.fs, filepath.Join(c.tmpDir, "_SUCCESS"), nil); err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	var old string
	if _, err := c.fs.Stat(c.outDir); err == nil {
		if !c.overwrite {
			return fmt.Errorf("datasource: output directory %s exists", c.outDir)
		}
		old = c.tmpDir + ".old"
		if err := c.fs.Rename(c.outDir, old); err != nil {
			return fmt.Errorf("datasource: moving old output aside: %w", err)
		}
	}
	if err := c.fs.Rename(c.tmpDir, c.outDir); err != nil {
		if old != "" {
			c.fs.Rename(old, c.outDir)
		}
		return fmt.Errorf("datasource: committing %s: %w", c.outDir, err)
	}
	if old != "" {
		if err := c.fs.RemoveAll(old); err != nil {
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
	if err := c.fs.RemoveAll(c.tmpDir); err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	return nil
}
