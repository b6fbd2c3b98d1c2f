package bench

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"

	"github.com/kindling-data/kindling/bench/internal/gen"
	"github.com/kindling-data/kindling/dataset"
)

// The kernel benchmarks measure one operator each through the public API, on 1e6
// generated rows in 4 in-memory partitions (2 × the cores of the reference machine).
// They report input bytes per second (SetBytes) and rows per second.
//
//	cd bench && go test -run '^$' -bench Kernel -benchtime 5x

const kernelRows = 1_000_000

type kernelInput struct {
	schema *arrow.Schema
	parts  [][]arrow.RecordBatch
	bytes  int64
}

func groupByInput(b *testing.B, dict bool) (*gen.GroupBy, kernelInput) {
	g, err := gen.NewGroupBy(kernelRows, 100, 1)
	if err != nil {
		b.Fatal(err)
	}
	schema, parts := g.Batches(memory.DefaultAllocator, gen.Layout{Partitions: 4, Dictionary: dict})
	b.Cleanup(func() { gen.Release(parts) })
	return g, kernelInput{schema: schema, parts: parts, bytes: partsBytes(parts)}
}

func partsBytes(parts [][]arrow.RecordBatch) int64 {
	var n int64
	for _, p := range parts {
		for _, r := range p {
			n += int64(util.TotalRecordSize(r))
		}
	}
	return n
}

