package dataset

import (
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestRowsMatchesInput reads every fixture shape row by row: each row, through the typed
// getters and Get, must be the generated row it came from, in partition order.
func TestRowsMatchesInput(t *testing.T) {
	for name, sizes := range partitionSizes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sizes, Config{})
			n := 0
			for row, err := range f.ds.Rows(t.Context()) {
				if err != nil {
					t.Fatal(err)
				}
				if n >= len(f.rows) {
					t.Fatalf("more than the %d input rows", len(f.rows))
				}
				checkRow(t, n, row, f.rows[n])
				n++
			}
			if n != len(f.rows) {
				t.Fatalf("%d rows, want %d", n, len(f.rows))
			}
		})
	}
}

// checkRow compares row (columns k, g, x, y, s) with the generated want.
func checkRow(t *testing.T, n int, row Row, want testRow) {
	t.Helper()
	if row.Len() != 5 || row.Schema().Field(3).Name != "y" {
		t.Fatalf("row %d: %d columns, schema %s", n, row.Len(), row.Schema())
	}
	strCol := func(c int, w *string) {
		if row.IsNull(c) != (w == nil) || row.String(c) != deref(w) {
			t.Errorf("row %d col %d: %q (null %v), want %v", n, c, row.String(c), row.IsNull(c), w)
		}
		if got := row.Get(c); (w == nil && got != nil) || (w != nil && got != *w) {
			t.Errorf("row %d col %d: Get %#v, want %v", n, c, got, w)
		}
	}
	intCol := func(c int, w *int64) {
		if row.IsNull(c) != (w == nil) || row.Int64(c) != deref(w) || row.Float64(c) != float64(deref(w)) {
			t.Errorf("row %d col %d: %d (null %v), want %v", n, c, row.Int64(c), row.IsNull(c), w)
		}
		if got := row.Get(c); (w == nil && got != nil) || (w != nil && got != *w) {
			t.Errorf("row %d col %d: Get %#v, want %v", n, c, got, w)
		}
	}
	strCol(0, want.k)
	intCol(1, want.g)
	intCol(2, want.x)
	strCol(4, want.s)
	y := row.Float64(3)
	switch {
	case want.y == nil:
		if !row.IsNull(3) || y != 0 || row.Get(3) != nil {
			t.Errorf("row %d y: %v, want NULL", n, row.Get(3))
		}
	case math.IsNaN(*want.y):
		if g, ok := row.Get(3).(float64); !ok || !math.IsNaN(y) || !math.IsNaN(g) {
			t.Errorf("row %d y: %v, want NaN", n, row.Get(3))
		}
	default:
		if y != *want.y || row.Get(3) != *want.y || row.IsNull(3) {
			t.Errorf("row %d y: %v, want %v", n, row.Get(3), *want.y)
		}
	}
}

func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

// TestRowsEarlyBreakStopsTheJob breaks out of a sorted result's loop after a few rows:
// the job is cancelled and waited for (no goroutine left) and every batch released (the
// checked allocator holds what it held before the loops).
func TestRowsEarlyBreakStopsTheJob(t *testing.T) {
	f := newFixture(t, []int{500, 500, 500, 500, 500, 500}, Config{Parallelism: 2, BatchRows: 16})
	before, held := runtime.NumGoroutine(), f.mem.CurrentAlloc()
	for range 3 {
		n := 0
		var last int64 = math.MinInt64
		for row, err := range f.ds.Filter(Col("x").IsNotNull()).OrderBy(Asc("x")).Rows(t.Context()) {
			if err != nil {
				t.Fatal(err)
			}
			if x := row.Int64(2); x < last {
				t.Fatalf("row %d: x %d after %d: not in order", n, x, last)
			} else {
				last = x
			}
			if n++; n == 20 {
				break
			}
		}
		if n != 20 {
			t.Fatalf("loop ended after %d rows", n)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after the loops, %d before", g, before)
	}
	// The fixture's input partitions are the dataset's own until the session closes (and
	// the fixture checks zero then): everything the jobs allocated must be gone.
	if got := f.mem.CurrentAlloc(); got != held {
		t.Errorf("%d bytes allocated after the loops, %d before", got, held)
	}
}

// TestRowsError ends the loop with one error and a zero Row when the job fails.
func TestRowsError(t *testing.T) {
	f := newFixture(t, []int{10}, Config{})
	errs := 0
	for row, err := range f.ds.Select(Col("nope")).Rows(t.Context()) {
		if err == nil {
			t.Fatal("a row from a failing job")
		}
		if row != (Row{}) {
			t.Errorf("row %v with the error", row)
		}
		errs++
	}
	if errs != 1 {
		t.Errorf("%d errors, want 1", errs)
	}
}

// TestRowsWrongGetterPanics asks Int64 of a string column, NULL or not: a program error
// that names the column, caught on the first row rather than the first non-NULL one.
func TestRowsWrongGetterPanics(t *testing.T) {
	f := newFixture(t, []int{5}, Config{})
	d := f.ds.Select(Lit(nil).Cast(arrow.BinaryTypes.String).As("none"), Col("k"))
	for row, err := range d.Rows(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		for c := range 2 {
			func() {
				defer func() {
					msg, _ := recover().(string)
					if !strings.Contains(msg, "Int64") || !strings.Contains(msg, row.Schema().Field(c).Name) {
						t.Errorf("column %d: Int64 of a string: panic %q", c, msg)
					}
				}()
				row.Int64(c)
			}()
		}
		break
	}
}

// TestRowsAllocatesNothingPerRow reads 3000 rows with the typed getters: the loop may
// allocate what the job and its batches need, not something per row. Compared with the
// same job read by Batches, the row loop adds less than one allocation per 30 rows.
func TestRowsAllocatesNothingPerRow(t *testing.T) {
	if statRace {
		t.Skip("the race detector's instrumentation allocates")
	}
	f := newFixture(t, []int{1000, 1000, 1000}, Config{Parallelism: 1})
	ctx := t.Context()
	var sink int64
	byRows := testing.AllocsPerRun(5, func() {
		for row, err := range f.ds.Rows(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			sink += row.Int64(2) + int64(len(row.String(4)))
			if !row.IsNull(3) && row.Float64(3) > 50 {
				sink++
			}
		}
	})
	byBatches := testing.AllocsPerRun(5, func() {
		for rec, err := range f.ds.Batches(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			sink += rec.NumRows()
		}
	})
	if byRows-byBatches > 100 {
		t.Errorf("Rows allocated %.0f times over 3000 rows, Batches %.0f: more than the row loop should", byRows, byBatches)
	}
	t.Logf("allocations per run: Rows %.0f, Batches %.0f (checksum %d)", byRows, byBatches, sink)
}
