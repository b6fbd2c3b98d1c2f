// Command etl runs kindling's ETL example job (daily revenue by region from messy order
// CSV files, written as a Parquet table) twice: in a local kindling session and on an
// Apache Beam runner, then checks that the two tables hold the same rows.
//
//	go run ./examples/etl -runner prism            # Beam's Prism runner, in this process
//	go run ./examples/etl -rows 1000000 -out /tmp/etl
//
// The input is generated deterministically into a temporary directory. A remote runner
// (-runner flink -endpoint host:8099) needs the input and -out on storage that its
// workers share with this program; see the README's "Running on Flink or Dataflow".
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/kindling-data/kindling/beam"
	"github.com/kindling-data/kindling/beam/internal/etl"
	"github.com/kindling-data/kindling/dataset"
)

func main() {
	runner := flag.String("runner", "prism", "Beam runner: prism (in-process), flink, spark or universal")
	rows := flag.Int("rows", 200_000, "order lines to generate")
	out := flag.String("out", "", "directory for the input and both tables (default: a temporary directory)")
	flag.Parse()
	// A worker process of a remote runner runs this same binary: Init serves it there
	// (after the flags, which carry the worker's settings).
	beam.Init()
	// -endpoint (the job server of a remote runner) is Beam's own flag.
	endpoint := ""
	if f := flag.Lookup("endpoint"); f != nil {
		endpoint = f.Value.String()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *runner, endpoint, *rows, *out); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, runner, endpoint string, rows int, out string) error {
	if out == "" {
		dir, err := os.MkdirTemp("", "kindling-beam-etl-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		out = dir
	}
	input := filepath.Join(out, "input")
	if err := os.MkdirAll(input, 0o755); err != nil {
		return err
	}
	if err := etl.Generate(input, rows); err != nil {
		return err
	}
	fmt.Printf("generated %d order lines under %s\n", rows, input)

	worker := beam.WorkerConfig{Parallelism: 2, ShufflePartitions: 8}
	s, err := dataset.NewSession(worker.SessionConfig())
	if err != nil {
		return err
	}
	defer s.Close()
	local, onBeam := filepath.Join(out, "daily-local"), filepath.Join(out, "daily-beam")
	start := time.Now()
	if err := etl.Daily(s, input).WriteParquet(ctx, local, dataset.Overwrite()); err != nil {
		return err
	}
	fmt.Printf("local:  wrote %s in %v\n", local, time.Since(start).Round(time.Millisecond))

	res, err := beam.Run(ctx, etl.Job, []string{input}, beam.Options{Runner: runner, Endpoint: endpoint,
		Action: "writeParquet", OutputDir: onBeam, Mode: dataset.ModeOverwrite, Worker: worker})
	if err != nil {
		return err
	}
	m := res.Metrics
	fmt.Printf("%s: wrote %s (%d files) in %v: kindling task time %v, planning %v, the rest is Beam\n",
		runner, onBeam, res.Files, m.Wall.Round(time.Millisecond), m.TaskTime.Round(time.Millisecond), m.Plan.Round(time.Millisecond))
	for _, st := range m.Stages {
		fmt.Printf("  stage %d: %d tasks, %d rows in, %d rows out, %d blocks (%d bytes) out\n",
			st.StageID, st.Tasks, st.RowsIn, st.RowsOut, st.BlocksOut, st.BlockBytesOut)
	}
	if err := etl.SameTables(ctx, s, local, onBeam); err != nil {
		return err
	}
	fmt.Println("the two tables hold the same rows")
	return nil
}
