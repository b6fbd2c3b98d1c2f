package run

import (
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Answer is what db-benchmark's chk compares: the row count and the sums of some result
// columns (NULLs skipped).
type Answer struct {
	Rows int64
	Sums map[string]float64
}

// Tolerance is the relative tolerance of sums in Match.
const Tolerance = 1e-6

// Match reports whether a and b agree: equal row counts, and every sum of want's columns
// within Tolerance (relative, or absolute below 1).
func Match(got, want Answer) error {
	var bad []string
	if got.Rows != want.Rows {
		bad = append(bad, fmt.Sprintf("rows %d, want %d", got.Rows, want.Rows))
	}
	for name, w := range want.Sums {
		g, ok := got.Sums[name]
		if !ok {
			bad = append(bad, fmt.Sprintf("no column %s", name))
			continue
		}
		if math.Abs(g-w) > Tolerance*max(1, math.Abs(w)) {
			bad = append(bad, fmt.Sprintf("sum(%s) = %.10g, want %.10g", name, g, w))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("answers differ: %s", strings.Join(bad, "; "))
	}
	return nil
}

// newAnswer is the Answer of no rows over the named columns.
func newAnswer(cols []string) Answer {
	a := Answer{Sums: make(map[string]float64, len(cols))}
	for _, c := range cols {
		a.Sums[c] = 0
	}
	return a
}

// add counts r's rows and its sums of a's columns into a.
func (a *Answer) add(r arrow.RecordBatch) error {
	a.Rows += r.NumRows()
	for c := range a.Sums {
		idx := r.Schema().FieldIndices(c)
		if len(idx) == 0 {
			return fmt.Errorf("run: result has no column %q (has %s)", c, r.Schema())
		}
		s, err := sumArray(r.Column(idx[0]))
		if err != nil {
			return fmt.Errorf("run: column %s: %w", c, err)
		}
		a.Sums[c] += s
	}
	return nil
}

func sumArray(arr arrow.Array) (float64, error) {
	var s float64
	switch a := arr.(type) {
	case *array.Int64:
		var t int64
		for i := 0; i < a.Len(); i++ {
			if a.IsValid(i) {
				t += a.Value(i)
			}
		}
		s = float64(t)
	case *array.Int32:
		for i := 0; i < a.Len(); i++ {
			if a.IsValid(i) {
				s += float64(a.Value(i))
			}
		}
	case *array.Float64:
		for i := 0; i < a.Len(); i++ {
			if a.IsValid(i) {
				s += a.Value(i)
			}
		}
	default:
		return 0, fmt.Errorf("cannot sum type %s", arr.DataType())
	}
	return s, nil
}
