package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Join holds db-benchmark's join tables for N rows (J1_<N>_NA_0_0): x with N rows and the
// right tables small (N/1e6 rows), medium (N/1e3) and big (N). Key ranges follow
// db-benchmark's join generator: for each key column with n values, the integers
// 1..1.1n are shuffled and cut into 0.9n keys present on both sides, 0.1n only in x (the
// left side) and 0.1n only in the right tables; a column samples its key set so that every
// key appears at least once (sample_all), so id3 of x and big, and id2 of medium, are
// permutations. The string columns id4, id5, id6 are "id%d" of id1, id2, id3.
//
//	x       id1, id2, id3, id4, id5, id6, v1
//	small   id1, id4, v2
//	medium  id1, id2, id4, id5, v2
//	big     id1, id2, id3, id4, id5, id6, v2
//
// v1 and v2 are uniform on [0, 100) rounded to 6 decimals.
type Join struct {
	N                int
	X, Small, Medium JoinTable
	Big              JoinTable
	// Keys1 and Keys2 are the largest values of id1 and id2 (1.1 × their key counts), the
	// size of the level tables of id4 and id5.
	Keys1, Keys2 int
}

// JoinTable is one join table: its integer key columns (nil when absent) and its value
// column V, named VName ("v1" for x, "v2" for the right tables).
type JoinTable struct {
	Name          string
	Rows          int
	ID1, ID2, ID3 []int64
	V             []float64
	VName         string
}

// keySplit is db-benchmark's split_xlr: shuffled keys 1..1.1n cut into both-sides keys,
// left-only keys and right-only keys.
type keySplit struct{ both, left, right []int64 }

func splitKeys(r *rand.Rand, n int) keySplit {
	total := max(1, int(math.Round(1.1*float64(n))))
	n = min(n, total)
	keys := make([]int64, total)
	for i := range keys {
		keys[i] = int64(i) + 1
	}
	r.Shuffle(total, func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	nb := max(1, int(math.Round(0.9*float64(n))))
	return keySplit{both: keys[:nb], left: keys[nb:n], right: keys[n:]}
}

// sampleAll is db-benchmark's sample_all: every value of from once, then size-len(from)
// draws with replacement, shuffled. If size < len(from), a random subset of from.
func sampleAll(r *rand.Rand, from []int64, size int) []int64 {
	out := make([]int64, 0, max(size, len(from)))
	out = append(out, from...)
	for len(out) < size {
		out = append(out, from[r.IntN(len(from))])
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:size]
}

func concat(a, b []int64) []int64 { return append(append(make([]int64, 0, len(a)+len(b)), a...), b...) }

// NewJoin generates the join tables for n rows of x from seed. n must be at least 1e3 so
// that medium has a row; small has max(1, n/1e6) rows.
func NewJoin(n int, seed uint64) (*Join, error) {
	if n < 1000 {
		return nil, fmt.Errorf("gen: join tables with %d rows: need at least 1000", n)
	}
	nSmall, nMedium := max(1, n/1_000_000), n/1000
	r := rng(seed, 100)
	k1, k2, k3 := splitKeys(r, nSmall), splitKeys(r, nMedium), splitKeys(r, n)
	j := &Join{N: n, Keys1: len(k1.both) + len(k1.left) + len(k1.right), Keys2: len(k2.both) + len(k2.left) + len(k2.right)}
	values := func(stream, rows int) []float64 {
		rr := rng(seed, stream)
		v := make([]float64, rows)
		for i := range v {
			v[i] = Round6(rr.Float64() * 100)
		}
		return v
	}
	l1, l2, l3 := concat(k1.both, k1.left), concat(k2.both, k2.left), concat(k3.both, k3.left)
	r1, r2, r3 := concat(k1.both, k1.right), concat(k2.both, k2.right), concat(k3.both, k3.right)
	j.X = JoinTable{Name: "x", Rows: n, VName: "v1"}
	j.Small = JoinTable{Name: "small", Rows: nSmall, VName: "v2"}
	j.Medium = JoinTable{Name: "medium", Rows: nMedium, VName: "v2"}
	j.Big = JoinTable{Name: "big", Rows: n, VName: "v2"}
	parallel(
		func() { j.X.ID1 = sampleAll(rng(seed, 101), l1, n) },
		func() { j.X.ID2 = sampleAll(rng(seed, 102), l2, n) },
		func() { j.X.ID3 = sampleAll(rng(seed, 103), l3, n) },
		func() { j.X.V = values(104, n) },
		func() {
			j.Small.ID1 = sampleAll(rng(seed, 111), r1, nSmall)
			j.Small.V = values(112, nSmall)
			j.Medium.ID1 = sampleAll(rng(seed, 121), r1, nMedium)
			j.Medium.ID2 = sampleAll(rng(seed, 122), r2, nMedium)
			j.Medium.V = values(123, nMedium)
		},
		func() { j.Big.ID1 = sampleAll(rng(seed, 131), r1, n) },
		func() { j.Big.ID2 = sampleAll(rng(seed, 132), r2, n) },
		func() { j.Big.ID3 = sampleAll(rng(seed, 133), r3, n) },
		func() { j.Big.V = values(134, n) },
	)
	return j, nil
}
