package datasource

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kindling-data/kindling/internal/vfs"
)

// commitMarker, in a committing directory, says how its contents go into the table: the
// save mode and, for OverwritePartitions, the partition depth.
const commitMarker = "_KINDLING_COMMIT"

// commitInto commits an Append or OverwritePartitions job into an existing outDir: the
// marker is written, the rename to ID.commit is the commit point, and rollForward moves
// the contents into place.
func (c *DirectoryCommitter) commitInto() error {
	if err := c.checkLayout(); err != nil {
		return err
	}
	for _, dir := range c.purge {
		// An empty directory in the job's output replaces the table's, then goes.
		if err := c.fs.MkdirAll(filepath.Join(c.tmpDir, dir), 0o755); err != nil {
			return fmt.Errorf("datasource: %w", err)
		}
	}
	marker := c.mode.String() + " " + strconv.Itoa(c.depth) + "\n"
	if err := vfs.WriteFile(c.fs, filepath.Join(c.tmpDir, commitMarker), []byte(marker)); err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	if err := c.fs.Rename(c.tmpDir, c.tmpDir+commitSuffix); err != nil {
		return fmt.Errorf("datasource: committing %s: %w", c.outDir, err)
	}
	if err := rollForward(c.fs, c.outDir, c.tmpDir); err != nil {
		// Past the commit point the job is committed: the next writer or reader of outDir
		// finishes the moves (RecoverOutput), so the error says so rather than undo.
		return fmt.Errorf("%w (the job is committed; the next job or read of %s completes it)", err, c.outDir)
	}
	return nil
}

// checkLayout refuses to add files to a table laid out differently: partitioned files
// into an unpartitioned table, or the reverse, or under other partition columns.
func (c *DirectoryCommitter) checkLayout() error {
	entries, err := c.fs.ReadDir(c.outDir)
	if err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	var ours []fs.DirEntry
	if ours, err = c.fs.ReadDir(c.tmpDir); err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	firstDir := func(es []fs.DirEntry) (string, bool, bool) {
		files := false
		for _, e := range es {
			if hiddenName(e.Name()) {
				continue
			}
			if e.IsDir() {
				return e.Name(), true, files
			}
			files = true
		}
		return "", false, files
	}
	theirDir, theirsPartitioned, theirFiles := firstDir(entries)
	ourDir, oursPartitioned, ourFiles := firstDir(ours)
	switch {
	case oursPartitioned && theirFiles && !theirsPartitioned:
		return fmt.Errorf("datasource: %s is not partitioned; this write is (%s)", c.outDir, ourDir)
	case !oursPartitioned && theirsPartitioned && ourFiles:
		return fmt.Errorf("datasource: %s is partitioned (%s); this write is not", c.outDir, theirDir)
	case oursPartitioned && theirsPartitioned:
		theirCol, _, _ := ParseHiveSegment(theirDir)
		ourCol, _, _ := ParseHiveSegment(ourDir)
		if theirCol != ourCol {
			return fmt.Errorf("datasource: %s is partitioned by %s first; this write by %s", c.outDir, theirCol, ourCol)
		}
	}
	return nil
}

// rollForward moves a committed job's files from tmp.commit into outDir, then removes
// what the job left. Each move is skipped when already done, so it may run again after a
// crash in the middle.
func rollForward(fsys vfs.FS, outDir, tmp string) error {
	committing := tmp + commitSuffix
	marker, err := vfs.ReadFile(fsys, filepath.Join(committing, commitMarker))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("datasource: %w", err)
	}
	mode, depth := parseCommitMarker(string(marker))
	if err := fsys.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	if mode == OverwritePartitions.String() && depth > 0 {
		err = movePartitions(fsys, committing, outDir, tmp+oldSuffix, "", depth)
		if err == nil {
			err = removeEmptyPartitions(fsys, outDir, "", depth)
		}
	} else {
		err = moveFiles(fsys, committing, outDir, "")
	}
	if err != nil {
		return err
	}
	// The state file goes last, replacing the old one in one rename: until then the
	// table's state says what it said before, and a rolled-forward job sets it again.
	if _, err := fsys.Stat(filepath.Join(committing, StateFile)); err == nil {
		if err := fsys.Rename(filepath.Join(committing, StateFile), filepath.Join(outDir, StateFile)); err != nil {
			return fmt.Errorf("datasource: committing %s: %w", filepath.Join(outDir, StateFile), err)
		}
	}
	if err := vfs.WriteFile(fsys, filepath.Join(outDir, "_SUCCESS"), nil); err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	if err := fsys.RemoveAll(tmp + oldSuffix); err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	if err := fsys.RemoveAll(committing); err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	return nil
}

