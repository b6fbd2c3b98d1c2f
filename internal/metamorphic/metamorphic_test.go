package metamorphic

import (
	"testing"

	"github.com/kindling-data/kindling/internal/leakcheck"
)

// TestMain checks this package as every other is checked.
func TestMain(m *testing.M) { leakcheck.Main(m) }

func TestDrawsDependOnSeedAndKeyOnly(t *testing.T) {
	if !Enabled() {
		if got := Choose("x", 7, 1, 2, 3); got != 7 {
			t.Errorf("Choose outside a metamorphic run = %d, want the default 7", got)
		}
		if got := IntRange("x", 7, 1, 3); got != 7 {
			t.Errorf("IntRange outside a metamorphic run = %d, want the default 7", got)
		}
	}
	// Whatever the run, one key draws one value, and the values spread over the range.
	old, oldOn := seed, enabled
	once.Do(func() {})
	seed, enabled = 12345, true
	defer func() { seed, enabled = old, oldOn }()
	seen := map[int]bool{}
	for _, key := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		v := IntRange(key, -1, 1, 4)
		if v < 1 || v > 4 {
			t.Fatalf("IntRange(%q) = %d, outside [1, 4]", key, v)
		}
		if again := IntRange(key, -1, 1, 4); again != v {
			t.Fatalf("IntRange(%q) drew %d, then %d", key, v, again)
		}
		seen[v] = true
	}
	if len(seen) < 3 {
		t.Errorf("12 keys drew only %v", seen)
	}
}
