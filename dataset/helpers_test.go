package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/internal/metamorphic"
)

// testRow is one generated input row; nil pointers are NULLs.
type testRow struct {
	k *string  // group key, few values
	g *int64   // second key
	x *int64   // value
	y *float64 // value with NaN
	s *string  // text
}

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "g", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "y", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func ptr[T any](v T) *T { return &v }

// genRows makes n rows with about 10% NULLs in every column and a few NaNs.
func genRows(rng *rand.Rand, n int) []testRow {
	keys := []string{"a", "b", "c", "d", "e"}
	words := []string{"Apple", "banana", "Cherry pie", "", "durian", "éclair"}
	rows := make([]testRow, n)
	for i := range rows {
		r := &rows[i]
		if rng.IntN(10) > 0 {
			r.k = ptr(keys[rng.IntN(len(keys))])
		}
		if rng.IntN(10) > 0 {
			r.g = ptr(int64(rng.IntN(4)))
		}
		if rng.IntN(10) > 0 {
			r.x = ptr(int64(rng.IntN(200) - 50))
		}
		if rng.IntN(10) > 0 {
			v := math.Round(rng.Float64()*1000) / 10
			if rng.IntN(50) == 0 {
				v = math.NaN()
			}
			r.y = ptr(v)
		}
		if rng.IntN(10) > 0 {
			r.s = ptr(words[rng.IntN(len(words))])
		}
	}
	return rows
}

// buildBatch turns rows into one record batch allocated with mem.
func buildBatch(mem memory.Allocator, rows []testRow) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, testSchema)
	defer b.Release()
	for _, r := range rows {
		appendStr(b.Field(0).(*array.StringBuilder), r.k)
		appendI64(b.Field(1).(*array.Int64Builder), r.g)
		appendI64(b.Field(2).(*array.Int64Builder), r.x)
		if r.y == nil {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Float64Builder).Append(*r.y)
		}
		appendStr(b.Field(4).(*array.StringBuilder), r.s)
	}
	return b.NewRecordBatch()
}

func appendStr(b *array.StringBuilder, v *string) {
	if v == nil {
		b.AppendNull()
	} else {
		b.Append(*v)
	}
}

func appendI64(b *array.Int64Builder, v *int64) {
	if v == nil {
		b.AppendNull()
	} else {
		b.Append(*v)
	}
}

// partitionSizes are the shapes every end-to-end test runs over: empty partitions,
// one-row partitions, more partitions than rows, and a few larger ones.
var partitionSizes = map[string][]int{
	"mixed":                {0, 1, 37, 0, 250, 1, 1, 900},
	"more-parts-than-rows": {1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0},
	"all-empty":            {0, 0, 0},
	"one-big":              {3000},
}

// fixture is a session over generated partitions on a checked allocator.
type fixture struct {
	t    *testing.T
	mem  *memory.CheckedAllocator
	s    *Session
	rows []testRow
	ds   *Dataset
}

func newFixture(t *testing.T, sizes []int, cfg Config) *fixture {
	t.Helper()
	leakcheck.Check(t)
	mem := memtest.Checked()
	cfg.Allocator = mem
	if cfg.SpillDir == "" {
		// The test's own directory: nothing another process cleans, and removed with the test.
		cfg.SpillDir = t.TempDir()
	}
	if cfg.BatchRows == 0 {
		cfg.BatchRows = 64 // several batches per partition
	}
	cfg = metamorphicConfig(t, cfg)
	s, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(len(sizes)), 42))
	f := &fixture{t: t, mem: mem, s: s}
	parts := make([][]arrow.RecordBatch, len(sizes))
	for i, n := range sizes {
		rows := genRows(rng, n)
		f.rows = append(f.rows, rows...)
		// Split a partition into two batches so operators see batch boundaries.
		half := n / 2
		for _, chunk := range [][]testRow{rows[:half], rows[half:]} {
			rec := buildBatch(mem, chunk)
			parts[i] = append(parts[i], rec)
		}
	}
	f.ds = s.FromPartitions(testSchema, parts...)
	for _, p := range parts {
		for _, r := range p {
			r.Release() // the dataset retains its own references
		}
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Session.Close: %v", err)
		}
		mem.AssertSize(t, 0)
	})
	return f
}

