package dataset

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/internal/leakcheck"
	"github.com/kindling-data/kindling/internal/memtest"
)

// givenParts builds parts in-memory partitions of rows (k, v), partition p holding
// p+1 batches of rows/parts rows in all (unequal sizes), k = i % keys; it returns the
// partitions and each key's row count and sum of v, computed here.
func givenParts(mem memory.Allocator, parts, rows, keys int) ([][]arrow.RecordBatch, map[int64][2]int64) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	want := map[int64][2]int64{}
	out := make([][]arrow.RecordBatch, parts)
	i := 0
	for p := range out {
		per := rows / parts * (p + 1) / (parts / 2)
		batches := p + 1
		for b := range batches {
			kb := array.NewInt64Builder(mem)
			vb := array.NewInt64Builder(mem)
			for range per / batches {
				k, v := int64(i%keys), int64(i%7+b)
				kb.Append(k)
				vb.Append(v)
				w := want[k]
				want[k] = [2]int64{w[0] + 1, w[1] + v}
				i++
			}
			ka, va := kb.NewArray(), vb.NewArray()
			out[p] = append(out[p], array.NewRecordBatch(schema, []arrow.Array{ka, va}, int64(ka.Len())))
			ka.Release()
			va.Release()
			kb.Release()
			vb.Release()
		}
	}
	return out, want
}

// TestAdaptiveGroupsGivenPartitions: a group-by over 16 in-memory partitions of unequal
// sizes runs its map stage as Parallelism tasks of consecutive partitions, with the same
// answer as one task per partition (adaptive execution off) and as a plain-Go count; the
// decision shows in Explain and in the stage's task count. A result stage over the same
// partitions (ForEachBatch passes their index on) keeps one task per partition.
func TestAdaptiveGroupsGivenPartitions(t *testing.T) {
	leakcheck.Check(t)
	const parts, keys = 16, 300
	run := func(disable bool) (map[int64][2]int64, *JobMetrics, string, int) {
		mem := memtest.Checked()
		s := checkedSession(t, mem, Config{Parallelism: 2, BatchRows: 512, DisableAdaptive: disable, SpillDir: t.TempDir()})
		in, want := givenParts(mem, parts, 20000, keys)
		d := s.FromPartitions(in[0][0].Schema(), in...)
		for _, p := range in {
			releaseAll(p)
		}
		q := d.GroupBy("k").Agg(Count().As("n"), Sum("v").As("sv"))
		got := map[int64][2]int64{}
		for _, r := range collectRows(t, q) {
			got[r[0].(int64)] = [2]int64{r[1].(int64), r[2].(int64)}
		}
		if len(got) != len(want) {
			t.Fatalf("disable=%v: %d groups, want %d", disable, len(got), len(want))
		}
		for k, w := range want {
			if got[k] != w {
				t.Fatalf("disable=%v: key %d: (count, sum) %v, want %v", disable, k, got[k], w)
			}
		}
		jm, explain := s.LastJob(), q.Explain()
		// A result stage straight over the partitions keeps them: ForEachBatch sees every index.
		var mu sync.Mutex
		seen := map[int]bool{}
		err := d.Filter(Col("v").Gt(Lit(int64(-1)))).ForEachBatch(context.Background(), func(p int, r arrow.RecordBatch) error {
			mu.Lock()
			seen[p] = true
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got, jm, explain, len(seen)
	}
	off, offJob, offExplain, offSeen := run(true)
	on, onJob, onExplain, onSeen := run(false)
	if fmt.Sprint(on) != fmt.Sprint(off) {
		t.Fatal("answers differ with and without grouped map tasks")
	}
	mapTasks := func(jm *JobMetrics) []int {
		var n []int
		for _, st := range jm.Stages {
			if st.Kind == "map" {
				n = append(n, len(st.Tasks))
			}
		}
		return n
	}
	if got := mapTasks(onJob); !slices.Equal(got, []int{2}) {
		t.Errorf("adaptive: map stage tasks %v, want [2]\n%s", got, onJob)
	}
	if got := mapTasks(offJob); !slices.Equal(got, []int{parts}) {
		t.Errorf("without adaptive: map stage tasks %v, want [%d]\n%s", got, parts, offJob)
	}
	if !strings.Contains(onExplain, "16 given partitions read by 2 map tasks") {
		t.Errorf("no grouping in Explain:\n%s", onExplain)
	}
	if strings.Contains(offExplain, "given partitions read by") {
		t.Errorf("grouping without adaptive execution:\n%s", offExplain)
	}
	if onSeen != parts || offSeen != parts {
		t.Errorf("ForEachBatch saw %d and %d partitions, want %d", onSeen, offSeen, parts)
	}
}
