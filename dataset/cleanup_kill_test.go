//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package dataset

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/vfs"
)

// The subprocess tests re-run this test binary with childModeEnv set: the child runs
// TestChildWriter, which writes and is killed (SIGKILL) half way, as a crash or an OOM
// kill would; the parent then checks what is left and that a rerun succeeds.
const (
	childModeEnv = "KINDLING_TEST_CHILD_MODE"
	childDirEnv  = "KINDLING_TEST_CHILD_DIR"
)

// TestChildWriter is the child side of TestKilledWrite*; it does nothing in a normal run.
func TestChildWriter(t *testing.T) {
	mode, dir := os.Getenv(childModeEnv), os.Getenv(childDirEnv)
	if mode == "" {
		t.Skip("run by TestKilledWrite* in a child process")
	}
	efs := vfs.NewErrorFS(vfs.Default)
	s, err := NewSession(Config{SpillDir: filepath.Join(dir, "spill"), Parallelism: 1, TestingKnobs: TestingKnobs{FS: efs}})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	mem := memory.DefaultAllocator
	if mode == "overwrite" {
		// Die between the two renames of the swap: the old output is aside, the new one
		// not yet in place.
		efs.SetInjector(func(op vfs.Op, path string) error {
			if op == vfs.OpRename && strings.Contains(path, ".out.kindling-") && !strings.HasSuffix(path, ".old") {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Minute)
			}
			return nil
		})
		t.Fatal(idsData(s, mem, 5000, 2).WriteParquet(t.Context(), out, Overwrite()))
	}
	// Partitions are written one at a time: the first is complete in the temporary
	// directory when the second blocks, with cache files in the spill directory.
	const n, parts = 40_000, 4
	d := idsData(s, mem, n, parts).Persist(DiskOnly).MapBatches("block", nil,
		func(ctx context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
			if in.NumRows() > 0 && in.Column(0).(*array.Int64).Value(0) >= n/parts {
				os.WriteFile(filepath.Join(dir, "ready"), nil, 0o644)
				select {
				case <-ctx.Done():
				case <-time.After(time.Minute):
				}
				return nil, errors.New("not killed")
			}
			in.Retain()
			return in, nil
		})
	if mode == "csv" {
		err = d.WriteCSV(t.Context(), out)
	} else {
		err = d.WriteParquet(t.Context(), out)
	}
	t.Fatalf("the child was not killed: %v", err)
}

func runChild(t *testing.T, mode, dir string, kill bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildWriter$", "-test.count=1", "-test.timeout=120s")
	// The child's own leak check makes a temporary directory that its SIGKILL leaves
	// behind: give it one that this test removes.
	cmd.Env = append(os.Environ(), childModeEnv+"="+mode, childDirEnv+"="+dir, "TMPDIR="+t.TempDir())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if kill {
		deadline := time.Now().Add(60 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("the child never got half way:\n%s", out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		cmd.Process.Kill() // SIGKILL: nothing runs in the child after this
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v\n%s", err, out.String())
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestKilledWriteLeavesNothing(t *testing.T) {
	if !vfs.LockSupported {
		t.Skip("stale files are recognized by advisory locks")
	}
	for _, format := range []string{"parquet", "csv"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			runChild(t, format, dir, true)
			out := filepath.Join(dir, "out")
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a killed write left a visible output: %v", err)
			}
			os.Remove(filepath.Join(dir, "ready"))
			stale := dirNames(t, dir)
			spill := dirNames(t, filepath.Join(dir, "spill"))
			written, _ := filepath.Glob(filepath.Join(dir, ".out.kindling-*", "part-00000*"))
			if len(stale) != 3 || len(spill) != 2 || len(written) != 1 {
				t.Fatalf("the kill left no temporary files to clean: %v, spill %v, parts %v", stale, spill, written)
			}
			t.Logf("left by the killed process: %v, spill: %v", stale, spill)

			// A new session removes the dead session's spill directory but not its own;
			// the rerun of the write succeeds and removes the dead job's temporary files.
			s, mem := newCacheSession(t, Config{SpillDir: filepath.Join(dir, "spill")})
			if got := dirNames(t, filepath.Join(dir, "spill")); len(got) != 2 || filepath.Join(dir, "spill", got[0]) != s.SpillDir() {
				t.Fatalf("spill directory after a new session: %v (own %s)", got, s.SpillDir())
			}
			const n = 40_000
			d := idsData(s, mem, n, 4)
			var err error
			var back *Dataset
			if format == "csv" {
				err, back = d.WriteCSV(t.Context(), out), s.ReadCSV(out)
			} else {
				err, back = d.WriteParquet(t.Context(), out), s.ReadParquet(out)
			}
			if err != nil {
				t.Fatalf("rerun: %v", err)
			}
			if sum, count := sumIDs(t, back); sum != int64(n)*(n-1)/2 || count != n {
				t.Fatalf("rerun output: sum %d count %d", sum, count)
			}
			if got := dirNames(t, dir); strings.Join(got, ",") != "out,spill" {
				t.Fatalf("after the rerun %s holds %v", dir, got)
			}
			for _, name := range dirNames(t, out) {
				if name != "_SUCCESS" && !strings.HasPrefix(name, "part-") {
					t.Fatalf("output holds %s", name)
				}
			}
		})
	}
}

func TestKilledOverwriteRecovers(t *testing.T) {
	// Overwrite moves the old output aside, then renames the new one in place. Killed
	// between the two, no output directory is left; the next write, or read, puts the old
	// one back (the job that died did not commit), and an Overwrite then replaces it.
	if !vfs.LockSupported {
		t.Skip("stale files are recognized by advisory locks")
	}
	for _, next := range []string{"write", "read"} {
		t.Run(next, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			s, mem := newCacheSession(t, Config{SpillDir: t.TempDir()})
			if err := idsData(s, mem, 1000, 2).WriteParquet(t.Context(), out); err != nil {
				t.Fatal(err)
			}
			runChild(t, "overwrite", dir, false)
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the child was not killed between the renames: %v (%v)", err, dirNames(t, dir))
			}
			t.Logf("left by the killed overwrite: %v", dirNames(t, dir))
			if next == "write" {
				err := idsData(s, mem, 10, 1).WriteParquet(t.Context(), out)
				if err == nil || !strings.Contains(err.Error(), "exists") {
					t.Fatalf("a write without Overwrite after recovery: %v, want the restored output to exist", err)
				}
			}
			if sum, count := sumIDs(t, s.ReadParquet(out)); sum != 999*1000/2 || count != 1000 {
				t.Fatalf("restored output: sum %d count %d, want the old table", sum, count)
			}
			if got := dirNames(t, dir); strings.Join(got, ",") != "out,spill" {
				t.Fatalf("after recovery %s holds %v", dir, got)
			}
			if err := idsData(s, mem, 5000, 2).WriteParquet(t.Context(), out, Overwrite()); err != nil {
				t.Fatal(err)
			}
			if sum, count := sumIDs(t, s.ReadParquet(out)); sum != 4999*5000/2 || count != 5000 {
				t.Fatalf("overwritten output: sum %d count %d", sum, count)
			}
			if got := dirNames(t, dir); strings.Join(got, ",") != "out,spill" {
				t.Fatalf("after the overwrite %s holds %v", dir, got)
			}
		})
	}
}
