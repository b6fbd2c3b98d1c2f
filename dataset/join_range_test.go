package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// rangeTestColumn builds a column of type dt from int64 values (nil: NULL; for float64,
// nanMark is NaN and negZeroMark -0).
const (
	nanMark     = int64(math.MinInt64)
	negZeroMark = int64(math.MinInt64 + 1)
)

func rangeTestColumn(mem memory.Allocator, dt arrow.DataType, vals []*int64) arrow.Array {
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		switch b := b.(type) {
		case *array.Int64Builder:
			b.Append(*v)
		case *array.Float64Builder:
			switch *v {
			case nanMark:
				b.Append(math.NaN())
			case negZeroMark:
				b.Append(math.Copysign(0, -1))
			default:
				b.Append(float64(*v) / 4)
			}
		case *array.Date32Builder:
			b.Append(arrow.Date32(*v))
		case *array.TimestampBuilder:
			b.Append(arrow.Timestamp(*v * 1_000_000))
		}
	}
	return b.NewArray()
}

// rangeTestCell renders a cell for comparing result multisets (NaN as "NaN", -0 as 0).
func rangeTestCell(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.Float64:
		v := a.Value(i)
		if v == 0 {
			v = 0
		}
		return fmt.Sprint(v)
	}
	return a.ValueStr(i)
}

// TestRangeJoinIndexMatchesNestedLoop checks the interval join (a broadcast nested-loop
// join indexed by its BETWEEN conjunct, Explain's range=[...]) against the plain nested
// loop of the same query with broadcasting off, through the real evaluator, for every
// kind, the ranges or the points broadcast, each orderable type, and data with NULLs,
// duplicates, empty and overlapping ranges, bounds equal to points and (float64) NaN and
// -0, which Spark orders as NaN above everything and equal to itself, -0 equal to 0.
func TestRangeJoinIndexMatchesNestedLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	if statRace {
		t.Skip("the race detector slows spilling tenfold; the operator packages' spill tests run under it")
	}
	types := []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.Date32,
		&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}}
	conds := map[string]Expr{
		"between":      Col("ts").Between(Col("lo"), Col("hi")),
		"strict+extra": Col("lo").Lt(Col("ts")).And(Col("ev").NotEq(Col("id"))).And(Col("hi").Gt(Col("ts"))),
	}
	for _, dt := range types {
		rng := rand.New(rand.NewPCG(3, uint64(dt.ID())))
		val := func() *int64 {
			k := rng.IntN(25)
			switch {
			case k == 0:
				return nil
			case k == 1 && dt.ID() == arrow.FLOAT64:
				return ptr(nanMark)
			case k == 2 && dt.ID() == arrow.FLOAT64:
				return ptr(negZeroMark)
			}
			return ptr(int64(rng.IntN(40)) - 8)
		}
		// Events in partitions of 0, 50 and 33 rows, ranges in two of 25 and 20: mostly
		// proper ranges, some empty (lo > hi), some with NULL or NaN bounds.
		var evData [][]*int64
		for _, n := range []int{0, 50, 33} {
			var part []*int64
			for range n {
				part = append(part, val())
			}
			evData = append(evData, part)
		}
		var rgData [][][2]*int64
		for _, n := range []int{25, 20} {
			var part [][2]*int64
			for i := range n {
				lo, hi := val(), val()
				if i%4 != 0 && lo != nil && hi != nil && *lo > *hi && *lo != nanMark && *lo != negZeroMark && *hi != nanMark && *hi != negZeroMark {
					lo, hi = hi, lo
				}
				part = append(part, [2]*int64{lo, hi})
			}
			rgData = append(rgData, part)
		}
		for cname, cond := range conds {
			for _, kind := range allJoinKinds {
				for _, pointsLeft := range []bool{true, false} {
					name := fmt.Sprintf("%s/%s/%s/points-left=%v", dt, cname, kind, pointsLeft)
					t.Run(name, func(t *testing.T) {
						run := func(threshold int64) ([]string, string) {
							mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
							defer mem.AssertSize(t, 0)
							s, err := NewSession(Config{Allocator: mem, BroadcastThreshold: threshold, BatchRows: 16,
								ShufflePartitions: 3, SpillDir: t.TempDir()})
							if err != nil {
								t.Fatal(err)
							}
							defer s.Close()
							evSchema := arrow.NewSchema([]arrow.Field{{Name: "ev", Type: arrow.PrimitiveTypes.Int64}, {Name: "ts", Type: dt, Nullable: true}}, nil)
							rgSchema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64},
								{Name: "lo", Type: dt, Nullable: true}, {Name: "hi", Type: dt, Nullable: true}}, nil)
							part := func(schema *arrow.Schema, cols ...arrow.Array) []arrow.RecordBatch {
								rec := array.NewRecordBatch(schema, cols, int64(cols[0].Len()))
								for _, c := range cols {
									c.Release()
								}
								return []arrow.RecordBatch{rec}
							}
							var evParts, rgParts [][]arrow.RecordBatch
							for p, ts := range evData {
								ids := make([]*int64, len(ts))
								for i := range ts {
									ids[i] = ptr(int64(100*p + i))
								}
								evParts = append(evParts, part(evSchema, rangeTestColumn(mem, arrow.PrimitiveTypes.Int64, ids), rangeTestColumn(mem, dt, ts)))
							}
							for p, bounds := range rgData {
								n := len(bounds)
								ids, lo, hi := make([]*int64, n), make([]*int64, n), make([]*int64, n)
								for i, b := range bounds {
									ids[i], lo[i], hi[i] = ptr(int64(100*p+i)), b[0], b[1]
								}
								rgParts = append(rgParts, part(rgSchema, rangeTestColumn(mem, arrow.PrimitiveTypes.Int64, ids),
									rangeTestColumn(mem, dt, lo), rangeTestColumn(mem, dt, hi)))
							}
							events, ranges := s.FromPartitions(evSchema, evParts...), s.FromPartitions(rgSchema, rgParts...)
							for _, p := range append(evParts, rgParts...) {
								for _, r := range p {
									r.Release()
								}
							}
							d := events.JoinWhere(ranges, cond, kind)
							if !pointsLeft {
								d = ranges.JoinWhere(events, cond, kind)
							}
							recs, err := d.Collect(t.Context())
							if err != nil {
								t.Fatalf("Collect: %v", err)
							}
							var rows []string
							for _, rec := range recs {
								for i := range int(rec.NumRows()) {
									var cells []string
									for _, c := range rec.Columns() {
										cells = append(cells, rangeTestCell(c, i))
									}
									rows = append(rows, strings.Join(cells, "|"))
								}
								rec.Release()
							}
							slices.Sort(rows)
							return rows, d.Explain()
						}
						got, ex := run(1 << 30)
						want, exNL := run(-1)
						broadcastable := kind != FullOuter
						if strings.Contains(ex, "range=[") != broadcastable || strings.Contains(exNL, "range=[") {
							t.Fatalf("range index in the plans: broadcast %v, not broadcast %v; want %v, false:\n%s\n%s",
								strings.Contains(ex, "range=["), strings.Contains(exNL, "range=["), broadcastable, ex, exNL)
						}
						if !slices.Equal(got, want) {
							t.Fatalf("interval join gave %d rows, the nested loop %d\ngot  %v\nwant %v", len(got), len(want), got[:min(len(got), 10)], want[:min(len(want), 10)])
						}
						if len(want) == 0 && (kind == Inner || kind == LeftSemi) {
							t.Fatal("no rows: the data exercises nothing")
						}
					})
				}
			}
		}
	}
}
