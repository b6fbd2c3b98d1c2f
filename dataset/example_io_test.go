package dataset_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
)

// managers is a small dimension table of s: the manager of each region. north has none,
// and south has no orders.
func managers(s *dataset.Session) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "region", Type: arrow.BinaryTypes.String},
		{Name: "manager", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"east", "west", "south"}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"Ines", "Wu", "Sam"}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	return s.FromRecords(rec)
}

// tempDir makes a temporary directory for an example; the caller removes it.
func tempDir() string {
	dir, err := os.MkdirTemp("", "kindling-example")
	if err != nil {
		log.Fatal(err)
	}
	return dir
}

// rowsPerPartition runs d and returns the rows of each of its partitions.
func rowsPerPartition(d *dataset.Dataset) map[int]int64 {
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
	return parts
}

// Readers.

func ExampleSession_ReadCSVWith() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	// A European export: semicolons, "NA" for missing values, and zip codes with
	// leading zeros.
	csv := "store;zip;revenue\nLyon;69001;1250.5\nBourg;01000;NA\nNice;06000;980\n"
	path := filepath.Join(dir, "stores.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		log.Fatal(err)
	}

	s := newSession()
	defer s.Close()
	opts := dataset.CSVOptions{Delimiter: ';', NullValues: []string{"NA"}}
	inferred, err := s.ReadCSVWith(opts, path).Schema()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("inferred zip:", inferred.Field(1).Type) // 01000 would read as 1000

	// A given schema keeps the zip codes as text.
	opts.Schema = arrow.NewSchema([]arrow.Field{
		{Name: "store", Type: arrow.BinaryTypes.String},
		{Name: "zip", Type: arrow.BinaryTypes.String},
		{Name: "revenue", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	show(s.ReadCSVWith(opts, path))
	// Output:
	// inferred zip: int64
	// +-------+-------+---------+
	// | store |   zip | revenue |
	// +-------+-------+---------+
	// |  Lyon | 69001 |  1250.5 |
	// | Bourg | 01000 |    null |
	// |  Nice | 06000 |     980 |
	// +-------+-------+---------+
	// (3 rows)
}

func ExampleSession_ReadParquet() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s := newSession()
	defer s.Close()
	out := filepath.Join(dir, "orders")
	if err := orders(s, 2).WriteParquet(ctx, out); err != nil {
		log.Fatal(err)
	}

	// Read the whole directory; only the columns used are read, and the filter is
	// pushed into the scan to skip row groups by their statistics.
	revenue := s.ReadParquet(out).
		Filter(dataset.Col("amount").Ge(dataset.Lit(50))).
		GroupBy("region").
		Agg(dataset.Sum("amount").As("revenue"), dataset.Count().As("orders")).
		OrderBy(dataset.Asc("region"))
	show(revenue)
	// Output:
	// +--------+---------+--------+
	// | region | revenue | orders |
	// +--------+---------+--------+
	// |   east |  220.49 |      2 |
	// |   west |     470 |      3 |
	// +--------+---------+--------+
	// (2 rows)
}

func ExampleSession_ReadIPC() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	// Arrow IPC files (Feather v2) as another Arrow tool writes them, here arrow-go.
	f, err := os.Create(filepath.Join(dir, "orders.arrow"))
	if err != nil {
		log.Fatal(err)
	}
	rec := ordersBatch()
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(rec.Schema()))
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		log.Fatal(err)
	}
	rec.Release()
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}

	s := newSession()
	defer s.Close()
	show(s.ReadIPC(filepath.Join(dir, "*.arrow")).
		GroupBy("day").
		Agg(dataset.Sum("qty").As("units")).
		OrderBy(dataset.Asc("day")))
	// Output:
	// +------------+-------+
	// |        day | units |
	// +------------+-------+
	// | 2024-01-01 |     3 |
	// | 2024-01-02 |     8 |
	// | 2024-01-03 |     7 |
	// +------------+-------+
	// (3 rows)
}

