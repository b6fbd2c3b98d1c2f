package hashagg

import (
	"math/rand/v2"
	"testing"
)

// TestArenaGrowthBound: whatever the values, copying a batch of them never grows the
// arena by more than growthBound said beforehand, and a small table's arena stays small.
func TestArenaGrowthBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var a aggByteArena
	for batch := 0; batch < 2000; batch++ {
		n := rng.IntN(40)
		vals := make([][]byte, n)
		var v, longest int64
		for i := range vals {
			l := rng.IntN(40)
			switch rng.IntN(50) {
			case 0:
				l = rng.IntN(arenaPageBytes) // up to a page: some get a page of their own
			case 1:
				l = arenaMinPageBytes - rng.IntN(64)
			}
			vals[i] = make([]byte, l)
			v += int64(l)
			longest = max(longest, int64(l))
		}
		bound := a.growthBound(v, longest)
		before := a.size
		for _, b := range vals {
			if s := a.copy(b); len(s) != len(b) {
				t.Fatalf("copy of %d bytes returned %d", len(b), len(s))
			}
		}
		if grew := a.size - before; grew > bound {
			t.Fatalf("batch %d: %d values of %d bytes grew the arena (%d bytes before) by %d, bound %d",
				batch, n, v, before, grew, bound)
		}
	}
	// Short values from an empty arena: the bound is the doubling pages they fill, not
	// twice their bytes (a 3,000-value dictionary column at a tight budget).
	var fresh aggByteArena
	if b := fresh.growthBound(36_000, 12); b > 64<<10 {
		t.Errorf("36,000 bytes of 12-byte values: bound %d, want at most the 64 KiB of pages 4+4+8+16+32 KiB", b)
	}
	var small aggByteArena
	for i := 0; i < 100; i++ {
		small.copy([]byte("PROMO BRUSHED STEEL"))
	}
	if small.size > arenaMinPageBytes {
		t.Errorf("100 short values take %d bytes of arena, want at most %d", small.size, arenaMinPageBytes)
	}
}
