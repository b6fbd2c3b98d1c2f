// Command join joins a fact table of orders with two dimension tables, customers and
// products, where one customer holds a large share of the orders (a skewed key), and runs
// the job twice: with a broadcast hash join (the dimensions are small, so they are copied
// to every task and the orders are never shuffled) and with a shuffled hash join (both
// sides hash-partitioned on the key, so the skewed customer's orders all land in one
// task). It prints both plans, the time each took, the size of the largest shuffle
// partition, and a result checked against a plain Go computation.
//
//	go run ./examples/join [-orders 2000000] [-report join-report.html]
//
// With -report it writes the shuffled run's HTML report, whose stage DAG and stage
// summary name the hot customer and its share of the shuffle.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

const (
	customers = 20_000
	products  = 1_000
	// hotShare of the orders belong to customer 0: the skewed key.
	hotShare = 0.3
)

var regions = []string{"north", "south", "east", "west"}

func main() {
	n := flag.Int("orders", 2_000_000, "orders to generate")
	report := flag.String("report", "", "write the shuffled run's HTML report to this file")
	flag.Parse()
	if err := run(context.Background(), *n, *report); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, n int, report string) error {
	data := generate(n)
	defer data.release()
	fmt.Printf("%d orders (%.0f%% of them by customer 0), %d customers, %d products\n\n", n, hotShare*100, customers, products)

	for _, strategy := range []struct {
		name      string
		threshold int64
	}{
		{"broadcast hash join", 0}, // default threshold: the dimensions fit
		{"shuffled hash join", -1}, // broadcasting disabled
	} {
		s, err := dataset.NewSession(dataset.Config{BroadcastThreshold: strategy.threshold})
		if err != nil {
			return err
		}
		revenue := data.query(s)
		fmt.Printf("=== %s ===\n%s\n", strategy.name, revenue.Explain())
		start := time.Now()
		recs, err := revenue.Collect(ctx)
		if err != nil {
			s.Close()
			return err
		}
		elapsed := time.Since(start)
		job := s.LastJob()
		fmt.Printf("%s took %v\n", strategy.name, elapsed.Round(time.Millisecond))
		for _, st := range job.Stages {
			if len(st.ShufflePartitionRows) > 0 {
				var total, largest int64
				for _, r := range st.ShufflePartitionRows {
					total += r
					largest = max(largest, r)
				}
				if len(st.ShufflePartitionRows) == 1 {
					fmt.Printf("  stage %d broadcast %d rows to every task of the next stage\n", st.StageID, total)
				} else if total > 0 {
					fmt.Printf("  stage %d shuffled %d rows; largest partition %d rows (%.0f%%)\n", st.StageID, total, largest, 100*float64(largest)/float64(total))
				}
				for _, sk := range st.Skew {
					fmt.Printf("    skew: %s\n", sk)
				}
			}
		}
		err = check(recs, data.want)
		if err == nil && strategy.threshold < 0 {
			err = checkSkewNamed(job)
		}
		for _, r := range recs {
			r.Release()
		}
		if err == nil && report != "" && strategy.threshold < 0 {
			if err = s.WriteReport(report); err == nil {
				fmt.Printf("  wrote the report to %s\n", report)
			}
		}
		s.Close()
		if err != nil {
			return err
		}
		fmt.Println()
	}
	fmt.Println("revenue by region (checked against plain Go):")
	for _, r := range regions {
		fmt.Printf("  %-6s %16.2f\n", r, data.want[r])
	}
	return nil
}

