// Command cache shows when caching pays, and which storage level to pick, under a memory
// budget too small to hold the raw data.
//
//	go run ./examples/cache
//
// A job reads 2M click events, cleans them with an expensive per-batch function, and
// aggregates them per user; three reports then reuse the per-user aggregate. It runs:
//
//   - without caching: every report re-reads, re-cleans and re-shuffles everything;
//   - caching the cleaned events (before the shuffle): every report still shuffles, and
//     the raw data does not fit the budget — MemoryOnly recomputes the partitions that
//     did not fit, MemoryAndDisk reads them back from disk;
//   - caching the per-user aggregate (after the shuffle): small, fits, and the reports
//     skip the scan, the cleaning and the shuffle.
//
// For each it prints the time, the partitions recomputed, the disk reads, the evictions
// and StorageInfo, so the lessons are there to read: cache after a shuffle, not before;
// disk beats recomputation when recomputing is expensive.
package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

const (
	events   = 2_000_000
	users    = 20_000
	budget   = 48 << 20 // the raw events take about 64 MiB
	parts    = 16
	cleaning = 25 * time.Millisecond // the "expensive" part of cleaning, per batch
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

type scenario struct {
	name  string
	level dataset.StorageLevel
	where string // "none", "before", "after"
}

func run(ctx context.Context) error {
	raw := generate()
	defer func() {
		for _, r := range raw {
			r.Release()
		}
	}()
	fmt.Printf("%d events of %d users in %d partitions; memory budget %d MiB\n\n", events, users, parts, budget>>20)
	for _, sc := range []scenario{
		{"no cache", dataset.None, "none"},
		{"cache before the shuffle, MEMORY_ONLY", dataset.MemoryOnly, "before"},
		{"cache before the shuffle, MEMORY_AND_DISK", dataset.MemoryAndDisk, "before"},
		{"cache after the shuffle, MEMORY_ONLY", dataset.MemoryOnly, "after"},
	} {
		if err := runScenario(ctx, raw, sc); err != nil {
			return err
		}
	}
	fmt.Println(`What to read in these numbers:
  - Before the shuffle, the cleaned events do not fit the budget. MEMORY_ONLY loses the
    partitions that did not fit (and those execution evicted) and recomputes them from
    lineage in every report; MEMORY_AND_DISK reads them back from disk instead, which
    wins when the lineage (the cleaning) costs more than the disk.
  - Every report over a cache placed before the shuffle still shuffles and aggregates.
  - After the shuffle, the per-user aggregate is small: it fits in memory, and the
    reports skip the scan, the cleaning and the shuffle altogether.`)
	return nil
}

func runScenario(ctx context.Context, raw []arrow.RecordBatch, sc scenario) error {
	s, err := dataset.NewSession(dataset.Config{MemoryLimit: budget, BatchRows: 16384})
	if err != nil {
		return err
	}
	defer s.Close()
	var cleaned atomic.Int64
	clean := s.FromRecords(raw...).
		Filter(dataset.Col("ms").Gt(dataset.Lit(0))).
		MapBatches("clean", nil, func(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
			cleaned.Add(1)
			time.Sleep(cleaning) // stands for parsing, lookups, a model call...
			in.Retain()
			return in, nil
		})
	if sc.where == "before" {
		clean = clean.Persist(sc.level)
	}
	perUser := clean.GroupBy("user").Agg(dataset.Sum("ms").As("ms"), dataset.Count().As("clicks"))
	if sc.where == "after" {
		perUser = perUser.Persist(sc.level)
	}
	reports := []*dataset.Dataset{
		perUser.GroupBy().Agg(dataset.Count().As("users"), dataset.Sum("clicks").As("clicks")),
		perUser.OrderBy(dataset.Desc("ms")).Limit(3),
		perUser.Filter(dataset.Col("clicks").Gt(dataset.Lit(120))).GroupBy().Agg(dataset.Count().As("heavy_users")),
	}
	fmt.Printf("=== %s ===\n", sc.name)
	start := time.Now()
	var recomputed, diskHits, hits, evicted, diskReads int64
	for i, r := range reports {
		recs, err := r.Collect(ctx)
		if err != nil {
			return err
		}
		if i == 1 {
			fmt.Print("  top users: ")
			for _, rec := range recs {
				u, ms := rec.Column(0).(*array.Int64), rec.Column(1).(*array.Int64)
				for j := 0; j < u.Len(); j++ {
					fmt.Printf("user %d (%d ms)  ", u.Value(j), ms.Value(j))
				}
			}
			fmt.Println()
		}
		for _, rec := range recs {
			rec.Release()
		}
		job := s.LastJob()
		t := job.Totals()
		recomputed += t.RecomputedPartitions
		hits += t.CacheHits
		diskHits += t.CacheDiskHits
		evicted += job.Blocks.EvictedBlocks
		diskReads += job.Blocks.DiskReads
	}
	fmt.Printf("  3 reports took %v; the cleaning function ran on %d batches\n", time.Since(start).Round(time.Millisecond), cleaned.Load())
	fmt.Printf("  cache hits %d (from disk %d), partitions recomputed %d, blocks evicted %d, disk reads %d\n",
		hits, diskHits, recomputed, evicted, diskReads)
	for _, info := range s.StorageInfo() {
		fmt.Printf("  storage: %s\n", info)
	}
	advice := s.Advise()
	for _, a := range advice {
		fmt.Printf("  advice: %s\n", a)
	}
	if err := checkAdvice(sc, advice); err != nil {
		return err
	}
	fmt.Println()
	return nil
}

// checkAdvice checks the advisor against what this example shows: until the per-user
// aggregate is the cache, it must recommend persisting that aggregate, after the shuffle;
// once it is, nothing more.
func checkAdvice(sc scenario, advice []dataset.Advice) error {
	recommended := false
	for _, a := range advice {
		if a.Kind == dataset.AdvisePersist && strings.HasPrefix(a.Dataset, "Aggregate keys=[user]") && strings.Contains(a.Text, "after a shuffle") {
			recommended = true
		}
	}
	switch {
	case sc.where == "after" && len(advice) > 0:
		return fmt.Errorf("cache: with the aggregate cached, the advisor still says %v", advice)
	case sc.where != "after" && !recommended:
		return fmt.Errorf("cache: %s: the advisor did not recommend persisting the per-user aggregate: %v", sc.name, advice)
	}
	return nil
}

func generate() []arrow.RecordBatch {
	rng := rand.New(rand.NewPCG(9, 9))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "user", Type: arrow.PrimitiveTypes.Int64},
		{Name: "page", Type: arrow.BinaryTypes.String},
		{Name: "ms", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	out := make([]arrow.RecordBatch, parts)
	for p := range out {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := 0; i < events/parts; i++ {
			b.Field(0).(*array.Int64Builder).Append(rng.Int64N(users))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("/products/%05d?ref=campaign-%03d", rng.IntN(50000), rng.IntN(500)))
			b.Field(2).(*array.Int64Builder).Append(rng.Int64N(5000) - 100)
		}
		out[p] = b.NewRecordBatch()
		b.Release()
	}
	return out
}
