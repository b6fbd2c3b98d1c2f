package hashagg

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/internal/memtest"
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

// TestAggDecKeysSmallAndWide groups decimal128 keys that fit an int64 (the integer map)
// and keys that do not (the Go map), including keys whose low words are equal: each
// distinct value gets one id and every id its value back.
func TestAggDecKeysSmallAndWide(t *testing.T) {
	tab, err := newAggKeyTable(&arrow.Decimal128Type{Precision: 38, Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	keys := tab.(*aggDecKeys)
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	var vals []decimal128.Num
	for i := range 3000 {
		lo := uint64(i % 1000)
		switch i % 4 {
		case 0:
			vals = append(vals, decimal128.New(0, lo)) // fits
		case 1:
			vals = append(vals, decimal128.New(1, lo)) // same low word, 2^64 above
		case 2:
			vals = append(vals, decimal128.FromI64(-int64(lo))) // negative, fits
		default:
			vals = append(vals, decimal128.New(-2, lo)) // negative, does not fit
		}
	}
	b := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 38, Scale: 2})
	b.AppendValues(vals, nil)
	arr := b.NewArray()
	b.Release()
	defer arr.Release()
	ids := make([]int32, arr.Len())
	if err := keys.assign(arr, ids); err != nil {
		t.Fatal(err)
	}
	want := map[decimal128.Num]int32{}
	for i, v := range vals {
		if w, ok := want[v]; ok && ids[i] != w {
			t.Fatalf("row %d (%v): id %d, first %d", i, v, ids[i], w)
		} else if !ok {
			want[v] = ids[i]
		}
		if keys.vals[ids[i]] != v {
			t.Fatalf("row %d: id %d holds %v, want %v", i, ids[i], keys.vals[ids[i]], v)
		}
	}
	if keys.size() != len(want) {
		t.Fatalf("%d ids for %d distinct values", keys.size(), len(want))
	}
}

// TestAggBytesKeysEveryLength: string keys of every length from empty to past
// aggMediumMax (one-byte, short, medium and long tables), including keys that differ
// only by trailing zero bytes or by their last byte, get the ids of their first
// appearance, as a Go map would give them.
func TestAggBytesKeysEveryLength(t *testing.T) {
	tab, err := newAggKeyTable(arrow.BinaryTypes.String)
	if err != nil {
		t.Fatal(err)
	}
	keys := tab.(*aggBytesKeys)
	want := map[string]int32{}
	var order []string
	for round := range 2 {
		for i := range 3000 {
			for n := 0; n <= aggMediumMax+3; n++ {
				b := fmt.Appendf(nil, "%0*d", n, i%(1000*(round+1)))
				b = b[len(b)-n:]
				if i%7 == 0 && n > 0 {
					b[n-1] = 0 // "...0" against "...\x00"
				}
				id := keys.lookup(b)
				w, seen := want[string(b)]
				if !seen {
					w = int32(len(order))
					want[string(b)] = w
					order = append(order, string(b))
				}
				if id != w {
					t.Fatalf("key %q (round %d): id %d, want %d", b, round, id, w)
				}
			}
		}
	}
	for id, v := range order {
		if keys.vals[id] != v {
			t.Fatalf("id %d holds %q, want %q", id, keys.vals[id], v)
		}
	}
	if keys.medium.n == 0 || keys.short.n == 0 || keys.m.n == 0 {
		t.Errorf("tables used: short %d, medium %d, long %d keys", keys.short.n, keys.medium.n, keys.m.n)
	}
}

// TestAggMediumKeysGrowthBound: growthBound covers what adding a key grows the table by.
func TestAggMediumKeysGrowthBound(t *testing.T) {
	var s aggMediumKeys
	for i := range 100_000 {
		lo, hi := aggPackMedium(fmt.Appendf(nil, "id%010d", i))
		before, bound := s.bytes(), s.growthBound(1)
		s.put(lo, hi, int32(i))
		if grew := s.bytes() - before; grew > bound {
			t.Fatalf("key %d: grew %d bytes, bound %d", i, grew, bound)
		}
		if id, ok := s.get(lo, hi); !ok || id != int32(i) {
			t.Fatalf("key %d: got %d, %v", i, id, ok)
		}
	}
}

// TestAggMediumHashSpreadsDigitKeys: keys that differ in a few digits across both packed
// words (ids, dates, codes) hash apart. Linear probing turns every shared hash into a
// longer chain; a hash that let the words' digits cancel gave a million ids 640 000
// hashes and made db-benchmark's 1e8 q7 three times slower.
func TestAggMediumHashSpreadsDigitKeys(t *testing.T) {
	for _, format := range []string{"id%010d", "%08d", "%015d", "2026-%02d-%02d %05d"} {
		seen := map[uint64]bool{}
		n := 300_000
		for i := range n {
			var b []byte
			if format == "2026-%02d-%02d %05d" {
				b = fmt.Appendf(nil, format, i%12, i/12%28, i/336)
			} else {
				b = fmt.Appendf(nil, format, i*7)
			}
			seen[aggMediumHash(aggPackMedium(b))] = true
		}
		if len(seen) != n {
			t.Errorf("%q: %d distinct hashes of %d keys", format, len(seen), n)
		}
	}
}
