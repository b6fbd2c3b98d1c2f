package storage

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/internal/kernel"
)

// PeekCache returns the first batches of cached block id, at least rows rows of them when
// the block has that many, holding the columns cols (indices, in that order; nil for every
// column): a look at the data for the planner. Only a block held in memory as Arrow
// batches is looked at, without decoding or reading anything; for any other (on disk,
// serialized, not stored) ok is false. The caller releases the batches.
func (b *BlockManager) PeekCache(id BlockID, cols []int, rows int) (out []arrow.RecordBatch, ok bool) {
	b.mu.Lock()
	e := b.blocks[id]
	if e == nil || b.closed || !e.inMem || e.ser != nil {
		b.mu.Unlock()
		return nil, false
	}
	for _, rec := range e.batches {
		if rows <= 0 {
			break
		}
		for _, c := range cols {
			if c < 0 || c >= int(rec.NumCols()) {
				b.mu.Unlock()
				releaseAll(out)
				return nil, false
			}
		}
		// A reader gets array objects of its own (see GetCache).
		out = append(out, kernel.Rewrap(rec))
		rows -= int(rec.NumRows())
	}
	b.mu.Unlock()
	if cols != nil && len(out) > 0 {
		schema := projectSchema(out[0].Schema(), cols)
		for i, rec := range out {
			out[i] = projectBatch(rec, schema, cols)
		}
	}
	return out, true
}
