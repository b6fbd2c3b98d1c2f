package eval

import (
	"context"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/exec/colop"
	"github.com/kindling-data/kindling/exec/exectest"
	"github.com/kindling-data/kindling/internal/memtest"
	"github.com/kindling-data/kindling/plan"
)

// Kernel benchmarks of the function families, and the evidence that no kernel boxes
// values row by row: every expression runs through the analyzer and a ProjectOp, as a
// query's projection does, over a batch built once.

// kbenchRows is the batch size of the benchmarks and of the allocation test.
const kbenchRows = 1 << 16

// kbenchSchema: int64 i and j, float64 f, utf8 s, dictionary<int32, utf8> d and date32
// dt, list<int64> l, decimal(12,2) m and timestamp[us] ts, every column nullable.
var kbenchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "j", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "d", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	{Name: "dt", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "m", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
}, nil)

// kbenchWords are the pieces of the string columns: ASCII, multi-byte UTF-8, commas
// (for split) and the empty string.
var kbenchWords = []string{"", "a", "abc", "héllo", "日本語", "x,y", "straße", "Lorem", "ipsum", ",", "42", "ÉCOLE"}

// kbenchBatch builds a batch of rows rows over kbenchSchema, about 5% of each column
// NULL, deterministically.
func kbenchBatch(mem memory.Allocator, rows int) arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(21, 22))
	null := func() bool { return rng.IntN(20) == 0 }
	ib := array.NewInt64Builder(mem)
	jb := array.NewInt64Builder(mem)
	fb := array.NewFloat64Builder(mem)
	sb := array.NewStringBuilder(mem)
	db := array.NewDictionaryBuilder(mem, kbenchSchema.Field(4).Type.(*arrow.DictionaryType)).(*array.BinaryDictionaryBuilder)
	tb := array.NewDate32Builder(mem)
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	lv := lb.ValueBuilder().(*array.Int64Builder)
	mb := array.NewDecimal128Builder(mem, kbenchSchema.Field(7).Type.(*arrow.Decimal128Type))
	tsb := array.NewTimestampBuilder(mem, kbenchSchema.Field(8).Type.(*arrow.TimestampType))
	defer func() {
		for _, b := range []array.Builder{ib, jb, fb, sb, db, tb, lb, mb, tsb} {
			b.Release()
		}
	}()
	word := func(k int) string {
		var w strings.Builder
		for range k {
			w.WriteString(kbenchWords[rng.IntN(len(kbenchWords))])
		}
		return w.String()
	}
	dictWords := make([]string, 100)
	for k := range dictWords {
		dictWords[k] = word(1 + k%4)
	}
	for range rows {
		if null() {
			ib.AppendNull()
		} else {
			ib.Append(rng.Int64N(200) - 100)
		}
		if null() {
			jb.AppendNull()
		} else {
			jb.Append(rng.Int64N(21) - 10) // zeros included: div by zero is NULL
		}
		if null() {
			fb.AppendNull()
		} else {
			fb.Append(rng.NormFloat64() * 1000)
		}
		if null() {
			sb.AppendNull()
		} else {
			sb.Append(word(rng.IntN(5)))
		}
		if null() {
			db.AppendNull()
		} else if err := db.AppendString(dictWords[rng.IntN(len(dictWords))]); err != nil {
			panic(err)
		}
		if null() {
			tb.AppendNull()
		} else {
			tb.Append(arrow.Date32(rng.Int32N(40000) - 5000)) // 1956 to 2079
		}
		if null() {
			lb.AppendNull()
		} else {
			lb.Append(true)
			for range rng.IntN(5) { // empty lists too
				if null() {
					lv.AppendNull()
				} else {
					lv.Append(rng.Int64N(1000))
				}
			}
		}
		if null() {
			mb.AppendNull()
		} else {
			mb.Append(decimal128.FromI64(rng.Int64N(2_000_000_000) - 1_000_000_000)) // ±10,000,000.00
		}
		if null() {
			tsb.AppendNull()
		} else {
			tsb.Append(arrow.Timestamp(rng.Int64N(4e15) - 1e15)) // 1938 to 2096
		}
	}
	cols := []arrow.Array{ib.NewArray(), jb.NewArray(), fb.NewArray(), sb.NewArray(), db.NewArray(), tb.NewArray(), lb.NewArray(), mb.NewArray(), tsb.NewArray()}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	return array.NewRecordBatch(kbenchSchema, cols, int64(rows))
}

