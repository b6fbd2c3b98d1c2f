package hashjoin

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// tableBenchCase is a build side of rows keys (key(i) for row i) probed by probeRows
// keys drawn from [0, probeRange).
type tableBenchCase struct {
	name       string
	rows       int
	key        func(i int) int64
	probeRange int
	twoKeys    bool
}

func tableBenchKeys(b testing.TB, mem memory.Allocator, n int, twoKeys bool, key func(i int) int64) (hjKeys, []arrow.Array) {
	kb := array.NewInt64Builder(mem)
	defer kb.Release()
	kb.Reserve(n)
	for i := range n {
		kb.UnsafeAppend(key(i))
	}
	arrs := []arrow.Array{kb.NewArray()}
	classes := []hjKeyClass{hjIntKey}
	if twoKeys {
		ib := array.NewInt32Builder(mem)
		defer ib.Release()
		ib.Reserve(n)
		for i := range n {
			ib.UnsafeAppend(int32(key(i) % 7))
		}
		arrs = append(arrs, ib.NewArray())
		classes = append(classes, hjIntKey)
	}
	k := newHJKeys(classes)
	if err := k.load(arrs, n); err != nil {
		b.Fatal(err)
	}
	return k, arrs
}

// BenchmarkHashJoinTable measures the table alone: index (build) per build row and
// lookup (probe) per probe row, on build sides of primary keys, duplicated keys, two
// keys and a small table mostly missed (a selective broadcast side).
func BenchmarkHashJoinTable(b *testing.B) {
	const probeRows, batch = 1 << 22, 8192
	cases := []tableBenchCase{
		{"unique-1e6", 1_000_000, func(i int) int64 { return int64(i) * 3 }, 6_000_000, false},
		{"unique-4e6", 4_000_000, func(i int) int64 { return int64(i) * 3 }, 24_000_000, false},
		{"dup4-1e6", 1_000_000, func(i int) int64 { return int64(i/4) * 3 }, 1_500_000, false},
		{"twokeys-1e6", 1_000_000, func(i int) int64 { return int64(i) * 3 }, 6_000_000, true},
		{"small-2e3", 2000, func(i int) int64 { return int64(i) * 97 }, 20_000_000, false},
	}
	mem := memory.NewGoAllocator()
	for _, c := range cases {
		build, barrs := tableBenchKeys(b, mem, c.rows, c.twoKeys, c.key)
		rng := rand.New(rand.NewPCG(1, 2))
		var probes []hjKeys
		for lo := 0; lo < probeRows; lo += batch {
			p, parrs := tableBenchKeys(b, mem, batch, c.twoKeys, func(int) int64 { return int64(rng.IntN(c.probeRange)) })
			probes = append(probes, p)
			defer releaseAll(parrs)
		}
		b.Run(fmt.Sprintf("%s/index", c.name), func(b *testing.B) {
			cpu := cpuNanos()
			for range b.N {
				t := hjTable{build: build}
				t.index(c.rows)
			}
			b.ReportMetric(float64(cpuNanos()-cpu)/float64(b.N)/float64(c.rows), "cpu-ns/row")
		})
		t := hjTable{build: build}
		t.index(c.rows)
		heads := make([]int32, batch)
		b.Run(fmt.Sprintf("%s/lookup", c.name), func(b *testing.B) {
			hits := 0
			cpu := cpuNanos()
			for range b.N {
				for i := range probes {
					t.lookup(&probes[i], heads)
					for _, h := range heads {
						if h >= 0 {
							hits++
						}
					}
				}
			}
			b.ReportMetric(float64(cpuNanos()-cpu)/float64(b.N)/float64(probeRows), "cpu-ns/row")
			b.ReportMetric(float64(hits)/float64(b.N)/float64(probeRows), "hit-rate")
		})
		releaseAll(barrs)
	}
}

func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		a.Release()
	}
}

// cpuNanos is the process's user CPU time: on a shared machine it varies less than the
// wall clock.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano()
}
