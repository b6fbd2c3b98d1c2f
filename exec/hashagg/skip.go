package hashagg

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/eval"
	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// Skipping partial aggregation. When the probe finds that nearly every row is a group of
// its own (partialReducesLittle), hashing rows into a table only to emit them again costs
// as much as the final aggregation and saves the shuffle nothing. Once the table has been
// flushed, Partial mode then turns each input batch straight into state rows, one per
// input row — the state a group holding just that row would have — with no hashing at
// all (DataFusion's skip_partial_aggregation, which also converts rows to states). Key
// columns pass through (dictionaries decoded to the output key type), and so do the
// arguments of sum, min, max and first where their type is the state's.
//
// Only aggregates whose one-row state is a plain function of the row can do this: sum,
// count, count(*), mean, min, max and first, and any_value, bool_and and bool_or, whose
// accumulators are first, min and max under other names (accum_collect.go), so a lone
// row's state is its value as for those. The others (median and top_k keep lists,
// stddev/variance/corr moments, count distinct a set) keep flushing a table of a batch of
// groups at a time.

// aggSkipPays reports whether partial aggregation should stop: groups distinct keys in
// the first probed rows, out of total rows the task will read (0: unknown, taken as
// probed). The first rows alone mislead when the input is much longer than the probe: a
// million keys drawn over 25 million rows look all distinct in the first 100 000 (95%
// new), yet the table would end 25 times smaller than the input. So the probe is read as a
// sample of keys drawn uniformly from a domain of d keys, where n draws find
// d(1 - e^(-n/d)) distinct ones; the domain that explains the probe gives the groups the
// whole input should leave, and it is those against total that decide. Skewed or clustered
// keys repeat more than uniform ones, so the estimate errs towards aggregating.
func aggSkipPays(groups int, probed, total int64) bool {
	if probed <= 0 || groups <= 0 {
		return false
	}
	seen := float64(groups) / float64(probed)
	if total <= probed || seen >= 1 {
		return seen > aggSkipRatio
	}
	// distinctShare(x) = (1 - e^(-x)) / x is the share of n = x·d draws that are
	// distinct; it falls from 1 (x -> 0) towards 0. Find the x of the probe by bisection.
	distinctShare := func(x float64) float64 { return -math.Expm1(-x) / x }
	lo, hi := 0.0, 1.0
	for distinctShare(hi) > seen && hi < 1<<40 {
		hi *= 2
	}
	for range 60 {
		mid := (lo + hi) / 2
		if mid == lo || mid == hi {
			break
		}
		if distinctShare(mid) > seen {
			lo = mid
		} else {
			hi = mid
		}
	}
	x := (lo + hi) / 2
	return distinctShare(x*float64(total)/float64(probed)) > aggSkipRatio
}

// aggRowStatesSupported reports whether every aggregate of node has a row-wise state.
func aggRowStatesSupported(node *plan.PHashAggregate) bool {
	if node.Mode != plan.AggPartial || len(node.Keys) == 0 {
		return false
	}
	for _, a := range node.Aggs {
		switch a.Func {
		case plan.AggSum, plan.AggCount, plan.AggCountAll, plan.AggMean, plan.AggMin, plan.AggMax, plan.AggFirst,
			plan.AggAnyValue, plan.AggBoolAnd, plan.AggBoolOr:
		default:
			return false
		}
	}
	return true
}

// passNext returns the next input batch as state rows; at the end of the input it hands
// over to inputDone (the table is empty, but state spilled earlier may wait) and returns
// (nil, nil).
func (o *HashAggOp) passNext() (arrow.RecordBatch, error) {
	for {
		if err := o.ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := o.input.Next()
		if errors.Is(err, io.EOF) {
			return nil, o.inputDone()
		}
		if err != nil {
			return nil, err
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		out, err := o.rowStates(rec)
		rec.Release()
		return out, err
	}
}

// rowStates returns rec as Partial mode's output with one group per row.
func (o *HashAggOp) rowStates(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	ev := &eval.Evaluator{Ctx: colop.ComputeCtx(o.ctx, o.mem), Rec: rec, Mem: o.mem, N: n}
	cols := make([]arrow.Array, 0, len(o.node.OutSchema.Fields()))
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	for k, name := range o.node.Keys {
		arr, err := aggColumn(rec, name, "key")
		if err != nil {
			release()
			return nil, err
		}
		out, err := ev.CastArray(arr, o.keyTypes[k])
		if err != nil {
			release()
			return nil, fmt.Errorf("exec: hash aggregate: key %q: %w", name, err)
		}
		cols = append(cols, out)
	}
	for i, a := range o.node.Aggs {
		var arg arrow.Array
		if len(o.inNames[i]) > 0 {
			var err error
			if arg, err = aggColumn(rec, o.inNames[i][0], "aggregate input"); err != nil {
				release()
				return nil, err
			}
		}
		states, err := aggRowState(ev, a.Func, arg, o.outTypes[i], n)
		if err != nil {
			release()
			return nil, fmt.Errorf("exec: hash aggregate: state of %s: %w", a, err)
		}
		cols = append(cols, states...)
	}
	out := array.NewRecordBatch(o.node.OutSchema, cols, int64(n))
	release()
	return out, nil
}

// aggRowState returns the one-row-group states of f over arg (nil for count(*)) as
// columns of the given types.
func aggRowState(ev *eval.Evaluator, f plan.AggFunc, arg arrow.Array, types []arrow.DataType, n int) ([]arrow.Array, error) {
	switch f {
	case plan.AggCountAll:
		return []arrow.Array{aggOnes(ev.Mem, n, nil)}, nil
	case plan.AggCount:
		return []arrow.Array{aggOnes(ev.Mem, n, arg)}, nil
	case plan.AggSum, plan.AggMean:
		if kernel.IsDecimal128(arg.DataType()) {
			return aggDecRowState(ev.Mem, arg, types, n), nil
		}
		if f == plan.AggSum {
			v, err := ev.CastArray(arg, types[0])
			if err != nil {
				return nil, err
			}
			return []arrow.Array{v}, nil
		}
		sum, err := ev.CastArray(arg, types[0])
		if err != nil {
			return nil, err
		}
		return []arrow.Array{sum, aggOnes(ev.Mem, n, arg)}, nil
	default: // min, max, first, any_value, bool_and, bool_or: a lone value is its own state (NULL: no value)
		v, err := ev.CastArray(arg, types[0])
		if err != nil {
			return nil, err
		}
		return []arrow.Array{v}, nil
	}
}

// aggOnes returns an int64 array of n ones, or, given valid, 1 where valid holds a value
// and 0 where it is NULL (the count of a one-row group).
func aggOnes(mem memory.Allocator, n int, valid arrow.Array) arrow.Array {
	buf, vals := kernel.NewFixedBuffer[int64](mem, n)
	var bm []byte
	var off int
	if valid != nil {
		bm, off = kernel.Validity(valid)
	}
	for i := range vals {
		if kernel.IsSet(bm, off, i) {
			vals[i] = 1
		}
	}
	return kernel.MakeArray(arrow.PrimitiveTypes.Int64, n, 0, []*memory.Buffer{nil, buf}, nil)
}
