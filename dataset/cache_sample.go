package dataset

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/storage"
)

// samplePartitions bounds the stored partitions a sample opens, so that planning over a
// dataset of thousands of partitions stays cheap.
const samplePartitions = 8

// SampleRows shows the planner about rows stored rows of the columns cols (indices of the
// stored schema): the first rows of up to samplePartitions partitions spread over the
// dataset, an equal share from each (plan.CacheSampler; the join order measures its
// filters' shares on them). A block on disk reads only those columns, batch by batch.
func (c *cacheState) SampleRows(cols []int, rows int, visit func(arrow.RecordBatch)) bool {
	n, ok := c.Materialized()
	if !ok || n == 0 || rows <= 0 {
		return false
	}
	k := min(n, samplePartitions)
	per := max(rows/k, 1)
	for i := range k {
		if !c.samplePartition(i*n/k, cols, per, visit) {
			return false
		}
	}
	return true
}

// samplePartition visits the first rows rows of partition p.
func (c *cacheState) samplePartition(p int, cols []int, rows int, visit func(arrow.RecordBatch)) bool {
	st, _, err := c.s.blocks.OpenCache(context.Background(), storage.CacheBlockID(c.id, p), nil, cols)
	if err != nil {
		return false
	}
	defer st.Close()
	for rows > 0 {
		b, err := st.Next()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
		if int(b.NumRows()) > rows {
			s := b.NewSlice(0, int64(rows))
			b.Release()
			b = s
		}
		rows -= int(b.NumRows())
		visit(b)
		b.Release()
	}
	return true
}
