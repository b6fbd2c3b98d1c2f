package dataset_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/kindling-data/kindling/dataset"
)

// checkOne validates d against one expectation and prints its result on one line.
func checkOne(d *dataset.Dataset, e dataset.Expectation) {
	rep, err := d.Validate(context.Background(), e)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rep.Results {
		status := "passed"
		if !r.Passed {
			status = "FAILED"
		}
		fmt.Printf("%s: %s, observed %v, want %s", r.Name, status, r.Observed, r.Threshold)
		if r.Detail != "" {
			fmt.Printf(" (%s)", r.Detail)
		}
		fmt.Println()
	}
}

func ExampleDataset_Expect() {
	s := newSession()
	defer s.Close()
	ctx := context.Background()
	src := orders(s, 2)
	// The orders with an amount, held to what the next step needs. The checks are
	// counted as the rows flow to the action, in its own job.
	priced := src.Filter(dataset.Col("amount").IsNotNull()).Expect(dataset.Fail,
		dataset.RowCountEquals("no order lost", src),
		dataset.NullRatioAtMost("region mostly known", "region", 0.2),
		dataset.ValuesIn("known regions", "region", "east", "west"),
	)
	_, err := priced.Count(ctx)
	fmt.Println(errors.Is(err, dataset.ErrExpectationFailed))
	var failed *dataset.ExpectationError
	if errors.As(err, &failed) {
		for _, r := range failed.Failed() {
			fmt.Printf("%s: observed %v, want %s\n", r.Name, r.Observed, r.Threshold)
		}
	}
	// Output:
	// true
	// no order lost: observed 7, want == 8
}

func ExampleDataset_Expect_warn() {
	// Warn logs each failed expectation through Config.Logger and lets the action run.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // no clock in the example's output
			}
			return a
		},
	}))
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	d := orders(s, 2).Expect(dataset.Warn, dataset.NullRatioAtMost("qty known", "qty", 0.1))
	n, err := d.Count(context.Background())
	fmt.Println(n, err)
	// Output:
	// level=WARN msg="dataset: expectation failed" action=count expectation="qty known" check="null ratio of qty" observed=0.125 threshold="<= 0.1" detail="1 NULL in 8 rows"
	// 8 <nil>
}

