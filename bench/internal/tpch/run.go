package tpch

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/dataset"
)

// Run runs query n's DataFrame version over t and returns its answer and the time of
// the action (Collect).
func Run(ctx context.Context, t Tables, n int) (Result, time.Duration, error) {
	build, ok := DataFrame[n]
	if !ok {
		return Result{}, 0, fmt.Errorf("tpch: query %d has no DataFrame version", n)
	}
	start := time.Now()
	d := build(t)
	recs, err := d.Collect(ctx)
	dur := time.Since(start)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	if err != nil {
		return Result{}, dur, fmt.Errorf("tpch: q%d: %w", n, err)
	}
	res, err := resultOf(d, recs)
	return res, dur, err
}

// resultOf is FromRecords with the columns named by d's schema when no batch came back
// (an empty answer, such as Q11's beyond SF 1, has no batch to name them).
func resultOf(d *dataset.Dataset, recs []arrow.RecordBatch) (Result, error) {
	res, err := FromRecords(recs)
	if err != nil || res.Cols != nil {
		return res, err
	}
	schema, err := d.Schema()
	if err != nil {
		return res, err
	}
	for _, f := range schema.Fields() {
		res.Cols = append(res.Cols, f.Name)
	}
	return res, nil
}

// RegisterViews makes the tables the temporary views the queries' SQL names.
func (t Tables) RegisterViews() error {
	for name, d := range map[string]*dataset.Dataset{
		"lineitem": t.Lineitem, "orders": t.Orders, "customer": t.Customer, "part": t.Part,
		"partsupp": t.Partsupp, "supplier": t.Supplier, "nation": t.Nation, "region": t.Region,
	} {
		if err := d.CreateOrReplaceTempView(name); err != nil {
			return fmt.Errorf("tpch: view %s: %w", name, err)
		}
	}
	return nil
}

// RunSQL runs query n's SQL text through s.SQL (over views RegisterViews made) and
// returns its answer and the time of planning plus the action.
func RunSQL(ctx context.Context, s *dataset.Session, n int) (Result, time.Duration, error) {
	start := time.Now()
	d, err := s.SQL(SQL(n))
	if err != nil {
		return Result{}, 0, fmt.Errorf("tpch: q%d as SQL: %w", n, err)
	}
	recs, err := d.Collect(ctx)
	dur := time.Since(start)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	if err != nil {
		return Result{}, dur, fmt.Errorf("tpch: q%d as SQL: %w", n, err)
	}
	res, err := resultOf(d, recs)
	return res, dur, err
}
