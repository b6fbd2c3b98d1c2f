package dataset_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// ordersBatch builds the small "orders" record batch the examples share: eight orders
// over three days, with a NULL region, a NULL amount and a NULL qty. The caller owns
// the batch and must Release it.
func ordersBatch() arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "region", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()

	b.Field(0).(*array.StringBuilder).AppendValues(
		[]string{"east", "west", "east", "north", "west", "", "east", "west"},
		[]bool{true, true, true, true, true, false, true, true})
	jan1 := arrow.Date32FromTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	b.Field(1).(*array.Date32Builder).AppendValues(
		[]arrow.Date32{jan1, jan1, jan1 + 1, jan1 + 1, jan1 + 1, jan1 + 2, jan1 + 2, jan1 + 2}, nil)
	b.Field(2).(*array.Float64Builder).AppendValues(
		[]float64{120.5, 80, 42.25, 0, 310, 15.75, 99.99, 80},
		[]bool{true, true, true, false, true, true, true, true})
	b.Field(3).(*array.Int64Builder).AppendValues(
		[]int64{2, 1, 3, 5, 0, 1, 4, 2},
		[]bool{true, true, true, true, false, true, true, true})
	return b.NewRecordBatch()
}

// orders returns the orders as a dataset of s, split into parts partitions of (nearly)
// equal size.
func orders(s *dataset.Session, parts int) *dataset.Dataset {
	rec := ordersBatch()
	defer rec.Release() // the dataset retains what it needs
	n := rec.NumRows()
	slices := make([]arrow.RecordBatch, parts)
	for i := range slices {
		slices[i] = rec.NewSlice(n*int64(i)/int64(parts), n*int64(i+1)/int64(parts))
		defer slices[i].Release()
	}
	return s.FromRecords(slices...)
}

// newSession starts a small session for an example.
func newSession() *dataset.Session {
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, ShufflePartitions: 4})
	if err != nil {
		log.Fatal(err)
	}
	return s
}

