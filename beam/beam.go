// Package beam runs kindling jobs on Apache Beam runners (Prism in-process, Flink, Spark,
// Dataflow), with kindling as the engine inside each stage.
//
// A job is a Dataset built by a builder registered with dataset.RegisterJob. Run plans it
// on the driver and translates its stages into a Beam pipeline: each stage is a
// GroupByKey on the task index (the reduce partition, for a plain shuffle) followed by a
// ParDo running that task's kindling operators over its input blocks; a map stage emits
// its output as blocks (whole Arrow batches as zstd-compressed IPC), keyed by reduce
// partition; a broadcast is a side input; a range-partitioned stage first runs a sampling
// pass whose range bounds are a side input of its real pass; the result stage writes one
// file per task, which Run reads back (or, for a write action, the task's files of the
// output table, written as a local write's task writes them, which Run commits once the
// pipeline succeeded). Workers do not receive plans: they call the same builder with the
// same arguments and check that the plan's fingerprint is the driver's. What the tasks
// leave for the driver goes through a directory both reach: a shared local path, or a
// gs:// prefix for workers that share no file system with the driver (Dataflow's).
//
// A program using a remote runner must call Init at the start of main (a worker process
// runs the same binary and never returns from it) and register its builders in init
// functions.
package beam

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	abeam "github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/dataflow" // registers the runner
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/flink"    // registers the runner
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/spark"     // registers the runner
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/runners/universal" // registers the runner

	"github.com/kindling-data/kindling/dataset"
	kmemory "github.com/kindling-data/kindling/memory"
)

// Init initializes Beam. Call it at the start of main, after defining the program's
// flags: it parses the command line if main has not, and in a worker process (started
// with Beam's --worker flag) it runs the worker harness and does not return.
func Init() {
	if !flag.Parsed() {
		flag.Parse()
	}
	abeam.Init()
}

// WorkerConfig is the session every machine plans and runs the job in. The driver and
// the workers must plan alike, so it holds only what is plain data; adaptive execution
// is always off (it re-plans from sizes that only the whole job knows).
type WorkerConfig struct {
	// MemoryLimit is each worker process's kindling memory budget (0: kindling's default,
	// from each machine's memory; the plan is then sized for the driver's default on
	// every machine, since all must plan alike).
	MemoryLimit int64
	// Parallelism sizes the plan's defaults (ShufflePartitions) as locally.
	Parallelism int
	// ShufflePartitions is the reduce partition count of shuffles.
	ShufflePartitions int
	// BatchRows bounds the rows of batches (and so of blocks).
	BatchRows int
	// BroadcastThreshold is the size up to which a join side is broadcast (as a side
	// input); negative: only when hinted.
	BroadcastThreshold int64
	// MaxPartitionBytes bounds one file split.
	MaxPartitionBytes int64
	// TimeZone is the session time zone.
	TimeZone string
	// SpillDir is where workers spill ("": the system's temporary directory).
	SpillDir string
}

// SessionConfig is the session configuration the workers run with: a local session made
// with it plans the job as the workers do, which is how to compare the two answers.
func (c WorkerConfig) SessionConfig() dataset.Config {
	return dataset.Config{MemoryLimit: c.MemoryLimit, Parallelism: c.Parallelism, ShufflePartitions: c.ShufflePartitions,
		BatchRows: c.BatchRows, BroadcastThreshold: c.BroadcastThreshold, MaxPartitionBytes: c.MaxPartitionBytes,
		TimeZone: c.TimeZone, SpillDir: c.SpillDir, DisableAdaptive: true}
}

