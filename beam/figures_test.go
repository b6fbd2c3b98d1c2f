package beam

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/beam/internal/etl"
	"github.com/kindling-data/kindling/dataset"
)

// The figures of docs/scale-out.md: the ETL job and db-benchmark-style group-bys at 1e6
// rows, locally and on Prism in this process, with Prism's time split into kindling's
// task time and the rest. Run with
//
//	KINDLING_BEAM_FIGURES=1 go test -run TestFigures -v -timeout 30m .
//
// (KINDLING_BEAM_ROWS changes the row count; KINDLING_BEAM_PROCESS=1 runs Prism's
// workers in processes of their own, as TestWorkersInOtherProcesses does.)

// groupbyData is a db-benchmark-like table in 4 partitions: id1 (100 strings), id3
// (100k strings), id4, id5 (100 ints each), v1 (1..5), v3 (float, 0..100).
func groupbyData(s *dataset.Session, rows int) *dataset.Dataset {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id1", Type: arrow.BinaryTypes.String}, {Name: "id3", Type: arrow.BinaryTypes.String},
		{Name: "id4", Type: arrow.PrimitiveTypes.Int64}, {Name: "id5", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v1", Type: arrow.PrimitiveTypes.Int64}, {Name: "v3", Type: arrow.PrimitiveTypes.Float64}}, nil)
	var parts [][]arrow.RecordBatch
	for p := range 4 {
		rng := rand.New(rand.NewPCG(uint64(p), 42))
		b := array.NewRecordBuilder(memory.NewGoAllocator(), schema)
		for range rows / 4 {
			b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("id%03d", 1+rng.IntN(100)))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("id%010d", 1+rng.IntN(100_000)))
			b.Field(2).(*array.Int64Builder).Append(int64(1 + rng.IntN(100)))
			b.Field(3).(*array.Int64Builder).Append(int64(1 + rng.IntN(100)))
			b.Field(4).(*array.Int64Builder).Append(int64(1 + rng.IntN(5)))
			b.Field(5).(*array.Float64Builder).Append(float64(rng.IntN(100_000_000)) / 1e6)
		}
		parts = append(parts, []arrow.RecordBatch{b.NewRecordBatch()})
		b.Release()
	}
	return s.FromPartitions(schema, parts...)
}

func figureRows(args []string) int {
	n, err := strconv.Atoi(args[0])
	if err != nil {
		panic(err)
	}
	return n
}

var figureJobs = map[string]dataset.JobBuilder{
	"figures/q1": func(s *dataset.Session, args []string) (*dataset.Dataset, error) {
		return groupbyData(s, figureRows(args)).GroupBy("id1").Agg(dataset.Sum("v1")), nil
	},
	"figures/q3": func(s *dataset.Session, args []string) (*dataset.Dataset, error) {
		return groupbyData(s, figureRows(args)).GroupBy("id3").Agg(dataset.Sum("v1"), dataset.Mean("v3")), nil
	},
	"figures/q10": func(s *dataset.Session, args []string) (*dataset.Dataset, error) {
		return groupbyData(s, figureRows(args)).GroupBy("id1", "id4", "id5").Agg(dataset.Sum("v3"), dataset.Count()), nil
	},
}

func init() {
	for name, b := range figureJobs {
		dataset.RegisterJob(name, b)
	}
}

// figureWorker is the figures' configuration, the same locally and on Prism.
var figureWorker = WorkerConfig{Parallelism: 2, ShufflePartitions: 8}

type figure struct {
	name                    string
	local, wall, plan, task time.Duration
	blocks, rows, bytes     int64
}

func TestFigures(t *testing.T) {
	if os.Getenv("KINDLING_BEAM_FIGURES") == "" {
		t.Skip("set KINDLING_BEAM_FIGURES=1 to time the jobs of docs/scale-out.md")
	}
	rows := 1_000_000
	if v := os.Getenv("KINDLING_BEAM_ROWS"); v != "" {
		rows, _ = strconv.Atoi(v)
	}
	base := Options{Worker: figureWorker}
	if os.Getenv("KINDLING_BEAM_PROCESS") != "" {
		base = workerProcesses(t, t.TempDir())
		base.Worker = figureWorker
	}
	var figs []figure
	for _, q := range []string{"figures/q1", "figures/q3", "figures/q10"} {
		figs = append(figs, groupbyFigure(t, q, rows, base))
	}
	figs = append(figs, etlFigure(t, rows, base))
	var b strings.Builder
	// The driver's planning builds the job (here: generates the in-memory table), which
	// the local time does not include: the comparison is on the pipeline's run.
	fmt.Fprintf(&b, "| job (%d rows) | local | Prism run | ratio | kindling task time | Beam (run − task) | shuffle blocks | shuffle rows | blocks/s | rows/s |\n", rows)
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range figs {
		run := f.wall - f.plan
		secs := run.Seconds()
		fmt.Fprintf(&b, "| %s | %v | %v | %.1f× | %v | %v | %d | %d | %.0f | %.0f |\n", f.name, f.local.Round(time.Millisecond),
			run.Round(time.Millisecond), secs/f.local.Seconds(), f.task.Round(time.Millisecond),
			(run - f.task).Round(time.Millisecond), f.blocks, f.rows, float64(f.blocks)/secs, float64(f.rows)/secs)
	}
	fmt.Print(b.String())
}

// shuffled adds up the map stages' output: what went through Beam's GroupByKey.
func shuffled(f *figure, m Metrics) {
	f.wall, f.plan, f.task = m.Wall, m.Plan, m.TaskTime
	for _, st := range m.Stages[:len(m.Stages)-1] {
		f.blocks += st.BlocksOut
		f.rows += st.RowsOut
		f.bytes += st.BlockBytesOut
	}
}

func groupbyFigure(t *testing.T, job string, rows int, opts Options) figure {
	ctx := context.Background()
	args := []string{strconv.Itoa(rows)}
	s, err := dataset.NewSession(figureWorker.SessionConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := figureJobs[job](s, args)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	recs, err := d.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := figure{name: strings.TrimPrefix(job, "figures/"), local: time.Since(start)}
	want := etl.RowsOf(recs)
	for _, r := range recs {
		r.Release()
	}
	res, err := Run(ctx, job, args, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := etl.RowsOf(res.Batches)
	res.Release()
	if d := etl.Diff(got, want); d != "" {
		t.Fatalf("%s: Prism and local differ: %s", job, d)
	}
	shuffled(&f, res.Metrics)
	return f
}

func etlFigure(t *testing.T, rows int, opts Options) figure {
	ctx := context.Background()
	dir := t.TempDir()
	input := filepath.Join(dir, "input")
	if err := os.Mkdir(input, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := etl.Generate(input, rows); err != nil {
		t.Fatal(err)
	}
	s, err := dataset.NewSession(figureWorker.SessionConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	if err := etl.Daily(s, input).WriteParquet(ctx, filepath.Join(dir, "local")); err != nil {
		t.Fatal(err)
	}
	f := figure{name: "ETL (write Parquet)", local: time.Since(start)}
	opts.Action, opts.OutputDir = "writeParquet", filepath.Join(dir, "beam")
	res, err := Run(ctx, etl.Job, []string{input}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := etl.SameTables(ctx, s, filepath.Join(dir, "local"), filepath.Join(dir, "beam")); err != nil {
		t.Fatal(err)
	}
	shuffled(&f, res.Metrics)
	return f
}
