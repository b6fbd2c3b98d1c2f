package dataset_test

import (
	"context"
	"fmt"
	"iter"
	"log"
	"regexp"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// showOrErr prints d as a table, or the error that running it gave (without the line
// number of the call site it names, which moves as this file is edited).
func showOrErr(d *dataset.Dataset) {
	if err := d.Show(context.Background(), 20); err != nil {
		fmt.Println("error:", siteLine.ReplaceAllString(err.Error(), ".go"))
	}
}

var siteLine = regexp.MustCompile(`\.go:[0-9]+`)

func ExampleDataset_SortWithinPartitions() {
	s := newSession()
	defer s.Close()
	// Two partitions, each sorted on its own: no shuffle.
	showOrErr(orders(s, 2).SelectColumns("region", "qty").SortWithinPartitions(dataset.Desc("qty")))
	// Output:
	// +--------+------+
	// | region |  qty |
	// +--------+------+
	// |  north |    5 |
	// |   east |    3 |
	// |   east |    2 |
	// |   west |    1 |
	// |   east |    4 |
	// |   west |    2 |
	// |   null |    1 |
	// |   west | null |
	// +--------+------+
	// (8 rows)
}

func ExampleDataset_WithColumns() {
	s := newSession()
	defer s.Close()
	d := orders(s, 1).SelectColumns("region", "qty").Limit(3).WithColumns(map[string]dataset.Expr{
		"qty":    dataset.Col("qty").Mul(dataset.Lit(10)), // replaced in place
		"double": dataset.Col("qty").Mul(dataset.Lit(2)),  // sees the input's qty
	})
	showOrErr(d)
	// Output:
	// +--------+-----+--------+
	// | region | qty | double |
	// +--------+-----+--------+
	// |   east |  20 |      4 |
	// |   west |  10 |      2 |
	// |   east |  30 |      6 |
	// +--------+-----+--------+
	// (3 rows)
}

func ExampleDataset_WithColumnsRenamed() {
	s := newSession()
	defer s.Close()
	d := orders(s, 1).WithColumnsRenamed(map[string]string{"region": "area", "qty": "units", "missing": "ignored"})
	schema, err := d.Schema()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range schema.Fields() {
		fmt.Println(f.Name)
	}
	// Output:
	// area
	// day
	// amount
	// units
}

func ExampleDataset_DropDuplicates() {
	s := newSession()
	defer s.Close()
	// One row per region; which duplicate is kept is unspecified, so only count them.
	n, err := orders(s, 3).DropDuplicates("region").Count(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("regions:", n)
	showOrErr(orders(s, 3).SelectColumns("amount").DropDuplicates().OrderBy(dataset.Asc("amount")))
	// Output:
	// regions: 4
	// +--------+
	// | amount |
	// +--------+
	// |   null |
	// |  15.75 |
	// |  42.25 |
	// |     80 |
	// |  99.99 |
	// |  120.5 |
	// |    310 |
	// +--------+
	// (7 rows)
}

func ExampleDataset_UnionByName() {
	s := newSession()
	defer s.Close()
	a := orders(s, 1).Select(dataset.Col("region"), dataset.Col("qty")).Limit(2)
	// Columns in another order, qty as int32 and one column a lacks.
	b := orders(s, 1).Select(dataset.Col("amount"), dataset.Col("qty").Cast(arrow.PrimitiveTypes.Int32).As("qty"), dataset.Col("region")).Limit(2)
	showOrErr(a.UnionByName(b, true))
	showOrErr(a.UnionByName(b, false))
	// Output:
	// +--------+-----+--------+
	// | region | qty | amount |
	// +--------+-----+--------+
	// |   east |   2 |   null |
	// |   west |   1 |   null |
	// |   east |   2 |  120.5 |
	// |   west |   1 |     80 |
	// +--------+-----+--------+
	// (4 rows)
	// error: dataset: UnionByName at unionByName@example_helpers_test.go: column "amount" is missing on one side (left [region qty], right [amount qty region]); pass allowMissing to fill it with NULLs
}

func ExampleDataset_FillNull() {
	s := newSession()
	defer s.Close()
	d := orders(s, 1).SelectColumns("region", "amount", "qty")
	showOrErr(d.FillNull(0).FillNull("unknown", "region"))
	// Output:
	// +---------+--------+-----+
	// |  region | amount | qty |
	// +---------+--------+-----+
	// |    east |  120.5 |   2 |
	// |    west |     80 |   1 |
	// |    east |  42.25 |   3 |
	// |   north |      0 |   5 |
	// |    west |    310 |   0 |
	// | unknown |  15.75 |   1 |
	// |    east |  99.99 |   4 |
	// |    west |     80 |   2 |
	// +---------+--------+-----+
	// (8 rows)
}

func ExampleDataset_FillNullMap() {
	s := newSession()
	defer s.Close()
	d := orders(s, 1).SelectColumns("region", "qty").FillNullMap(map[string]any{"region": "?", "qty": -1})
	showOrErr(d.Filter(dataset.Col("region").Eq(dataset.Lit("?")).Or(dataset.Col("qty").Lt(dataset.Lit(0)))))
	_, err := orders(s, 1).FillNullMap(map[string]any{"qty": "none"}).Count(context.Background())
	fmt.Println(err != nil)
	// Output:
	// +--------+-----+
	// | region | qty |
	// +--------+-----+
	// |   west |  -1 |
	// |      ? |   1 |
	// +--------+-----+
	// (2 rows)
	// true
}

func ExampleDataset_DropNull() {
	s := newSession()
	defer s.Close()
	d := orders(s, 2).SelectColumns("region", "amount", "qty")
	for _, q := range []*dataset.Dataset{
		d.DropNull("any", 0),                  // no NULL anywhere
		d.DropNull("all", 0, "amount", "qty"), // not both NULL
		d.DropNull("any", 0, "region"),        // region present
		d.DropNull("any", 3),                  // at least 3 non-NULL values
	} {
		n, err := q.Count(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(n)
	}
	// Output:
	// 5
	// 8
	// 7
	// 5
}

func ExampleDataset_Batches() {
	s := newSession()
	defer s.Close()
	ctx := context.Background()
	rows := 0
	for rec, err := range orders(s, 4).Batches(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		rows += int(rec.NumRows()) // rec is released when the body returns
		if rows >= 4 {
			break // cancels the job and releases what was not seen
		}
	}
	fmt.Println("rows seen:", rows)
	// Output:
	// rows seen: 4
}

func ExampleCollectAs() {
	s := newSession()
	defer s.Close()
	type order struct {
		Region *string // NULL regions become nil
		Amount *float64
		Units  int64 `kindling:"qty"`
	}
	rows, err := dataset.CollectAs[order](context.Background(),
		orders(s, 2).Filter(dataset.Col("qty").Ge(dataset.Lit(3))))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Println(*r.Region, r.Amount != nil, r.Units)
	}
	// Output:
	// east true 3
	// north false 5
	// east true 4
}

func ExampleDataset_Describe() {
	s := newSession()
	defer s.Close()
	showOrErr(orders(s, 2).Describe("amount", "qty", "region"))
	// Output:
	// +---------+--------------------+--------------------+--------+
	// | summary |             amount |                qty | region |
	// +---------+--------------------+--------------------+--------+
	// |   count |                  7 |                  7 |      7 |
	// |    mean | 106.92714285714285 | 2.5714285714285716 |   null |
	// |  stddev |  96.10539175202152 |  1.511857892036909 |   null |
	// |     min |              15.75 |                  1 |   east |
	// |     max |              310.0 |                  5 |   west |
	// +---------+--------------------+--------------------+--------+
	// (5 rows)
}

func ExampleDataset_Summary() {
	s := newSession()
	defer s.Close()
	// Spark's default statistics; percentiles are values of the column (qty's 25% is 1).
	showOrErr(orders(s, 2).Summary())
	// Any percentile, distinct counts, names in any case; labelled as asked.
	showOrErr(orders(s, 2).SelectColumns("region", "qty").Summary("COUNT_DISTINCT", "approx_count_distinct", "0%", "99.9%"))
	showOrErr(orders(s, 2).Summary("101%"))
	// Output:
	// +---------+--------+--------------------+--------------------+
	// | summary | region |             amount |                qty |
	// +---------+--------+--------------------+--------------------+
	// |   count |      7 |                  7 |                  7 |
	// |    mean |   null | 106.92714285714285 | 2.5714285714285716 |
	// |  stddev |   null |  96.10539175202152 |  1.511857892036909 |
	// |     min |   east |              15.75 |                  1 |
	// |     25% |   null |              42.25 |                  1 |
	// |     50% |   null |               80.0 |                  2 |
	// |     75% |   null |              120.5 |                  4 |
	// |     max |   west |              310.0 |                  5 |
	// +---------+--------+--------------------+--------------------+
	// (8 rows)
	// +-----------------------+--------+-----+
	// |               summary | region | qty |
	// +-----------------------+--------+-----+
	// |        COUNT_DISTINCT |      3 |   5 |
	// | approx_count_distinct |      3 |   5 |
	// |                    0% |   null |   1 |
	// |                 99.9% |   null |   5 |
	// +-----------------------+--------+-----+
	// (4 rows)
	// error: dataset: summary@example_helpers_test.go: statistic "101%": a percentile must be in [0%, 100%]
}

func ExampleGrouped_Pivot() {
	s := newSession()
	defer s.Close()
	d := orders(s, 2).GroupBy("day").Pivot("region", "east", "west").Agg(dataset.Sum("qty"))
	showOrErr(d.OrderBy(dataset.Asc("day")))
	// Output:
	// +------------+------+------+
	// |        day | east | west |
	// +------------+------+------+
	// | 2024-01-01 |    2 |    1 |
	// | 2024-01-02 |    3 | null |
	// | 2024-01-03 |    4 |    2 |
	// +------------+------+------+
	// (3 rows)
}

func ExamplePivoted_Agg() {
	s := newSession()
	defer s.Close()
	// The values found by a distinct job; two aggregates name the columns value_aggregate.
	d := orders(s, 2).GroupBy("day").Pivot("region").Agg(dataset.Sum("qty").As("qty"), dataset.Count().As("n"))
	showOrErr(d.OrderBy(dataset.Asc("day")))
	// Output:
	// +------------+----------+--------+----------+--------+-----------+---------+----------+--------+
	// |        day | null_qty | null_n | east_qty | east_n | north_qty | north_n | west_qty | west_n |
	// +------------+----------+--------+----------+--------+-----------+---------+----------+--------+
	// | 2024-01-01 |     null |   null |        2 |      1 |      null |    null |        1 |      1 |
	// | 2024-01-02 |     null |   null |        3 |      1 |         5 |       1 |     null |      1 |
	// | 2024-01-03 |        1 |      1 |        4 |      1 |      null |    null |        2 |      1 |
	// +------------+----------+--------+----------+--------+-----------+---------+----------+--------+
	// (3 rows)
}

func ExampleDataset_Unpivot() {
	s := newSession()
	defer s.Close()
	d := orders(s, 2).Limit(2).Unpivot([]string{"region"}, []string{"amount", "qty"}, "variable", "value")
	showOrErr(d)
	// Output:
	// +--------+----------+-------+
	// | region | variable | value |
	// +--------+----------+-------+
	// |   east |   amount | 120.5 |
	// |   east |      qty |     2 |
	// |   west |   amount |    80 |
	// |   west |      qty |     1 |
	// +--------+----------+-------+
	// (4 rows)
}

func ExampleDataset_Sample() {
	s := newSession()
	defer s.Close()
	ctx := context.Background()
	d := orders(s, 2)
	a, err := d.Sample(0.5, 42).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	b, err := d.Sample(0.5, 42).Count(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same seed, same rows:", a == b)
	// Output:
	// same seed, same rows: true
}

func ExampleDataset_RandomSplit() {
	s := newSession()
	defer s.Close()
	ctx := context.Background()
	splits := orders(s, 2).RandomSplit([]float64{0.7, 0.3}, 1)
	total := int64(0)
	for _, sp := range splits {
		n, err := sp.Count(ctx)
		if err != nil {
			log.Fatal(err)
		}
		total += n
	}
	fmt.Println("splits:", len(splits), "rows in all:", total)
	// Output:
	// splits: 2 rows in all: 8
}

func ExampleDataset_MapPartitions() {
	s := newSession()
	defer s.Close()
	out := arrow.NewSchema([]arrow.Field{{Name: "rows", Type: arrow.PrimitiveTypes.Int64}}, nil)
	// One row per partition: how many rows it has, counted over its whole stream.
	count := func(ctx context.Context, partition int, in iter.Seq2[arrow.RecordBatch, error], mem memory.Allocator) iter.Seq2[arrow.RecordBatch, error] {
		return func(yield func(arrow.RecordBatch, error) bool) {
			var n int64
			for rec, err := range in {
				if err != nil {
					yield(nil, err)
					return
				}
				n += rec.NumRows() // rec is released when the loop moves on
			}
			b := array.NewInt64Builder(mem)
			defer b.Release()
			b.Append(n)
			col := b.NewArray()
			defer col.Release()
			yield(array.NewRecordBatch(out, []arrow.Array{col}, 1), nil)
		}
	}
	showOrErr(orders(s, 3).MapPartitions("count", out, count))
	// Output:
	// +------+
	// | rows |
	// +------+
	// |    2 |
	// |    3 |
	// |    3 |
	// +------+
	// (3 rows)
}