// Options say where and how Run runs a job.
type Options struct {
	// Runner is "prism" (the default: Beam's local runner, in this process), "flink",
	// "spark", "universal" (a portable job server at Endpoint) or "dataflow" (Google Cloud
	// Dataflow: Flags must give project, region and a gs:// staging_location, and every
	// input, ResultDir and OutputDir must be on gs://, which is checked before submission).
	Runner string
	// Endpoint is the job service (host:port); empty for in-process Prism. For Dataflow it
	// overrides the service's endpoint (dataflow_endpoint).
	Endpoint string
	// EnvironmentType and EnvironmentConfig say how workers run: "LOOPBACK" (in this
	// process; Prism's default), "DOCKER" with a container image, "PROCESS".
	EnvironmentType, EnvironmentConfig string
	// Flags are further Beam pipeline flags by name (e.g. "staging_location").
	Flags map[string]string
	// Action is "collect" (the default), "count", or "writeParquet" / "writeCSV" /
	// "writeJSON", which write the result as a directory of part files at OutputDir: each
	// result task writes its files into a hidden staging directory next to OutputDir, and
	// Run commits them once the pipeline succeeded (a failed job leaves no output).
	// OutputDir must be on storage the workers and this program share, or on gs://: the
	// tasks then upload their files under the output's _temporary/ prefix and Run copies
	// them into place (Cloud Storage has no rename).
	Action string
	// OutputDir is the output directory of a write action.
	OutputDir string
	// Mode is what a write does when OutputDir exists, as locally:
	// dataset.ModeErrorIfExists (the default), ModeOverwrite, ModeAppend (the job's files
	// added to the table) or ModeOverwritePartitions (the partition directories the job
	// writes replace the table's).
	Mode dataset.SaveMode
	// PartitionedBy writes the table in directories by these columns' values, as
	// dataset.PartitionedBy does locally (Hive's layout).
	PartitionedBy []string
	// ParquetRowGroupRows and ParquetCompression are dataset.ParquetRowGroupRows and
	// dataset.ParquetCompression; CSVDelimiter and CSVNullValue dataset.CSVDelimiter and
	// dataset.CSVNullValue. Zero values keep the local defaults.
	ParquetRowGroupRows int
	ParquetCompression  string
	CSVDelimiter        rune
	CSVNullValue        string
	// ResultDir is where the result stage writes its files, read back by Run (and the
	// tasks their counts of the job's expectations): a directory the workers and the
	// driver share, or a gs:// prefix. Empty: a temporary directory, which only works
	// when the workers share this machine (Prism, loopback).
	ResultDir string
	// Worker is the session configuration of every machine.
	Worker WorkerConfig
}

// Result is what Run returns.
type Result struct {
	// Schema is the schema of the result's batches.
	Schema *arrow.Schema
	// Batches are the collected rows, in partition order; the caller releases them.
	Batches []arrow.RecordBatch
	// Count is the row count, for the "count" action.
	Count int64
	// Files is the number of part files a write action committed.
	Files int
	// Expectations are the results of the job's expectations (Dataset.Expect), evaluated
	// from its tasks' counts; failures under Warn are logged, and one under Fail makes
	// Run return a *dataset.ExpectationError instead (a write then commits nothing).
	Expectations []dataset.ExpectationResult
	// Metrics split the job's time between Beam and kindling, from Beam's counters.
	Metrics Metrics
	// Job is the job's metrics in kindling's own form, mapped from Beam's per-task
	// counters (what only a local session knows stays zero: see beamMetrics.job): String and
	// Explain print it as they print a local job's.
	Job *dataset.JobMetrics
	// Explain is the job's plans.
	Explain string
}

// Release releases the result's batches.
func (r *Result) Release() {
	for _, b := range r.Batches {
		b.Release()
	}
	r.Batches = nil
}

