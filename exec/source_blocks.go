package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/storage"
)

// blockSource reads the stored partitions of a dataset from the block manager, with no
// lineage behind them: a local checkpoint.
type blockSource struct {
	name       string
	env        *Env
	datasetID  int
	partitions int
	schema     *arrow.Schema
}

// NewBlockSource returns a source over the partitions 0..partitions-1 of a cached dataset.
// Reading a partition that is no longer stored is an error: there is no lineage to
// recompute it from.
func NewBlockSource(name string, env *Env, datasetID, partitions int, schema *arrow.Schema) plan.Source {
	return &blockSource{name: name, env: env, datasetID: datasetID, partitions: partitions, schema: schema}
}

func (b *blockSource) String() string                 { return b.name }
func (b *blockSource) Schema() (*arrow.Schema, error) { return b.schema, nil }
func (b *blockSource) CanPrune() bool                 { return false }

func (b *blockSource) Partitions(req plan.ScanRequest) ([]plan.ScanPartition, error) {
	cols := make([]int, 0, len(req.Columns))
	if req.Columns != nil {
		for _, c := range req.Columns {
			idx := b.schema.FieldIndices(c)
			if len(idx) != 1 {
				return nil, fmt.Errorf("exec: %s has no column %q", b.name, c)
			}
			cols = append(cols, idx[0])
		}
	}
	parts := make([]plan.ScanPartition, b.partitions)
	for p := range parts {
		parts[p] = &blockPartition{src: b, p: p, cols: cols, project: req.Columns != nil}
	}
	return parts, nil
}

type blockPartition struct {
	src     *blockSource
	p       int
	cols    []int
	project bool
}

func (b *blockPartition) String() string {
	return storage.CacheBlockID(b.src.datasetID, b.p).String()
}

func (b *blockPartition) EstimatedBytes() int64 {
	info := b.src.env.Blocks.DatasetInfo(b.src.datasetID)
	if info.Partitions == 0 {
		return -1
	}
	return (info.MemoryBytes + info.DiskBytes) / int64(info.Partitions)
}

func (b *blockPartition) Open(ctx context.Context, mem memory.Allocator) (plan.BatchIterator, error) {
	id := storage.CacheBlockID(b.src.datasetID, b.p)
	var cols []int
	if b.project {
		cols = b.cols
	}
	stream, loc, err := b.src.env.Blocks.OpenCache(ctx, id, mem, cols)
	if err != nil {
		return nil, err
	}
	if loc == storage.NotStored {
		stream.Close()
		return nil, fmt.Errorf("exec: %s: block %s of the local checkpoint is lost (local checkpoints are not fault tolerant)", b.src.name, id)
	}
	return stream, nil
}