// checkSkewNamed checks that the shuffled run names the hot customer behind its skewed
// partition, with about its share of the orders.
func checkSkewNamed(job *dataset.JobMetrics) error {
	for _, st := range job.Stages {
		for _, sk := range st.Skew {
			for _, k := range sk.Keys {
				if k.Key == "customer_id=0" && math.Abs(k.Share-hotShare) < 0.05 {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("join: no stage names customer_id=0 (%.0f%% of the orders) behind a skewed partition", hotShare*100)
}

type tables struct {
	orders, customers, products arrow.RecordBatch
	want                        map[string]float64
}

func (t *tables) release() {
	t.orders.Release()
	t.customers.Release()
	t.products.Release()
}

// query is the job: revenue per customer region, largest first.
func (t *tables) query(s *dataset.Session) *dataset.Dataset {
	parts := split(t.orders, 8)
	orders := s.FromRecords(parts...) // the session retains what it needs
	for _, p := range parts {
		p.Release()
	}
	custs := s.FromRecords(t.customers)
	prods := s.FromRecords(t.products)
	return orders.
		Join(custs, dataset.On("customer_id"), dataset.Inner).
		Join(prods, dataset.On("product_id"), dataset.Inner).
		WithColumn("revenue", dataset.Col("qty").Mul(dataset.Col("price"))).
		GroupBy("region").
		Agg(dataset.Sum("revenue").As("revenue"), dataset.Count().As("orders")).
		OrderBy(dataset.Desc("revenue"))
}

func check(recs []arrow.RecordBatch, want map[string]float64) error {
	got := map[string]float64{}
	prev := math.Inf(1)
	for _, r := range recs {
		region, rev := r.Column(0).(*array.String), r.Column(1).(*array.Float64)
		for i := 0; i < int(r.NumRows()); i++ {
			if rev.Value(i) > prev {
				return fmt.Errorf("join: result not ordered by revenue")
			}
			prev = rev.Value(i)
			got[region.Value(i)] = rev.Value(i)
		}
	}
	for k, v := range want {
		if math.Abs(got[k]-v) > 1e-6*math.Abs(v) {
			return fmt.Errorf("join: region %s revenue %.2f, want %.2f", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("join: %d regions, want %d", len(got), len(want))
	}
	return nil
}

// split cuts rec into n slices, one partition each.
func split(rec arrow.RecordBatch, n int) []arrow.RecordBatch {
	out := make([]arrow.RecordBatch, n)
	rows := rec.NumRows()
	for i := range out {
		out[i] = rec.NewSlice(rows*int64(i)/int64(n), rows*int64(i+1)/int64(n))
	}
	return out
}

func generate(n int) *tables {
	rng := rand.New(rand.NewPCG(3, 5))
	mem := memory.DefaultAllocator

	cRegion := make([]string, customers)
	cb := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "region", Type: arrow.BinaryTypes.String},
	}, nil))
	defer cb.Release()
	for c := 0; c < customers; c++ {
		cRegion[c] = regions[rng.IntN(len(regions))]
		cb.Field(0).(*array.Int64Builder).Append(int64(c))
		cb.Field(1).(*array.StringBuilder).Append(cRegion[c])
	}

	price := make([]float64, products)
	pb := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		{Name: "product_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "price", Type: arrow.PrimitiveTypes.Float64},
	}, nil))
	defer pb.Release()
	for p := 0; p < products; p++ {
		price[p] = math.Round(rng.Float64()*10000) / 100
		pb.Field(0).(*array.Int64Builder).Append(int64(p))
		pb.Field(1).(*array.Float64Builder).Append(price[p])
	}

	want := map[string]float64{}
	ob := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		{Name: "order_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "product_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int64},
	}, nil))
	defer ob.Release()
	for o := 0; o < n; o++ {
		c := 0
		if rng.Float64() >= hotShare {
			c = rng.IntN(customers)
		}
		p, q := rng.IntN(products), 1+rng.IntN(5)
		ob.Field(0).(*array.Int64Builder).Append(int64(o))
		ob.Field(1).(*array.Int64Builder).Append(int64(c))
		ob.Field(2).(*array.Int64Builder).Append(int64(p))
		ob.Field(3).(*array.Int64Builder).Append(int64(q))
		want[cRegion[c]] += float64(q) * price[p]
	}
	return &tables{orders: ob.NewRecordBatch(), customers: cb.NewRecordBatch(), products: pb.NewRecordBatch(), want: want}
}