// kbenchCase is one benchmarked expression, before analysis.
type kbenchCase struct {
	family, name string
	expr         plan.Expr
}

func kbenchCases() []kbenchCase {
	col, call, bin := exectest.Col, exectest.Call, exectest.Bin
	i, s, str := exectest.Int, exectest.Str, exectest.Str
	return []kbenchCase{
		{"cond", "case_when", call("case_when",
			bin(plan.OpGt, col("i"), i(50)), col("f"),
			bin(plan.OpLt, col("i"), i(-50)), bin(plan.OpMul, col("f"), exectest.Float(2)),
			exectest.Float(0))},
		{"cond", "in", call("in", col("i"), i(1), i(2), i(3), i(5), i(8), i(13), i(21), i(34))},
		{"cond", "greatest", call("greatest", col("i"), col("j"), i(0))},
		{"math", "round", call("round", col("f"), i(2))},
		{"math", "pow", call("pow", col("f"), exectest.Float(1.5))},
		{"math", "div", call("div", col("i"), col("j"))},
		{"str", "like", call("like", col("s"), s("%ab%"))},
		{"str", "concat", call("concat", col("s"), s("-"), col("d"))},
		{"str", "regexp_replace", call("regexp_replace", col("s"), s("[aeiou]+"), s("_"))},
		{"str", "lpad", call("lpad", col("s"), i(12), s("*"))},
		{"str", "upper_dict", call("upper", col("d"))},
		// Column arguments: patterns and search strings from a column (a handful of
		// distinct values, each compiled once per batch), and format_string.
		{"str", "like_column", call("like", col("s"), call("concat", str("%"), call("substring", col("d"), i(1), i(1)), str("%")))},
		{"str", "replace_column", call("replace", col("s"), call("substring", col("d"), i(1), i(1)), s("-"))},
		{"str", "lpad_column", call("lpad", col("s"), col("j"), call("substring", col("d"), i(1), i(2)))},
		{"str", "format_string", call("format_string", s("%s|%5d|%.2f|%x"), col("s"), col("i"), col("f"), col("j"))},
		{"date", "year", call("year", col("dt"))},
		{"date", "date_add", call("date_add", col("dt"), i(30))},
		{"date", "add_months", call("add_months", col("dt"), i(5))},
		{"date", "hour_new_york", call("hour", col("ts"), str("America/New_York"))},
		{"date", "date_format_berlin", call("date_format", col("ts"), str("yyyy-MM-dd HH:mm"), str("Europe/Berlin"))},
		{"interval", "ts_plus_interval", bin(plan.OpAdd, col("ts"), kbenchInterval(1, 2, 3*3600e9))},
		{"interval", "ts_plus_interval_new_york", call("timestamp_add_interval", col("ts"), kbenchInterval(1, 2, 3*3600e9), str("America/New_York"))},
		{"decimal", "add", bin(plan.OpAdd, col("m"), col("m"))},
		{"decimal", "mul", bin(plan.OpMul, col("m"), col("m"))},
		{"decimal", "div", bin(plan.OpDiv, col("m"), exectest.Cast(col("i"), &arrow.Decimal128Type{Precision: 5, Scale: 1}))},
		{"decimal", "compare", bin(plan.OpGt, col("m"), col("i"))},
		{"decimal", "to_string", exectest.Cast(col("m"), arrow.BinaryTypes.String)},
		{"decimal", "round", call("round", col("m"), i(1))},
		{"str", "format_number", call("format_number", col("f"), i(2))},
		{"hash", "sha2", call("sha2", col("s"), i(256))},
		{"hash", "hash", call("hash", col("i"), col("s"))},
		{"hash", "xxhash64", call("xxhash64", col("i"), col("f"), col("s"))},
		{"nested", "split", call("split", col("s"), str(","))},
		{"nested", "element_at", call("element_at", col("l"), i(2))},
		{"nested", "element_at_split", call("element_at", call("split", col("s"), str(",")), i(-1))},
	}
}