func ExampleSession_FromRecords() {
	s := newSession()
	defer s.Close()
	// Batches built in Go become a dataset with one partition per batch. The dataset
	// retains them, so the caller may release its references at once.
	rec := ordersBatch()
	firstDay, rest := rec.NewSlice(0, 2), rec.NewSlice(2, rec.NumRows())
	rec.Release()
	ds := s.FromRecords(firstDay, rest)
	firstDay.Release()
	rest.Release()

	fmt.Println("rows per partition:", rowsPerPartition(ds))
	show(ds.GroupBy("day").Count().OrderBy(dataset.Asc("day")))
	// Output:
	// rows per partition: map[0:2 1:6]
	// +------------+-------+
	// |        day | count |
	// +------------+-------+
	// | 2024-01-01 |     2 |
	// | 2024-01-02 |     3 |
	// | 2024-01-03 |     3 |
	// +------------+-------+
	// (3 rows)
}

func ExampleSession_FromPartitions() {
	s := newSession()
	defer s.Close()
	// Lay out partitions explicitly, several batches each: here one per shard of a
	// source, the last shard being empty.
	rec := ordersBatch()
	defer rec.Release()
	shardA := []arrow.RecordBatch{rec.NewSlice(0, 3), rec.NewSlice(3, 5)}
	shardB := []arrow.RecordBatch{rec.NewSlice(5, 8)}
	ds := s.FromPartitions(rec.Schema(), shardA, shardB, nil)
	release(shardA)
	release(shardB)
	_, stages, _ := strings.Cut(ds.Explain(), "== Stages ==\n")
	fmt.Println(strings.SplitN(stages, "\n", 2)[0])          // one task per partition
	fmt.Println("rows per partition:", rowsPerPartition(ds)) // the empty shard sends no batch
	// Output:
	// Stage 1 (3 tasks) → result
	// rows per partition: map[0:5 1:3]
}

func ExampleSession_FromPartitions_empty() {
	s := newSession()
	defer s.Close()
	// An empty dataset of a known schema (FromRecords needs a batch): a typed
	// placeholder, for a day with no data, that every transform accepts.
	rec := ordersBatch()
	schema := rec.Schema()
	rec.Release()
	none := s.FromPartitions(schema)
	show(none.GroupBy().Agg(dataset.Count().As("orders"), dataset.Sum("amount").As("revenue")))
	// Output:
	// +--------+---------+
	// | orders | revenue |
	// +--------+---------+
	// |      0 |    null |
	// +--------+---------+
	// (1 row)
}

