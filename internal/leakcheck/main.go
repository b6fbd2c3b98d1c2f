package leakcheck

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	endMu     sync.Mutex
	endChecks []func() error
)

// AtEnd adds a check that Main runs after the tests pass, for state that a helper package
// owns (internal/memtest registers its allocators' bytes): it imports leakcheck, not the
// other way, so that packages below it, as memory is, can use Main too.
func AtEnd(check func() error) {
	endMu.Lock()
	defer endMu.Unlock()
	endChecks = append(endChecks, check)
}

// Main runs a package's tests as its TestMain and fails the run if, after they all passed,
// anything outlived them:
//   - goroutines that were not running before the tests (after a grace period);
//   - files or directories in the temporary directory: the process gets a private one
//     (TMPDIR), so the default spill root, t.TempDir and any stray temp file all land in
//     it, and it must be empty at the end (t.TempDir removes its own);
//   - whatever a helper registered with AtEnd reports (the bytes held by the allocators
//     of internal/memtest, when the package uses them).
//
// Call it as func TestMain(m *testing.M) { leakcheck.Main(m) }.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := os.MkdirTemp("", "kindling-test-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "leakcheck: %v\n", err)
		return 2
	}
	defer os.RemoveAll(root)
	// Set before any test runs: os.TempDir reads it at each call.
	os.Setenv("TMPDIR", root)
	before := goroutineIDs()
	code := m.Run()
	if code != 0 {
		return code // the failures already reported say more than the leaks that follow them
	}
	if fuzzing() {
		// go test -fuzz stops its worker processes in the middle of an input, before the
		// input's cleanups run: what they leave says nothing about the code under test.
		return 0
	}
	var problems []string
	if extra := waitGoroutines(before, 5*time.Second); extra != "" {
		problems = append(problems, "goroutines still running after the tests:\n"+extra)
	}
	if left := tempEntries(root); len(left) > 0 {
		problems = append(problems, fmt.Sprintf("%d files left in the temporary directory (spill, cache or output files nothing removed): %s",
			len(left), strings.Join(left[:min(len(left), 20)], ", ")))
	}
	endMu.Lock()
	checks := slices.Clone(endChecks)
	endMu.Unlock()
	for _, check := range checks {
		if err := check(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) == 0 {
		return 0
	}
	for _, p := range problems {
		fmt.Fprintf(os.Stderr, "leakcheck: %s\n", p)
	}
	fmt.Println("FAIL: leaks after the tests")
	return 1
}

// fuzzing reports whether this process runs go test -fuzz, as its coordinator or a worker.
func fuzzing() bool {
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return true
	}
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}

// benign are functions whose goroutines the runtime or the testing package start on
// demand and keep for the process's life.
var benign = []string{
	"os/signal.signal_recv",
	"os/signal.loop",
	"runtime.ensureSigM",
	"testing.(*M).startAlarm",
	"testing.runTests.func1", // the alarm of -timeout
	"runtime.goexit0",
}

// waitGoroutines waits up to grace for every goroutine not in before (and not benign)
// to end, and returns the stacks of those that did not.
func waitGoroutines(before map[uint64]bool, grace time.Duration) string {
	deadline := time.Now().Add(grace)
	for {
		extra := newGoroutines(before)
		if len(extra) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return trim(strings.Join(extra, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func goroutineIDs() map[uint64]bool {
	ids := map[uint64]bool{}
	for _, g := range stacks() {
		ids[stackID(g)] = true
	}
	return ids
}

func newGoroutines(before map[uint64]bool) []string {
	var out []string
	self := stackID(stacks()[0])
	for _, g := range stacks() {
		id := stackID(g)
		if id == self || before[id] || slices.ContainsFunc(benign, func(f string) bool { return strings.Contains(g, f) }) {
			continue
		}
		out = append(out, g)
	}
	return out
}

// stacks returns every goroutine's stack, the caller's first.
func stacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(strings.TrimSpace(string(buf[:n])), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// stackID reads the id from a stack's first line, "goroutine 7 [running]:".
func stackID(g string) uint64 {
	f := strings.Fields(g)
	if len(f) < 2 {
		return 0
	}
	id, _ := strconv.ParseUint(f[1], 10, 64)
	return id
}

// tempEntries lists what is left under root, relative to it (directories that hold
// something are listed through their files).
func tempEntries(root string) []string {
	var left []string
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || path == root {
			return nil
		}
		if d.IsDir() {
			if ents, _ := os.ReadDir(path); len(ents) > 0 {
				return nil
			}
		}
		rel, _ := filepath.Rel(root, path)
		left = append(left, rel)
		return nil
	})
	return left
}
