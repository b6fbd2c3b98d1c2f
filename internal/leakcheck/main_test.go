package leakcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain checks this package as Main checks every other.
func TestMain(m *testing.M) { Main(m) }

func TestFindsGoroutinesAndFiles(t *testing.T) {
	before := goroutineIDs()
	stop := make(chan struct{})
	go func() { <-stop }()
	extra := waitGoroutines(before, 50*time.Millisecond)
	if !strings.Contains(extra, "TestFindsGoroutinesAndFiles") {
		t.Errorf("a goroutine started after the baseline was not reported:\n%s", extra)
	}
	close(stop)
	if extra := waitGoroutines(before, 2*time.Second); extra != "" {
		t.Errorf("a goroutine that ended is still reported:\n%s", extra)
	}

	root := t.TempDir()
	if left := tempEntries(root); len(left) != 0 {
		t.Errorf("empty directory: %v", left)
	}
	os.MkdirAll(filepath.Join(root, "kindling-spill-1", "sub"), 0o755)
	os.WriteFile(filepath.Join(root, "kindling-spill-1", "a.spill"), nil, 0o644)
	left := tempEntries(root)
	want := []string{filepath.Join("kindling-spill-1", "a.spill"), filepath.Join("kindling-spill-1", "sub")}
	if strings.Join(left, ",") != strings.Join(want, ",") {
		t.Errorf("left %v, want %v", left, want)
	}
	if !strings.HasPrefix(root, os.TempDir()) || !strings.HasPrefix(filepath.Base(os.TempDir()), "kindling-test-") {
		t.Errorf("TempDir %s is not Main's private directory", os.TempDir())
	}
}
