package dataset

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"
)

var bigSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.PrimitiveTypes.Float64},
	{Name: "s", Type: arrow.BinaryTypes.String},
}, nil)

// bigData is about 8 MiB of rows in 4 partitions (a fifth of that under the race
// detector): k has 60k distinct values.
func bigData(s *Session, mem memory.Allocator) *Dataset {
	rng := rand.New(rand.NewPCG(5, 6))
	parts := make([][]arrow.RecordBatch, 4)
	for p := range parts {
		for b := 0; b < bigDataBatches; b++ {
			bld := array.NewRecordBuilder(mem, bigSchema)
			for i := 0; i < 5000; i++ {
				k := rng.Int64N(60000)
				bld.Field(0).(*array.Int64Builder).Append(k)
				bld.Field(1).(*array.Float64Builder).Append(float64(rng.IntN(1000)) / 8)
				bld.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("name-%06d", k))
			}
			parts[p] = append(parts[p], bld.NewRecordBatch())
			bld.Release()
		}
	}
	d := s.FromPartitions(bigSchema, parts...)
	for _, p := range parts {
		releaseAll(p)
	}
	return d
}

// TestOutOfCore runs a group-by, a distinct, a sort and a join over data about ten times
// the memory budget, and checks each against the same job with an ample budget: the
// results are equal, the operators spilled, and the budget was never exceeded.
func TestOutOfCore(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: the plain go test runs it; CI's -short race and metamorphic runs skip it")
	}
	if testing.Short() {
		t.Skip("out-of-core runs take a few seconds")
	}
	probe := newFixtureSession(t, Config{})
	var dataBytes int64
	recs, err := bigData(probe.s, probe.mem).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		dataBytes += int64(util.TotalRecordSize(r))
	}
	releaseAll(recs)
	budget := max(dataBytes/10, outOfCoreMinBudget)
	t.Logf("data %d bytes, budget %d", dataBytes, budget)
	jobs := map[string]func(d *Dataset) *Dataset{
		"group-by": func(d *Dataset) *Dataset {
			return d.GroupBy("k").Agg(Sum("v").As("sv"), Count().As("n"), Max("s").As("ms"), CountDistinct("v").As("dv"))
		},
		"distinct": func(d *Dataset) *Dataset { return d.SelectColumns("k", "s").Distinct() },
		"sort":     func(d *Dataset) *Dataset { return d.OrderBy(Asc("s"), Desc("v")) },
		"join": func(d *Dataset) *Dataset {
			other := d.Select(Col("k"), Col("v").Mul(Lit(2)).As("v2"))
			return d.Join(other, On("k"), Inner).GroupBy("k").Agg(Count().As("pairs"), Sum("v2").As("s2"))
		},
	}
	for name, job := range jobs {
		t.Run(name, func(t *testing.T) {
			ample := newFixtureSession(t, Config{BroadcastThreshold: -1, BatchRows: 2048})
			want := collectRows(t, job(bigData(ample.s, ample.mem)))

			tight := newFixtureSession(t, Config{MemoryLimit: budget, BroadcastThreshold: -1, BatchRows: 1024, ShufflePartitions: 4})
			d := job(bigData(tight.s, tight.mem))
			got := collectRows(t, d)
			if name == "sort" {
				// Globally ordered: compare in order.
				if len(got) != len(want) {
					t.Fatalf("%d rows, want %d", len(got), len(want))
				}
				for i := range got {
					if !sameRow(got[i], want[i]) {
						t.Fatalf("row %d: %v, want %v", i, got[i], want[i])
					}
				}
			}
			assertSameRows(t, got, want)
			job := tight.s.LastJob()
			totals := job.Totals()
			if totals.SpillCount == 0 || totals.SpilledBytes == 0 {
				t.Fatalf("no operator spilled under a %d-byte budget:\n%s", budget, job)
			}
			if peak := job.Memory.PeakExecution; peak > budget {
				t.Fatalf("peak execution memory %d exceeds the budget %d", peak, budget)
			}
			t.Logf("%s: spilled %d bytes in %d spills; peak execution %d of %d", name, totals.SpilledBytes, totals.SpillCount, job.Memory.PeakExecution, budget)
		})
	}
}

type fixtureSession struct {
	s   *Session
	mem *memory.CheckedAllocator
}

func newFixtureSession(t *testing.T, cfg Config) fixtureSession {
	s, mem := newCacheSession(t, cfg)
	return fixtureSession{s: s, mem: mem}
}

func TestFullSpillDisk(t *testing.T) {
	dir := t.TempDir()
	s, mem := newCacheSession(t, Config{MemoryLimit: 1 << 20, SpillDir: dir, BatchRows: 2048,
		TestingKnobs: TestingKnobs{SpillDiskLimit: 64 << 10}})
	_, err := bigData(s, mem).OrderBy(Asc("s")).Collect(t.Context())
	if err == nil {
		t.Fatal("a sort that must spill succeeded on a full disk")
	}
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
	t.Logf("error: %v", err)
	var partial []string
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		// The live session's lock (kindling-spill-*.lock) is the session's, not the job's.
		if err == nil && !info.IsDir() && path != s.SpillDir()+".lock" {
			partial = append(partial, path)
		}
		return nil
	})
	if len(partial) != 0 {
		t.Fatalf("a failed job left spill files: %v", partial)
	}
}

func TestUnwritableSpillDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	os.WriteFile(file, []byte("x"), 0o644)
	_, err := NewSession(Config{SpillDir: file})
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("err = %v, want an error naming %s", err, file)
	}
}

func TestBatchLargerThanBudget(t *testing.T) {
	// One batch larger than the whole budget cannot be sorted in memory or spilled in
	// pieces: the job fails with an error naming the budget and the request, no hang.
	s, mem := newCacheSession(t, Config{MemoryLimit: 256 << 10, BatchRows: 1 << 20})
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec := int64Batch(mem, schema, 1<<16) // 512 KiB
	d := s.FromRecords(rec)
	rec.Release()
	_, err := d.OrderBy(Desc("id")).Collect(t.Context())
	if err == nil {
		t.Fatal("sorting a batch twice the budget succeeded")
	}
	for _, w := range []string{"budget", "256.0 KiB"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}
