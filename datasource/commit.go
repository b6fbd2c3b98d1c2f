package datasource

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/kindling-data/kindling/internal/objstore"
	"github.com/kindling-data/kindling/internal/vfs"
)

// DirectoryCommitter makes a job's output directory appear all at once, as Spark's file
// output committer does: tasks write into a hidden temporary directory next to the output
// directory, and CommitJob renames it into place (a rename within one file system is
// atomic). Readers never see a half-written outDir; a failed job leaves neither outDir nor
// the temporary directory.
//
// A process killed mid-job cannot clean up, so each job holds an advisory lock on a
// sibling file (.out.kindling-ID.lock) while its temporary directory (.out.kindling-ID)
// and, when overwriting, the moved-aside old output (.out.kindling-ID.old) exist. The next
// job writing outDir recovers what a dead job left (RecoverOutput): the old output is put
// back if the new one was not yet in place, and the rest is removed. A live job's lock
// keeps its files safe.
//
//	overwrite:  lock ─► write tmp ─► rename out → ID.old ─► rename tmp → out ─► remove ID.old ─► unlock
//	killed here:                                   (no out: recovery renames ID.old back)
//
// Append and OverwritePartitions add to a table that stays in place, so they cannot swap
// directories: they commit by renaming the temporary directory to .out.kindling-ID.commit
// (the commit point), then moving its files (or, for OverwritePartitions, its partition
// directories, the old ones moved aside to ID.old) into outDir. Every step is idempotent,
// so a job killed after its commit point is rolled forward by RecoverOutput, and one
// killed before it leaves nothing. A reader listing outDir while the moves run may see
// some of the new files and not others.
type DirectoryCommitter struct {
	fs     vfs.FS
	outDir string
	tmpDir string
	id     string
	lock   io.Closer
	mode   SaveMode
	depth  int      // partition columns, for OverwritePartitions
	purge  []string // partition directories OverwritePartitions replaces even if unwritten
	state  []byte   // the table's new state file, committed with the data
	done   bool
	// ctx bounds an object store's requests (CommitContext); objects is set when the
	// output is a gs:// prefix.
	ctx     context.Context
	objects *objectOutput
}

// SaveMode says what a write does when its output directory exists, as Spark's SaveMode
// and partitionOverwriteMode do.
type SaveMode int

const (
	// ErrorIfExists fails the write if the output directory exists (the default).
	ErrorIfExists SaveMode = iota
	// Overwrite replaces the whole output directory.
	Overwrite
	// Append adds the job's files to the output directory (created if missing); file
	// names carry the job's id, so they never collide with earlier appends.
	Append
	// OverwritePartitions replaces the partition directories the job writes and leaves
	// the others (Spark's dynamic partition overwrite). Without partition columns it is
	// Overwrite.
	OverwritePartitions
)