// release releases every batch of recs.
func release(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

func ExampleNewSession() {
	// The zero Config is a working embedded engine; zero fields take their defaults.
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	fmt.Println("shuffle partitions:", s.Config().ShufflePartitions)
	fmt.Println("batch rows:", s.Config().BatchRows)

	n, err := orders(s, 1).Count(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("orders:", n)
	// Output:
	// shuffle partitions: 8
	// batch rows: 65536
	// orders: 8
}

func ExampleSession_ReadCSV() {
	dir, err := os.MkdirTemp("", "kindling-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	csv := "region,qty,price\neast,2,9.5\nwest,,12\nnorth,7,3.25\n"
	if err := os.WriteFile(filepath.Join(dir, "orders.csv"), []byte(csv), 0o644); err != nil {
		log.Fatal(err)
	}

	s := newSession()
	defer s.Close()
	ds := s.ReadCSV(filepath.Join(dir, "*.csv")) // types are inferred; empty fields are NULL
	schema, err := ds.Schema()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range schema.Fields() {
		fmt.Println(f.Name, f.Type)
	}
	if err := ds.Show(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
	// Output:
	// region utf8
	// qty int64
	// price float64
	// +--------+------+-------+
	// | region |  qty | price |
	// +--------+------+-------+
	// |   east |    2 |   9.5 |
	// |   west | null |    12 |
	// |  north |    7 |  3.25 |
	// +--------+------+-------+
	// (3 rows)
}

func ExampleCol() {
	s := newSession()
	defer s.Close()
	ds := orders(s, 1).
		Filter(dataset.Col("qty").Ge(dataset.Lit(2)).And(dataset.Col("region").NotEq(dataset.Lit("west")))).
		Select(
			dataset.Col("region"),
			dataset.Col("amount").Mul(dataset.Col("qty")).As("total"),
			dataset.Col("amount").Div(dataset.Col("qty")).As("unit_price"),
		)
	if err := ds.Show(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +--------+--------+------------------+
	// | region |  total |       unit_price |
	// +--------+--------+------------------+
	// |   east |    241 |            60.25 |
	// |   east | 126.75 | 14.0833333333333 |
	// |  north |   null |             null |
	// |   east | 399.96 |          24.9975 |
	// +--------+--------+------------------+
	// (4 rows)
}

func ExampleLit() {
	s := newSession()
	defer s.Close()
	jan3 := arrow.Date32FromTime(time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC))
	ds := orders(s, 1).
		Filter(dataset.Col("day").Eq(dataset.Lit(jan3))).
		WithColumn("currency", dataset.Lit("EUR")).
		WithColumn("with_tax", dataset.Col("amount").Mul(dataset.Lit(1.2)))
	if err := ds.Show(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +--------+------------+--------+-----+----------+----------+
	// | region |        day | amount | qty | currency | with_tax |
	// +--------+------------+--------+-----+----------+----------+
	// |   null | 2024-01-03 |  15.75 |   1 |      EUR |     18.9 |
	// |   east | 2024-01-03 |  99.99 |   4 |      EUR |  119.988 |
	// |   west | 2024-01-03 |     80 |   2 |      EUR |       96 |
	// +--------+------------+--------+-----+----------+----------+
	// (3 rows)
}

func ExampleCoalesce() {
	s := newSession()
	defer s.Close()
	// Replace NULLs with defaults; IsNull marks where a value was missing.
	ds := orders(s, 1).Select(
		dataset.Coalesce(dataset.Col("region"), dataset.Lit("unknown")).As("region"),
		dataset.Coalesce(dataset.Col("amount"), dataset.Lit(0.0)).As("amount"),
		dataset.Col("qty").IsNull().As("qty_missing"),
	)
	if err := ds.Show(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +---------+--------+-------------+
	// |  region | amount | qty_missing |
	// +---------+--------+-------------+
	// |    east |  120.5 |       false |
	// |    west |     80 |       false |
	// |    east |  42.25 |       false |
	// |   north |      0 |       false |
	// |    west |    310 |        true |
	// | unknown |  15.75 |       false |
	// |    east |  99.99 |       false |
	// |    west |     80 |       false |
	// +---------+--------+-------------+
	// (8 rows)
}

func ExampleUpper() {
	s := newSession()
	defer s.Close()
	region := dataset.Col("region")
	ds := orders(s, 1).
		Filter(dataset.Contains(region, "st").Or(dataset.StartsWith(region, "no"))).
		Select(
			region,
			dataset.Upper(region).As("upper"),
			dataset.Substring(region, 1, 2).As("code"),
			dataset.Length(region).As("len"),
			dataset.EndsWith(region, "st").As("ends_st"),
		).
		Distinct()
	recs, err := ds.Collect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer release(recs)
	var lines []string
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			cells := make([]string, r.NumCols())
			for c := range cells {
				cells[c] = r.Column(c).ValueStr(i)
			}
			lines = append(lines, strings.Join(cells, " "))
		}
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// east EAST ea 4 true
	// north NORTH no 5 false
	// west WEST we 4 true
}

func ExampleDataset_Select() {
	s := newSession()
	defer s.Close()
	ds := orders(s, 1).Select(
		dataset.Col("region"),
		dataset.Col("amount").Mul(dataset.Col("qty")).As("total"),
	)
	if err := ds.Show(context.Background(), 3); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +--------+--------+
	// | region |  total |
	// +--------+--------+
	// |   east |    241 |
	// |   west |     80 |
	// |   east | 126.75 |
	// +--------+--------+
	// only showing the first 3 rows
}

func ExampleDataset_SelectColumns() {
	s := newSession()
	defer s.Close()
	if err := orders(s, 1).SelectColumns("qty", "region").Show(context.Background(), 3); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +-----+--------+
	// | qty | region |
	// +-----+--------+
	// |   2 |   east |
	// |   1 |   west |
	// |   3 |   east |
	// +-----+--------+
	// only showing the first 3 rows
}

func ExampleDataset_Filter() {
	s := newSession()
	defer s.Close()
	// Rows where the condition is NULL (here: the NULL amount) are dropped.
	big := orders(s, 1).Filter(dataset.Col("amount").Gt(dataset.Lit(80)))
	if err := big.Show(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +--------+------------+--------+------+
	// | region |        day | amount |  qty |
	// +--------+------------+--------+------+
	// |   east | 2024-01-01 |  120.5 |    2 |
	// |   west | 2024-01-02 |    310 | null |
	// |   east | 2024-01-03 |  99.99 |    4 |
	// +--------+------------+--------+------+
	// (3 rows)
}

func ExampleDataset_WithColumn() {
	s := newSession()
	defer s.Close()
	ds := orders(s, 1).
		WithColumn("total", dataset.Col("amount").Mul(dataset.Col("qty"))). // adds a column
		WithColumn("region", dataset.Upper(dataset.Col("region")))          // replaces one in place
	if err := ds.Show(context.Background(), 4); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +--------+------------+--------+-----+--------+
	// | region |        day | amount | qty |  total |
	// +--------+------------+--------+-----+--------+
	// |   EAST | 2024-01-01 |  120.5 |   2 |    241 |
	// |   WEST | 2024-01-01 |     80 |   1 |     80 |
	// |   EAST | 2024-01-02 |  42.25 |   3 | 126.75 |
	// |  NORTH | 2024-01-02 |   null |   5 |   null |
	// +--------+------------+--------+-----+--------+
	// only showing the first 4 rows
}

func ExampleDataset_Drop() {
	s := newSession()
	defer s.Close()
	schema, err := orders(s, 1).Drop("day", "qty").Schema()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(schema.Field(0).Name, schema.Field(1).Name, schema.NumFields())
	// Output:
	// region amount 2
}

func ExampleDataset_Rename() {
	s := newSession()
	defer s.Close()
	if err := orders(s, 1).Rename("amount", "revenue").Show(context.Background(), 2); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +--------+------------+---------+-----+
	// | region |        day | revenue | qty |
	// +--------+------------+---------+-----+
	// |   east | 2024-01-01 |   120.5 |   2 |
	// |   west | 2024-01-01 |      80 |   1 |
	// +--------+------------+---------+-----+
	// only showing the first 2 rows
}

func ExampleDataset_MapBatches() {
	s := newSession()
	defer s.Close()
	// A Go function over whole batches: here, a running total of qty within each batch.
	out := arrow.NewSchema([]arrow.Field{
		{Name: "qty", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "running", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	running := func(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		qty := in.Column(0).(*array.Int64)
		b := array.NewInt64Builder(mem)
		defer b.Release()
		var sum int64
		for i := 0; i < qty.Len(); i++ {
			if qty.IsValid(i) {
				sum += qty.Value(i)
			}
			b.Append(sum)
		}
		run := b.NewArray()
		defer run.Release()
		return array.NewRecordBatch(out, []arrow.Array{qty, run}, in.NumRows()), nil
	}
	ds := orders(s, 1).SelectColumns("qty").MapBatches("running-qty", out, running)
	if err := ds.Show(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +------+---------+
	// |  qty | running |
	// +------+---------+
	// |    2 |       2 |
	// |    1 |       3 |
	// |    3 |       6 |
	// |    5 |      11 |
	// | null |      11 |
	// |    1 |      12 |
	// |    4 |      16 |
	// |    2 |      18 |
	// +------+---------+
	// (8 rows)
}

func ExampleDataset_Limit() {
	s := newSession()
	defer s.Close()
	// Limit keeps the first rows of the partitions in order.
	if err := orders(s, 2).Limit(5).Show(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +--------+------------+--------+------+
	// | region |        day | amount |  qty |
	// +--------+------------+--------+------+
	// |   east | 2024-01-01 |  120.5 |    2 |
	// |   west | 2024-01-01 |     80 |    1 |
	// |   east | 2024-01-02 |  42.25 |    3 |
	// |  north | 2024-01-02 |   null |    5 |
	// |   west | 2024-01-02 |    310 | null |
	// +--------+------------+--------+------+
	// (5 rows)
}

func ExampleDataset_Union() {
	s := newSession()
	defer s.Close()
	east := orders(s, 1).Filter(dataset.Col("region").Eq(dataset.Lit("east"))).SelectColumns("region", "amount")
	// Columns are matched by name: the second dataset lists them in another order.
	north := orders(s, 1).Filter(dataset.Col("region").Eq(dataset.Lit("north"))).SelectColumns("amount", "region")
	if err := east.Union(north).Show(context.Background(), 10); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +--------+--------+
	// | region | amount |
	// +--------+--------+
	// |   east |  120.5 |
	// |   east |  42.25 |
	// |   east |  99.99 |
	// |  north |   null |
	// +--------+--------+
	// (4 rows)
}

func ExampleDataset_Coalesce() {
	s := newSession()
	defer s.Close()
	ds := orders(s, 4) // four partitions of two rows
	merged := ds.Coalesce(2)
	for _, d := range []*dataset.Dataset{ds, merged} {
		var mu sync.Mutex
		parts := map[int]int64{}
		err := d.ForEachBatch(context.Background(), func(p int, rec arrow.RecordBatch) error {
			mu.Lock()
			defer mu.Unlock()
			parts[p] += rec.NumRows()
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(parts), "partitions, rows per partition:", parts)
	}
	// Output:
	// 4 partitions, rows per partition: map[0:2 1:2 2:2 3:2]
	// 2 partitions, rows per partition: map[0:4 1:4]
}

func ExampleDataset_Repartition() {
	s := newSession()
	defer s.Close()
	// Hash-partition by region: all the rows of a region land in the same partition.
	ds := orders(s, 1).Repartition(3, "region")
	var mu sync.Mutex
	partsOf := map[string]map[int]bool{}
	err := ds.ForEachBatch(context.Background(), func(p int, rec arrow.RecordBatch) error {
		mu.Lock()
		defer mu.Unlock()
		regions := rec.Column(0).(*array.String)
		for i := 0; i < regions.Len(); i++ {
			r := regions.ValueStr(i)
			if partsOf[r] == nil {
				partsOf[r] = map[int]bool{}
			}
			partsOf[r][p] = true
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range []string{"(null)", "east", "north", "west"} {
		fmt.Println(r, "is in", len(partsOf[r]), "partition")
	}
	n, err := ds.Count(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows:", n)
	// Output:
	// (null) is in 1 partition
	// east is in 1 partition
	// north is in 1 partition
	// west is in 1 partition
	// rows: 8
}

func ExampleDataset_GroupBy() {
	s := newSession()
	defer s.Close()
	byRegion := orders(s, 2).
		GroupBy("region").
		Agg(
			dataset.Count().As("orders"),
			dataset.CountOf("amount").As("priced"),
			dataset.Sum("qty").As("qty"),
			dataset.Sum("amount").As("revenue"),
			dataset.Mean("amount").As("avg"),
			dataset.Min("amount").As("min"),
			dataset.Max("amount").As("max"),
			dataset.CountDistinct("day").As("days"),
		)
	recs, err := byRegion.Collect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer release(recs)
	// Groups come in hash order: sort them for display.
	var lines []string
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			cells := make([]string, r.NumCols())
			for c := range cells {
				col := r.Column(c)
				switch col := col.(type) {
				case *array.Float64:
					if col.IsValid(i) {
						cells[c] = fmt.Sprintf("%.2f", col.Value(i))
						continue
					}
				}
				cells[c] = col.ValueStr(i)
			}
			lines = append(lines, strings.Join(cells, " "))
		}
	}
	sort.Strings(lines)
	fmt.Println("region orders priced qty revenue avg min max days")
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// region orders priced qty revenue avg min max days
	// (null) 1 1 1 15.75 15.75 15.75 15.75 1
	// east 3 3 9 262.74 87.58 42.25 120.50 3
	// north 1 0 5 (null) (null) (null) (null) 1
	// west 3 3 3 470.00 156.67 80.00 310.00 3
}

func ExampleDataset_Distinct() {
	s := newSession()
	defer s.Close()
	regions := orders(s, 2).SelectColumns("region").Distinct()
	recs, err := regions.Collect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer release(recs)
	var names []string
	for _, r := range recs {
		col := r.Column(0).(*array.String)
		for i := 0; i < col.Len(); i++ {
			names = append(names, col.ValueStr(i))
		}
	}
	sort.Strings(names)
	fmt.Println(names)
	// Output:
	// [(null) east north west]
}

func ExampleDataset_Count() {
	s := newSession()
	defer s.Close()
	n, err := orders(s, 3).Filter(dataset.Col("amount").IsNotNull()).Count(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n)
	// Output:
	// 7
}

func ExampleDataset_Take() {
	s := newSession()
	defer s.Close()
	recs, err := orders(s, 2).Take(context.Background(), 3)
	if err != nil {
		log.Fatal(err)
	}
	defer release(recs)
	for _, r := range recs {
		regions := r.Column(0).(*array.String)
		for i := 0; i < regions.Len(); i++ {
			fmt.Println(regions.Value(i))
		}
	}
	// Output:
	// east
	// west
	// east
}

func ExampleDataset_Collect() {
	s := newSession()
	defer s.Close()
	recs, err := orders(s, 2).SelectColumns("region", "qty").Collect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer release(recs) // the caller owns the batches
	var total int64
	for _, r := range recs {
		qty := r.Column(1).(*array.Int64)
		for i := 0; i < qty.Len(); i++ {
			if qty.IsValid(i) {
				total += qty.Value(i)
			}
		}
		fmt.Println("batch of", r.NumRows(), "rows")
	}
	fmt.Println("total qty:", total)
	// Output:
	// batch of 4 rows
	// batch of 4 rows
	// total qty: 18
}

func ExampleDataset_Show() {
	s := newSession()
	defer s.Close()
	if err := orders(s, 1).Show(context.Background(), 5); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +--------+------------+--------+------+
	// | region |        day | amount |  qty |
	// +--------+------------+--------+------+
	// |   east | 2024-01-01 |  120.5 |    2 |
	// |   west | 2024-01-01 |     80 |    1 |
	// |   east | 2024-01-02 |  42.25 |    3 |
	// |  north | 2024-01-02 |   null |    5 |
	// |   west | 2024-01-02 |    310 | null |
	// +--------+------------+--------+------+
	// only showing the first 5 rows
}

func ExampleDataset_ForEachBatch() {
	s := newSession()
	defer s.Close()
	// fn runs on the task goroutines: guard shared state.
	var mu sync.Mutex
	var rows, batches int64
	err := orders(s, 4).ForEachBatch(context.Background(), func(partition int, rec arrow.RecordBatch) error {
		mu.Lock()
		defer mu.Unlock()
		rows += rec.NumRows()
		batches++
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rows, "rows in", batches, "batches")
	// Output:
	// 8 rows in 4 batches
}

func ExampleDataset_WriteParquet() {
	dir, err := os.MkdirTemp("", "kindling-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s := newSession()
	defer s.Close()
	out := filepath.Join(dir, "orders")
	if err := orders(s, 1).WriteParquet(ctx, out); err != nil {
		log.Fatal(err)
	}
	back := s.ReadParquet(out).Filter(dataset.Col("region").Eq(dataset.Lit("east")))
	if err := back.Show(ctx, 10); err != nil {
		log.Fatal(err)
	}
	// Output:
	// +--------+------------+--------+-----+
	// | region |        day | amount | qty |
	// +--------+------------+--------+-----+
	// |   east | 2024-01-01 |  120.5 |   2 |
	// |   east | 2024-01-02 |  42.25 |   3 |
	// |   east | 2024-01-03 |  99.99 |   4 |
	// +--------+------------+--------+-----+
	// (3 rows)
}

func ExampleDataset_Explain() {
	s := newSession() // 4 shuffle partitions
	defer s.Close()
	ds := orders(s, 2).
		Filter(dataset.Col("amount").IsNotNull()).
		GroupBy("region").
		Agg(dataset.Sum("amount").As("revenue"))
	plan := ds.Explain()
	// Print the stages only: the plans above them name the call sites.
	_, stages, _ := strings.Cut(plan, "== Stages ==\n")
	fmt.Print(stages)
	// Output:
	// Stage 1 (2 tasks) → shuffle hash[region] x 4
	//   HashAggregate(partial) keys=[region] aggs=[sum(amount) AS revenue]
	//   +- Filter (amount IS NOT NULL)
	//      +- Scan memory[memory] partitions=2 columns=[region, amount]
	// Stage 2 (4 tasks) → result (reads stage 1)
	//   HashAggregate(final) keys=[region] aggs=[sum(amount) AS revenue]
	//   +- ShuffleRead shuffle=1 hash[region] x 4
}

// printCells runs d and prints each row, one space between cells: format renders the
// cells it cares about (ok true), every other cell prints as arrow's ValueStr.
func printCells(d *dataset.Dataset, format func(col arrow.Array, i int) (string, bool)) {
	recs, err := d.Collect(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	defer release(recs)
	for _, r := range recs {
		for i := 0; i < int(r.NumRows()); i++ {
			cells := make([]string, r.NumCols())
			for c := range cells {
				col := r.Column(c)
				if s, ok := format(col, i); ok {
					cells[c] = s
					continue
				}
				cells[c] = col.ValueStr(i)
			}
			fmt.Println(strings.Join(cells, " "))
		}
	}
}
