package dataset

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/storage"
)

// samplePartitions bounds the stored partitions a sample opens, so that planning over a
// dataset of thousands of partitions stays cheap.
const samplePartitions = 8

// SampleRows shows the planner about rows stored rows of the columns cols (indices of the
// stored schema): the first rows of up to samplePartitions partitions spread over the
// dataset, an equal share from each (plan.CacheSampler; the join order measures its
// filters' shares on them). Only partitions held in memory as Arrow batches are looked
// at: planning reads nothing from disk and decodes nothing. false when no partition
// showed a row.
func (c *cacheState) SampleRows(cols []int, rows int, visit func(arrow.RecordBatch)) bool {
	n, ok := c.Materialized()
	if !ok || n == 0 || rows <= 0 {
		return false
	}
	k := min(n, samplePartitions)
	per := max(rows/k, 1)
	seen := false
	for i := range k {
		recs, _ := c.s.blocks.PeekCache(storage.CacheBlockID(c.id, i*n/k), cols, per)
		left := per
		for _, b := range recs {
			if left > 0 && b.NumRows() > 0 {
				s := b.NewSlice(0, min(int64(left), b.NumRows()))
				left -= int(s.NumRows())
				visit(s)
				s.Release()
				seen = true
			}
			b.Release()
		}
	}
	return seen
}
