package main

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestPipelineDays runs the pipeline as a scheduler would: day 1, day 2, a broken day 3
// that the gate must stop with nothing committed, day 3 fixed, and day 3 again (nothing
// new). Every run checks the whole warehouse against the generator's account.
func TestPipelineDays(t *testing.T) {
	root := filepath.Join(t.TempDir(), "lake")
	const orders = 4000
	for _, step := range []struct {
		day    int
		broken bool
	}{{1, false}, {2, false}, {3, true}, {3, false}, {3, false}} {
		err := run(t.Context(), root, step.day, orders, step.broken)
		var gate *gateStopped
		switch {
		case step.broken && !errors.As(err, &gate):
			t.Fatalf("day %d with the bug: %v, want the gate to stop it", step.day, err)
		case !step.broken && err != nil:
			t.Fatalf("day %d: %v", step.day, err)
		}
	}
}
