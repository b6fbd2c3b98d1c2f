package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestExpectationsGateWrites(t *testing.T) {
	f := newFixture(t, partitionSizes["mixed"], Config{})
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	// k has NULLs (about 10%): a zero NULL ratio fails.
	strict := f.ds.Expect(Fail, NullRatioAtMost("k never null", "k", 0))
	for _, opts := range [][]WriteOption{nil, {PartitionedBy("g")}} {
		err := strict.WriteParquet(t.Context(), out, opts...)
		if !errors.Is(err, ErrExpectationFailed) {
			t.Fatalf("write under a failed expectation: %v", err)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 0 {
			t.Fatalf("a write failing its expectations left %v", entries)
		}
	}
	lenient := f.ds.Expect(Warn, NullRatioAtMost("k never null", "k", 0))
	if err := lenient.WriteParquet(t.Context(), out, PartitionedBy("g")); err != nil {
		t.Fatal(err)
	}
	if r := lenient.ExpectationResults(); len(r.Results) != 1 || r.Passed() {
		t.Fatalf("results after a warned write: %+v", r)
	}
	n, err := f.s.ReadParquet(out).Count(t.Context())
	if err != nil || n != int64(len(f.rows)) {
		t.Fatalf("warned write: %d rows (%v), want %d", n, err, len(f.rows))
	}
}
