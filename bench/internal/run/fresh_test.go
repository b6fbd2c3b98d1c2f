package run

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestMain lets RunFresh run this test binary as its child process.
func TestMain(m *testing.M) {
	if spec := os.Getenv(FreshChildEnv); spec != "" {
		if err := RunFreshChild(context.Background(), spec); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestFreshPeaks measures two questions in child processes and requires both engines'
// answers to agree and the memory figures to be those of a loaded process.
func TestFreshPeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs DuckDB in child processes")
	}
	o := &Options{N: 20_000, K: 100, Seed: 1, BatchRows: 4096, Runs: 1, Threads: 2, DuckDB: true, TmpDir: t.TempDir(),
		SF: 0.01, Only: map[string]bool{"q3": true, "j1": true, "Q6": true}}
	ps, err := RunFresh(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 6 {
		t.Fatalf("%d measurements, want 6 (three questions, two engines): %+v", len(ps), ps)
	}
	for _, p := range ps {
		if p.Err != "" {
			t.Fatalf("%s %s: %s", p.Engine, p.Question, p.Err)
		}
		if p.Loaded <= 0 || p.Peak < p.Loaded/2 || p.Answer.Rows == 0 {
			t.Errorf("%s %s: loaded %d, peak %d, %d rows", p.Engine, p.Question, p.Loaded, p.Peak, p.Answer.Rows)
		}
	}
	r := &Report{Fresh: ps}
	var b strings.Builder
	r.fresh(&b)
	for _, q := range []string{"| q3 |", "| j1 |", "| Q6 |"} {
		line := ""
		for _, l := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(l, q) {
				line = l
			}
		}
		if !strings.HasSuffix(line, "| ok |") {
			t.Errorf("report row %q: want both engines' answers to agree, got %q", q, line)
		}
	}
}
