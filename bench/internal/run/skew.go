package run

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/bench/internal/gen"
	"github.com/kindling-data/kindling/dataset"
)

var nan = math.NaN()

// StageSpread summarizes one stage of a job: its tasks' durations and, for a map stage,
// the largest reduce partition's share of the rows it shuffled.
type StageSpread struct {
	StageID          int
	Kind             string
	Tasks            int
	Min, Median, Max time.Duration
	// MaxShare is max/sum of the stage's ShufflePartitionRows (0 if it wrote no shuffle).
	MaxShare float64
}

// SkewPoint is one skew experiment at one Zipf exponent.
type SkewPoint struct {
	Kind string // "groupby" or "join"
	S    float64
	Time time.Duration
	// CPU is the process's CPU time (the least of the runs).
	CPU time.Duration
	// TopKeyShare is the most frequent key's share of the input rows.
	TopKeyShare float64
	// MaxShare is the largest shuffle partition's share of rows over the job's map stages.
	MaxShare float64
	Stages   []StageSpread
	Err      error
}

func spreads(j *dataset.JobMetrics) ([]StageSpread, float64) {
	if j == nil {
		return nil, 0
	}
	var out []StageSpread
	share := 0.0
	for _, st := range j.Stages {
		ds := make([]time.Duration, len(st.Tasks))
		for i, t := range st.Tasks {
			ds[i] = t.Duration
		}
		slices.Sort(ds)
		sp := StageSpread{StageID: st.StageID, Kind: st.Kind, Tasks: len(ds)}
		if len(ds) > 0 {
			sp.Min, sp.Median, sp.Max = ds[0], ds[len(ds)/2], ds[len(ds)-1]
		}
		var sum, top int64
		for _, r := range st.ShufflePartitionRows {
			sum += r
			top = max(top, r)
		}
		if sum > 0 {
			sp.MaxShare = float64(top) / float64(sum)
			share = max(share, sp.MaxShare)
		}
		out = append(out, sp)
	}
	return out, share
}

// keyValueTable is (k int64, v float64) over the given keys, in parts partitions.
func keyValueTable(keys []int64, vals []float64, parts, chunk int, kName, vName string) Table {
	schema := arrow.NewSchema([]arrow.Field{{Name: kName, Type: arrow.PrimitiveTypes.Int64}, {Name: vName, Type: arrow.PrimitiveTypes.Float64}}, nil)
	l := gen.Layout{Partitions: parts, ChunkRows: chunk}
	ranges := l.Ranges(len(keys))
	out := make([][]arrow.RecordBatch, len(ranges))
	for p, rs := range ranges {
		for _, r := range rs {
			k, v := gen.Int64Array(keys[r[0]:r[1]]), gen.Float64Array(vals[r[0]:r[1]])
			out[p] = append(out[p], array.NewRecordBatch(schema, []arrow.Array{k, v}, int64(r[1]-r[0])))
			k.Release()
			v.Release()
		}
	}
	return Table{Schema: schema, Parts: out}
}

// RunSkew runs a group-by (sum and count of v by k over N/10 keys) and a shuffled join
// (N rows with Zipf keys ⋈ N/10 rows with unique keys) for each Zipf exponent in ss.
func RunSkew(ctx context.Context, o *Options, ss []float64) []SkewPoint {
	keys := max(1, o.N/10)
	vals := make([]float64, o.N)
	for i := range vals {
		vals[i] = float64(i%1000) / 10
	}
	rightKeys := make([]int64, keys)
	for i := range rightKeys {
		rightKeys[i] = int64(i) + 1
	}
	right := keyValueTable(rightKeys, vals[:keys], o.Parts, o.BatchRows, "k", "w")
	defer gen.Release(right.Parts)
	var out []SkewPoint
	for _, s := range ss {
		ks, err := gen.ZipfKeys(o.Seed, s, keys, o.N)
		if err != nil {
			out = append(out, SkewPoint{Kind: "groupby", S: s, Err: err})
			continue
		}
		counts := make(map[int64]int)
		top := 0
		for _, k := range ks {
			counts[k]++
			top = max(top, counts[k])
		}
		topShare := float64(top) / float64(len(ks))
		left := keyValueTable(ks, vals, o.Parts, o.BatchRows, "k", "v")
		tables := map[string]Table{"x": left, "medium": right}
		for _, exp := range []struct {
			kind      string
			broadcast int64
			build     func(Inputs) *dataset.Dataset
		}{
			{"groupby", 0, func(in Inputs) *dataset.Dataset {
				return in.X.GroupBy("k").Agg(dataset.Sum("v").As("v"), dataset.Count().As("n"))
			}},
			{"join", -1, func(in Inputs) *dataset.Dataset {
				return in.X.Join(in.Medium, dataset.On("k"), dataset.Inner)
			}},
		} {
			cfg := dataset.Config{Parallelism: o.Threads, BatchRows: o.BatchRows, BroadcastThreshold: exp.broadcast}
			m := bestOf(o.Runs, func() Measure {
				return kindlingRun(ctx, cfg, tables, nil, runSpec{}, func(_ *dataset.Session, in Inputs) *dataset.Dataset { return exp.build(in) })
			})
			p := SkewPoint{Kind: exp.kind, S: s, Time: m.Time, CPU: m.CPU, TopKeyShare: topShare, Err: m.Err}
			p.Stages, p.MaxShare = spreads(m.Job)
			out = append(out, p)
			o.logf("  skew %s s=%.1f: %.3fs, %.3f CPU s, top key %.1f%%, largest shuffle partition %.1f%% %v", exp.kind, s, m.Time.Seconds(), m.CPU.Seconds(), 100*topShare, 100*p.MaxShare, errOrOK(m.Err))
		}
		gen.Release(left.Parts)
	}
	return out
}

func durString(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
	}
}
