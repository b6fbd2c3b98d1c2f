// Command pipeline is a data engineer's daily pipeline on kindling, from raw files to a
// mart, run one day at a time against a lake directory that persists between runs:
//
//	raw CSV (orders) and JSON lines (customers), malformed lines, personal columns
//	  → ods/orders      cleaned, pseudonymized, partitioned by day; new files only,
//	                    behind a quality gate (nothing is committed if it fails)
//	  → ods/customers   cleaned, pseudonymized customer snapshots, partitioned by day
//	  → dim/customer    a type-2 slowly changing dimension (a version per change of city)
//	  → fact/orders     orders past the last run's watermark, with the customer's city
//	                    as of the order's day, appended per day
//	  → mart/city_revenue  revenue by day and city, only the days that changed rewritten
//
// Run it day by day:
//
//	go run ./examples/pipeline -lake /tmp/lake -day 1
//	go run ./examples/pipeline -lake /tmp/lake -day 2
//	go run ./examples/pipeline -lake /tmp/lake -day 3 -break   # a bug drops orders: the gate stops it
//
// Each run generates the day's landing files (deterministically) if missing, loads only
// what is new, prints what it did, and checks every table against the generator's own
// account; it exits with status 3 if a gate stopped the run (and checks that nothing was
// committed), 1 on any other failure. Personal values (e-mail, name, card) never reach
// ods, dim, fact or mart: e-mails become keyed tokens (HMAC-SHA256; the key comes from
// KINDLING_PIPELINE_KEY, a fixed demo key without it), the rest is dropped. Every write's
// OpenLineage events go to lineage.ndjson in the lake.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/dataset"
)

// exitGate is the exit status of a run a quality gate stopped.
const exitGate = 3

func main() {
	lake := flag.String("lake", filepath.Join(os.TempDir(), "kindling-lake"), "the lake directory (kept between runs)")
	day := flag.Int("day", 1, "the day to run (1 is the first)")
	orders := flag.Int("orders", 40_000, "order lines per day")
	broken := flag.Bool("break", false, "run with a bug that drops orders, which the quality gate must stop")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, *lake, *day, *orders, *broken)
	var gate *gateStopped
	switch {
	case errors.As(err, &gate):
		fmt.Println(gate)
		os.Exit(exitGate)
	case err != nil:
		log.Fatal(err)
	}
}

// gateStopped reports a run a quality gate stopped, after checking it committed nothing.
type gateStopped struct{ err error }

func (g *gateStopped) Error() string {
	return "the quality gate stopped the run and nothing was committed:\n" + g.err.Error()
}

// lake names the tables.
type lake struct{ root string }

func (l lake) path(p string) string { return filepath.Join(l.root, p) }

func run(ctx context.Context, root string, day, ordersPerDay int, broken bool) error {
	if day < 1 {
		return fmt.Errorf("pipeline: -day must be 1 or more")
	}
	l := lake{root}
	want, err := generate(l.path("raw"), day, ordersPerDay)
	if err != nil {
		return err
	}
	fmt.Printf("day %d (%s): landing files in %s\n", day, dayName(day), l.path("raw"))
	// Every write appends its OpenLineage run events (inputs, output, column lineage) to
	// lineage.ndjson, which a lineage server such as Marquez can ingest.
	s, err := dataset.NewSession(dataset.Config{Lineage: dataset.LineageConfig{File: l.path("lineage.ndjson"), Job: "pipeline"}})
	if err != nil {
		return err
	}
	defer s.Close()
	key, err := pseudonymKey()
	if err != nil {
		return err
	}

	before := snapshotTables(l)
	newOrders, err := loadOrders(ctx, s, l, key, broken)
	var exp *dataset.ExpectationError
	if errors.As(err, &exp) {
		if after := snapshotTables(l); !after.equal(before) {
			return fmt.Errorf("pipeline: a gate failed but the tables changed:\n%s", before.diff(after))
		}
		return &gateStopped{err}
	}
	if err != nil {
		return err
	}
	newCustomers, err := loadCustomers(ctx, s, l, key)
	if err != nil {
		return err
	}
	if err := updateCustomerDimension(ctx, s, l, newCustomers); err != nil {
		return err
	}
	days, err := loadFacts(ctx, s, l)
	if err != nil {
		return err
	}
	if err := refreshMart(ctx, s, l, days); err != nil {
		return err
	}
	fmt.Printf("day %d loaded: %d new order lines\n\n", day, newOrders)
	return check(ctx, s, l, want)
}

// pseudonymKey is the secret the e-mail tokens are keyed with: the same key gives the same
// token in every run, so tokens join across tables and days.
func pseudonymKey() (dataset.PseudonymKey, error) {
	if os.Getenv("KINDLING_PIPELINE_KEY") != "" {
		return dataset.PseudonymKeyFromEnv("KINDLING_PIPELINE_KEY")
	}
	fmt.Println("(KINDLING_PIPELINE_KEY is not set: using the demo key)")
	return dataset.NewPseudonymKey([]byte("demo-key-not-for-production-use-0123456789"))
}