func ExampleDataset_Validate() {
	s := newSession()
	defer s.Close()
	rep, err := orders(s, 2).Validate(context.Background(),
		dataset.RowCountBetween("a day's orders", 5, 100),
		dataset.UniqueKey("region and amount", "region", "amount"),
		dataset.PassRatioAtLeast("positive amounts", dataset.Col("amount").Gt(dataset.Lit(0)), 0.8),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("passed:", rep.Passed())
	fmt.Print(rep)
	// Output:
	// passed: false
	// expectation        check                    policy  result  observed  threshold    detail
	// a day's orders     row count                warn    passed  8         in [5, 100]
	// region and amount  unique (region, amount)  warn    FAILED  1         == 0         1 key occurs more than once, in 2 rows, e.g. region=west, amount=80
	// positive amounts   (amount > 0)             warn    passed  0.875     >= 0.8       7 of 8 rows pass
}

func ExampleDataset_ExpectationResults() {
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	d := orders(s, 2).Expect(dataset.Warn, dataset.ValuesBetween("sane qty", "qty", 0, 4))
	// Results belong to the expecting dataset and to what derives from it; the last
	// action that evaluated them set them.
	if _, err := d.GroupBy("region").Count().Count(context.Background()); err != nil {
		log.Fatal(err)
	}
	for _, r := range d.ExpectationResults().Results {
		fmt.Println(r.Name, r.Passed, r.Detail)
	}
	// Output:
	// sane qty false 1 of 8 rows outside, e.g. 5
}

func ExampleExpectationReport_String() {
	rep := dataset.ExpectationReport{Results: []dataset.ExpectationResult{
		{Name: "rows", Check: "row count", Policy: dataset.Fail, Passed: true, Observed: 1200, Threshold: "in [1000, 2000]"},
		{Name: "emails", Check: "null ratio of email", Policy: dataset.Warn, Observed: 0.031, Threshold: "<= 0.01",
			Detail: "31 NULLs in 1000 rows"},
	}}
	fmt.Print(rep)
	// Output:
	// expectation  check                policy  result  observed  threshold        detail
	// rows         row count            fail    passed  1200      in [1000, 2000]
	// emails       null ratio of email  warn    FAILED  0.031     <= 0.01          31 NULLs in 1000 rows
}

func ExampleRowCountEquals() {
	s := newSession()
	defer s.Close()
	src := orders(s, 2)
	checkOne(src.Select(dataset.Col("region"), dataset.Col("amount").Mul(dataset.Lit(2)).As("twice")),
		dataset.RowCountEquals("a projection keeps every row", src))
	// Output:
	// a projection keeps every row: passed, observed 8, want == 8 (the other dataset has 8 rows)
}

func ExampleRowCountBetween() {
	s := newSession()
	defer s.Close()
	checkOne(orders(s, 2), dataset.RowCountBetween("at least ten orders", 10, 1_000_000))
	// Output:
	// at least ten orders: FAILED, observed 8, want in [10, 1000000]
}

func ExampleRowCountNotBelow() {
	s := newSession()
	defer s.Close()
	// Yesterday's run had 10 orders; today's may have up to 20% fewer.
	checkOne(orders(s, 2), dataset.RowCountNotBelow("no collapse", 10, 0.2))
	// Output:
	// no collapse: passed, observed 8, want >= 8 (10 - 20%) (20% fewer rows than the previous 10)
}

func ExampleSession_ParquetRowCount() {
	s := newSession()
	defer s.Close()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "orders")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	table := filepath.Join(dir, "orders")

	// A daily run: compare with what the last run wrote before overwriting it (the
	// first run finds no table and compares with nothing).
	for day := 1; day <= 2; day++ {
		previous, err := s.ParquetRowCount(ctx, table)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Fatal(err)
		}
		today := orders(s, 2).Limit(int64(9 - 3*day)) // 6 orders, then 3
		rep, err := today.Validate(ctx, dataset.RowCountNotBelow("no collapse", previous, 0.25))
		if err != nil {
			log.Fatal(err)
		}
		r := rep.Results[0]
		fmt.Printf("day %d: previous %d, today %v, want %s: passed %v\n", day, previous, r.Observed, r.Threshold, r.Passed)
		if !rep.Passed() {
			continue // keep yesterday's table
		}
		if err := today.WriteParquet(ctx, table, dataset.Overwrite()); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// day 1: previous 0, today 6, want >= 0: passed true
	// day 2: previous 6, today 3, want >= 5 (6 - 25%): passed false
}

func ExampleNullRatioAtMost() {
	s := newSession()
	defer s.Close()
	checkOne(orders(s, 2), dataset.NullRatioAtMost("region mostly known", "region", 0.125))
	// Output:
	// region mostly known: passed, observed 0.125, want <= 0.125 (1 NULL in 8 rows)
}

func ExampleUniqueKey() {
	s := newSession()
	defer s.Close()
	checkOne(orders(s, 2), dataset.UniqueKey("region and amount", "region", "amount"))
	// Output:
	// region and amount: FAILED, observed 1, want == 0 (1 key occurs more than once, in 2 rows, e.g. region=west, amount=80)
}

func ExampleValuesIn() {
	s := newSession()
	defer s.Close()
	// NULL regions pass: NullRatioAtMost bounds them.
	checkOne(orders(s, 2), dataset.ValuesIn("known regions", "region", "east", "west"))
	// Output:
	// known regions: FAILED, observed 1, want == 0 (1 of 8 rows outside, e.g. north)
}

func ExampleValuesBetween() {
	s := newSession()
	defer s.Close()
	checkOne(orders(s, 2), dataset.ValuesBetween("sane amounts", "amount", 0, 500))
	// Output:
	// sane amounts: passed, observed 0, want == 0 (0 of 8 rows outside)
}

func ExamplePassRatioAtLeast() {
	s := newSession()
	defer s.Close()
	// A NULL amount does not pass (amount > 10 is NULL there).
	checkOne(orders(s, 2), dataset.PassRatioAtLeast("mostly above 10", dataset.Col("amount").Gt(dataset.Lit(10)), 0.9))
	// Output:
	// mostly above 10: FAILED, observed 0.875, want >= 0.9 (7 of 8 rows pass)
}
