package hashagg

import (
	"fmt"

	"github.com/kindling-data/kindling/internal/kernel"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/plan"
)

// Collection aggregates: collect_list, collect_set and sum(DISTINCT x) share count
// distinct's machinery (aggDistinctAcc): the argument's values get dense ids from a key
// table, and the (group, value id) pairs are kept in the order met, deduplicated for the
// set and the distinct sum. A group's state is the list of its values, built from the
// pairs counting-sorted by group (stable, so a list keeps the order met). Every value is
// held once in the key table however many groups or rows repeat it, and all of it is
// counted in bytes(), so the reservation covers the lists and the operator spills them.
//
// any_value, bool_and and bool_or need no state of their own: any_value is first (a
// non-NULL value, the first met), bool_and the minimum and bool_or the maximum of
// booleans (false < true), over the same typed loops.

// newAggMoreAccumulator returns the accumulator of the collection and boolean aggregates
// (ok true), or ok false for the others. It may rewrite a.Func to the function whose
// accumulator computes a.
func newAggMoreAccumulator(a *plan.AggExpr, argType arrow.DataType) (acc aggAccumulator, ok bool, err error) {
	switch a.Func {
	case plan.AggAnyValue:
		a.Func = plan.AggFirst
	case plan.AggBoolAnd:
		a.Func = plan.AggMin
	case plan.AggBoolOr:
		a.Func = plan.AggMax
	case plan.AggCollectList, plan.AggCollectSet, plan.AggSumDistinct:
		if a.Func == plan.AggSumDistinct && !plan.IsInteger(argType) && !kernel.IsFloat(argType) && !kernel.IsDecimal128(argType) {
			return nil, true, fmt.Errorf("exec: hash aggregate: %s over %s is not supported", *a, argType)
		}
		t, err := newAggKeyTable(argType)
		if err != nil {
			return nil, true, fmt.Errorf("exec: hash aggregate: %s: %w", *a, err)
		}
		c := &aggCollectAcc{fn: a.Func}
		c.values = t
		return c, true, nil
	case plan.AggLast:
		acc, err := newAggLastAcc(*a, argType)
		return acc, true, err
	case plan.AggSumCounts:
		if argType.ID() != arrow.INT64 {
			return nil, true, fmt.Errorf("exec: hash aggregate: %s over %s is not supported", *a, argType)
		}
		return &aggSumCountsAcc{}, true, nil
	}
	return nil, false, nil
}

// aggCollectAcc computes collect_list (every non-NULL value), collect_set and
// sum(DISTINCT x) (each distinct non-NULL value once).
type aggCollectAcc struct {
	aggDistinctAcc
	fn plan.AggFunc
}

func (c *aggCollectAcc) update(arg arrow.Array, gids []int32) error {
	if c.fn == plan.AggCollectList {
		return c.addAll(arg, gids)
	}
	return c.add(arg, gids)
}

func (c *aggCollectAcc) merge(states []arrow.Array, gids []int32) error {
	if c.fn != plan.AggCollectList {
		return c.aggDistinctAcc.merge(states, gids)
	}
	l, elems, err := aggListState(states, c.fn.String())
	if err != nil {
		return err
	}
	rows := l.Len()
	if rows == 0 {
		return nil
	}
	offs := kernel.ListSpan(l)
	first, last := int(offs[0]), int(offs[rows])
	if cap(c.egids) < last-first {
		c.egids = make([]int32, last-first)
	}
	egids := c.egids[:last-first]
	bm, off := kernel.Validity(l)
	for i := 0; i < rows; i++ {
		g := gids[i]
		if !kernel.IsSet(bm, off, i) {
			g = -1
		}
		for j := offs[i]; j < offs[i+1]; j++ {
			egids[int(j)-first] = g
		}
	}
	part := array.NewSlice(elems, int64(first), int64(last))
	defer part.Release()
	return c.addAll(part, egids)
}

