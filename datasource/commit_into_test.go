package datasource

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/kindling-data/kindling/internal/vfs"
)

// tree lists the files under dir (relative paths with their contents), skipping nothing.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			b, _ := os.ReadFile(p)
			out = append(out, rel+"="+string(b))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func writeTask(t *testing.T, c *DirectoryCommitter, task int, dir, content string) string {
	t.Helper()
	p := c.TaskFiles().Path(task, dir, 0, "csv")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(c.TempDir(), p)
	return rel
}

// TestCommitIntoRollsForward kills (by an injected rename failure) Append and
// OverwritePartitions commits after their commit point, at each of their moves in turn,
// and checks that the next RecoverOutput finishes the job exactly.
func TestCommitIntoRollsForward(t *testing.T) {
	for _, mode := range []SaveMode{Append, OverwritePartitions} {
		for failAt := 1; failAt <= 3; failAt++ {
			t.Run(mode.String()+"/move"+string(rune('0'+failAt)), func(t *testing.T) {
				parent := t.TempDir()
				out := filepath.Join(parent, "t")
				for _, f := range []string{"d=1/old-1.csv", "d=2/old-2.csv"} {
					os.MkdirAll(filepath.Join(out, filepath.Dir(f)), 0o755)
					os.WriteFile(filepath.Join(out, f), []byte("old"), 0o644)
				}
				efs := vfs.NewErrorFS(vfs.Default)
				c, err := NewDirectoryCommitter(out, mode, CommitFS(efs), CommitPartitionDepth(1))
				if err != nil {
					t.Fatal(err)
				}
				f2 := writeTask(t, c, 0, "d=2", "new")
				f3 := writeTask(t, c, 1, "d=3", "new")
				renames := 0
				efs.SetInjector(func(op vfs.Op, path string) error {
					if op == vfs.OpRename {
						renames++
						if renames == failAt+1 { // the first rename is the commit point
							return syscall.EIO
						}
					}
					return nil
				})
				err = c.CommitJob()
				efs.SetInjector(nil)
				moves := 2 // the new files
				if mode == OverwritePartitions {
					moves = 3 // and the old d=2 aside
				}
				if failAt <= moves && (err == nil || !strings.Contains(err.Error(), "the job is committed")) {
					t.Fatalf("commit with a failing move %d: %v", failAt, err)
				}
				if err := RecoverOutput(vfs.Default, out); err != nil {
					t.Fatal(err)
				}
				want := []string{"_SUCCESS=", "d=1/old-1.csv=old", "d=2/old-2.csv=old", f2 + "=new", f3 + "=new"}
				if mode == OverwritePartitions {
					want = []string{"_SUCCESS=", "d=1/old-1.csv=old", f2 + "=new", f3 + "=new"}
				}
				slices.Sort(want)
				if got := tree(t, out); !slices.Equal(got, want) {
					t.Fatalf("after recovery: %v, want %v", got, want)
				}
				if entries, _ := os.ReadDir(parent); len(entries) != 1 {
					t.Fatalf("recovery left %v", entries)
				}
			})
		}
	}
}

func TestCommitIntoChecksLayout(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "t")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "part-0.csv"), []byte("x"), 0o644)
	c, err := NewDirectoryCommitter(out, Append, CommitPartitionDepth(1))
	if err != nil {
		t.Fatal(err)
	}
	writeTask(t, c, 0, "d=1", "new")
	if err := c.CommitJob(); err == nil || !strings.Contains(err.Error(), "is not partitioned") {
		t.Fatalf("partitioned append to a flat table: %v", err)
	}
	if got := tree(t, out); !slices.Equal(got, []string{"part-0.csv=x"}) {
		t.Fatalf("a refused append changed the table: %v", got)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Fatalf("a refused append left %v", entries)
	}
}

func TestDiscoverHiveLeavesPlainDirectories(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte("x\n1\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "archive", "old"), 0o755)
	os.MkdirAll(filepath.Join(dir, "day=2024-01-01"), 0o755)
	if h, err := DiscoverHive([]string{dir}); h != nil || err != nil {
		t.Fatalf("a directory of files with subdirectories: %v, %v; want no layout", h, err)
	}
	empty := t.TempDir()
	os.MkdirAll(filepath.Join(empty, "misc"), 0o755)
	if h, err := DiscoverHive([]string{empty}); h != nil || err != nil {
		t.Fatalf("a directory of other directories: %v, %v; want no layout", h, err)
	}
	table := t.TempDir()
	for _, d := range []string{"d=1/r=a", "d=2/r=b", "d=%2F/r=__HIVE_DEFAULT_PARTITION__"} {
		os.MkdirAll(filepath.Join(table, d), 0o755)
		os.WriteFile(filepath.Join(table, d, "part-0.csv"), []byte("x\n1\n"), 0o644)
	}
	h, err := DiscoverHive([]string{table})
	if err != nil || h == nil || len(h.Files) != 3 || len(h.Fields) != 2 {
		t.Fatalf("a table: %+v, %v", h, err)
	}
	if h.Fields[0].Type.String() != "utf8" || h.Fields[1].Type.String() != "utf8" {
		t.Fatalf("types %v: d holds \"/\", so it is a string", h.Fields)
	}
	os.MkdirAll(filepath.Join(table, "d=3"), 0o755)
	os.WriteFile(filepath.Join(table, "d=3", "part-0.csv"), []byte("x\n1\n"), 0o644)
	if _, err := DiscoverHive([]string{table}); err == nil || !strings.Contains(err.Error(), "inconsistent partition layout") {
		t.Fatalf("files at two depths: %v", err)
	}
}