// kbenchInterval is an interval literal.
func kbenchInterval(months, days int32, nanos float64) plan.Expr {
	return &plan.Literal{Value: arrow.MonthDayNanoInterval{Months: months, Days: days, Nanoseconds: int64(nanos)},
		Type: arrow.FixedWidthTypes.MonthDayNanoInterval}
}

// kbenchSource is a schema-only plan source: the analyzer needs a Scan to type a Project.
type kbenchSource struct{}

func (kbenchSource) String() string                                            { return "kbench" }
func (kbenchSource) Schema() (*arrow.Schema, error)                            { return kbenchSchema, nil }
func (kbenchSource) Partitions(plan.ScanRequest) ([]plan.ScanPartition, error) { return nil, nil }
func (kbenchSource) CanPrune() bool                                            { return false }

// kbenchAnalyze analyzes Project(e) over kbenchSchema and returns the resolved expression
// and the projection's output schema.
func kbenchAnalyze(tb testing.TB, e plan.Expr) ([]plan.Expr, *arrow.Schema) {
	tb.Helper()
	root, err := plan.Analyze(&plan.Project{Input: &plan.Scan{Source: kbenchSource{}}, Exprs: []plan.Expr{e}})
	if err != nil {
		tb.Fatalf("analyze %s: %v", e, err)
	}
	p := root.(*plan.Project)
	return p.Exprs, p.OutSchema
}

