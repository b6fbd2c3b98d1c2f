package dataset

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestWindowGroupLimitMatchesPlainPlan runs "top K per key" queries (a filter on
// row_number, rank or dense_rank) with and without the partial per-key limit below the
// window's shuffle, and compares the answers. The data has NULL partition keys, NULL
// order keys and many ties, over three map partitions and batches smaller than a key's
// rows, so candidates are cut across batches and partitions. rank and dense_rank must
// give the same rows; row_number may pick other rows among ties of the order key (Spark
// leaves their order open), so its rows are compared as (k, t, rn).
func TestWindowGroupLimitMatchesPlainPlan(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "t", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	s := newFixtureSession(t, Config{BatchRows: 64, ShufflePartitions: 2})
	parts := make([][]arrow.RecordBatch, 3)
	x := uint64(12345)
	for p := range parts {
		for b := 0; b < 4; b++ {
			bld := array.NewRecordBuilder(s.mem, schema)
			for i := 0; i < 300; i++ {
				x = x*6364136223846793005 + 1442695040888963407
				r := x >> 33
				if r%23 == 0 {
					bld.Field(0).AppendNull()
				} else {
					bld.Field(0).(*array.Int64Builder).Append(int64(r % 37))
				}
				if r%13 == 0 {
					bld.Field(1).AppendNull()
				} else {
					bld.Field(1).(*array.Int64Builder).Append(int64((r >> 8) % 9))
				}
				bld.Field(2).(*array.Int64Builder).Append(int64(p*100000 + b*1000 + i))
			}
			parts[p] = append(parts[p], bld.NewRecordBatch())
			bld.Release()
		}
	}
	d := s.s.FromPartitions(schema, parts...)
	plain := newFixtureSession(t, Config{BatchRows: 64, ShufflePartitions: 2, TestingKnobs: TestingKnobs{NoWindowGroupLimit: true}})
	dp := plain.s.FromPartitions(schema, parts...)
	for _, p := range parts {
		releaseAll(p)
	}
	funcs := map[string]func() WindowFunc{"row_number": RowNumber, "rank": Rank, "dense_rank": DenseRank}
	conds := map[string]func(Expr) Expr{
		"=1":  func(c Expr) Expr { return c.Eq(Lit(int64(1))) },
		"<=3": func(c Expr) Expr { return c.Le(Lit(int64(3))) },
		"<4":  func(c Expr) Expr { return c.Lt(Lit(4)) },
	}
	orders := map[string]SortKey{"desc": Desc("t"), "asc nulls first": Asc("t").NullsFirst(), "desc nulls first": Desc("t").NullsFirst()}
	for fname, fn := range funcs {
		for cname, cond := range conds {
			for oname, ord := range orders {
				t.Run(fmt.Sprintf("%s %s %s", fname, cname, oname), func(t *testing.T) {
					q := d.WithColumn("rn", fn().Over(PartitionBy("k").OrderBy(ord))).Filter(cond(Col("rn")))
					if !strings.Contains(q.Explain(), "WindowGroupLimit [k]") {
						t.Fatalf("no WindowGroupLimit in the plan:\n%s", q.Explain())
					}
					got := limitRows(t, q, fname == "row_number")
					qp := dp.WithColumn("rn", fn().Over(PartitionBy("k").OrderBy(ord))).Filter(cond(Col("rn")))
					if strings.Contains(qp.Explain(), "WindowGroupLimit") {
						t.Fatal("the knob did not disable the rule")
					}
					want := limitRows(t, qp, fname == "row_number")
					if len(want) == 0 || !slices.Equal(got, want) {
						t.Fatalf("with the limit %d rows, without %d:\n%v\n%v", len(got), len(want), got, want)
					}
				})
			}
		}
	}
}

// limitRows collects (k, t, v, rn) as sorted strings, without v when ties may differ.
func limitRows(t *testing.T, q *Dataset, dropV bool) []string {
	var out []string
	for _, r := range collectRows(t, q) {
		if dropV {
			r[2] = nil
		}
		out = append(out, fmt.Sprint(r))
	}
	slices.Sort(out)
	return out
}