var orderSchema = arrow.NewSchema([]arrow.Field{
	{Name: "order_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "order_ts", Type: arrow.FixedWidthTypes.Timestamp_us},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64},
	{Name: "email", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "card", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

var customerSchema = arrow.NewSchema([]arrow.Field{
	{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "email", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "city", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "updated_at", Type: arrow.FixedWidthTypes.Timestamp_us},
}, nil)

// emailToken replaces an e-mail by its keyed token (NULL stays NULL), normalized first so
// that one address gives one token.
func emailToken(key dataset.PseudonymKey) dataset.Expr {
	return key.Token(dataset.Lower(dataset.Trim(dataset.Col("email")))).As("email_token")
}

// loadOrders loads the order files not loaded yet into ods/orders, partitioned by day,
// behind a gate: every order line that parses must land, order ids must be unique, and
// amounts positive. With broken, a bug (an inner join with the customer dimension as of
// yesterday) loses the orders of today's new customers, and the gate must stop it.
func loadOrders(ctx context.Context, s *dataset.Session, l lake, key dataset.PseudonymKey, broken bool) (int64, error) {
	load, err := s.IncrementalLoad(l.path("ods/orders"), "raw orders")
	if err != nil {
		return 0, err
	}
	files, err := load.NewFiles(l.path("raw/orders"))
	if err != nil || len(files) == 0 {
		fmt.Println("ods/orders: no new order file")
		return 0, err
	}
	parsed := s.ReadCSVWith(dataset.CSVOptions{Schema: orderSchema, Mode: dataset.DropMalformed}, files...)
	clean := parsed.
		WithColumn("day", dataset.Col("order_ts").Cast(arrow.FixedWidthTypes.Date32)).
		Select(dataset.Col("order_id"), dataset.Col("customer_id"), dataset.Col("order_ts"),
			dataset.Col("amount"), emailToken(key), dataset.Col("day"))
	if broken {
		if dim, err := os.Stat(l.path("dim/customer")); err == nil && dim.IsDir() {
			known := s.ReadParquet(l.path("dim/customer")).Select(dataset.Col("customer_id")).Distinct()
			clean = clean.Join(known, dataset.On("customer_id"), dataset.Inner)
		}
	}
	gated := clean.Expect(dataset.Fail,
		dataset.RowCountEquals("every order line that parses lands", parsed),
		dataset.UniqueKey("order ids are unique", "order_id"),
		dataset.PassRatioAtLeast("amounts are positive", dataset.Col("amount").Gt(dataset.Lit(0.0)), 1),
	)
	err = gated.WriteParquet(ctx, l.path("ods/orders"), dataset.PartitionedBy("day"),
		dataset.WriteMode(dataset.ModeAppend), dataset.CommitLoad(load), dataset.LineageJobName("pipeline.ods_orders"))
	if err != nil {
		return 0, err
	}
	var malformed int64
	for _, st := range s.LastJob().Stages {
		malformed += st.Totals().MalformedRows
	}
	report := gated.ExpectationResults()
	rows := int64(report.Results[0].Observed) // the rows written, counted by the gate
	fmt.Printf("ods/orders: %d file(s) → %d rows appended (%d malformed lines dropped); gate: %d of %d checks passed\n",
		len(files), rows, malformed, len(report.Results)-len(report.Failed()), len(report.Results))
	return rows, nil
}

// loadCustomers loads the customer snapshot files not loaded yet into ods/customers and
// returns today's snapshots (pseudonymized) for the dimension.
func loadCustomers(ctx context.Context, s *dataset.Session, l lake, key dataset.PseudonymKey) (*dataset.Dataset, error) {
	load, err := s.IncrementalLoad(l.path("ods/customers"), "raw customers")
	if err != nil {
		return nil, err
	}
	files, err := load.NewFiles(l.path("raw/customers"))
	if err != nil || len(files) == 0 {
		fmt.Println("ods/customers: no new customer file")
		return nil, err
	}
	snapshots := s.ReadJSONWith(dataset.JSONOptions{Schema: customerSchema, Mode: dataset.DropMalformed}, files...).
		Select(dataset.Col("customer_id"), emailToken(key), dataset.Col("city"), dataset.Col("updated_at"),
			dataset.Col("updated_at").Cast(arrow.FixedWidthTypes.Date32).As("day")).
		Persist(dataset.MemoryAndDisk)
	gated := snapshots.Expect(dataset.Fail,
		dataset.NullRatioAtMost("every customer has a city", "city", 0),
		dataset.UniqueKey("one snapshot per customer and day", "customer_id", "day"))
	err = gated.WriteParquet(ctx, l.path("ods/customers"), dataset.PartitionedBy("day"),
		dataset.WriteMode(dataset.ModeAppend), dataset.CommitLoad(load), dataset.LineageJobName("pipeline.ods_customers"))
	if err != nil {
		return nil, err
	}
	n, err := snapshots.Count(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Printf("ods/customers: %d file(s) → %d snapshots appended\n", len(files), n)
	return snapshots, nil
}
