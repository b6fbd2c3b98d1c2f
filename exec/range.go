package exec

import (
	"context"
	"fmt"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
	"github.com/kindling-data/kindling/shuffle"
)

// Sample sizes of range partitioning, as Spark's RangePartitioner chooses them: about 20
// keys per output partition in all, over-sampled 3x across the map partitions, at most
// a million.
const (
	rangeSamplesPerPartition = 20
	rangeMaxSamples          = 1_000_000
)

// sampleRangeBounds runs stage s once to sample its sort keys, and computes the bounds of
// its range partitioning from the sample.
func (j *job) sampleRangeBounds(ctx context.Context, s *plan.Stage, retries *retryCounter) error {
	keyCols, _, err := sortColumns(s.Root.Schema(), s.Output.SortKeys)
	if err != nil {
		return err
	}
	perTask := rangeSamplesPerTask(s)
	samples := make([]arrow.RecordBatch, s.NumPartitions())
	defer func() {
		for _, r := range samples {
			if r != nil {
				r.Release()
			}
		}
	}()
	err = j.runTasks(ctx, s, func(t *task, _ TaskMetrics) {
		samples[t.partition] = t.sampled
		t.sampled = nil
	}, retries, func(t *task) {
		t.sampler = shuffle.NewReservoir(keyCols, perTask, uint64(t.partition)+1)
	})
	if err != nil {
		return fmt.Errorf("exec: sampling the sort keys of stage %d: %w", s.ID, err)
	}
	bounds, err := rangeBoundsOf(s, samples, j.env.Alloc)
	if err != nil {
		return err
	}
	j.mu.Lock()
	if j.bounds == nil {
		j.bounds = make(map[int]arrow.RecordBatch)
	}
	j.bounds[s.ID] = bounds
	j.mu.Unlock()
	return nil
}

// rangeSamplesPerTask is the reservoir size of each task of a range-partitioned stage's
// sampling pass.
func rangeSamplesPerTask(s *plan.Stage) int {
	total := min(rangeSamplesPerPartition*s.Output.N, rangeMaxSamples)
	return max(1, (3*total+s.NumPartitions()-1)/max(1, s.NumPartitions()))
}

// rangeBoundsOf computes the range bounds of map stage s from its tasks' samples (nil
// for a task that saw no row). The samples stay the caller's.
func rangeBoundsOf(s *plan.Stage, samples []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	schema := s.Root.Schema()
	keyCols, orders, err := sortColumns(schema, s.Output.SortKeys)
	if err != nil {
		return nil, err
	}
	var present []arrow.RecordBatch
	for _, r := range samples {
		if r != nil {
			present = append(present, r)
		}
	}
	if len(present) == 0 {
		// No task saw a row: bounds from an empty sample send everything to partition 0.
		empty := emptyKeyBatch(schema, keyCols, mem)
		defer empty.Release()
		present = append(present, empty)
	}
	bounds, err := shuffle.RangeBounds(present, orders, s.Output.N, mem)
	if err != nil {
		return nil, fmt.Errorf("exec: range bounds of stage %d: %w", s.ID, err)
	}
	return bounds, nil
}

func (j *job) releaseBounds(stageID int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if b := j.bounds[stageID]; b != nil {
		b.Release()
		delete(j.bounds, stageID)
	}
}

func (j *job) rangeBounds(stageID int) arrow.RecordBatch {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.bounds[stageID]
}

// emptyKeyBatch is a zero-row batch of the key columns of schema.
func emptyKeyBatch(schema *arrow.Schema, keyCols []int, mem memory.Allocator) arrow.RecordBatch {
	fields := make([]arrow.Field, len(keyCols))
	cols := make([]arrow.Array, len(keyCols))
	for i, c := range keyCols {
		fields[i] = schema.Field(c)
		cols[i] = array.MakeArrayOfNull(mem, fields[i].Type, 0)
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, 0)
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// sortColumns resolves sort keys to column indices and orders.
func sortColumns(schema *arrow.Schema, keys []plan.SortKey) ([]int, []kernel.SortOrder, error) {
	cols := make([]int, len(keys))
	orders := make([]kernel.SortOrder, len(keys))
	for i, k := range keys {
		idx := schema.FieldIndices(k.Column)
		if len(idx) != 1 {
			return nil, nil, fmt.Errorf("exec: sort key %q is not a column of %s", k.Column, schema)
		}
		cols[i] = idx[0]
		orders[i] = kernel.SortOrder{Descending: k.Descending, NullsFirst: k.NullsFirst}
	}
	return cols, orders, nil
}

// sampleSink feeds a task's output to a reservoir instead of a shuffle: the first pass of
// a range-partitioned stage.
type sampleSink struct{ t *task }

func (s *sampleSink) consume(ctx context.Context, rec arrow.RecordBatch) error {
	defer rec.Release()
	s.t.sampler.Add(rec)
	return nil
}

func (s *sampleSink) commit() (int64, error) {
	r, err := s.t.sampler.Result(s.t.alloc)
	if err != nil {
		return 0, err
	}
	s.t.sampled = r
	s.t.sampler.Release()
	return 0, nil
}

func (s *sampleSink) abort() { s.t.sampler.Release() }