// Run runs the job registered as job with args on a Beam runner and returns its result.
// Everything Beam cannot run the same way as kindling does locally is refused before
// submission. Runs in one process must not overlap: Beam's runners take their options
// from the program's flags.
func Run(ctx context.Context, job string, args []string, opts Options) (*Result, error) {
	if !abeam.Initialized() {
		abeam.Init()
	}
	action := opts.Action
	if action == "" {
		action = "collect"
	}
	// A write plans as collect does: only where the result stage's batches go differs.
	planAction := action
	if formatOf(action) != "" {
		planAction = "collect"
	}
	start := time.Now()
	ref := jobRef{Job: job, Args: args, Config: opts.Worker, Action: planAction, Now: start.UnixNano()}
	if opts.Worker.MemoryLimit == 0 {
		// Each machine's default budget follows its memory; the plan must not: every
		// machine sizes it for this one's.
		mc := kmemory.Config{}
		mc.EnsureDefaults()
		ref.PlanMemory = mc.Limit
	}
	u, err := ref.units()
	if err != nil {
		return nil, err
	}
	ref.Fingerprint = u.Fingerprint
	if err := checkRunner(opts, action, u); err != nil {
		return nil, err
	}
	if u.Expectations() > 0 && opts.ResultDir == "" && opts.Runner != "" && opts.Runner != "prism" {
		return nil, fmt.Errorf("beam: job %q has expectations: runner %s needs Options.ResultDir on storage its workers and this program share (a shared path or a gs:// prefix), for the tasks' counts", job, opts.Runner)
	}
	if formatOf(action) != "" {
		return runWrite(ctx, u, ref, opts, start)
	}
	dir, cleanup, err := newSharedDir(ctx, opts.ResultDir, "kindling-result-")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	expectDir := sharedDir("")
	if u.Expectations() > 0 {
		expectDir = dir
	}
	p, s := abeam.NewPipelineWithRoot()
	if err := translate(s, u, ref, dir, writeSpec{}, expectDir); err != nil {
		return nil, err
	}
	planned := time.Now()
	pr, err := execute(ctx, p, opts)
	if err != nil {
		return nil, fmt.Errorf("beam: job %q: %w", job, err)
	}
	res := &Result{Schema: u.Schema, Explain: u.Explain}
	res.Batches, err = readParts(ctx, dir, u.Stages[len(u.Stages)-1].Tasks)
	if err != nil {
		return nil, err
	}
	setMetrics(res, pr, u, action, start, planned)
	if err := evaluateExpectations(ctx, u, ref, opts, action, dir, res); err != nil {
		res.Release()
		return nil, fmt.Errorf("beam: job %q: %w", job, err)
	}
	if action == "count" {
		res.Count, err = sumCounts(res.Batches)
		res.Release()
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// RunDataset runs d, a Dataset built by Session.Job, on a Beam runner: the Dataset a
// program would otherwise run through its own actions (d.Collect, d.Count,
// d.WriteParquet ...), as opts.Action says. Workers build it again from its registered
// job. When opts.Worker is zero, the workers plan and run with d's session's
// configuration, pinned as the driver resolved it so that every machine plans alike,
// except SpillDir (a path of this machine) and MemoryLimit, which each worker takes
// from its own machine (see WorkerConfig.MemoryLimit).
func RunDataset(ctx context.Context, d *dataset.Dataset, opts Options) (*Result, error) {
	job, args, ok := d.JobOrigin()
	if !ok {
		return nil, errors.New("beam: RunDataset needs a Dataset built by Session.Job (its workers build it again from the registered job); a Dataset derived from one by a transform is not: move the transform into the job's builder")
	}
	if opts.Worker == (WorkerConfig{}) {
		c := d.Session().Config()
		opts.Worker = WorkerConfig{Parallelism: c.Parallelism, ShufflePartitions: c.ShufflePartitions, BatchRows: c.BatchRows,
			BroadcastThreshold: c.BroadcastThreshold, MaxPartitionBytes: c.MaxPartitionBytes, TimeZone: c.TimeZone}
	}
	return Run(ctx, job, args, opts)
}

// runWrite runs a write action: the pipeline's result tasks write their files into the
// committer's staging directory, committed only if the whole pipeline succeeded.
func runWrite(ctx context.Context, u *dataset.Units, ref jobRef, opts Options, start time.Time) (*Result, error) {
	c, spec, err := startWrite(ctx, opts, u.Schema)
	if err != nil {
		return nil, err
	}
	expectDir := sharedDir("")
	if u.Expectations() > 0 {
		dir, cleanup, err := newSharedDir(ctx, opts.ResultDir, "kindling-result-")
		if err != nil {
			return nil, errors.Join(err, c.AbortJob())
		}
		defer cleanup()
		expectDir = dir
	}
	p, s := abeam.NewPipelineWithRoot()
	if err := translate(s, u, ref, "", spec, expectDir); err != nil {
		return nil, errors.Join(err, c.AbortJob())
	}
	planned := time.Now()
	pr, err := execute(ctx, p, opts)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("beam: job %q: %w", ref.Job, err), c.AbortJob())
	}
	res := &Result{Schema: u.Schema, Explain: u.Explain}
	setMetrics(res, pr, u, opts.Action, start, planned)
	// As a local write: a failed expectation under Fail commits nothing.
	if err := evaluateExpectations(ctx, u, ref, opts, opts.Action, expectDir, res); err != nil {
		return nil, errors.Join(fmt.Errorf("beam: job %q: %w", ref.Job, err), c.AbortJob())
	}
	if res.Files, err = finishWrite(ctx, c, spec, u.Schema); err != nil {
		return nil, fmt.Errorf("beam: job %q: commit: %w", ref.Job, err)
	}
	return res, nil
}

