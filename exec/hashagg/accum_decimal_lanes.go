package hashagg

import (
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/kindling-data/kindling/internal/kernel"
)

// Few groups, many rows: a decimal sum over TPC-H Q1's four groups adds each row to one
// of four sums, so consecutive rows mostly read the sum the previous row has just
// written, and the loop runs at the latency of that store and load, not at the speed of
// the additions. updateLanes spreads the rows over four independent sets of sums
// (row i to lane i%4) that are added into the group's sum once per batch.

// aggLaneGroups is the most groups updateLanes handles: four lanes of sums and counts
// for each stay on the stack (1.5 KiB).
const aggLaneGroups = 16

// updateLanes is updateValid for at most aggLaneGroups groups when every value fits 64
// bits and no group's running sum can leave the sum type within the batch (its
// magnitude plus the batch's rows times its largest magnitude is within the limit), so
// the order of the additions cannot matter: a lane sums at most 2^31 values of
// magnitude at most 2^63, exactly in 128 bits. It reports false, having changed
// nothing, otherwise.
func (s *aggDecSumAcc) updateLanes(vals []decimal128.Num, gids []int32) bool {
	vals = vals[:len(gids)]
	// A type of at most 18 digits bounds its values below 10^18 < 2^63: the bound
	// comes from the type, without a pass over the values, unless it is too loose.
	if p := s.arg.Precision; p > 18 || !s.lanesFit(decimal128.GetScaleMultiplier(int(p)), len(gids)) {
		wide, most := int64(0), uint64(0)
		for _, v := range vals {
			lo := int64(v.LowBits())
			wide |= v.HighBits() ^ lo>>63
			m := lo >> 63
			most = max(most, uint64((lo^m)-m))
		}
		if wide != 0 || !s.lanesFit(decimal128.FromU64(most), len(gids)) {
			return false
		}
	}
	var sums [4][aggLaneGroups]decimal128.Num
	var counts [4][aggLaneGroups]int64
	i := 0
	for ; i+4 <= len(gids); i += 4 {
		g0, g1, g2, g3 := gids[i]&(aggLaneGroups-1), gids[i+1]&(aggLaneGroups-1), gids[i+2]&(aggLaneGroups-1), gids[i+3]&(aggLaneGroups-1)
		sums[0][g0] = sums[0][g0].Add(vals[i])
		sums[1][g1] = sums[1][g1].Add(vals[i+1])
		sums[2][g2] = sums[2][g2].Add(vals[i+2])
		sums[3][g3] = sums[3][g3].Add(vals[i+3])
		counts[0][g0]++
		counts[1][g1]++
		counts[2][g2]++
		counts[3][g3]++
	}
	for ; i < len(gids); i++ {
		g := gids[i] & (aggLaneGroups - 1)
		sums[0][g] = sums[0][g].Add(vals[i])
		counts[0][g]++
	}
	for g := range min(len(s.sums), aggLaneGroups) {
		c := counts[0][g] + counts[1][g] + counts[2][g] + counts[3][g]
		if c == 0 {
			continue
		}
		s.counts[g] += c
		if !s.over[g] {
			s.sums[g] = s.sums[g].Add(sums[0][g]).Add(sums[1][g]).Add(sums[2][g]).Add(sums[3][g])
		}
	}
	return true
}

// lanesFit reports whether no group's sum can leave the sum type when rows values of
// magnitude at most most (below 2^64) are added to it.
func (s *aggDecSumAcc) lanesFit(most decimal128.Num, rows int) bool {
	bound := most.Mul(decimal128.FromI64(int64(rows)))
	for g, sum := range s.sums[:min(len(s.sums), aggLaneGroups)] {
		if !s.over[g] && kernel.CompareDecimal(sum.Abs().Add(bound), s.limit) > 0 {
			return false
		}
	}
	return true
}
