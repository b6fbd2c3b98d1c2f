package shuffle

import (
	"io"
	"math/rand/v2"
	"slices"
	"testing"
)

// readRange reads what rng selects of shuffleID, as ids in read order.
func readRange(t *testing.T, svc *Service, shuffleID int, rng Range) []int64 {
	t.Helper()
	rd := svc.RangeReader(shuffleID, rng)
	defer rd.Close()
	var out []int64
	for {
		b, err := rd.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rowsOf(t, b) {
			out = append(out, r.id)
		}
		b.Release()
	}
}

// TestRangeReader: a range of reduce partitions reads them in order, each in map order,
// as reading each partition would; a subset of map outputs reads only theirs; the
// per-map sizes add up to the partition's; a bad range is an error naming it.
func TestRangeReader(t *testing.T) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(7, 7))
	for m := range 3 {
		in := mapInput(e.mem, rng, 1000*m, []int{40, 0, 1, 25})
		writeMap(t, e, 1, m, 0, NewRoundRobinPartitioner(5, m), in)
		release(in)
	}
	var each []int64
	for r := 1; r < 4; r++ {
		for _, x := range readAll(t, e.svc, 1, r) {
			each = append(each, x.id)
		}
	}
	if got := readRange(t, e.svc, 1, Range{Start: 1, End: 4}); !slices.Equal(got, each) {
		t.Fatalf("range [1,4): %d rows, partitions one by one: %d", len(got), len(each))
	}
	maps, bytes := e.svc.PartitionMapBytes(1, 2)
	st := e.svc.Stats(1)
	var sum int64
	for _, b := range bytes {
		sum += b
	}
	if !slices.Equal(maps, []int{0, 1, 2}) || sum != st.Bytes[2] {
		t.Fatalf("partition 2 by map: %v %v, partition bytes %d", maps, bytes, st.Bytes[2])
	}
	var split []int64
	for _, m := range [][]int{{0}, {1, 2}} {
		got := readRange(t, e.svc, 1, Range{Start: 2, End: 3, Maps: m})
		for _, id := range got {
			if !slices.Contains(m, int(id/1000)) {
				t.Fatalf("maps %v read row %d of map %d", m, id, id/1000)
			}
		}
		split = append(split, got...)
	}
	whole := readRange(t, e.svc, 1, Range{Start: 2, End: 3})
	if !slices.Equal(split, whole) {
		t.Fatalf("the pieces of partition 2 read %d rows, the partition %d", len(split), len(whole))
	}
	rd := e.svc.RangeReader(1, Range{Start: 3, End: 9})
	if _, err := rd.Next(); err == nil || err == io.EOF {
		t.Fatalf("range past the partitions: %v", err)
	}
	rd.Close()
}
