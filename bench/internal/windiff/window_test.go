package windiff

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	. "github.com/kindling-data/kindling/dataset"
)

const (
	windowRows = 30_000
	windowSeed = 5
)

// winCase is one window expression in both engines: K over the dataset, SQL a DuckDB
// select-list expression over table w.
type winCase struct {
	name string
	k    Expr
	sql  string
}

func windowCases() []winCase {
	const (
		pg     = "PARTITION BY g "
		oAsc   = "ORDER BY o ASC NULLS FIRST"
		oiAsc  = "ORDER BY o ASC NULLS FIRST, id ASC"
		oDesc  = "ORDER BY o DESC NULLS LAST"
		oiDesc = "ORDER BY o DESC NULLS LAST, id ASC"
		dAsc   = "ORDER BY d ASC NULLS FIRST"
	)
	byG := PartitionBy("g")
	o := byG.OrderBy(Asc("o"))
	oi := byG.OrderBy(Asc("o"), Asc("id"))
	od := byG.OrderBy(Desc("o"))
	oid := byG.OrderBy(Desc("o"), Asc("id"))
	d := byG.OrderBy(Asc("d"))
	v, f := Col("v"), Col("f")
	cs := []winCase{
		{"row_number", RowNumber().Over(oi), "row_number() OVER (" + pg + oiAsc + ")"},
		{"row_number_desc", RowNumber().Over(oid), "row_number() OVER (" + pg + oiDesc + ")"},
		{"rank", Rank().Over(o), "rank() OVER (" + pg + oAsc + ")"},
		{"rank_desc", Rank().Over(od), "rank() OVER (" + pg + oDesc + ")"},
		{"dense_rank", DenseRank().Over(o), "dense_rank() OVER (" + pg + oAsc + ")"},
		{"dense_rank_desc", DenseRank().Over(od), "dense_rank() OVER (" + pg + oDesc + ")"},
		{"percent_rank", PercentRank().Over(o), "percent_rank() OVER (" + pg + oAsc + ")"},
		{"cume_dist", CumeDist().Over(o), "cume_dist() OVER (" + pg + oAsc + ")"},
		{"cume_dist_desc", CumeDist().Over(od), "cume_dist() OVER (" + pg + oDesc + ")"},
		{"ntile4", NTile(4).Over(oi), "ntile(4) OVER (" + pg + oiAsc + ")"},
		{"ntile7", NTile(7).Over(oid), "ntile(7) OVER (" + pg + oiDesc + ")"},
		{"ntile_no_partition", NTile(13).Over(Window().OrderBy(Asc("o"), Asc("id"))), "ntile(13) OVER (" + oiAsc + ")"},
		{"row_number_no_partition", RowNumber().Over(Window().OrderBy(Desc("d"), Asc("id"))), "row_number() OVER (ORDER BY d DESC NULLS LAST, id)"},
		{"rank_date", Rank().Over(d), "rank() OVER (" + pg + dAsc + ")"},
		{"rank_nulls_last", Rank().Over(byG.OrderBy(Asc("o").NullsLast())), "rank() OVER (" + pg + "ORDER BY o ASC NULLS LAST)"},
		{"dense_rank_desc_nulls_first", DenseRank().Over(byG.OrderBy(Desc("d").NullsFirst())), "dense_rank() OVER (" + pg + "ORDER BY d DESC NULLS FIRST)"},

		{"lag1", Lag(v, 1, Expr{}).Over(oi), "lag(v, 1) OVER (" + pg + oiAsc + ")"},
		{"lag2_default", Lag(v, 2, Lit(int64(-1))).Over(oi), "lag(v, 2, -1) OVER (" + pg + oiAsc + ")"},
		{"lead1", Lead(v, 1, Expr{}).Over(oi), "lead(v, 1) OVER (" + pg + oiAsc + ")"},
		{"lead3_default", Lead(v, 3, Lit(int64(0))).Over(oid), "lead(v, 3, 0) OVER (" + pg + oiDesc + ")"},
		{"lag_default_column", Lag(f, 1, Col("f")).Over(oi), "lag(f, 1, f) OVER (" + pg + oiAsc + ")"},
		{"lead_date", Lead(Col("d"), 2, Expr{}).Over(oi), "lead(d, 2) OVER (" + pg + oiAsc + ")"},

		{"first_value", FirstValue(v, false).Over(oi), "first_value(v) OVER (" + pg + oiAsc + ")"},
		{"first_value_ignore_nulls", FirstValue(v, true).Over(oi), "first_value(v IGNORE NULLS) OVER (" + pg + oiAsc + ")"},
		// With ties in the order key, which peer comes last is not determined: the
		// value taken from a tied frame edge is the order key itself.
		{"last_value_default_frame", LastValue(Col("o"), false).Over(od), "last_value(o) OVER (" + pg + oDesc + ")"},
		{"last_value", LastValue(v, false).Over(oi), "last_value(v) OVER (" + pg + oiAsc + ")"},
		{"last_value_ignore_nulls", LastValue(v, true).Over(oi), "last_value(v IGNORE NULLS) OVER (" + pg + oiAsc + ")"},
		{"last_value_unbounded", LastValue(v, false).Over(oi.RowsBetween(UnboundedPreceding, UnboundedFollowing)),
			"last_value(v) OVER (" + pg + oiAsc + " ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"},
		{"last_value_ignore_nulls_rows", LastValue(v, true).Over(oi.RowsBetween(-2, 2)),
			"last_value(v IGNORE NULLS) OVER (" + pg + oiAsc + " ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING)"},
		{"nth_value3", NthValue(v, 3, false).Over(oi), "nth_value(v, 3) OVER (" + pg + oiAsc + ")"},
		{"nth_value3_ignore_nulls", NthValue(v, 3, true).Over(oi), "nth_value(v, 3 IGNORE NULLS) OVER (" + pg + oiAsc + ")"},
		{"nth_value2_rows", NthValue(v, 2, false).Over(oi.RowsBetween(-3, 1)),
			"nth_value(v, 2) OVER (" + pg + oiAsc + " ROWS BETWEEN 3 PRECEDING AND 1 FOLLOWING)"},
		// kindling's First is the first non-NULL value: Spark's first(v, true).
		{"first_agg_rows", First("v").Over(oi.RowsBetween(-2, 2)), "first_value(v IGNORE NULLS) OVER (" + pg + oiAsc + " ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING)"},
		{"first_value_range", FirstValue(Col("o"), false).Over(o.RangeBetween(-3, 3)),
			"first_value(o) OVER (" + pg + oAsc + " RANGE BETWEEN 3 PRECEDING AND 3 FOLLOWING)"},
		{"last_value_range", LastValue(Col("o"), false).Over(od.RangeBetween(-2, 5)),
			"last_value(o) OVER (" + pg + oDesc + " RANGE BETWEEN 2 PRECEDING AND 5 FOLLOWING)"},
	}
	// Aggregates over frames: each frame with Sum, Count (count(*)), CountOf, Mean, Min
	// and Max.
	frames := []struct {
		name string
		w    WindowSpec
		sql  string
	}{
		{"partition", byG, pg},
		{"no_partition_no_order", Window(), ""},
		{"default_frame_ordered", o, pg + oAsc},
		{"default_frame_ordered_desc", od, pg + oDesc},
		{"default_frame_total_order", oi, pg + oiAsc},
		{"no_partition_ordered", Window().OrderBy(Asc("o")), oAsc},
		{"rows_3p_2f", oi.RowsBetween(-3, 2), pg + oiAsc + " ROWS BETWEEN 3 PRECEDING AND 2 FOLLOWING"},
		{"rows_5f_9f", oi.RowsBetween(5, 9), pg + oiAsc + " ROWS BETWEEN 5 FOLLOWING AND 9 FOLLOWING"},
		{"rows_unbounded_current", oi.RowsBetween(UnboundedPreceding, CurrentRow), pg + oiAsc + " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"},
		{"rows_current_unbounded", oid.RowsBetween(CurrentRow, UnboundedFollowing), pg + oiDesc + " ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING"},
		{"rows_2p_unbounded", oi.RowsBetween(-2, UnboundedFollowing), pg + oiAsc + " ROWS BETWEEN 2 PRECEDING AND UNBOUNDED FOLLOWING"},
		{"rows_unbounded_both", oi.RowsBetween(UnboundedPreceding, UnboundedFollowing), pg + oiAsc + " ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"},
		{"rows_no_partition", Window().OrderBy(Asc("o"), Asc("id")).RowsBetween(-4, 4), oiAsc + " ROWS BETWEEN 4 PRECEDING AND 4 FOLLOWING"},
		{"range_5p_5f", o.RangeBetween(-5, 5), pg + oAsc + " RANGE BETWEEN 5 PRECEDING AND 5 FOLLOWING"},
		{"range_10p_current", o.RangeBetween(-10, CurrentRow), pg + oAsc + " RANGE BETWEEN 10 PRECEDING AND CURRENT ROW"},
		{"range_current_unbounded", o.RangeBetween(CurrentRow, UnboundedFollowing), pg + oAsc + " RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING"},
		{"range_unbounded_3f", o.RangeBetween(UnboundedPreceding, 3), pg + oAsc + " RANGE BETWEEN UNBOUNDED PRECEDING AND 3 FOLLOWING"},
		{"range_2f_6f", o.RangeBetween(2, 6), pg + oAsc + " RANGE BETWEEN 2 FOLLOWING AND 6 FOLLOWING"},
		{"range_desc_4p_1f", od.RangeBetween(-4, 1), pg + oDesc + " RANGE BETWEEN 4 PRECEDING AND 1 FOLLOWING"},
		{"range_date_7p_current", d.RangeBetween(-7, CurrentRow), pg + dAsc + " RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND CURRENT ROW"},
		{"range_date_30p_30f", d.RangeBetween(-30, 30), pg + dAsc + " RANGE BETWEEN INTERVAL 30 DAYS PRECEDING AND INTERVAL 30 DAYS FOLLOWING"},
		{"range_date_desc", byG.OrderBy(Desc("d")).RangeBetween(-14, 0), pg + "ORDER BY d DESC NULLS LAST RANGE BETWEEN INTERVAL 14 DAYS PRECEDING AND CURRENT ROW"},
	}
	for _, fr := range frames {
		over := " OVER (" + fr.sql + ")"
		cs = append(cs,
			winCase{fr.name + "/sum", Sum("v").Over(fr.w), "sum(v)" + over},
			winCase{fr.name + "/count", Count().Over(fr.w), "count(*)" + over},
			winCase{fr.name + "/count_of", CountOf("v").Over(fr.w), "count(v)" + over},
			winCase{fr.name + "/mean", Mean("f").Over(fr.w), "avg(f)" + over},
			winCase{fr.name + "/min", Min("v").Over(fr.w), "min(v)" + over},
			winCase{fr.name + "/max", Max("d").Over(fr.w), "max(d)" + over},
			winCase{fr.name + "/mean_expr", MeanExpr(v.Mul(Lit(int64(2))).Add(Col("o"))).Over(fr.w), "avg(v * 2 + o)" + over},
		)
	}
	return cs
}

// TestWindowsAgainstDuckDB computes each window case in both engines over the same
// generated rows and compares them row by row, keyed by the row id.
func TestWindowsAgainstDuckDB(t *testing.T) {
	e := newEnv(t)
	rec := Generate(memory.NewGoAllocator(), windowRows, windowSeed)
	defer rec.Release()
	ds := e.load(t, "w", rec, 4)
	for _, c := range windowCases() {
		t.Run(c.name, func(t *testing.T) {
			want, err := duckRows(t.Context(), e.conn, "SELECT id, "+c.sql+" FROM w")
			if err != nil {
				t.Fatal(err)
			}
			got, err := kindlingRows(t.Context(), ds.Select(Col("id"), c.k.As("r")))
			if err != nil {
				t.Fatalf("kindling: %v", err)
			}
			compareKeyed(t, c.name, got, want)
		})
	}
}
