package hashagg

import (
	"math/rand/v2"
	"testing"
)

// TestPairSetAgainstMap inserts pairs (the (0, 0) pair, the largest ids, repeats) into
// the set and a Go map, through several growths, and checks each insert's answer and
// the final size.
func TestPairSetAgainstMap(t *testing.T) {
	var s aggPairSet
	want := map[uint64]bool{}
	rng := rand.New(rand.NewPCG(9, 9))
	fixed := [][2]int32{{0, 0}, {0, 1}, {1, 0}, {1<<31 - 1, 1<<31 - 1}, {0, 0}}
	for i := range 50000 {
		var g, v int32
		if i < len(fixed) {
			g, v = fixed[i][0], fixed[i][1]
		} else {
			g, v = int32(rng.IntN(300)), int32(rng.IntN(200))
		}
		k := aggPairKey(g, v)
		if got := s.insert(k); got != !want[k] {
			t.Fatalf("insert (%d, %d): new %v, want %v", g, v, got, !want[k])
		}
		want[k] = true
	}
	if s.n != len(want) {
		t.Fatalf("%d pairs, want %d", s.n, len(want))
	}
	if s.bytes() != int64(len(s.slots))*8 || 2*s.n > len(s.slots) {
		t.Fatalf("%d slots for %d pairs", len(s.slots), s.n)
	}
}

// BenchmarkPairSet inserts 2M pairs (1 000 groups × 50 000 values, most distinct) into the
// set and, for comparison, into the Go map it replaced.
func BenchmarkPairSet(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, 2_000_000)
	for i := range keys {
		keys[i] = aggPairKey(int32(rng.IntN(1000)), int32(rng.IntN(50000)))
	}
	b.Run("set", func(b *testing.B) {
		for range b.N {
			var s aggPairSet
			for _, k := range keys {
				s.insert(k)
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		for range b.N {
			m := map[uint64]struct{}{}
			for _, k := range keys {
				if _, ok := m[k]; !ok {
					m[k] = struct{}{}
				}
			}
		}
	})
}