func (m SaveMode) String() string {
	switch m {
	case ErrorIfExists:
		return "error-if-exists"
	case Overwrite:
		return "overwrite"
	case Append:
		return "append"
	case OverwritePartitions:
		return "overwrite-partitions"
	}
	return fmt.Sprintf("SaveMode(%d)", int(m))
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

const (
	tempInfix    = ".kindling-"
	oldSuffix    = ".old"
	lockSuffix   = ".lock"
	commitSuffix = ".commit"
)

// CommitReplacePartitions names partition directories (day=2024-01-01/region=eu) that an
// OverwritePartitions job replaces even if it writes no row into them: they are removed
// from the table. A merge that deletes every row of a partition needs it.
func CommitReplacePartitions(dirs []string) CommitOption {
	return func(c *DirectoryCommitter) { c.purge = append(c.purge, dirs...) }
}

// StateFile is the name of the file in a table directory that holds the state of the
// incremental loads into it (which files and watermarks they have loaded). It is
// committed with the data it describes.
const StateFile = "_kindling_state.json"

// CommitState makes the job commit data as the table's new StateFile, in the same
// commit as the job's files: a reader sees both or neither.
func CommitState(data []byte) CommitOption {
	return func(c *DirectoryCommitter) { c.state = data }
}

// CommitPartitionDepth tells the committer how many partition columns the job's
// directories have (for OverwritePartitions, which replaces directories at that depth).
func CommitPartitionDepth(n int) CommitOption {
	return func(c *DirectoryCommitter) { c.depth = n }
}

// NewDirectoryCommitter prepares a job writing outDir. It is an error if outDir exists and
// mode is ErrorIfExists. What a killed job writing outDir left behind is recovered first
// (RecoverOutput). The temporary directory is created at once (parent directories too),
// mode 0755 before the umask, as the output directory will have.
func NewDirectoryCommitter(outDir string, mode SaveMode, opts ...CommitOption) (*DirectoryCommitter, error) {
	c := &DirectoryCommitter{fs: vfs.Default, outDir: outDir, mode: mode, ctx: context.Background()}
	for _, o := range opts {
		o(c)
	}
	if c.mode == OverwritePartitions && c.depth == 0 {
		c.mode = Overwrite
	}
	if objstore.IsGS(outDir) {
		return newObjectCommitter(c, outDir)
	}
	c.outDir = filepath.Clean(outDir)
	outDir = c.outDir
	if err := RecoverOutput(c.fs, outDir); err != nil {
		return nil, err
	}
	if _, err := c.fs.Stat(outDir); err == nil && c.mode == ErrorIfExists {
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
	c.id = hex.EncodeToString(b[:])
	c.tmpDir = filepath.Join(parent, "."+base+tempInfix+c.id)
	lock, err := c.fs.Lock(c.tmpDir + lockSuffix)
	if err != nil {
		return nil, fmt.Errorf("datasource: lock output %s: %w", outDir, err)
	}
	c.lock = lock
	// MkdirTemp would make the directory 0700, and the rename would keep that: other users
	// could not read the output. 0755 less the umask is what Spark and Hadoop give.
	if err := c.fs.Mkdir(c.tmpDir, 0o755); err != nil {
		c.unlock()
		return nil, fmt.Errorf("datasource: %w", err)
	}
	return c, nil
}

// unlock releases the job's lock and removes its file; the job's other files are gone.
func (c *DirectoryCommitter) unlock() {
	if c.lock == nil {
		return
	}
	c.fs.Remove(c.tmpDir + lockSuffix)
	c.lock.Close()
	c.lock = nil
}

// FS returns the file system the committer writes through.
func (c *DirectoryCommitter) FS() vfs.FS { return c.fs }

// OutDir is the final output directory.
func (c *DirectoryCommitter) OutDir() string { return c.outDir }

// TempDir is the hidden directory tasks write into until the job commits.
func (c *DirectoryCommitter) TempDir() string { return c.tmpDir }

// TaskFiles is how the job's tasks name their files, as plain values: a worker of a
// distributed runner, which has no committer, names its files the way the driver's
// committer will commit them.
func (c *DirectoryCommitter) TaskFiles() TaskFiles {
	// An object store's files always carry the job's id: the new files of an overwrite
	// are uploaded beside the old ones before those are deleted.
	return TaskFiles{Dir: c.tmpDir, ID: c.id, Append: c.mode == Append || c.mode == OverwritePartitions || c.objects != nil}
}

// TaskFiles names the files of a write job's tasks (DirectoryCommitter.TaskFiles).
type TaskFiles struct {
	// Dir is where the tasks write: the committer's temporary directory, or a directory
	// whose files are moved there (relative paths kept) before the job commits.
	Dir string
	// ID is the job's id; Append puts it in every file name, so that the files of an
	// appending job are new in the table.
	ID     string
	Append bool
}

// Path is the file a task writing partition writes into the partition directory dir
// (day=2024-01-01/region=eu; "" for the table's top level) under f.Dir, e.g.
// out/.daily.kindling-123/part-00003.parquet; seq numbers the task's further files in
// one directory (part-00003.c001.parquet). Appending jobs put their id in the name
// (part-00003-1a2b3c.parquet) so that it is new in the table. ext may be given with or
// without its dot.
func (f TaskFiles) Path(partition int, dir string, seq int, ext string) string {
	if ext != "" && !strings.HasPrefix(ext, ".") {
		ext = "." + ext
	}
	name := fmt.Sprintf("part-%05d", partition)
	if f.Append {
		name += "-" + f.ID
	}
	if seq > 0 {
		name += fmt.Sprintf(".c%03d", seq)
	}
	return filepath.Join(f.Dir, dir, name+ext)
}

// OutputExists reports whether the output directory exists (for a gs:// output: whether
// any object was under its prefix when the job began).
func (c *DirectoryCommitter) OutputExists() bool {
	if c.objects != nil {
		return len(c.objects.existing) > 0
	}
	_, err := c.fs.Stat(c.outDir)
	return err == nil
}

// Mode is the committer's save mode.
func (c *DirectoryCommitter) Mode() SaveMode { return c.mode }

// CommitJob writes _SUCCESS and renames the temporary directory to outDir. When
// overwriting, the old outDir is first renamed aside, then removed once the new one is in
// place (and restored if the rename fails). On error the temporary directory is removed.
func (c *DirectoryCommitter) CommitJob() (err error) {
	if c.done {
		return errors.New("datasource: job already committed or aborted")
	}
	c.done = true
	if c.objects != nil {
		return c.commitObjects()
	}
	defer c.unlock()
	defer func() {
		if err != nil {
			c.fs.RemoveAll(c.tmpDir)
		}
	}()
	if c.state != nil {
		if err := vfs.WriteFile(c.fs, filepath.Join(c.tmpDir, StateFile), c.state); err != nil {
			return fmt.Errorf("datasource: %w", err)
		}
	}
	if c.mode == Append || c.mode == OverwritePartitions {
		if _, err := c.fs.Stat(c.outDir); err == nil {
			return c.commitInto()
		}
	}
	if err := vfs.WriteFile(c.fs, filepath.Join(c.tmpDir, "_SUCCESS"), nil); err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	var old string
	if _, err := c.fs.Stat(c.outDir); err == nil {
		if c.mode == ErrorIfExists {
			return fmt.Errorf("datasource: output directory %s exists", c.outDir)
		}
		old = c.tmpDir + oldSuffix
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

// AbortJob removes the temporary directory and everything tasks wrote (for a gs://
// output, the staging prefix's objects too). It is safe to call
// after CommitJob (it then does nothing).
func (c *DirectoryCommitter) AbortJob() error {
	if c.done {
		return nil
	}
	c.done = true
	defer c.unlock()
	var errs []error
	if c.objects != nil {
		errs = append(errs, c.objects.client.DeletePrefix(c.ctx, c.objects.bucket, c.objects.staging))
	}
	if err := c.fs.RemoveAll(c.tmpDir); err != nil {
		errs = append(errs, fmt.Errorf("datasource: %w", err))
	}
	return errors.Join(errs...)
}

// RecoverOutput finishes what jobs writing outDir left when their process died: an old
// output moved aside by an overwrite whose new output never got in place is renamed back
// to outDir (the job did not commit, so the old table stands); an old output whose
// replacement is in place, and temporary directories, are removed. Jobs still running
// (their lock is held) are left alone. On a platform without advisory locks it does
// nothing, since a dead job cannot be told from a live one.
func RecoverOutput(fsys vfs.FS, outDir string) error {
	if !vfs.LockSupported {
		return nil
	}
	outDir = filepath.Clean(outDir)
	parent, base := filepath.Split(outDir)
	if parent == "" {
		parent = "."
	}
	entries, err := fsys.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("datasource: recover %s: %w", outDir, err)
	}
	prefix := "." + base + tempInfix
	jobs := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		id := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, lockSuffix), oldSuffix), commitSuffix)
		jobs[filepath.Join(parent, id)] = true
	}
	for tmp := range jobs {
		lock, err := fsys.Lock(tmp + lockSuffix)
		if errors.Is(err, vfs.ErrLocked) {
			continue // a live job
		}
		if err != nil {
			return fmt.Errorf("datasource: recover %s: %w", outDir, err)
		}
		err = recoverJob(fsys, outDir, tmp)
		fsys.Remove(tmp + lockSuffix)
		lock.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func recoverJob(fsys vfs.FS, outDir, tmp string) error {
	if _, err := fsys.Stat(tmp + commitSuffix); err == nil {
		// The job passed its commit point: finish it.
		return rollForward(fsys, outDir, tmp)
	}
	old := tmp + oldSuffix
	if _, err := fsys.Stat(old); err == nil {
		if _, err := fsys.Stat(outDir); errors.Is(err, fs.ErrNotExist) {
			if err := fsys.Rename(old, outDir); err != nil {
				return fmt.Errorf("datasource: restore %s from %s: %w", outDir, old, err)
			}
		} else if err := fsys.RemoveAll(old); err != nil {
			return fmt.Errorf("datasource: remove stale %s: %w", old, err)
		}
	}
	if err := fsys.RemoveAll(tmp); err != nil {
		return fmt.Errorf("datasource: remove stale %s: %w", tmp, err)
	}
	return nil
}
