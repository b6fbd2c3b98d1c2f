// Command etl is kindling's ETL example: messy order CSV files → drop malformed rows, fix
// types → daily revenue by region → a Parquet table, as a Go data engineer would write it.
//
//	go run ./examples/etl            # writes out/daily and prints the plan and the result
//	go run ./examples/etl -ui localhost:4040 -report out/report.html
//	                                 # also serves the web UI (until Ctrl-C) and writes the
//	                                 # job report as one HTML file
//
// The input is generated deterministically into a temporary directory (four CSV files of
// orders, with malformed rows, refunds, missing regions and regions in mixed case), and
// the generator keeps its own totals so that the result can be checked by eye.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/dataset"
)

func main() {
	out := flag.String("out", "out/daily", "output directory of the Parquet table")
	rows := flag.Int("rows", 200_000, "orders to generate")
	ui := flag.String("ui", "", "serve the web UI at this address (such as localhost:4040) until Ctrl-C")
	report := flag.String("report", "", "write the session's HTML report to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *out, *rows, *ui, *report); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out string, rows int, ui, report string) error {
	dir, err := os.MkdirTemp("", "kindling-etl-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	truth, err := generate(dir, rows)
	if err != nil {
		return err
	}
	fmt.Printf("generated %d order lines in 4 CSV files under %s (%d malformed)\n\n", rows, dir, truth.malformed)

	s, err := dataset.NewSession(dataset.Config{UIAddr: ui})
	if err != nil {
		return err
	}
	defer s.Close()
	if ui != "" {
		fmt.Printf("web UI at http://%s\n\n", s.UIAddr())
	}

	schema := arrow.NewSchema([]arrow.Field{
		{Name: "order_id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ts", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "region", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	orders := s.ReadCSVWith(dataset.CSVOptions{
		Schema:            schema,
		Mode:              dataset.DropMalformed, // a bad row is dropped and counted, not fatal
		DictionaryColumns: []string{"region"},    // few distinct values: a categorical column
	}, filepath.Join(dir, "orders-*.csv"))

	daily := orders.
		Filter(dataset.Col("amount").Gt(dataset.Lit(0)).And(dataset.Col("region").IsNotNull())).
		WithColumn("region", dataset.Upper(dataset.Col("region"))).
		WithColumn("day", dataset.Col("ts").Cast(arrow.FixedWidthTypes.Timestamp_us).Cast(arrow.FixedWidthTypes.Date32)).
		Filter(dataset.Col("day").IsNotNull()).
		GroupBy("region", "day").
		Agg(dataset.Sum("amount").As("revenue"), dataset.Count().As("orders"))

	fmt.Println(daily.Explain())

	start := time.Now()
	if err := daily.WriteParquet(ctx, out, dataset.Overwrite()); err != nil {
		return err
	}
	fmt.Printf("wrote %s in %v\n", out, time.Since(start).Round(time.Millisecond))
	job := s.LastJob()
	fmt.Println(job)
	fmt.Printf("malformed rows dropped by the CSV scan: %d (the generator wrote %d)\n\n",
		job.Stages[0].Totals().MalformedRows, truth.malformed)

	// Read the table back and check it against the generator's own totals.
	table := s.ReadParquet(out)
	if err := table.Filter(dataset.Col("region").Eq(dataset.Lit("NORTH"))).Show(ctx, 10); err != nil {
		return err
	}
	byRegion := table.GroupBy("region").Agg(dataset.Sum("revenue").As("revenue"), dataset.Sum("orders").As("orders"))
	recs, err := byRegion.Collect(ctx)
	if err != nil {
		return err
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	got := map[string]regionTotal{}
	for _, r := range recs {
		region := r.Column(0)
		revenue := r.Column(1).(*array.Float64)
		count := r.Column(2).(*array.Int64)
		for i := 0; i < int(r.NumRows()); i++ {
			got[stringAt(region, i)] = regionTotal{revenue: revenue.Value(i), orders: count.Value(i)}
		}
	}
	fmt.Println("\nrevenue by region (kindling vs the generator's own count):")
	names := make([]string, 0, len(truth.byRegion))
	for k := range truth.byRegion {
		names = append(names, k)
	}
	sort.Strings(names)
	ok := true
	for _, k := range names {
		want, have := truth.byRegion[k], got[k]
		match := have.orders == want.orders && math.Abs(have.revenue-want.revenue) < 1e-6*math.Max(1, want.revenue)
		ok = ok && match
		fmt.Printf("  %-6s revenue %14.2f / %14.2f   orders %7d / %7d   %s\n", k, have.revenue, want.revenue, have.orders, want.orders, map[bool]string{true: "ok", false: "MISMATCH"}[match])
	}
	if !ok || len(got) != len(truth.byRegion) {
		return fmt.Errorf("etl: result differs from the generator's totals")
	}
	return showJobs(ctx, s, ui, report)
}

// showJobs writes the session's HTML report when asked, and keeps the web UI up until
// Ctrl-C when it is on.
func showJobs(ctx context.Context, s *dataset.Session, ui, report string) error {
	if report != "" {
		if err := s.WriteReport(report); err != nil {
			return err
		}
		fmt.Printf("\nwrote the session's report to %s\n", report)
	}
	if ui != "" {
		fmt.Printf("\nthe web UI stays at http://%s until Ctrl-C\n", s.UIAddr())
		<-ctx.Done()
	}
	return nil
}

type regionTotal struct {
	revenue float64
	orders  int64
}

type truth struct {
	malformed int
	byRegion  map[string]regionTotal
}

// generate writes four CSV files of orders with the mess real exports have, and returns
// what a correct job must find.
func generate(dir string, rows int) (truth, error) {
	rng := rand.New(rand.NewPCG(7, 11))
	regions := []string{"north", "North", "NORTH", "south", "South", "east", "EAST", "west"}
	t := truth{byRegion: map[string]regionTotal{}}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for f := 0; f < 4; f++ {
		var b strings.Builder
		b.WriteString("order_id,ts,region,amount\n")
		for i := f; i < rows; i += 4 {
			ts := start.Add(time.Duration(rng.IntN(14*24*3600)) * time.Second).Format("2006-01-02 15:04:05")
			region := regions[rng.IntN(len(regions))]
			amount := math.Round(rng.Float64()*20000) / 100
			switch k := rng.IntN(100); {
			case k < 2: // a truncated line: wrong field count
				fmt.Fprintf(&b, "%d,%s\n", i, ts)
				t.malformed++
				continue
			case k < 4: // an amount that is not a number
				fmt.Fprintf(&b, "%d,%s,%s,%s\n", i, ts, region, "n/a")
				t.malformed++
				continue
			case k < 8: // a refund: negative amount, filtered out
				amount = -amount
			case k < 10: // no region
				region = ""
			}
			fmt.Fprintf(&b, "%d,%s,%s,%.2f\n", i, ts, region, amount)
			if amount > 0 && region != "" {
				key := strings.ToUpper(region)
				rt := t.byRegion[key]
				rt.revenue += amount
				rt.orders++
				t.byRegion[key] = rt
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("orders-%d.csv", f)), []byte(b.String()), 0o644); err != nil {
			return t, err
		}
	}
	return t, nil
}

// stringAt reads a string cell of a plain or dictionary-encoded string column.
func stringAt(a arrow.Array, i int) string {
	if d, ok := a.(*array.Dictionary); ok {
		return stringAt(d.Dictionary(), d.GetValueIndex(i))
	}
	return a.(*array.String).Value(i)
}
