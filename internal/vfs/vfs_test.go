package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestErrorFSCapacity(t *testing.T) {
	e := NewErrorFS(Default)
	e.SetCapacity(10)
	name := filepath.Join(t.TempDir(), "f")
	f, err := e.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n, err := f.Write([]byte("123456")); n != 6 || err != nil {
		t.Fatalf("first write: %d, %v", n, err)
	}
	n, err := f.Write([]byte("abcdefgh"))
	if n != 4 || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write past capacity: %d, %v; want 4, ENOSPC", n, err)
	}
	if data, _ := os.ReadFile(name); string(data) != "123456abcd" {
		t.Fatalf("file holds %q", data)
	}
	if e.Written() != 10 {
		t.Fatalf("Written = %d", e.Written())
	}
}

func TestErrorFSInjector(t *testing.T) {
	e := NewErrorFS(Default)
	dir := t.TempDir()
	e.SetInjector(func(op Op, path string) error {
		if op == OpRename {
			return syscall.EXDEV
		}
		return nil
	})
	if err := WriteFile(e, filepath.Join(dir, "a"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	err := e.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "b"))
	var le *os.LinkError
	if !errors.Is(err, syscall.EXDEV) || !errors.As(err, &le) || le.Old != filepath.Join(dir, "a") {
		t.Fatalf("rename: %v", err)
	}
}

func TestLockExcludes(t *testing.T) {
	if !LockSupported {
		t.Skip("no advisory locks on this platform")
	}
	name := filepath.Join(t.TempDir(), "lock")
	l, err := Default.Lock(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Default.Lock(name); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock: %v, want ErrLocked", err)
	}
	l.Close()
	l2, err := Default.Lock(name)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	l2.Close()
}
