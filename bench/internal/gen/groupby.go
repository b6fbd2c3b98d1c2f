package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// GroupBy is db-benchmark's group-by table G1_<N>_<K>_0_0 (no NULLs, unsorted):
//
//	id1, id2  "id%03d", uniform over 1..K        (string keys; K groups)
//	id3       "id%010d", uniform over 1..N/K     (string key; N/K groups)
//	id4, id5  int, uniform over 1..K
//	id6       int, uniform over 1..N/K
//	v1        int, uniform over 1..5
//	v2        int, uniform over 1..15
//	v3        float, uniform on [0, 100) rounded to 6 decimals
//
// The string columns are held as 0-based codes into Levels12 (id1, id2) and Levels3
// (id3): code c stands for the value c+1.
type GroupBy struct {
	N, K                  int
	ID1, ID2, ID3         []int32
	ID4, ID5, ID6, V1, V2 []int64
	V3                    []float64
	Levels12, Levels3     []string
}

// NewGroupBy generates the table with n rows and k groups for id1, id2, id4, id5 (db-
// benchmark's K = 100) from seed. n/k groups for id3 and id6 (at least one).
func NewGroupBy(n, k int, seed uint64) (*GroupBy, error) {
	if n < 1 || k < 1 {
		return nil, fmt.Errorf("gen: group-by table with %d rows and %d groups: both must be positive", n, k)
	}
	nk := max(1, n/k)
	g := &GroupBy{N: n, K: k,
		ID1: make([]int32, n), ID2: make([]int32, n), ID3: make([]int32, n),
		ID4: make([]int64, n), ID5: make([]int64, n), ID6: make([]int64, n),
		V1: make([]int64, n), V2: make([]int64, n), V3: make([]float64, n),
		Levels12: levels("id%03d", k), Levels3: levels("id%010d", nk),
	}
	codes := func(col int, dst []int32, m int) func() {
		return func() {
			r := rng(seed, col)
			for i := range dst {
				dst[i] = int32(r.IntN(m))
			}
		}
	}
	ints := func(col int, dst []int64, m int) func() {
		return func() {
			r := rng(seed, col)
			for i := range dst {
				dst[i] = int64(r.IntN(m)) + 1
			}
		}
	}
	parallel(
		codes(1, g.ID1, k), codes(2, g.ID2, k), codes(3, g.ID3, nk),
		ints(4, g.ID4, k), ints(5, g.ID5, k), ints(6, g.ID6, nk),
		ints(7, g.V1, 5), ints(8, g.V2, 15),
		func() {
			r := rng(seed, 9)
			for i := range g.V3 {
				g.V3[i] = Round6(r.Float64() * 100)
			}
		},
	)
	return g, nil
}

// Round6 rounds to 6 decimals, as db-benchmark's round(runif(N, max=100), 6).
func Round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func rng(seed uint64, stream int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(stream)*0x9e3779b97f4a7c15))
}

func levels(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i+1)
	}
	return out
}

// parallel runs each of fns on its own goroutine and waits for all.
func parallel(fns ...func()) {
	var wg sync.WaitGroup
	for _, f := range fns {
		wg.Go(f)
	}
	wg.Wait()
}