// removeEmptyPartitions removes the partition directories under to/rel left with no file
// (a replacement that deleted every row), and parents they leave empty.
func removeEmptyPartitions(fsys vfs.FS, to, rel string, depth int) error {
	entries, err := fsys.ReadDir(filepath.Join(to, rel))
	if err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	if depth == 0 {
		if len(entries) == 0 && rel != "" {
			return fsys.Remove(filepath.Join(to, rel))
		}
		return nil
	}
	left := 0
	for _, e := range entries {
		if !e.IsDir() || hiddenName(e.Name()) {
			left++
			continue
		}
		if err := removeEmptyPartitions(fsys, to, filepath.Join(rel, e.Name()), depth-1); err != nil {
			return err
		}
		if _, err := fsys.Stat(filepath.Join(to, rel, e.Name())); err == nil {
			left++
		}
	}
	if left == 0 && rel != "" {
		return fsys.Remove(filepath.Join(to, rel))
	}
	return nil
}

func parseCommitMarker(s string) (mode string, depth int) {
	f := strings.Fields(s)
	if len(f) >= 1 {
		mode = f[0]
	}
	if len(f) >= 2 {
		depth, _ = strconv.Atoi(f[1])
	}
	return mode, depth
}

// moveFiles moves every data file under from/rel to the same place under to.
func moveFiles(fsys vfs.FS, from, to, rel string) error {
	entries, err := fsys.ReadDir(filepath.Join(from, rel))
	if err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	for _, e := range entries {
		name := filepath.Join(rel, e.Name())
		if e.IsDir() {
			if err := moveFiles(fsys, from, to, name); err != nil {
				return err
			}
			continue
		}
		if hiddenName(e.Name()) {
			continue
		}
		if err := fsys.MkdirAll(filepath.Join(to, rel), 0o755); err != nil {
			return fmt.Errorf("datasource: %w", err)
		}
		if err := fsys.Rename(filepath.Join(from, name), filepath.Join(to, name)); err != nil {
			return fmt.Errorf("datasource: committing %s: %w", filepath.Join(to, name), err)
		}
	}
	return nil
}

// movePartitions replaces, for each partition directory depth levels under from, the
// same directory under to (moved aside to old first, if it exists).
func movePartitions(fsys vfs.FS, from, to, old, rel string, depth int) error {
	if depth == 0 {
		dst := filepath.Join(to, rel)
		if _, err := fsys.Stat(dst); err == nil {
			if err := fsys.MkdirAll(filepath.Dir(filepath.Join(old, rel)), 0o755); err != nil {
				return fmt.Errorf("datasource: %w", err)
			}
			if err := fsys.Rename(dst, filepath.Join(old, rel)); err != nil {
				return fmt.Errorf("datasource: moving old partition %s aside: %w", dst, err)
			}
		}
		if err := fsys.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("datasource: %w", err)
		}
		if err := fsys.Rename(filepath.Join(from, rel), dst); err != nil {
			return fmt.Errorf("datasource: committing partition %s: %w", dst, err)
		}
		return nil
	}
	entries, err := fsys.ReadDir(filepath.Join(from, rel))
	if err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || hiddenName(e.Name()) {
			continue
		}
		if err := movePartitions(fsys, from, to, old, filepath.Join(rel, e.Name()), depth-1); err != nil {
			return err
		}
	}
	return nil
}
