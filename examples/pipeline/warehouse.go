package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/dataset"
)

// updateCustomerDimension folds today's snapshots into dim/customer, a type-2 slowly
// changing dimension: a customer gets a new version (valid_from the snapshot's day) when
// its city or e-mail token changes; each version is valid until the next one's
// valid_from, and the last is current. The dimension is small, so it is rewritten whole.
func updateCustomerDimension(ctx context.Context, s *dataset.Session, l lake, snapshots *dataset.Dataset) error {
	if snapshots == nil {
		return nil
	}
	defer snapshots.Unpersist()
	versions := snapshots.Select(dataset.Col("customer_id"), dataset.Col("email_token"), dataset.Col("city"),
		dataset.Col("day").As("valid_from"))
	if _, err := os.Stat(l.path("dim/customer")); err == nil {
		old := s.ReadParquet(l.path("dim/customer")).Select(dataset.Col("customer_id"), dataset.Col("email_token"),
			dataset.Col("city"), dataset.Col("valid_from"))
		versions = old.UnionByName(versions, false)
	}
	byCustomer := dataset.PartitionBy("customer_id").OrderBy(dataset.Asc("valid_from"))
	var none dataset.Expr
	changed := versions.
		WithColumn("prev_city", dataset.Lag(dataset.Col("city"), 1, none).Over(byCustomer)).
		WithColumn("prev_token", dataset.Lag(dataset.Col("email_token"), 1, none).Over(byCustomer)).
		Filter(dataset.Col("prev_city").IsNull().
			Or(dataset.Col("city").NotEq(dataset.Col("prev_city"))).
			Or(dataset.Col("email_token").NotEq(dataset.Col("prev_token"))))
	dim := changed.
		WithColumn("valid_to", dataset.Lead(dataset.Col("valid_from"), 1, none).Over(byCustomer)).
		WithColumn("is_current", dataset.Col("valid_to").IsNull()).
		Select(dataset.Col("customer_id"), dataset.Col("email_token"), dataset.Col("city"),
			dataset.Col("valid_from"), dataset.Col("valid_to"), dataset.Col("is_current")).
		Expect(dataset.Fail, dataset.UniqueKey("one version per customer and day", "customer_id", "valid_from"))
	if err := dim.WriteParquet(ctx, l.path("dim/customer"), dataset.Overwrite(), dataset.LineageJobName("pipeline.dim_customer")); err != nil {
		return err
	}
	n, err := s.ReadParquet(l.path("dim/customer")).Count(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("dim/customer: %d versions (type 2: a version per change)\n", n)
	return nil
}

// loadFacts appends the ODS orders past the fact table's watermark to fact/orders, each
// with the city of its customer's version valid on the order's day, and returns the days
// it touched.
func loadFacts(ctx context.Context, s *dataset.Session, l lake) ([]arrow.Date32, error) {
	load, err := s.IncrementalLoad(l.path("fact/orders"), "ods orders")
	if err != nil {
		return nil, err
	}
	fresh, err := load.Since(ctx, s.ReadParquet(l.path("ods/orders")), "order_ts")
	if err != nil {
		return nil, err
	}
	fresh = fresh.Persist(dataset.MemoryAndDisk)
	defer fresh.Unpersist()
	dim := s.ReadParquet(l.path("dim/customer")).
		Select(dataset.Col("customer_id"), dataset.Col("city"), dataset.Col("valid_from"), dataset.Col("valid_to"))
	validThen := dataset.Col("day").Ge(dataset.Col("valid_from")).
		And(dataset.Col("valid_to").IsNull().Or(dataset.Col("day").Lt(dataset.Col("valid_to"))))
	facts := fresh.Join(dim, dataset.On("customer_id").And(validThen), dataset.LeftOuter).
		Select(dataset.Col("order_id"), dataset.Col("customer_id"), dataset.Col("order_ts"),
			dataset.Col("amount"), dataset.Col("city"), dataset.Col("day")).
		Expect(dataset.Fail,
			dataset.RowCountEquals("one fact per order", fresh),
			dataset.NullRatioAtMost("every order has its customer's city", "city", 0))
	if err := facts.WriteParquet(ctx, l.path("fact/orders"), dataset.PartitionedBy("day"),
		dataset.WriteMode(dataset.ModeAppend), dataset.CommitLoad(load), dataset.LineageJobName("pipeline.fact_orders")); err != nil {
		return nil, err
	}
	days, err := distinctDays(ctx, fresh)
	if err != nil {
		return nil, err
	}
	w, _ := load.Watermark()
	fmt.Printf("fact/orders: %d day(s) appended, watermark order_ts = %s\n", len(days), w.Text)
	return days, nil
}

func distinctDays(ctx context.Context, d *dataset.Dataset) ([]arrow.Date32, error) {
	recs, err := d.Select(dataset.Col("day")).Distinct().Collect(ctx)
	if err != nil {
		return nil, err
	}
	var days []arrow.Date32
	for _, r := range recs {
		col := r.Column(0).(*array.Date32)
		for i := range col.Len() {
			days = append(days, col.Value(i))
		}
		r.Release()
	}
	return days, nil
}

// refreshMart recomputes mart/city_revenue for the days the facts changed, replacing
// those days' partitions only.
func refreshMart(ctx context.Context, s *dataset.Session, l lake, days []arrow.Date32) error {
	if len(days) == 0 {
		fmt.Println("mart/city_revenue: no day changed")
		return nil
	}
	in := make([]any, len(days))
	for i, d := range days {
		in[i] = d
	}
	mart := s.ReadParquet(l.path("fact/orders")).
		Filter(dataset.Col("day").IsIn(in...)).
		GroupBy("day", "city").
		Agg(dataset.Sum("amount").As("revenue"), dataset.Count().As("orders"))
	err := mart.WriteParquet(ctx, l.path("mart/city_revenue"), dataset.PartitionedBy("day"),
		dataset.WriteMode(dataset.ModeOverwritePartitions), dataset.LineageJobName("pipeline.mart_city_revenue"))
	if err != nil {
		return err
	}
	fmt.Printf("mart/city_revenue: %d day partition(s) rewritten\n", len(days))
	return nil
}

// tableFiles is every file of the warehouse's tables (not the landing zone), with its
// size and time: what a run committed.
type tableFiles map[string]string

func snapshotTables(l lake) tableFiles {
	out := tableFiles{}
	for _, t := range []string{"ods", "dim", "fact", "mart"} {
		fs.WalkDir(os.DirFS(l.path(t)), ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					out[t+"/"+p] = fmt.Sprint(info.Size(), info.ModTime().UnixNano())
				}
			}
			return nil
		})
	}
	return out
}

func (a tableFiles) equal(b tableFiles) bool { return a.diff(b) == "" }

func (a tableFiles) diff(b tableFiles) string {
	var out string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			out += "removed " + k + "\n"
		} else if w != v {
			out += "changed " + k + "\n"
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out += "added " + k + "\n"
		}
	}
	return out
}

var errMismatch = errors.New("pipeline: the warehouse differs from the generator's account")