// checkRunner refuses, before submission, a runner the options cannot reach.
func checkRunner(opts Options, action string, u *dataset.Units) error {
	for _, f := range []string{"async", "execute_async"} {
		if v := flagValue(opts, f); v != "" && v != "false" {
			return fmt.Errorf("beam: flag %s: Run waits for the job, to collect or commit its result", f)
		}
	}
	switch opts.Runner {
	case "", "prism":
		return nil
	case "flink", "spark", "universal":
		if opts.Endpoint == "" {
			return fmt.Errorf("beam: runner %s needs Options.Endpoint (its job server)", opts.Runner)
		}
		if opts.ResultDir == "" && formatOf(action) == "" {
			return fmt.Errorf("beam: runner %s needs Options.ResultDir on storage its workers and this program share (a shared path or a gs:// prefix)", opts.Runner)
		}
		return nil
	case "dataflow":
		return checkDataflow(opts, action, u)
	}
	return fmt.Errorf("beam: unknown runner %q (prism, flink, spark, universal, dataflow)", opts.Runner)
}

// execute submits the pipeline to the chosen runner. Beam's runners read their options
// from the program's flags, and some set flags themselves (Prism its loopback
// environment, Dataflow its default container image): every flag is put back as it was
// once the job ended, so that one Run's options never leak into the next. A panic in the
// runner is returned as an error.
func execute(ctx context.Context, p *abeam.Pipeline, opts Options) (pr abeam.PipelineResult, err error) {
	set := map[string]string{}
	for k, v := range opts.Flags {
		set[k] = v
	}
	if opts.Endpoint != "" {
		if opts.Runner == "dataflow" {
			set["dataflow_endpoint"] = opts.Endpoint
		} else {
			set["endpoint"] = opts.Endpoint
		}
	}
	if opts.EnvironmentType != "" {
		set["environment_type"] = opts.EnvironmentType
	}
	if opts.EnvironmentConfig != "" {
		set["environment_config"] = opts.EnvironmentConfig
	}
	before := map[string]string{}
	flag.VisitAll(func(f *flag.Flag) { before[f.Name] = f.Value.String() })
	defer flag.VisitAll(func(f *flag.Flag) {
		if v := before[f.Name]; f.Value.String() != v {
			flag.Set(f.Name, v)
		}
	})
	defer func() {
		if r := recover(); r != nil {
			pr, err = nil, fmt.Errorf("beam runner %s: %v", opts.Runner, r)
		}
	}()
	for k, v := range set {
		if flag.Lookup(k) == nil {
			return nil, fmt.Errorf("beam flag %s: no such flag in this binary", k)
		}
		if err := flag.Set(k, v); err != nil {
			return nil, fmt.Errorf("beam flag %s: %w", k, err)
		}
	}
	switch opts.Runner {
	case "", "prism":
		return executePrism(ctx, p, opts)
	case "flink", "spark", "universal", "dataflow":
		pr, err := abeam.Run(ctx, opts.Runner, p)
		if err == nil && pr == nil {
			err = ErrNotRun
		}
		return pr, err
	}
	return nil, fmt.Errorf("unknown runner %q (prism, flink, spark, universal, dataflow)", opts.Runner)
}

// inProcessPrism is the endpoint of the Prism job server that the first in-process
// Prism run started in this process: later runs submit to it rather than start another
// (a server is never stopped).
var inProcessPrism struct {
	mu       sync.Mutex
	endpoint string
}

// executePrism runs p on Prism: in this process unless Options.Endpoint names a job
// server, with the workers in this process unless Options.EnvironmentType says otherwise.
func executePrism(ctx context.Context, p *abeam.Pipeline, opts Options) (abeam.PipelineResult, error) {
	if opts.Endpoint != "" {
		return prism.Execute(ctx, p)
	}
	inProcessPrism.mu.Lock()
	defer inProcessPrism.mu.Unlock()
	if inProcessPrism.endpoint != "" {
		flag.Set("endpoint", inProcessPrism.endpoint)
		if opts.EnvironmentType == "" {
			flag.Set("environment_type", "LOOPBACK")
		}
	}
	pr, err := prism.Execute(ctx, p)
	if inProcessPrism.endpoint == "" {
		// Prism started its server and left its address in the endpoint flag.
		inProcessPrism.endpoint = flag.Lookup("endpoint").Value.String()
	}
	return pr, err
}

// sumCounts adds up the per-partition counts of a count job.
func sumCounts(recs []arrow.RecordBatch) (int64, error) {
	var total int64
	for _, r := range recs {
		col, ok := r.Column(0).(interface{ Value(int) int64 })
		if !ok || r.NumCols() != 1 {
			return 0, errors.New("beam: count: unexpected result schema " + r.Schema().String())
		}
		for i := range int(r.NumRows()) {
			if total > math.MaxInt64-col.Value(i) {
				return 0, errors.New("beam: count overflows int64")
			}
			total += col.Value(i)
		}
	}
	return total, nil
}
