package tpch

import (
	"context"
	"fmt"
	"time"
)

// Run runs query n's DataFrame version over t and returns its answer and the time of
// the action (Collect).
func Run(ctx context.Context, t Tables, n int) (Result, time.Duration, error) {
	build, ok := DataFrame[n]
	if !ok {
		return Result{}, 0, fmt.Errorf("tpch: query %d has no DataFrame version", n)
	}
	start := time.Now()
	recs, err := build(t).Collect(ctx)
	dur := time.Since(start)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	if err != nil {
		return Result{}, dur, fmt.Errorf("tpch: q%d: %w", n, err)
	}
	res, err := FromRecords(recs)
	return res, dur, err
}