// metamorphicConfig, in a metamorphic run (internal/metamorphic), replaces the settings
// that must not change any result with values drawn for this test: one-row and odd-sized
// batches, one to many shuffle partitions, serial or oversubscribed tasks, broadcast off
// or always, and (KINDLING_METAMORPHIC=spill) budgets small enough to spill. A setting the test chose itself (the defaults
// above aside) is kept, since the test may be about it.
func metamorphicConfig(t *testing.T, cfg Config) Config {
	if !metamorphic.Enabled() {
		return cfg
	}
	key := func(setting string) string { return t.Name() + "/" + setting }
	if cfg.BatchRows == 64 {
		cfg.BatchRows = metamorphic.Choose(key("BatchRows"), 64, 1, 3, 64, 1000)
	}
	if cfg.ShufflePartitions == 0 {
		cfg.ShufflePartitions = metamorphic.IntRange(key("ShufflePartitions"), 0, 1, 32)
	}
	if cfg.Parallelism == 0 {
		cfg.Parallelism = metamorphic.Choose(key("Parallelism"), 0, 1, 2, 8)
	}
	if cfg.BroadcastThreshold == 0 {
		cfg.BroadcastThreshold = metamorphic.Choose[int64](key("BroadcastThreshold"), 0, -1, 0, 1<<30)
	}
	if cfg.MemoryLimit == 0 && metamorphic.Spill() {
		cfg.MemoryLimit = metamorphic.Choose[int64](key("MemoryLimit"), 0, 0, 256<<10, 1<<20)
	}
	t.Logf("metamorphic (%s=%d): BatchRows %d, ShufflePartitions %d, Parallelism %d, BroadcastThreshold %d, MemoryLimit %d",
		metamorphic.SeedEnv, metamorphic.Seed(), cfg.BatchRows, cfg.ShufflePartitions, cfg.Parallelism, cfg.BroadcastThreshold, cfg.MemoryLimit)
	return cfg
}

// collectRows runs d and converts the result to rows of Go values (nil, int64, float64,
// string, bool, int32 for dates).
func collectRows(t *testing.T, d *Dataset) [][]any {
	t.Helper()
	recs, err := d.Collect(t.Context())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	defer releaseAll(recs)
	return toRows(t, recs)
}

func toRows(t *testing.T, recs []arrow.RecordBatch) [][]any {
	var out [][]any
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			row := make([]any, r.NumCols())
			for c := range row {
				row[c] = cellValue(t, r.Column(c), i)
			}
			out = append(out, row)
		}
	}
	return out
}

func cellValue(t *testing.T, a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int64:
		return a.Value(i)
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return strings.Clone(a.Value(i)) // outlives the batch's buffers
	case *array.Boolean:
		return a.Value(i)
	case *array.Date32:
		return int32(a.Value(i))
	case *array.Dictionary:
		return cellValue(t, a.Dictionary(), a.GetValueIndex(i))
	}
	t.Fatalf("cellValue: unhandled type %s", a.DataType())
	return nil
}

// canon renders a row for sorting; floats are rounded so that summation order does not
// change the key. It appends with strconv: fmt per cell was most of a 200 000-row
// comparison's time.
func canon(row []any) string {
	var b []byte
	for i, v := range row {
		if i > 0 {
			b = append(b, '|')
		}
		switch v := v.(type) {
		case float64:
			b = strconv.AppendFloat(b, v, 'g', 6, 64)
		case nil:
			b = append(b, "∅"...)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case int32:
			b = strconv.AppendInt(b, int64(v), 10)
		case string:
			b = append(b, v...)
		case bool:
			b = strconv.AppendBool(b, v)
		default:
			b = fmt.Appendf(b, "%v", v)
		}
	}
	return string(b)
}

// assertSameRows compares two multisets of rows, floats within a relative 1e-9.
func assertSameRows(t *testing.T, got, want [][]any) {
	t.Helper()
	sortRows(got)
	sortRows(want)
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d\n got: %v\nwant: %v", len(got), len(want), head(got), head(want))
	}
	for i := range got {
		if !sameRow(got[i], want[i]) {
			t.Fatalf("row %d differs:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
}

func head(rows [][]any) [][]any { return rows[:min(len(rows), 10)] }

// sortRows orders rows by their canonical keys, each built once: building them inside the
// comparison formatted every cell about 2·log2(n) times.
func sortRows(rows [][]any) {
	type keyed struct {
		key string
		row []any
	}
	ks := make([]keyed, len(rows))
	for i, r := range rows {
		ks[i] = keyed{canon(r), r}
	}
	slices.SortFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	for i := range ks {
		rows[i] = ks[i].row
	}
}

func sameRow(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		fa, okA := a[i].(float64)
		fb, okB := b[i].(float64)
		if okA && okB {
			if math.IsNaN(fa) || math.IsNaN(fb) {
				if math.IsNaN(fa) != math.IsNaN(fb) {
					return false
				}
				continue
			}
			if math.Abs(fa-fb) > 1e-9*math.Max(1, math.Abs(fb)) {
				return false
			}
			continue
		}
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func val[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
