package memory

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestGoLimitForBudget(t *testing.T) {
	if got := GoLimitForBudget(0); got != 0 {
		t.Errorf("GoLimitForBudget(0) = %d, want 0", got)
	}
	// 600 MiB of budget: 750 MiB, plus 96 MiB for the runtime.
	if got, want := GoLimitForBudget(600<<20), int64(846<<20); got != want {
		t.Errorf("GoLimitForBudget(600 MiB) = %s, want %s", FormatBytes(got), FormatBytes(want))
	}
	if got := GoLimitForBudget(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("GoLimitForBudget(MaxInt64) = %d, want MaxInt64", got)
	}
	// A derived budget asks for about three quarters of physical memory.
	phys := int64(8 << 30)
	if got := GoLimitForBudget(defaultLimit(phys)); got < phys*3/4-(200<<20) || got > phys*3/4 {
		t.Errorf("GoLimitForBudget(defaultLimit(8 GiB)) = %s, want about 6 GiB", FormatBytes(got))
	}
	// At most 1.25 times a large budget, plus the constant.
	if got, lim := GoLimitForBudget(4<<30), int64(4<<30); got > lim+lim/4+goRuntimeOverhead {
		t.Errorf("GoLimitForBudget(4 GiB) = %s, want at most 5 GiB + 96 MiB", FormatBytes(got))
	}
}

// withGoLimit runs f with the process's soft limit set to start, and restores the
// limit in force before.
func withGoLimit(t *testing.T, start int64, f func()) {
	t.Helper()
	prev := debug.SetMemoryLimit(start)
	defer debug.SetMemoryLimit(prev)
	f()
}

func TestHoldGoMemoryLimitSumsAndRestores(t *testing.T) {
	withGoLimit(t, math.MaxInt64, func() {
		a := HoldGoMemoryLimit(60 << 20)
		if got, want := debug.SetMemoryLimit(-1), GoLimitForBudget(60<<20); got != want {
			t.Fatalf("one hold: soft limit %s, want %s", FormatBytes(got), FormatBytes(want))
		}
		if got := programGoLimit(); got != math.MaxInt64 {
			t.Errorf("programGoLimit with only held limits = %d, want MaxInt64", got)
		}
		b := HoldGoMemoryLimit(120 << 20)
		if got, want := debug.SetMemoryLimit(-1), GoLimitForBudget(60<<20)+GoLimitForBudget(120<<20); got != want {
			t.Fatalf("two holds: soft limit %s, want the sum %s", FormatBytes(got), FormatBytes(want))
		}
		b.AddUntracked(500 << 20) // in-memory input b's holder keeps outside its budget
		if got, want := debug.SetMemoryLimit(-1), GoLimitForBudget(60<<20)+GoLimitForBudget(120<<20)+500<<20; got != want {
			t.Fatalf("with 500 MiB of input: soft limit %s, want %s", FormatBytes(got), FormatBytes(want))
		}
		b.AddUntracked(-500 << 20)
		a.Release()
		a.Release() // idempotent
		if got, want := debug.SetMemoryLimit(-1), GoLimitForBudget(120<<20); got != want {
			t.Fatalf("after the first release: soft limit %s, want %s", FormatBytes(got), FormatBytes(want))
		}
		b.Release()
		if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
			t.Fatalf("after the last release: soft limit %d, want the previous MaxInt64", got)
		}
		HoldGoMemoryLimit(0).Release() // no budget, nothing held
		if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
			t.Fatalf("a zero budget changed the soft limit to %d", got)
		}
	})
}

func TestHoldGoMemoryLimitRespectsTheProgramsLimit(t *testing.T) {
	const user = 3 << 30
	withGoLimit(t, user, func() {
		rel := HoldGoMemoryLimit(60 << 20)
		if got := debug.SetMemoryLimit(-1); got != user {
			t.Errorf("with GOMEMLIMIT set: soft limit %s, want the program's %s", FormatBytes(got), FormatBytes(user))
		}
		if got := programGoLimit(); got != user {
			t.Errorf("programGoLimit = %d, want %d", got, user)
		}
		rel.Release()
		if got := debug.SetMemoryLimit(-1); got != user {
			t.Errorf("after release: soft limit %s, want %s", FormatBytes(got), FormatBytes(user))
		}
	})
	// The program sets its own limit while one of ours is in force: it is kept.
	withGoLimit(t, math.MaxInt64, func() {
		a := HoldGoMemoryLimit(60 << 20)
		debug.SetMemoryLimit(user)
		b := HoldGoMemoryLimit(60 << 20)
		if got := debug.SetMemoryLimit(-1); got != user {
			t.Errorf("after the program's change: soft limit %s, want %s", FormatBytes(got), FormatBytes(user))
		}
		a.Release()
		b.Release()
		if got := debug.SetMemoryLimit(-1); got != user {
			t.Errorf("after the releases: soft limit %s, want the program's %s", FormatBytes(got), FormatBytes(user))
		}
	})
}
