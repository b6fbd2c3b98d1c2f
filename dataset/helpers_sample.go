package dataset

import (
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// Sample keeps each row with probability fraction (a Bernoulli sample, Spark's sample
// without replacement), so the result has about fraction times the rows, not exactly.
// The draws depend only on seed, the partition and the row's position in it: the same
// seed over the same input keeps the same rows, on every run and in a retried task. An
// input whose rows come out of a shuffle in an order that can change between runs (an
// aggregate, a join) samples other rows each time; Cache it first to fix them. fraction
// must be within [0, 1].
func (d *Dataset) Sample(fraction float64, seed int64) *Dataset {
	site := callSite("sample")
	if !(fraction >= 0 && fraction <= 1) {
		return d.deriveErr(fmt.Errorf("dataset: Sample at %s: fraction %g is not within [0, 1]", site, fraction))
	}
	return d.derive(&plan.Sample{Meta: plan.Meta{CallSite: site}, Input: d.node, Lower: 0, Upper: fraction, Seed: seed})
}

// RandomSplit splits the rows into len(weights) datasets of about the weights'
// proportions (normalized to sum to 1), as Spark's randomSplit: every row draws one
// number, and split i keeps the rows whose draw falls in its range, so the splits are
// disjoint and together hold every row, as long as the input yields its rows in the same
// order each time it is computed (see Sample; Cache the input otherwise, which also
// saves computing it once per split). Weights must be non-negative with a positive sum;
// otherwise the result is one dataset whose actions fail with the error.
func (d *Dataset) RandomSplit(weights []float64, seed int64) []*Dataset {
	site := callSite("randomSplit")
	var sum float64
	for _, w := range weights {
		if !(w >= 0) || math.IsInf(w, 1) {
			sum = math.NaN()
			break
		}
		sum += w
	}
	if len(weights) == 0 || !(sum > 0) {
		err := d.deriveErr(fmt.Errorf("dataset: RandomSplit at %s: weights %v must be non-negative with a positive sum", site, weights))
		return []*Dataset{err}
	}
	out := make([]*Dataset, len(weights))
	lo, acc := 0.0, 0.0
	for i, w := range weights {
		acc += w
		hi := acc / sum
		if i == len(weights)-1 {
			hi = 1
		}
		out[i] = d.derive(&plan.Sample{Meta: plan.Meta{CallSite: site}, Input: d.node, Lower: lo, Upper: hi, Seed: seed})
		lo = hi
	}
	return out
}

// PartitionFunc is a user function over one partition's stream of record batches, for
// MapPartitions. It returns the sequence of its output batches; kindling pulls from it
// one batch at a time (the sequence runs as a coroutine of the task, never at the same
// time as the task's other operators), so
// the function may hold state across batches (a running total, a connection opened in
// the sequence and closed by a defer there) and sees the whole partition in order.
//
// Ownership: each input batch is borrowed for one step of the range loop over in and
// released when the loop moves on (Retain it to keep it longer, and Release what was
// retained); each batch yielded becomes kindling's: a new one allocated with mem (so
// that it is accounted), or an input batch after Retain. The function may stop reading
// in early and may end before the input does. When kindling stops early (a Limit above,
// a cancelled job, a failure), the function's range loop over its output ends: its
// yield returns false, and it must return then (its defers run). Errors are yielded as
// (nil, err). An error or panic of the function fails the task, which is retried up to
// Config.MaxTaskAttempts times, as MapBatches'. It may be called concurrently for
// different partitions.
type PartitionFunc = plan.PartitionFunc

// MapPartitions applies fn to each partition's stream of batches, as Spark's
// mapPartitions (with Arrow batches, as PySpark's mapInArrow). out is the schema of the
// batches fn yields; nil means fn keeps the input schema. A batch of another schema
// fails the job at once.
func (d *Dataset) MapPartitions(name string, out *arrow.Schema, fn PartitionFunc) *Dataset {
	site := callSite("mapPartitions")
	if fn == nil {
		return d.deriveErr(errors.New("dataset: MapPartitions: nil function"))
	}
	return d.derive(&plan.MapPartitions{Meta: plan.Meta{CallSite: site}, Input: d.node, Fn: fn, OutputSchema: out, Name: name})
}
