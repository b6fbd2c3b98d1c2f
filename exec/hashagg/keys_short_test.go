package hashagg

import (
	"math/rand/v2"
	"testing"
)

// TestBytesKeysShortAndLong looks up keys of 0 to 10 bytes (the packed table's and the
// map's, NUL bytes and keys that differ only in length included) and checks that equal
// keys get one id, different keys different ids, and every id its key back.
func TestBytesKeysShortAndLong(t *testing.T) {
	keys := &aggBytesKeys{m: newAggStrMap(), null: -1}
	defer keys.release()
	want := map[string]int32{}
	rng := rand.New(rand.NewPCG(1, 2))
	fixed := []string{"", "\x00", "\x00\x00", "A", "A\x00", "ABCDEFG", "ABCDEFGH", "\xff\xff\xff\xff\xff\xff\xff"}
	for i := range 20000 {
		var k string
		if i < len(fixed) {
			k = fixed[i]
		} else {
			b := make([]byte, rng.IntN(11))
			for j := range b {
				b[j] = "AB\x00\xff"[rng.IntN(4)]
			}
			k = string(b)
		}
		id := keys.lookup([]byte(k))
		if w, ok := want[k]; ok {
			if id != w {
				t.Fatalf("key %q: id %d, first %d", k, id, w)
			}
			continue
		}
		if int(id) != len(want) {
			t.Fatalf("new key %q: id %d, want %d", k, id, len(want))
		}
		want[k] = id
	}
	if keys.size() != len(want) {
		t.Fatalf("%d ids for %d keys", keys.size(), len(want))
	}
	for k, id := range want {
		if keys.vals[id] != k {
			t.Fatalf("id %d holds %q, want %q", id, keys.vals[id], k)
		}
	}
}