// kbenchProject projects rec (taking a reference of its own) through a ProjectOp, as a
// query does, and releases the output.
func kbenchProject(tb testing.TB, rec arrow.RecordBatch, exprs []plan.Expr, schema *arrow.Schema, mem memory.Allocator) {
	rec.Retain()
	op := NewProject(&exectest.Source{Batches: []arrow.RecordBatch{rec}}, exprs, schema, colop.Options{Mem: mem})
	if err := op.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	out, err := op.Next()
	if err != nil {
		op.Close()
		tb.Fatal(err)
	}
	out.Release()
	if err := op.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkFunctionKernels evaluates each family's functions over a 64Ki-row batch
// and reports rows per second and allocations.
func BenchmarkFunctionKernels(b *testing.B) {
	mem := memtest.Checked()
	defer mem.AssertSize(b, 0)
	rec := kbenchBatch(mem, kbenchRows)
	defer rec.Release()
	for _, c := range kbenchCases() {
		exprs, schema := kbenchAnalyze(b, c.expr)
		b.Run(c.family+"/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				kbenchProject(b, rec, exprs, schema, mem)
			}
			b.ReportMetric(float64(kbenchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// kbenchRegexAllocs lists the expressions whose kernels call into Go's regexp for the
// rows that match a regular expression, with the regular expression and the column it
// runs over. A row without a match is tested with Regexp.Match, which does not
// allocate, and is copied; a row with matches gets its match positions from
// Regexp.FindAllIndex or FindAllSubmatchIndex, which allocate the list and one slice
// per match (the expansion then goes straight into the output buffers). So these
// kernels may allocate, beyond the per-batch bound, once per matching row plus once per
// match, counted independently here with Go's regexp; rows without a match must not
// allocate at all.
var kbenchRegexAllocs = map[string]struct{ re, col string }{
	"regexp_replace":   {"[aeiou]+", "s"},
	"split":            {",", "s"},
	"element_at_split": {",", "s"},
}

// kbenchRegexAllowance counts the allocations Go's regexp makes for the rows of rec's
// column col that match re: one for the match list plus one per match, and 2% more:
// Go's regexp keeps its matching machines in a sync.Pool, which each garbage
// collection empties, and these allocations trigger collections during the run.
func kbenchRegexAllowance(rec arrow.RecordBatch, re, col string) int {
	r := regexp.MustCompile(re)
	idx := rec.Schema().FieldIndices(col)[0]
	s := rec.Column(idx).(*array.String)
	n := 0
	for i := 0; i < s.Len(); i++ {
		if s.IsNull(i) || s.Value(i) == "" {
			continue
		}
		if m := r.FindAllStringIndex(s.Value(i), -1); m != nil {
			n += 1 + len(m)
		}
	}
	return n + n/50
}

// kbenchPatternAllocs lists the expressions that compile a pattern from a column once
// per distinct pattern of the batch, with the number of distinct patterns in rec; each
// compilation may allocate up to kbenchAllocsPerPattern times (a LIKE matcher's parts
// and closures), whatever the number of rows.
var kbenchPatternAllocs = map[string]func(rec arrow.RecordBatch) int{
	"like_column": func(rec arrow.RecordBatch) int {
		d := rec.Column(rec.Schema().FieldIndices("d")[0]).(*array.Dictionary).Dictionary().(*array.String)
		first := map[rune]bool{}
		for k := 0; k < d.Len(); k++ {
			for _, r := range d.Value(k) {
				first[r] = true
				break
			}
		}
		return len(first) + 1 // and the empty string
	},
}

const kbenchAllocsPerPattern = 16

// TestFunctionKernelsDoNotAllocatePerRow is the evidence of no per-row boxing: the Go
// heap allocations of one evaluation over 64Ki rows stay under a small bound, and do not
// grow when the batch doubles to 128Ki rows.
func TestFunctionKernelsDoNotAllocatePerRow(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are the race detector's under -race")
	}
	const (
		// Allocations of one evaluation, whatever the row count. The constant part counts
		// per-batch work (the ProjectOp, the evaluator, compute
		// kernels' contexts) and the checked allocator's bookkeeping of every buffer.
		maxPerBatch = 256
		// Extra allocations allowed when the rows double: a string kernel's data buffer
		// doubles once more (a Reallocate, booked by the checked allocator). Boxing per
		// row would add tens of thousands here.
		maxGrowth = 32
	)
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	small := kbenchBatch(mem, kbenchRows)
	defer small.Release()
	large := kbenchBatch(mem, 2*kbenchRows)
	defer large.Release()
	for _, c := range kbenchCases() {
		t.Run(c.name, func(t *testing.T) {
			allow64, allow128 := 0, 0
			if ra, ok := kbenchRegexAllocs[c.name]; ok {
				allow64 = kbenchRegexAllowance(small, ra.re, ra.col)
				allow128 = kbenchRegexAllowance(large, ra.re, ra.col)
			}
			if np, ok := kbenchPatternAllocs[c.name]; ok {
				allow64 += kbenchAllocsPerPattern * np(small)
				allow128 += kbenchAllocsPerPattern * np(large)
			}
			exprs, schema := kbenchAnalyze(t, c.expr)
			kbenchProject(t, small, exprs, schema, mem) // warm the pool and any caches
			kbenchProject(t, large, exprs, schema, mem)
			a64 := testing.AllocsPerRun(3, func() { kbenchProject(t, small, exprs, schema, mem) })
			a128 := testing.AllocsPerRun(3, func() { kbenchProject(t, large, exprs, schema, mem) })
			t.Logf("%s: %v allocations at %d rows, %v at %d rows", c.name, a64, kbenchRows, a128, 2*kbenchRows)
			if allow64 > 0 {
				t.Logf("%s: allowance for matches and patterns: %d at %d rows, %d at %d rows", c.name, allow64, kbenchRows, allow128, 2*kbenchRows)
			}
			if a64 >= float64(maxPerBatch+allow64) || a128 >= float64(maxPerBatch+allow128) {
				t.Errorf("%s: %v allocations at %d rows, %v at %d rows: want fewer than %d per batch plus %d and %d for the matches and patterns",
					c.name, a64, kbenchRows, a128, 2*kbenchRows, maxPerBatch, allow64, allow128)
			}
			if a128-float64(allow128) > a64-float64(allow64)+maxGrowth {
				t.Errorf("%s: allocations grow with rows: %v at %d rows, %v at %d rows", c.name, a64, kbenchRows, a128, 2*kbenchRows)
			}
		})
	}
}
