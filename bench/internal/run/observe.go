package run

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/bench/internal/gen"
	"github.com/kindling-data/kindling/dataset"
)

// ObservePoint is one question timed with the web UI and a listener off and on.
type ObservePoint struct {
	Question string
	Off, On  Measure
	// Events is how many events the listener received over the runs with it on.
	Events int64
}

// RunObserve times every group-by and join question with observation off (the default
// config) and on (Config.UIAddr serving the live UI, and a listener counting every
// event), interleaved run by run (measureInterleaved), over the generator's in-memory
// tables in the CSV reader's shape.
func RunObserve(ctx context.Context, o *Options) ([]ObservePoint, error) {
	g, err := gen.NewGroupBy(o.N, o.K, o.Seed)
	if err != nil {
		return nil, err
	}
	j, err := gen.NewJoin(o.N, o.Seed)
	if err != nil {
		return nil, err
	}
	layout := gen.Layout{Partitions: o.Parts, ChunkRows: o.BatchRows, Dictionary: true, SharedDictionary: true}
	schema, parts := g.Batches(memory.DefaultAllocator, layout)
	defer gen.Release(parts)
	groupTables := map[string]Table{"x": {Schema: schema, Parts: parts}}
	joinTables := map[string]Table{}
	var joinParts [][][]arrow.RecordBatch
	for _, t := range []*gen.JoinTable{&j.X, &j.Small, &j.Medium, &j.Big} {
		schema, parts := j.Batches(t, memory.DefaultAllocator, layout)
		joinTables[t.Name] = Table{Schema: schema, Parts: parts}
		joinParts = append(joinParts, parts)
	}
	defer func() {
		for _, p := range joinParts {
			gen.Release(p)
		}
	}()
	var out []ObservePoint
	var points []*sweepPoint
	var counters []*atomic.Int64
	for _, set := range []struct {
		questions []Question
		tables    map[string]Table
	}{{GroupByQuestions(), groupTables}, {JoinQuestions(), joinTables}} {
		for _, q := range set.questions {
			events := new(atomic.Int64)
			off := dataset.Config{Parallelism: o.Threads, BatchRows: o.BatchRows}
			on := off
			on.UIAddr = "127.0.0.1:0"
			on.Listeners = []dataset.Listener{dataset.ListenerFunc(func(dataset.Event) { events.Add(1) })}
			for _, cfg := range []dataset.Config{off, on} {
				points = append(points, &sweepPoint{run: func() Measure {
					return kindlingRun(ctx, cfg, set.tables, q.Check, runSpec{}, func(_ *dataset.Session, in Inputs) *dataset.Dataset { return q.Kindling(in) })
				}})
			}
			out = append(out, ObservePoint{Question: q.Name})
			counters = append(counters, events)
		}
	}
	measureInterleaved(o.Runs, points)
	for i := range out {
		out[i].Off, out[i].On, out[i].Events = points[2*i].best, points[2*i+1].best, counters[i].Load()
		o.logf("  observe %-4s off %.3fs on %.3fs (%d events)", out[i].Question, out[i].Off.Time.Seconds(), out[i].On.Time.Seconds(), out[i].Events)
	}
	return out, nil
}

func (r *Report) observe(b *strings.Builder) {
	b.WriteString("## The cost of watching\n\nEvery group-by and join question with the web UI and a listener off (the default config) " +
		"and on (`Config.UIAddr` serving the live UI, a listener counting every event), the two measured in interleaved rounds, " +
		"each the fastest of its runs. Load path: the generator's in-memory tables in the CSV reader's shape (FromPartitions, " +
		"string keys dictionary-encoded, one dictionary per partition and column).\n\n")
	b.WriteString("| question | off s | on s | on / off | events |\n|---|--:|--:|--:|--:|\n")
	var off, on float64
	for _, p := range r.Observe {
		if p.Off.Err != nil || p.On.Err != nil {
			fmt.Fprintf(b, "| %s | error: %v %v | | | |\n", p.Question, p.Off.Err, p.On.Err)
			continue
		}
		off += p.Off.Time.Seconds()
		on += p.On.Time.Seconds()
		fmt.Fprintf(b, "| %s | %.3f | %.3f | %.3f | %d |\n", p.Question, p.Off.Time.Seconds(), p.On.Time.Seconds(), p.On.Time.Seconds()/p.Off.Time.Seconds(), p.Events)
	}
	if off > 0 {
		fmt.Fprintf(b, "| **total** | **%.3f** | **%.3f** | **%.3f** | |\n\n", off, on, on/off)
	}
}
