package shuffle

import (
	"math"
	"math/bits"
)

// distinctBits is log2 of a DistinctSketch's registers: 256 registers, a standard error
// of about 1.04/sqrt(256) = 6.5%, small enough for sizing a table and small enough to
// keep one per reduce partition in every map status.
const distinctBits = 8

// maxSketchedPartitions bounds the reduce partitions a map task keeps sketches for
// (256 bytes each): a shuffle into more keeps none, and readers report no estimate.
const maxSketchedPartitions = 256

// DistinctSketch is a HyperLogLog (Flajolet, Fusy, Gandouet, Meunier) of the partitioning
// keys of one reduce partition of one map output: how many distinct keys its rows hold,
// estimated from their hashes. Sketches of several map outputs or partitions merge into
// the sketch of their union, so a reduce task knows about how many groups its input
// holds before it reads a row (its rows count every map output's copy of a key).
type DistinctSketch [1 << distinctBits]uint8

// Add records a key by its 64-bit hash. The partitioner's hashes choose the partition by
// their high bits, so the rows of one partition share those: the hash is mixed again
// before its bits pick a register and a rank.
func (d *DistinctSketch) Add(hash uint64) {
	x := hash * 0x9e3779b97f4a7c15
	x ^= x >> 29
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 32
	reg := x >> (64 - distinctBits)
	// The rank is the position of the first 1 bit after the register bits; the guard bit
	// bounds it when they are all 0.
	rank := uint8(bits.LeadingZeros64(x<<distinctBits|1<<(distinctBits-1))) + 1
	if rank > d[reg] {
		d[reg] = rank
	}
}

// Merge makes d the sketch of the union of d's and o's keys.
func (d *DistinctSketch) Merge(o *DistinctSketch) {
	for i, r := range o {
		if r > d[i] {
			d[i] = r
		}
	}
}

// Estimate returns the estimated number of distinct keys added: HyperLogLog's estimate,
// or linear counting over the empty registers while that is the better one (few keys).
func (d *DistinctSketch) Estimate() int64 {
	const m = float64(1 << distinctBits)
	sum, zeros := 0.0, 0
	for _, r := range d {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(e + 0.5)
}
