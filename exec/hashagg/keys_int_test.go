package hashagg

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/kernel"
	"github.com/kindling-data/kindling/internal/memtest"
)

// aggIntTestBatch builds an int64 array of keys, NULL where null[i].
func aggIntTestBatch(mem memory.Allocator, keys []int64, null []bool) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for i, k := range keys {
		if null != nil && null[i] {
			b.AppendNull()
		} else {
			b.Append(k)
		}
	}
	return b.NewArray()
}

// TestAggIntKeysAgainstMap assigns batches of random int64 keys (negatives, 0, the
// extremes, repeats across batches, NULLs in some batches, enough distinct keys to grow
// the table many times) and checks every row's id against a Go map from key to
// first-seen id, the ids' values, the NULL group and that bytes covers the table.
func TestAggIntKeysAgainstMap(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	tab, err := newAggKeyTable(arrow.PrimitiveTypes.Int64)
	if err != nil {
		t.Fatal(err)
	}
	keys := tab.(*aggIntKeys)
	want := map[int64]int32{}
	nullID := int32(-1)
	rng := rand.New(rand.NewPCG(3, 4))
	special := []int64{0, -1, 1, math.MinInt64, math.MaxInt64, math.MinInt64 + 1, math.MaxInt64 - 1, 1 << 32, -(1 << 32)}
	for batch := range 40 {
		n := []int{0, 1, 7, 1000, 4096}[batch%5]
		ks := make([]int64, n)
		var null []bool
		if batch%3 == 1 {
			null = make([]bool, n)
		}
		for i := range ks {
			switch r := rng.IntN(10); {
			case r == 0:
				ks[i] = special[rng.IntN(len(special))]
			case r < 4:
				ks[i] = int64(rng.IntN(2000)) - 1000 // repeats, negatives
			case r < 6:
				ks[i] = int64(rng.Uint64()) // anywhere, the sign bit included
			default:
				ks[i] = int64(rng.IntN(1<<20)) << 20 // low bits all zero
			}
			if null != nil && rng.IntN(5) == 0 {
				null[i] = true
			}
		}
		arr := aggIntTestBatch(mem, ks, null)
		ids := make([]int32, n)
		bound := keys.bytes() + keys.growthBound(arr)
		if err := keys.assign(arr, ids); err != nil {
			t.Fatal(err)
		}
		arr.Release()
		if got := keys.bytes(); got > bound {
			t.Fatalf("batch %d: bytes %d past the bound %d", batch, got, bound)
		}
		for i, k := range ks {
			if null != nil && null[i] {
				if nullID < 0 {
					nullID = int32(len(want)) // the next id
				}
				if ids[i] != nullID || keys.nullID() != nullID {
					t.Fatalf("batch %d row %d: NULL got id %d, NULL group %d", batch, i, ids[i], nullID)
				}
				continue
			}
			w, ok := want[k]
			if !ok {
				w = int32(len(want))
				if nullID >= 0 {
					w++
				}
				want[k] = w
			}
			if ids[i] != w {
				t.Fatalf("batch %d row %d: key %d got id %d, want %d", batch, i, k, ids[i], w)
			}
		}
	}
	groups := len(want)
	if nullID >= 0 {
		groups++
	}
	if keys.size() != groups || keys.tab.n != len(want) {
		t.Fatalf("%d ids (%d in the table) for %d keys and NULL id %d", keys.size(), keys.tab.n, len(want), nullID)
	}
	for k, id := range want {
		if keys.vals[id] != k {
			t.Fatalf("id %d holds %d, want %d", id, keys.vals[id], k)
		}
	}
	if 4*keys.tab.n > 3*len(keys.tab.slots) {
		t.Fatalf("%d keys in %d slots: past 3/4", keys.tab.n, len(keys.tab.slots))
	}
	if b := keys.bytes(); b < int64(len(keys.tab.slots))*aggIntSlotBytes+int64(len(keys.vals))*8 {
		t.Fatalf("bytes %d below the table's %d slots and %d values", b, len(keys.tab.slots), len(keys.vals))
	}
}

// TestAggIntKeysDirectThenTable starts with dense int32 keys (the direct window) and
// goes on with keys far outside it (the window given up): ids stay those of first
// appearance, as a Go map says, across the switch.
func TestAggIntKeysDirectThenTable(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	tab, err := newAggKeyTable(arrow.PrimitiveTypes.Int32)
	if err != nil {
		t.Fatal(err)
	}
	keys := tab.(*aggIntKeys)
	want := map[int32]int32{}
	rng := rand.New(rand.NewPCG(5, 6))
	for batch := range 6 {
		b := array.NewInt32Builder(mem)
		var ks []int32
		for range 3000 {
			k := int32(rng.IntN(500)) - 100
			if batch >= 3 && rng.IntN(2) == 0 {
				k = int32(rng.Uint32())
			}
			ks = append(ks, k)
			b.Append(k)
		}
		arr := b.NewArray()
		b.Release()
		ids := make([]int32, len(ks))
		if err := keys.assign(arr, ids); err != nil {
			t.Fatal(err)
		}
		arr.Release()
		if direct := !keys.noDirect; direct != (batch < 3) {
			t.Fatalf("batch %d: direct window in use %v", batch, direct)
		}
		for i, k := range ks {
			w, ok := want[k]
			if !ok {
				w = int32(len(want))
				want[k] = w
			}
			if ids[i] != w || keys.vals[w] != int64(k) {
				t.Fatalf("batch %d row %d: key %d got id %d, want %d", batch, i, k, ids[i], w)
			}
		}
	}
	if keys.size() != len(want) || keys.nullID() != -1 {
		t.Fatalf("%d ids, NULL id %d, for %d keys", keys.size(), keys.nullID(), len(want))
	}
}

// TestAggIntKeysShuffledPartition assigns the keys a reduce task gets from a hash
// shuffle: every key's kernel hash has the same top bits. The table's probes must stay
// short (its hash is not the shuffle's: with the same one, these keys pile into a
// sixteenth of the slots and a lookup walks thousands of them).
func TestAggIntKeysShuffledPartition(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	b := array.NewInt64Builder(mem)
	for k := range int64(800_000) {
		b.Append(k)
	}
	all := b.NewArray()
	b.Release()
	hs := make([]uint64, all.Len())
	if err := kernel.HashColumns([]arrow.Array{all}, hs); err != nil {
		t.Fatal(err)
	}
	all.Release()
	var part []int64
	for k, h := range hs {
		if h>>60 == 5 {
			part = append(part, int64(k))
		}
	}
	tab, err := newAggKeyTable(arrow.PrimitiveTypes.Int64)
	if err != nil {
		t.Fatal(err)
	}
	keys := tab.(*aggIntKeys)
	keys.noDirect = true
	arr := aggIntTestBatch(mem, part, nil)
	defer arr.Release()
	ids := make([]int32, len(part))
	if err := keys.assign(arr, ids); err != nil {
		t.Fatal(err)
	}
	mask := len(keys.tab.slots) - 1
	probes := 0
	for i, k := range part {
		if keys.vals[ids[i]] != k {
			t.Fatalf("key %d got id %d holding %d", k, ids[i], keys.vals[ids[i]])
		}
		home := int(aggIntHash(k) >> keys.tab.shift)
		for pos := home; keys.tab.slots[pos].key != k; pos = (pos + 1) & mask {
			probes++
		}
	}
	if mean := float64(probes) / float64(len(part)); mean > 4 {
		t.Fatalf("%d keys in %d slots: %.1f extra probes per key", len(part), len(keys.tab.slots), mean)
	}
}
