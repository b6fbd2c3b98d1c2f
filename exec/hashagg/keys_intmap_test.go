package hashagg

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestIntMapAgainstGoMap adds keys (zero, the extremes, runs of consecutive keys and
// random ones, each many times) through find/insertAt and put, across many growths, and
// checks every id against a Go map.
func TestIntMapAgainstGoMap(t *testing.T) {
	for _, hint := range []int{0, 1000} {
		m := newAggIntMap(hint)
		want := map[int64]int32{}
		rng := rand.New(rand.NewPCG(19, 20))
		keys := []int64{0, -1, 1, math.MinInt64, math.MaxInt64}
		for i := range 20000 {
			switch rng.IntN(3) {
			case 0:
				keys = append(keys, int64(i))
			case 1:
				keys = append(keys, int64(i)<<32)
			default:
				keys = append(keys, int64(rng.Uint64()))
			}
		}
		for round := range 3 {
			for j, k := range keys {
				if round == 2 {
					k = keys[len(keys)-1-j]
				}
				slot, ok := m.find(k)
				w, seen := want[k]
				if ok != seen || (ok && m.ids[slot]-1 != w) {
					t.Fatalf("key %d: found %v id %d, want %v %d", k, ok, m.ids[slot]-1, seen, w)
				}
				if !ok {
					id := int32(len(want))
					want[k] = id
					if j%2 == 0 {
						m.insertAt(slot, k, id)
					} else {
						m.put(k, id)
					}
				}
			}
		}
		for k, w := range want {
			if id, ok := m.get(k); !ok || id != w {
				t.Fatalf("key %d: %d %v, want %d", k, id, ok, w)
			}
		}
		if m.n != len(want) || 2*m.n > len(m.keys) {
			t.Fatalf("%d keys in %d slots, want %d keys at most half full", m.n, len(m.keys), len(want))
		}
	}
}
