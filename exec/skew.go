package exec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kindling-data/kindling/shuffle"
)

// Skew names a reduce partition of a map stage's shuffle that holds far more rows than
// the median partition, and the partitioning keys behind it.
type Skew struct {
	Partition int
	// Rows are the partition's rows; Share their fraction of the shuffle's rows, and
	// MedianShare the median partition's.
	Rows               int64
	Share, MedianShare float64
	// Keys are the hot keys (from the map tasks' samples) that go to the partition, with
	// their estimated share of the shuffle's rows, most first.
	Keys []KeyShare
}

// KeyShare is a key's estimated share of a shuffle's rows.
type KeyShare struct {
	Key   string
	Rows  int64
	Share float64
}

// String says it in a line, e.g. "partition 3 holds 38% of the rows (median partition
// 2%); customer_id=0 holds 37%".
func (s Skew) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "partition %d holds %s of the rows (median partition %s)", s.Partition, pct(s.Share), pct(s.MedianShare))
	for i, k := range s.Keys {
		if i == 0 {
			b.WriteString("; ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s holds %s", k.Key, pct(k.Share))
	}
	return b.String()
}

func pct(f float64) string {
	if f < 0.1 {
		return fmt.Sprintf("%.1f%%", 100*f)
	}
	return fmt.Sprintf("%.0f%%", 100*f)
}

const (
	// skewReportFactor: a partition of more than this many times the median partition's
	// rows is reported. Lower than adaptive execution's factor for splitting a join's
	// partition (DefaultSkewedPartitionFactor): with 8 partitions a key of 30% of the
	// rows makes its partition about 4.5 times the median, which a user wants named even
	// where splitting would not pay.
	skewReportFactor = 3
	// skewMinRows: a partition of fewer rows is never called skewed, however small the
	// others are.
	skewMinRows = 1000
	// skewMaxReported bounds the skewed partitions a stage reports, the largest first.
	skewMaxReported = 3
	// skewMinKeyShare: a key named as behind a skewed partition holds at least this share
	// of the shuffle's rows.
	skewMinKeyShare = 0.01
)

// findSkew returns the reduce partitions of st holding more than factor times the median
// partition's rows (and at least skewMinRows), largest first, each with the hot keys
// that go to it.
func findSkew(st shuffle.Stats, factor float64) []Skew {
	n := len(st.Rows)
	if n < 2 {
		return nil
	}
	var total int64
	for _, r := range st.Rows {
		total += r
	}
	if total == 0 {
		return nil
	}
	sorted := slices.Sorted(slices.Values(st.Rows))
	median := sorted[(n-1)/2]
	var out []Skew
	for p, r := range st.Rows {
		if r < skewMinRows || float64(r) <= factor*float64(max(median, 1)) {
			continue
		}
		s := Skew{Partition: p, Rows: r, Share: float64(r) / float64(total), MedianShare: float64(median) / float64(total)}
		for _, k := range st.HotKeys {
			if share := float64(k.Rows) / float64(total); k.Partition == p && share >= skewMinKeyShare {
				s.Keys = append(s.Keys, KeyShare{Key: k.Key, Rows: min(k.Rows, r), Share: min(share, s.Share)})
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Skew) int { return int(b.Rows - a.Rows) })
	return out[:min(len(out), skewMaxReported)]
}
