package exectest

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestHarnessCuts checks that every run's batch sizes cover the input exactly, and that
// the runs meant to have empty batches at the ends have them.
func TestHarnessCuts(t *testing.T) {
	for _, run := range harnessRuns {
		for _, n := range []int{0, 1, 5, 64} {
			rng := rand.New(rand.NewPCG(1, 2))
			if run.empty {
				n = 0
			}
			sizes := run.cut(n, rng)
			sum := 0
			for _, k := range sizes {
				if k < 0 {
					t.Fatalf("%s: negative batch size %d", run.name, k)
				}
				sum += k
			}
			if sum != n {
				t.Errorf("%s over %d rows: sizes %v add up to %d", run.name, n, sizes, sum)
			}
			if (run.name == "empties" || run.name == "random-empties") && (sizes[0] != 0 || sizes[len(sizes)-1] != 0) {
				t.Errorf("%s: sizes %v lack empty batches at the ends", run.name, sizes)
			}
		}
	}
}

// passThrough hands its input's batches on unchanged.
type passThrough struct{ in colop.Operator }

func (p *passThrough) Open(ctx context.Context) error   { return p.in.Open(ctx) }
func (p *passThrough) Next() (arrow.RecordBatch, error) { return p.in.Next() }
func (p *passThrough) Close() error                     { return p.in.Close() }

// TestHarnessPassThrough runs the harness over the simplest operator, with rows of every
// type BuildBatch takes, ordered and unordered.
func TestHarnessPassThrough(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: DictType, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "dt", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	}, nil)
	var rows [][]any
	for i := 0; i < 23; i++ {
		row := []any{int64(i), float64(i) / 2, string(rune('a' + i)), []string{"x", "y", "z"}[i%3], i%2 == 0, arrow.Date32(i)}
		row[i%len(row)] = nil
		rows = append(rows, row)
	}
	build := func(_ memory.Allocator, ins []colop.Operator) (colop.Operator, error) {
		return &passThrough{ins[0]}, nil
	}
	in := []Input{Rows(schema, rows)}
	t.Run("ordered", func(t *testing.T) { RunTests(t, in, rows, build) })
	reversed := make([][]any, len(rows))
	for i, r := range rows {
		reversed[len(rows)-1-i] = r
	}
	t.Run("unordered", func(t *testing.T) { RunTests(t, in, reversed, build, Unordered(), Seed(7)) })
}

// TestHarnessCompare checks the comparison RunTests ends with.
func TestHarnessCompare(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	a := [][]any{{int64(1), "x", []any{int64(2), nil}}, {nil, "y", []any{}}, {inf, nan, nil}}
	b := [][]any{{inf, nan, nil}, {int64(1), "x", []any{int64(2), nil}}, {nil, "y", []any{}}}
	if err := compareRows(a, a, false); err != nil {
		t.Errorf("same rows: %v", err)
	}
	if err := compareRows(a, b, false); err == nil {
		t.Errorf("reordered rows passed an ordered comparison")
	}
	if err := compareRows(a, b, true); err != nil {
		t.Errorf("reordered rows, unordered: %v", err)
	}
	if err := compareRows(a, a[:2], true); err == nil {
		t.Errorf("a missing row passed")
	}
	c := [][]any{{int64(1), "x", []any{int64(2), int64(3)}}, a[1], a[2]}
	if err := compareRows(c, a, true); err == nil {
		t.Errorf("a different list element passed")
	}
	d := [][]any{{int64(1), "x", []any{int64(2), nil}}, {nil, "y", nil}, a[2]}
	if err := compareRows(d, a, false); err == nil {
		t.Errorf("a NULL list passed for an empty one")
	}
}
