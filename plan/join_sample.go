package plan

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Filter shares measured on a persisted dataset's stored rows. The fixed guesses of
// join_stats.go take every equality with a literal for a tenth of the rows; a column of
// 150 values (TPC-H's part type) keeps under 1% and a date range a third or more, and
// the join order follows whichever filtered dimension is guessed to shrink a fact table
// most. A materialized cache can show a few of its rows cheaply (the planner's only
// statistics), so the comparisons of a column with a literal are counted on them, the
// way a sampling optimizer estimates selectivity; every other conjunct keeps its guess.

// CacheSampler is a CacheStatus that can show the planner a sample of its stored rows.
type CacheSampler interface {
	// SampleRows calls visit with batches of about rows stored rows in all, spread over
	// the partitions, holding the columns cols (indices of the stored schema, in that
	// order). The batches are released when visit returns. false when the dataset
	// cannot show them (not materialized, unpersisted, a read failed).
	SampleRows(cols []int, rows int, visit func(arrow.RecordBatch)) bool
}

// sampleRows is how many stored rows a filter's share is measured on: enough that a
// share of 1% is counted on about 80 rows, few enough to take well under a millisecond.
const sampleRows = 8192

// sampledConjunct is a comparison of a stored column with a literal.
type sampledConjunct struct {
	col int // index among the sampled columns
	op  BinaryOp
	lit *Literal
}

// sampledSelectivity is the share of cond that c's stored rows keep: the comparisons of
// a column with a literal counted together on a sample (so that correlated ones, a date
// range's two ends, are not multiplied), times the guess of every other conjunct. ok is
// false when c cannot show rows or no conjunct can be counted.
func sampledSelectivity(c *Cache, conds []Expr) (float64, bool) {
	sampler, ok := c.Status.(CacheSampler)
	stored := storedSchema(c.Input)
	if !ok || stored == nil {
		return 0, false
	}
	var cols []int
	var counted []sampledConjunct
	guess := 1.0
	for _, cond := range conds {
		for _, e := range conjuncts(cond) {
			sc, idx, ok := sampleable(e, stored)
			if !ok {
				guess *= selectivity(e)
				continue
			}
			sc.col = len(cols)
			for i, have := range cols {
				if have == idx {
					sc.col = i
				}
			}
			if sc.col == len(cols) {
				cols = append(cols, idx)
			}
			counted = append(counted, sc)
		}
	}
	if len(counted) == 0 {
		return 0, false
	}
	total, kept := 0, 0
	ok = sampler.SampleRows(cols, sampleRows, func(b arrow.RecordBatch) {
		t, k := countKept(b, counted)
		total, kept = total+t, kept+k
	})
	if !ok || total == 0 {
		return 0, false
	}
	// None kept in the sample means rare, not absent: half a row of the sample.
	return max(float64(kept), 0.5) / float64(total) * guess, true
}

// storedSchema is the schema of a cache's input, found in its source when the input is a
// scan not analyzed yet (a front end guesses before analysis).
func storedSchema(n Node) *arrow.Schema {
	if s := n.Schema(); s != nil {
		return s
	}
	if sc, ok := n.(*Scan); ok && sc.Source != nil {
		if s, err := sc.Source.Schema(); err == nil {
			return s
		}
	}
	return nil
}

// sampleable returns e as a comparison of a stored column with a non-null literal of a
// type countKept compares, and the column's index in stored.
func sampleable(e Expr, stored *arrow.Schema) (sampledConjunct, int, bool) {
	b, ok := e.(*Binary)
	if !ok || !b.Op.IsComparison() {
		return sampledConjunct{}, 0, false
	}
	ref, lit, op := b.Left, b.Right, b.Op
	if _, isLit := ref.(*Literal); isLit {
		ref, lit, op = b.Right, b.Left, op.Flipped()
	}
	r, ok1 := ref.(*ColumnRef)
	l, ok2 := lit.(*Literal)
	if !ok1 || !ok2 || l.Value == nil {
		return sampledConjunct{}, 0, false
	}
	idx := stored.FieldIndices(r.Name)
	if len(idx) != 1 || !sampleComparable(stored.Field(idx[0]).Type, l.Value) {
		return sampledConjunct{}, 0, false
	}
	return sampledConjunct{op: op, lit: l}, idx[0], true
}

// sampleComparable reports whether countKept compares a column of type t with value v.
func sampleComparable(t arrow.DataType, v any) bool {
	switch v.(type) {
	case string:
		return t.ID() == arrow.STRING || t.ID() == arrow.LARGE_STRING
	case int64:
		return t.ID() == arrow.INT64 || t.ID() == arrow.INT32
	case float64:
		return t.ID() == arrow.FLOAT64
	case arrow.Date32:
		return t.ID() == arrow.DATE32
	}
	return false
}

// countKept counts b's rows and those every comparison keeps (a null keeps none).
func countKept(b arrow.RecordBatch, cs []sampledConjunct) (total, kept int) {
	n := int(b.NumRows())
	for row := 0; row < n; row++ {
		keep := true
		for _, c := range cs {
			if !compareAt(b.Column(c.col), row, c.op, c.lit.Value) {
				keep = false
				break
			}
		}
		if keep {
			kept++
		}
	}
	return n, kept
}

// compareAt evaluates (a[row] op v) for the types comparable accepts.
func compareAt(a arrow.Array, row int, op BinaryOp, v any) bool {
	if a.IsNull(row) {
		return false
	}
	var c int
	switch x := a.(type) {
	case *array.String:
		c = strings.Compare(x.Value(row), v.(string))
	case *array.LargeString:
		c = strings.Compare(x.Value(row), v.(string))
	case *array.Int64:
		y := v.(int64)
		c = cmp3(x.Value(row) < y, x.Value(row) > y)
	case *array.Int32:
		y := v.(int64)
		c = cmp3(int64(x.Value(row)) < y, int64(x.Value(row)) > y)
	case *array.Float64:
		y := v.(float64)
		c = cmp3(x.Value(row) < y, x.Value(row) > y)
	case *array.Date32:
		y := v.(arrow.Date32)
		c = cmp3(x.Value(row) < y, x.Value(row) > y)
	default:
		return true // not counted: the other conjuncts decide
	}
	return comparisonHolds(op, c)
}
