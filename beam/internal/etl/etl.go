// Package etl is kindling's ETL example job (examples/etl: messy order CSV files → drop
// malformed rows, fix types → daily revenue by region) registered for the Beam runner,
// with its input generator and an order-insensitive comparison of two outputs. The beam
// example and the beam tests share it, so that both run exactly the same job.
package etl

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/dataset"
)

// Job is the name the daily-revenue job is registered under; its one argument is the
// directory Generate wrote the input to.
const Job = "etl/daily"

func init() { dataset.RegisterJob(Job, build) }

func build(s *dataset.Session, args []string) (*dataset.Dataset, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("etl: want one argument, the input directory (got %q)", args)
	}
	return Daily(s, args[0]), nil
}

// Daily is the job over the CSV files Generate wrote to dir: orders with a positive
// amount and a region, by region (upper-cased) and day, with their revenue and count.
func Daily(s *dataset.Session, dir string) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "order_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ts", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "region", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	orders := s.ReadCSVWith(dataset.CSVOptions{
		Schema:            schema,
		Mode:              dataset.DropMalformed,
		DictionaryColumns: []string{"region"},
	}, strings.TrimSuffix(filepath.ToSlash(dir), "/")+"/orders-*.csv")
	return orders.
		Filter(dataset.Col("amount").Gt(dataset.Lit(0)).And(dataset.Col("region").IsNotNull())).
		WithColumn("region", dataset.Upper(dataset.Col("region"))).
		WithColumn("day", dataset.Col("ts").Cast(arrow.FixedWidthTypes.Timestamp_us).Cast(arrow.FixedWidthTypes.Date32)).
		Filter(dataset.Col("day").IsNotNull()).
		GroupBy("region", "day").
		Agg(dataset.Sum("amount").As("revenue"), dataset.Count().As("orders"))
}

// Generate writes rows order lines as four CSV files into dir, with the mess real
// exports have: truncated lines, amounts that are not numbers, refunds, missing regions,
// regions in mixed case. The same rows give the same files.
func Generate(dir string, rows int) error {
	rng := rand.New(rand.NewPCG(7, 11))
	regions := []string{"north", "North", "NORTH", "south", "South", "east", "EAST", "west"}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for f := range 4 {
		var b strings.Builder
		b.WriteString("order_id,ts,region,amount\n")
		for i := f; i < rows; i += 4 {
			ts := start.Add(time.Duration(rng.IntN(14*24*3600)) * time.Second).Format("2006-01-02 15:04:05")
			region := regions[rng.IntN(len(regions))]
			amount := math.Round(rng.Float64()*20000) / 100
			switch k := rng.IntN(100); {
			case k < 2:
				fmt.Fprintf(&b, "%d,%s\n", i, ts)
				continue
			case k < 4:
				fmt.Fprintf(&b, "%d,%s,%s,n/a\n", i, ts, region)
				continue
			case k < 8:
				amount = -amount
			case k < 10:
				region = ""
			}
			fmt.Fprintf(&b, "%d,%s,%s,%.2f\n", i, ts, region, amount)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("orders-%d.csv", f)), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Row is one row as text, its floating-point cells apart: a sum of floats depends on the
// order its terms arrive in, which a shuffle (local or Beam's) does not fix, so floats
// compare within a relative tolerance and everything else exactly.
type Row struct {
	Text   string
	Floats []float64
}

// SortedRows collects d and returns its rows sorted (by text, then floats): two outputs
// are the same multiset when Diff finds no difference between their SortedRows.
func SortedRows(ctx context.Context, d *dataset.Dataset) ([]Row, error) {
	recs, err := d.Collect(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	return RowsOf(recs), nil
}

// RowsOf returns the rows of recs sorted as SortedRows does.
func RowsOf(recs []arrow.RecordBatch) []Row {
	var out []Row
	for _, r := range recs {
		for i := range int(r.NumRows()) {
			var row Row
			cells := make([]string, r.NumCols())
			for c := range cells {
				if f, ok := r.Column(c).(*array.Float64); ok && f.IsValid(i) {
					row.Floats = append(row.Floats, f.Value(i))
					cells[c] = "f"
					continue
				}
				cells[c] = r.Column(c).ValueStr(i)
			}
			row.Text = strings.Join(cells, "|")
			out = append(out, row)
		}
	}
	slices.SortFunc(out, func(a, b Row) int {
		if c := strings.Compare(a.Text, b.Text); c != 0 {
			return c
		}
		return slices.Compare(a.Floats, b.Floats)
	})
	return out
}

// Diff describes the first difference between two SortedRows results ("" if none).
func Diff(a, b []Row) string {
	for i := range min(len(a), len(b)) {
		if a[i].Text != b[i].Text || len(a[i].Floats) != len(b[i].Floats) {
			return fmt.Sprintf("row %d: %v vs %v", i, a[i], b[i])
		}
		for j, x := range a[i].Floats {
			if y := b[i].Floats[j]; math.Abs(x-y) > 1e-9*math.Max(1, math.Max(math.Abs(x), math.Abs(y))) {
				return fmt.Sprintf("row %d: %v vs %v", i, a[i], b[i])
			}
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("%d rows vs %d", len(a), len(b))
	}
	return ""
}

// SameTables reads the Parquet tables at dirs a and b in s and says how they differ, if
// they do (nil when they hold the same rows, in any order).
func SameTables(ctx context.Context, s *dataset.Session, a, b string) error {
	ra, err := SortedRows(ctx, s.ReadParquet(a))
	if err != nil {
		return err
	}
	rb, err := SortedRows(ctx, s.ReadParquet(b))
	if err != nil {
		return err
	}
	if len(ra) == 0 {
		return fmt.Errorf("etl: %s is empty: the comparison checks nothing", a)
	}
	if d := Diff(ra, rb); d != "" {
		return fmt.Errorf("etl: %s and %s differ: %s", a, b, d)
	}
	return nil
}
