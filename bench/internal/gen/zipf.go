package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Zipf draws integers in [1, n] with P(k) proportional to 1/k^s, for any s >= 0 (s = 0
// is uniform). math/rand/v2's Zipf needs s > 1; this one inverts the cumulative weights
// by binary search, so a draw costs O(log n) and building it O(n).
type Zipf struct {
	rng *rand.Rand
	cum []float64 // cum[k-1] = sum of weights 1..k
	n   int
}

// NewZipf returns a Zipf generator over [1, n] with exponent s, drawing from rng.
func NewZipf(rng *rand.Rand, s float64, n int) (*Zipf, error) {
	if n < 1 {
		return nil, fmt.Errorf("gen: Zipf over %d values: need at least one", n)
	}
	if s < 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return nil, fmt.Errorf("gen: Zipf exponent %v: need a finite s >= 0", s)
	}
	z := &Zipf{rng: rng, n: n}
	if s == 0 {
		return z, nil
	}
	z.cum = make([]float64, n)
	var total float64
	for k := 1; k <= n; k++ {
		total += math.Pow(float64(k), -s)
		z.cum[k-1] = total
	}
	return z, nil
}

// Next returns the next value in [1, n].
func (z *Zipf) Next() int64 {
	if z.cum == nil {
		return int64(z.rng.IntN(z.n)) + 1
	}
	u := z.rng.Float64() * z.cum[z.n-1]
	i := sort.SearchFloat64s(z.cum, u)
	if i >= z.n { // u rounded up to the total
		i = z.n - 1
	}
	return int64(i) + 1
}

// Prob returns the probability of value k (for tests and reports).
func (z *Zipf) Prob(k int) float64 {
	if k < 1 || k > z.n {
		return 0
	}
	if z.cum == nil {
		return 1 / float64(z.n)
	}
	prev := 0.0
	if k > 1 {
		prev = z.cum[k-2]
	}
	return (z.cum[k-1] - prev) / z.cum[z.n-1]
}

// ZipfKeys returns n draws of a Zipf(s) key over [1, keys], from the given seed.
func ZipfKeys(seed uint64, s float64, keys, n int) ([]int64, error) {
	z, err := NewZipf(rand.New(rand.NewPCG(seed, 0x5eed)), s, keys)
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = z.Next()
	}
	return out, nil
}
