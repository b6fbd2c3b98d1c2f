// Command etl runs kindling's ETL example job (daily revenue by region from messy order
// CSV files, written as a Parquet table) twice: in a local kindling session and on an
// Apache Beam runner, then checks that the two tables hold the same rows.
//
//	go run ./examples/etl -runner prism            # Beam's Prism runner, in this process
//	go run ./examples/etl -rows 1000000 -out /tmp/etl
//
// The input is generated deterministically into a temporary directory. A remote runner
// (-runner flink -endpoint host:8099) needs the input and -out on storage that its
// workers share with this program: -out may be a gs:// prefix (the input is then
// uploaded under it), which Dataflow needs, with Beam's own flags for the rest:
//
//	go run ./examples/etl -runner dataflow -out gs://my-bucket/etl \
//	    -project my-project -region europe-west1 -staging_location gs://my-bucket/staging
//
// See the README's "Running on Flink or Dataflow".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/kindling-data/kindling/beam"
	"github.com/kindling-data/kindling/beam/internal/etl"
	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/internal/objstore"
)

func main() {
	runner := flag.String("runner", "prism", "Beam runner: prism (in-process), flink, spark, universal or dataflow")
	rows := flag.Int("rows", 200_000, "order lines to generate")
	out := flag.String("out", "", "directory or gs:// prefix for the input and both tables (default: a temporary directory)")
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
	input, err := generate(ctx, out, rows)
	if err != nil {
		return err
	}
	fmt.Printf("generated %d order lines under %s\n", rows, input)

	worker := beam.WorkerConfig{Parallelism: 2, ShufflePartitions: 8}
	s, err := dataset.NewSession(worker.SessionConfig())
	if err != nil {
		return err
	}
	defer s.Close()
	local, onBeam := join(out, "daily-local"), join(out, "daily-beam")
	// One Dataset, built by the registered job, run here and then on Beam.
	daily, err := s.Job(etl.Job, input)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := daily.WriteParquet(ctx, local, dataset.Overwrite()); err != nil {
		return err
	}
	fmt.Printf("local:  wrote %s in %v\n", local, time.Since(start).Round(time.Millisecond))

	res, err := beam.RunDataset(ctx, daily, beam.Options{Runner: runner, Endpoint: endpoint,
		Action: "writeParquet", OutputDir: onBeam, Mode: dataset.ModeOverwrite})
	if errors.Is(err, beam.ErrNotRun) {
		fmt.Printf("%s: the job was translated, not run (dry run): nothing to compare\n", runner)
		return nil
	}
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

// generate writes the input under out/input: on a gs:// out, generated locally and
// uploaded.
func generate(ctx context.Context, out string, rows int) (string, error) {
	if !objstore.IsGS(out) {
		input := filepath.Join(out, "input")
		if err := os.MkdirAll(input, 0o755); err != nil {
			return "", err
		}
		return input, etl.Generate(input, rows)
	}
	dir, err := os.MkdirTemp("", "kindling-beam-etl-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := etl.Generate(dir, rows); err != nil {
		return "", err
	}
	c, err := objstore.Default()
	if err != nil {
		return "", err
	}
	bucket, prefix, err := objstore.Split(join(out, "input"))
	if err != nil {
		return "", err
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		file, err := os.Open(filepath.Join(dir, f.Name()))
		if err != nil {
			return "", err
		}
		st, err := file.Stat()
		if err == nil {
			_, err = c.Upload(ctx, bucket, prefix+"/"+f.Name(), file, st.Size(), objstore.AnyGeneration)
		}
		file.Close()
		if err != nil {
			return "", err
		}
	}
	return join(out, "input"), nil
}

// join joins a local directory or a gs:// prefix and a name.
func join(dir, name string) string {
	if objstore.IsGS(dir) {
		return strings.TrimSuffix(dir, "/") + "/" + name
	}
	return filepath.Join(dir, name)
}
