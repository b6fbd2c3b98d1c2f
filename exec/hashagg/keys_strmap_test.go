package hashagg

import (
	"fmt"
	"testing"
)

// TestAggStrMapManyKeys adds 100k long keys, each twice, through many doublings, looking each up
// before and after it is added, and checks every key keeps its id, the ids their keys,
// and growthBound bounds every growth of the table.
func TestAggStrMapManyKeys(t *testing.T) {
	m := newAggStrMap()
	var vals []string
	const n = 200_000
	// Every key comes twice (i and i+n/2), the second time to be found.
	key := func(i int) []byte { return fmt.Appendf(nil, "key-%09d-%d", (i*7919)%(n/2), i%2) }
	want := map[string]int32{}
	for i := range n {
		b := key(i)
		before := m.bytes()
		bound := m.growthBound(1)
		id, slot, tag, ok := m.lookup(b, vals)
		if w, seen := want[string(b)]; seen {
			if !ok || id != w {
				t.Fatalf("key %q: found %v id %d, want %d", b, ok, id, w)
			}
			continue
		}
		if ok {
			t.Fatalf("new key %q found with id %d", b, id)
		}
		id = int32(len(vals))
		m.insert(id, slot, tag)
		vals = append(vals, string(b))
		want[string(b)] = id
		if grew := m.bytes() - before; grew > bound {
			t.Fatalf("key %d: the table grew by %d bytes, growthBound said %d", i, grew, bound)
		}
		if got, _, _, ok := m.lookup(b, vals); !ok || got != id {
			t.Fatalf("key %q just added as %d: found %v id %d", b, id, ok, got)
		}
	}
	if m.n != len(want) || 2*m.n > len(m.slots) {
		t.Fatalf("%d keys in %d slots, want %d at most half full", m.n, len(m.slots), len(want))
	}
	for k, id := range want {
		if got, _, _, ok := m.lookup([]byte(k), vals); !ok || got != id || vals[id] != k {
			t.Fatalf("key %q: found %v id %d, want %d", k, ok, got, id)
		}
	}
}
