package window

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestInt64ThresholdsAgainstMap sets and reads random keys (clustered, spread and the
// empty-slot key math.MinInt64) through several growths, against a Go map.
func TestInt64ThresholdsAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	tab := newInt64Thresholds()
	want := map[int64]int64{}
	key := func() int64 {
		switch rng.IntN(4) {
		case 0:
			return math.MinInt64
		case 1:
			return rng.Int64() // spread
		default:
			return int64(rng.IntN(20000)) // clustered, repeated
		}
	}
	for range 100000 {
		k, v := key(), rng.Int64N(1000)
		if rng.IntN(2) == 0 {
			tab.set(k, v)
			want[k] = v
		}
		g, ok := tab.get(k)
		w, wok := want[k]
		if g != w || ok != wok {
			t.Fatalf("get(%d) = %d, %v; want %d, %v", k, g, ok, w, wok)
		}
	}
	if tab.len() != len(want) {
		t.Fatalf("len %d, want %d", tab.len(), len(want))
	}
	for k, w := range want {
		if g, ok := tab.get(k); !ok || g != w {
			t.Fatalf("get(%d) = %d, %v; want %d", k, g, ok, w)
		}
	}
	tab.startMarks()
	if !tab.markOnce(math.MinInt64) || tab.markOnce(math.MinInt64) || !tab.markOnce(3) {
		t.Fatal("markOnce within one pass")
	}
	tab.startMarks()
	if !tab.markOnce(3) {
		t.Fatal("markOnce in a new pass")
	}
}