// drain runs d and counts its rows without keeping them.
func drain(b *testing.B, d *dataset.Dataset) int64 {
	var rows atomic.Int64
	err := d.ForEachBatch(context.Background(), func(_ int, rec arrow.RecordBatch) error {
		rows.Add(rec.NumRows())
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return rows.Load()
}

// kernel times build over a session made once; rows is the input rows per iteration.
func kernel(b *testing.B, cfg dataset.Config, rows, bytes int64, build func(s *dataset.Session) *dataset.Dataset) {
	s, err := dataset.NewSession(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	d := build(s)
	b.SetBytes(bytes)
	b.ResetTimer()
	for b.Loop() {
		if drain(b, d) == 0 {
			b.Fatal("no rows")
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkKernelHashAggregate groups by an int64 key (1e4 groups), a dictionary string
// key (1e4 groups) and six keys (about one group per row).
func BenchmarkKernelHashAggregate(b *testing.B) {
	_, in := groupByInput(b, true)
	for _, c := range []struct {
		name string
		keys []string
	}{{"int64", []string{"id6"}}, {"dict", []string{"id3"}}, {"six-keys", []string{"id1", "id2", "id3", "id4", "id5", "id6"}}} {
		b.Run(c.name, func(b *testing.B) {
			kernel(b, dataset.Config{}, kernelRows, in.bytes, func(s *dataset.Session) *dataset.Dataset {
				return s.FromPartitions(in.schema, in.parts...).GroupBy(c.keys...).Agg(dataset.Sum("v1"), dataset.Mean("v3"))
			})
		})
	}
}

// BenchmarkKernelHashJoin joins 1e6 probe rows with 1e3 (broadcast) and 1e6 (shuffled)
// build rows on an int64 key.
func BenchmarkKernelHashJoin(b *testing.B) {
	j, err := gen.NewJoin(kernelRows, 1)
	if err != nil {
		b.Fatal(err)
	}
	table := func(t *gen.JoinTable) kernelInput {
		schema, parts := j.Batches(t, memory.DefaultAllocator, gen.Layout{Partitions: 4, Dictionary: true})
		b.Cleanup(func() { gen.Release(parts) })
		return kernelInput{schema: schema, parts: parts, bytes: partsBytes(parts)}
	}
	x, medium, big := table(&j.X), table(&j.Medium), table(&j.Big)
	for _, c := range []struct {
		name  string
		right kernelInput
		key   string
	}{{"broadcast-medium", medium, "id2"}, {"shuffled-big", big, "id3"}} {
		b.Run(c.name, func(b *testing.B) {
			kernel(b, dataset.Config{}, int64(j.N)+gen.Rows(c.right.parts), x.bytes+c.right.bytes, func(s *dataset.Session) *dataset.Dataset {
				return s.FromPartitions(x.schema, x.parts...).Join(s.FromPartitions(c.right.schema, c.right.parts...), dataset.On(c.key), dataset.Inner)
			})
		})
	}
}

// BenchmarkKernelSort sorts globally by a float64 column (range shuffle and local sort)
// and takes a top-100.
func BenchmarkKernelSort(b *testing.B) {
	_, in := groupByInput(b, true)
	b.Run("orderBy", func(b *testing.B) {
		kernel(b, dataset.Config{}, kernelRows, in.bytes, func(s *dataset.Session) *dataset.Dataset {
			return s.FromPartitions(in.schema, in.parts...).OrderBy(dataset.Desc("v3"))
		})
	})
	b.Run("topN", func(b *testing.B) {
		kernel(b, dataset.Config{}, kernelRows, in.bytes, func(s *dataset.Session) *dataset.Dataset {
			return s.FromPartitions(in.schema, in.parts...).OrderBy(dataset.Desc("v3")).Limit(100)
		})
	})
}

// BenchmarkKernelShuffle hash-repartitions every row into 8 partitions by an int64 and a
// dictionary string key, and round robin.
func BenchmarkKernelShuffle(b *testing.B) {
	_, in := groupByInput(b, true)
	for _, c := range []struct {
		name string
		keys []string
	}{{"hash-int64", []string{"id6"}}, {"hash-dict", []string{"id3"}}, {"round-robin", nil}} {
		b.Run(c.name, func(b *testing.B) {
			kernel(b, dataset.Config{}, kernelRows, in.bytes, func(s *dataset.Session) *dataset.Dataset {
				return s.FromPartitions(in.schema, in.parts...).Repartition(8, c.keys...)
			})
		})
	}
}

// BenchmarkKernelFilterProject evaluates a filter and arithmetic projections.
func BenchmarkKernelFilterProject(b *testing.B) {
	_, in := groupByInput(b, true)
	col, lit := dataset.Col, dataset.Lit
	kernel(b, dataset.Config{}, kernelRows, in.bytes, func(s *dataset.Session) *dataset.Dataset {
		return s.FromPartitions(in.schema, in.parts...).
			Filter(col("v3").Gt(lit(25.0)).And(col("id4").Mod(lit(int64(3))).NotEq(lit(int64(0))))).
			Select(col("id3"), col("v1").Mul(lit(int64(2))).Add(col("v2")).As("w"), col("v3").Mul(lit(1.5)).Sub(col("v1").Cast(arrow.PrimitiveTypes.Float64)).As("x"))
	})
}

// BenchmarkKernelScan reads the group-by table from one CSV file (string keys dictionary-
// encoded) and one Parquet file (snappy, 128Ki-row groups); bytes are the file's size.
func BenchmarkKernelScan(b *testing.B) {
	g, err := gen.NewGroupBy(kernelRows, 100, 1)
	if err != nil {
		b.Fatal(err)
	}
	schema, parts := g.Batches(memory.DefaultAllocator, gen.Layout{Partitions: 1, ChunkRows: 65536})
	dir := b.TempDir()
	csv, pq := filepath.Join(dir, "g.csv"), filepath.Join(dir, "g.parquet")
	err = gen.WriteCSV(csv, schema, parts)
	if err == nil {
		err = gen.WriteParquet(pq, schema, parts, 128*1024)
	}
	gen.Release(parts)
	if err != nil {
		b.Fatal(err)
	}
	size := func(p string) int64 {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		return st.Size()
	}
	b.Run("csv", func(b *testing.B) {
		opts := dataset.CSVOptions{Schema: gen.GroupBySchema(true)}
		kernel(b, dataset.Config{MaxPartitionBytes: 16 << 20}, kernelRows, size(csv), func(s *dataset.Session) *dataset.Dataset {
			return s.ReadCSVWith(opts, csv)
		})
	})
	b.Run("parquet", func(b *testing.B) {
		kernel(b, dataset.Config{MaxPartitionBytes: 8 << 20}, kernelRows, size(pq), func(s *dataset.Session) *dataset.Dataset {
			return s.ReadParquet(pq)
		})
	})
}
