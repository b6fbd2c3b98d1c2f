package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A high-cardinality dictionary column read from CSV in several splits, each with one
// growing dictionary: grouping on it (with an ample budget and with one small enough to
// spill), and joining on it, give what plain Go maps over the generated rows give.
func TestCSVDictionaryGroupAndJoin(t *testing.T) {
	const n, distinct = 30_000, 3_000
	var sb strings.Builder
	sb.WriteString("id3,v1,v3\n")
	sums := map[string]int64{}
	counts := map[string]int64{}
	var nullCount, nullSum int64
	for i := range n {
		k := (i * 7919) % distinct
		v := int64(i % 5)
		if k%101 == 0 {
			fmt.Fprintf(&sb, ",%d,%d.5\n", v, i%100) // NULL key
			nullCount++
			nullSum += v
			continue
		}
		key := fmt.Sprintf("id%010d", k)
		if k%17 == 0 {
			key = fmt.Sprintf("id,%d \"q\"", k)
			fmt.Fprintf(&sb, "\"id,%d \"\"q\"\"\",%d,%d.5\n", k, v, i%100)
		} else {
			fmt.Fprintf(&sb, "%s,%d,%d.5\n", key, v, i%100)
		}
		sums[key] += v
		counts[key]++
	}
	p := filepath.Join(t.TempDir(), "g.csv")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := CSVOptions{DictionaryColumns: []string{"id3"}}
	check := func(t *testing.T, cfg Config, spill bool) {
		s := newFixtureSession(t, cfg)
		d := s.s.ReadCSVWith(opts, p)
		rows := collectRows(t, d.GroupBy("id3").Agg(Sum("v1").As("s"), Count().As("n")))
		if len(rows) != len(sums)+1 {
			t.Fatalf("%d groups, want %d", len(rows), len(sums)+1)
		}
		for _, r := range rows {
			if r[0] == nil {
				if r[1] != nullSum || r[2] != nullCount {
					t.Errorf("NULL group: %v, want %d, %d", r, nullSum, nullCount)
				}
				continue
			}
			k := r[0].(string)
			if r[1] != sums[k] || r[2] != counts[k] {
				t.Errorf("group %q: %v, want %d, %d", k, r, sums[k], counts[k])
			}
		}
		// Race builds keep a larger minimum budget (outOfCoreMinBudget), under which this
		// data need not spill.
		if totals := s.s.LastJob().Totals(); spill && outOfCoreMinBudget == 0 && totals.SpillCount == 0 {
			t.Errorf("no operator spilled under a %d-byte budget", cfg.MemoryLimit)
		}
		// Each key's rows joined with the per-key counts: every non-NULL row once.
		keys := d.GroupBy("id3").Agg(Count().As("c"))
		joined := collectRows(t, d.Join(keys, On("id3"), Inner).GroupBy("id3").Agg(Count().As("pairs"), Sum("c").As("sc")))
		if len(joined) != len(sums) {
			t.Fatalf("join: %d keys, want %d", len(joined), len(sums))
		}
		for _, r := range joined {
			k := r[0].(string)
			if r[1] != counts[k] || r[2] != counts[k]*counts[k] {
				t.Errorf("join key %q: %v, want %d pairs", k, r, counts[k])
			}
		}
	}
	t.Run("ample", func(t *testing.T) {
		check(t, Config{MaxPartitionBytes: 128 << 10, BatchRows: 1000, BroadcastThreshold: -1}, false)
	})
	t.Run("spill", func(t *testing.T) {
		check(t, Config{MaxPartitionBytes: 128 << 10, BatchRows: 1000, BroadcastThreshold: -1,
			MemoryLimit: max(256<<10, outOfCoreMinBudget), ShufflePartitions: 4}, true)
	})
}

// BenchmarkCSVGroupByDictionary is db-benchmark's q3 shape on a CSV file: 1e6 rows grouped
// by a dictionary column of 10 000 values (sum v1, mean v3), reading included.
func BenchmarkCSVGroupByDictionary(b *testing.B) {
	const n, k = 1_000_000, 10_000
	var sb strings.Builder
	sb.WriteString("id3,v1,v3\n")
	for i := range n {
		fmt.Fprintf(&sb, "id%010d,%d,%d.%06d\n", (i*7919)%k, i%5+1, i%100, i%999_999)
	}
	p := filepath.Join(b.TempDir(), "q3.csv")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	s, err := NewSession(Config{Parallelism: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(int64(sb.Len()))
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	for b.Loop() {
		d := s.ReadCSVWith(CSVOptions{DictionaryColumns: []string{"id3"}}, p).
			GroupBy("id3").Agg(Sum("v1").As("v1"), Mean("v3").As("v3"))
		recs, err := d.Collect(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for _, r := range recs {
			rows += int(r.NumRows())
		}
		releaseAll(recs)
		if rows != k {
			b.Fatalf("%d groups, want %d", rows, k)
		}
	}
	// CPU time of the whole process, both workers: the machine may be shared.
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