// addAll appends the (group, value) pair of each non-NULL row of vals; a negative group
// skips the row.
func (c *aggCollectAcc) addAll(vals arrow.Array, gids []int32) error {
	c.byGroup, c.starts = nil, nil
	n := vals.Len()
	if cap(c.vids) < n {
		c.vids = make([]int32, n)
	}
	vids := c.vids[:n]
	if err := c.values.assign(vals, vids); err != nil {
		return fmt.Errorf("exec: hash aggregate: collect_list: %w", err)
	}
	null := c.values.nullID()
	for i, g := range gids {
		if v := vids[i]; g >= 0 && v != null {
			c.pairG = append(c.pairG, g)
			c.pairV = append(c.pairV, v)
			c.counts[g]++
		}
	}
	return nil
}

func (c *aggCollectAcc) growthBound(rows int, inputs []arrow.Array) int64 {
	// A list's pairs keep the capacity they doubled to: twice their 8 bytes per value.
	return c.aggDistinctAcc.growthBound(rows, inputs) + int64(rows)*16
}

func (c *aggCollectAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	if c.fn != plan.AggSumDistinct {
		arrs, err := c.states(mem, []arrow.DataType{dt}, lo, hi)
		if err != nil {
			return nil, err
		}
		return arrs[0], nil
	}
	if c.starts == nil {
		c.sortByGroup()
	}
	starts, ids := c.starts, c.byGroup
	valid := func(i int) bool { return starts[lo+i+1] > starts[lo+i] }
	switch t := c.values.(type) {
	case *aggIntKeys:
		return kernel.BuildFixed(mem, dt, hi-lo, func(i int) int64 {
			var s int64
			for _, id := range ids[starts[lo+i]:starts[lo+i+1]] {
				s += t.vals[id]
			}
			return s
		}, valid), nil
	case *aggFloatKeys:
		return kernel.BuildFixed(mem, dt, hi-lo, func(i int) float64 {
			var s float64
			for _, id := range ids[starts[lo+i]:starts[lo+i+1]] {
				s += t.vals[id]
			}
			return s
		}, valid), nil
	case *aggDecKeys:
		return c.decimalSums(mem, dt, t, lo, hi)
	}
	return nil, fmt.Errorf("exec: hash aggregate: sum(DISTINCT) into %s is not supported", dt)
}

// decimalSums returns the distinct sums of groups [lo, hi) as decimals of type dt: NULL
// for a group with no value or whose sum does not fit dt's precision (Spark without
// ANSI mode).
func (c *aggCollectAcc) decimalSums(mem memory.Allocator, dt arrow.DataType, t *aggDecKeys, lo, hi int) (arrow.Array, error) {
	rt, ok := dt.(*arrow.Decimal128Type)
	if !ok {
		return nil, fmt.Errorf("exec: hash aggregate: decimal sum(DISTINCT) cannot return %s", dt)
	}
	limit := decimal128.GetMaxValue(rt.Precision)
	sums := make([]decimal128.Num, hi-lo)
	valid := make([]bool, hi-lo)
	for i := range sums {
		ids := c.byGroup[c.starts[lo+i]:c.starts[lo+i+1]]
		valid[i] = len(ids) > 0
		for _, id := range ids {
			var fits bool
			if sums[i], fits = aggDecAdd(sums[i], t.vals[id], limit); !fits {
				valid[i] = false
				break
			}
		}
	}
	return kernel.BuildDecimal(mem, dt, len(sums), func(i int) decimal128.Num { return sums[i] },
		func(i int) bool { return valid[i] }), nil
}

// aggSumCountsAcc adds int64 counts (sum_counts, which merges the counts of an
// aggregation the optimizer split in two): as sum, but 0 rather than NULL over none.
type aggSumCountsAcc struct{ aggSumAcc[int64] }

func (s *aggSumCountsAcc) result(mem memory.Allocator, dt arrow.DataType, lo, hi int) (arrow.Array, error) {
	sums := s.sums[lo:hi]
	return kernel.BuildFixed(mem, dt, len(sums), func(i int) int64 { return sums[i] }, kernel.AllValid), nil
}