func ExampleSession_FromReader() {
	s := newSession()
	defer s.Close()
	// Ingest an Arrow IPC stream, such as an HTTP response body or a pipe from another
	// process: a reader is read once, by the first action, and its batches are reused.
	var stream bytes.Buffer
	rec := ordersBatch()
	w := ipc.NewWriter(&stream, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		log.Fatal(err)
	}
	rec.Release()
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	rdr, err := ipc.NewReader(&stream)
	if err != nil {
		log.Fatal(err)
	}
	defer rdr.Release() // the caller keeps ownership of the reader
	ds := s.FromReader(rdr)
	n, err := ds.Count(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("orders:", n)
	show(ds.Filter(dataset.Col("qty").Ge(dataset.Lit(4))))
	// Output:
	// orders: 8
	// +--------+------------+--------+-----+
	// | region |        day | amount | qty |
	// +--------+------------+--------+-----+
	// |  north | 2024-01-02 |   null |   5 |
	// |   east | 2024-01-03 |  99.99 |   4 |
	// +--------+------------+--------+-----+
	// (2 rows)
}

// Caching and checkpoints.

func ExampleDataset_Persist() {
	s := newSession()
	defer s.Close()
	ctx := context.Background()
	// Persist after the shuffle: later jobs read the aggregated partitions instead of
	// scanning and shuffling again.
	byRegion := orders(s, 2).
		GroupBy("region").
		Agg(dataset.Sum("amount").As("revenue")).
		Persist(dataset.MemoryOnly)
	for _, job := range []string{"first", "second"} {
		recs, err := byRegion.Collect(ctx)
		if err != nil {
			log.Fatal(err)
		}
		var n int64
		for _, r := range recs {
			n += r.NumRows()
		}
		release(recs)
		fmt.Println(job, "job:", n, "regions, stages run:", len(s.LastJob().Stages))
	}
	for _, c := range s.StorageInfo() {
		fmt.Println(c.Level, c.Cached, "of", c.Partitions, "partitions cached")
	}
	// Output:
	// first job: 4 regions, stages run: 2
	// second job: 4 regions, stages run: 1
	// MEMORY_ONLY 4 of 4 partitions cached
}

func ExampleDataset_Cache() {
	s := newSession()
	defer s.Close()
	// Clean once, then feed several reports from the cached result; Unpersist frees it.
	clean := orders(s, 2).
		Filter(dataset.Col("region").IsNotNull().And(dataset.Col("amount").IsNotNull())).
		Cache()
	defer clean.Unpersist()
	fmt.Println("level:", clean.StorageLevel())
	show(clean.GroupBy("region").Agg(dataset.Sum("amount").As("revenue")).OrderBy(dataset.Asc("region")))
	show(clean.GroupBy("day").Agg(dataset.Max("amount").As("largest")).OrderBy(dataset.Asc("day")))
	// Output:
	// level: MEMORY_AND_DISK
	// +--------+---------+
	// | region | revenue |
	// +--------+---------+
	// |   east |  262.74 |
	// |   west |     470 |
	// +--------+---------+
	// (2 rows)
	// +------------+---------+
	// |        day | largest |
	// +------------+---------+
	// | 2024-01-01 |   120.5 |
	// | 2024-01-02 |     310 |
	// | 2024-01-03 |   99.99 |
	// +------------+---------+
	// (3 rows)
}

func ExampleSession_ReadCheckpoint() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	ctx := context.Background()
	cfg := dataset.Config{Parallelism: 2, ShufflePartitions: 4, CheckpointDir: dir}

	// A nightly job checkpoints its result; the files outlive the session.
	nightly, err := dataset.NewSession(cfg)
	if err != nil {
		log.Fatal(err)
	}
	daily := orders(nightly, 2).GroupBy("day").Agg(dataset.Sum("amount").As("revenue"))
	if _, err := daily.Checkpoint(ctx, "daily_revenue"); err != nil {
		log.Fatal(err)
	}
	if err := nightly.Close(); err != nil {
		log.Fatal(err)
	}

	// A later session, in this or another process, picks it up by name.
	s, err := dataset.NewSession(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	show(s.ReadCheckpoint("daily_revenue").OrderBy(dataset.Asc("day")))
	// Output:
	// +------------+---------+
	// |        day | revenue |
	// +------------+---------+
	// | 2024-01-01 |   200.5 |
	// | 2024-01-02 |  352.25 |
	// | 2024-01-03 |  195.74 |
	// +------------+---------+
	// (3 rows)
}

// Joins and sorting.

func ExampleDataset_Join() {
	s := newSession()
	defer s.Close()
	// Enrich facts with a dimension: a left outer join keeps every region's revenue,
	// with a NULL manager where none is known (north, and the NULL region: NULL keys
	// never match).
	revenue := orders(s, 2).GroupBy("region").Agg(dataset.Sum("amount").As("revenue"))
	show(revenue.
		Join(managers(s), dataset.On("region"), dataset.LeftOuter).
		OrderBy(dataset.Asc("region")))
	// Output:
	// +--------+---------+---------+
	// | region | revenue | manager |
	// +--------+---------+---------+
	// |   null |   15.75 |    null |
	// |   east |  262.74 |    Ines |
	// |  north |    null |    null |
	// |   west |     470 |      Wu |
	// +--------+---------+---------+
	// (4 rows)
}

func ExampleDataset_Join_anti() {
	s := newSession()
	defer s.Close()
	// A referential check: the orders whose region has no manager (LeftAnti keeps the
	// unmatched left rows, NULL keys included).
	show(orders(s, 2).Join(managers(s), dataset.On("region"), dataset.LeftAnti).OrderBy(dataset.Asc("day")))
	// Output:
	// +--------+------------+--------+-----+
	// | region |        day | amount | qty |
	// +--------+------------+--------+-----+
	// |  north | 2024-01-02 |   null |   5 |
	// |   null | 2024-01-03 |  15.75 |   1 |
	// +--------+------------+--------+-----+
	// (2 rows)
}

func ExampleBroadcast() {
	// Automatic broadcast is off (negative threshold), as when size estimates are
	// unreliable: the hint alone decides.
	s, err := dataset.NewSession(dataset.Config{Parallelism: 2, ShufflePartitions: 4, BroadcastThreshold: -1})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	// Copy the small dimension to every task: the large side is not shuffled.
	for _, dim := range []*dataset.Dataset{managers(s), dataset.Broadcast(managers(s))} {
		joined := orders(s, 2).Join(dim, dataset.On("region"), dataset.Inner)
		_, stages, _ := strings.Cut(joined.Explain(), "== Stages ==\n")
		for _, line := range strings.Split(stages, "\n") {
			if strings.HasPrefix(line, "Stage") || strings.Contains(line, "Join") {
				fmt.Println(line)
			}
		}
		n, err := joined.Count(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(n, "rows")
	}
	// Output:
	// Stage 1 (2 tasks) → shuffle hash[region] x 4
	// Stage 2 (1 task) → shuffle hash[region] x 4
	// Stage 3 (4 tasks) → result (reads stage 1, 2)
	//   +- ShuffledHashJoin inner on [region] = [region] build=right
	// 6 rows
	// Stage 1 (1 task) → shuffle broadcast
	// Stage 2 (2 tasks) → result (reads stage 1)
	//   +- BroadcastHashJoin inner on [region] = [region] build=right
	// 6 rows
}

func ExampleDataset_OrderBy() {
	s := newSession()
	defer s.Close()
	// The three largest orders: Desc puts NULL amounts last, and OrderBy then Limit runs
	// as a top-N without sorting everything.
	show(orders(s, 2).OrderBy(dataset.Desc("amount")).Limit(3))
	// Output:
	// +--------+------------+--------+------+
	// | region |        day | amount |  qty |
	// +--------+------------+--------+------+
	// |   west | 2024-01-02 |    310 | null |
	// |   east | 2024-01-01 |  120.5 |    2 |
	// |   east | 2024-01-03 |  99.99 |    4 |
	// +--------+------------+--------+------+
	// (3 rows)
}

func ExampleDataset_OrderBy_keys() {
	s := newSession()
	defer s.Close()
	// Several keys: by day, then the largest amount first; NullsFirst brings the
	// unknown amounts up for review.
	show(orders(s, 2).
		SelectColumns("day", "region", "amount").
		OrderBy(dataset.Asc("day"), dataset.Desc("amount").NullsFirst()))
	// Output:
	// +------------+--------+--------+
	// |        day | region | amount |
	// +------------+--------+--------+
	// | 2024-01-01 |   east |  120.5 |
	// | 2024-01-01 |   west |     80 |
	// | 2024-01-02 |  north |   null |
	// | 2024-01-02 |   west |    310 |
	// | 2024-01-02 |   east |  42.25 |
	// | 2024-01-03 |   east |  99.99 |
	// | 2024-01-03 |   west |     80 |
	// | 2024-01-03 |   null |  15.75 |
	// +------------+--------+--------+
	// (8 rows)
}
