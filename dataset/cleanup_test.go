package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kindling-data/kindling/internal/vfs"
)

func TestOutputPermissions(t *testing.T) {
	// Committed output was 0700 (MkdirTemp's mode, kept by the rename): other users could
	// not read it. It now has what Mkdir(0755) and Create give under the same umask.
	parent := t.TempDir()
	refDir := filepath.Join(parent, "ref")
	if err := os.Mkdir(refDir, 0o755); err != nil {
		t.Fatal(err)
	}
	refFile, err := os.Create(filepath.Join(refDir, "f"))
	if err != nil {
		t.Fatal(err)
	}
	refFile.Close()
	wantDir, _ := os.Stat(refDir)
	wantFile, _ := os.Stat(refFile.Name())
	s, mem := newCacheSession(t, Config{SpillDir: t.TempDir()})
	d := idsData(s, mem, 1000, 2)
	for _, format := range []string{"parquet", "csv"} {
		out := filepath.Join(parent, format)
		var err error
		if format == "parquet" {
			err = d.WriteParquet(t.Context(), out)
		} else {
			err = d.WriteCSV(t.Context(), out)
		}
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(out)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != wantDir.Mode().Perm() || st.Mode().Perm()&0o055 == 0 {
			t.Errorf("%s output directory mode %v, want %v", format, st.Mode().Perm(), wantDir.Mode().Perm())
		}
		parts, _ := filepath.Glob(filepath.Join(out, "part-*"))
		if len(parts) == 0 {
			t.Fatalf("no part files in %s", out)
		}
		for _, p := range parts {
			if st, _ := os.Stat(p); st.Mode().Perm() != wantFile.Mode().Perm() {
				t.Errorf("%s mode %v, want %v", p, st.Mode().Perm(), wantFile.Mode().Perm())
			}
		}
	}
}

func TestUnwritableCheckpointDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewSession(Config{CheckpointDir: file, SpillDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "checkpoint") {
		t.Fatalf("err = %v, want an error naming the checkpoint directory %s", err, file)
	}
	// A failing probe write (a read-only or full file system) is caught too.
	efs := vfs.NewErrorFS(vfs.Default)
	efs.SetInjector(func(op vfs.Op, path string) error {
		if op == vfs.OpCreate && strings.Contains(path, "cp") {
			return syscall.EROFS
		}
		return nil
	})
	cp := filepath.Join(t.TempDir(), "cp")
	_, err = NewSession(Config{CheckpointDir: cp, SpillDir: t.TempDir(), TestingKnobs: TestingKnobs{FS: efs}})
	if !errors.Is(err, syscall.EROFS) || !strings.Contains(err.Error(), cp) {
		t.Fatalf("err = %v, want EROFS naming %s", err, cp)
	}
}
