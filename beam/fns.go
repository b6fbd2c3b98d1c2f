package beam

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/kindling-data/kindling/dataset"
)

func init() {
	register.DoFn6x1[context.Context, int, func(*[]byte) bool, func(*[]byte) bool, func(*[]byte) bool, func(int, []byte), error](&stageFn{})
	register.DoFn4x1[context.Context, int, func(*[]byte) bool, func([]byte), error](&boundsFn{})
	register.DoFn3x0[int, []byte, func(int, []byte)](&routeFn{})
	register.Function1x2(marker)
	register.Iter1[[]byte]()
	register.Emitter1[[]byte]()
	register.Emitter2[int, []byte]()
}

// jobRef identifies a job on every machine: workers rebuild the Dataset from the
// registered builder and plan it at the driver's instant, rather than receive a plan,
// because a plan holds Go values (sources, UDFs) that do not serialize.
type jobRef struct {
	Job    string
	Args   []string
	Config WorkerConfig
	Action string
	Now    int64 // Unix nanoseconds
	// Fingerprint is the driver's plan's (dataset.Units.Fingerprint), checked by workers.
	Fingerprint string `json:",omitempty"`
	// PlanMemory is the budget the driver's plan was sized for, when Config leaves the
	// memory limit to each machine's default: workers plan for it too.
	PlanMemory int64 `json:",omitempty"`
	// Expectation, when positive, makes the job the Expectation-th job of its own that
	// the expectations of Job need (dataset.PlanExpectationJob, counted from 1).
	Expectation int `json:",omitempty"`
}

// worker is what one process keeps across bundles: a session per configuration (so that
// all the tasks a worker runs at once share one memory budget, as a local job's do) and
// the planned jobs.
var worker struct {
	mu       sync.Mutex
	sessions map[sessionKey]*dataset.Session
	units    map[string]*dataset.Units
}

// sessionKey tells a worker's sessions apart.
type sessionKey struct {
	config     WorkerConfig
	planMemory int64
}

// units returns the job planned in this process, planning it the first time.
func (r jobRef) units() (*dataset.Units, error) {
	want := r.Fingerprint
	r.Fingerprint = ""
	key, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	worker.mu.Lock()
	defer worker.mu.Unlock()
	u := worker.units[string(key)]
	if u == nil {
		if u, err = r.plan(); err != nil {
			return nil, err
		}
		if worker.units == nil {
			worker.units = map[string]*dataset.Units{}
		}
		worker.units[string(key)] = u
	}
	if want != "" && u.Fingerprint != want {
		return nil, fmt.Errorf("beam: job %q planned differently on this worker than on the driver (fingerprint %.12s, driver %.12s): its builder or its input files differ between machines", r.Job, u.Fingerprint, want)
	}
	return u, nil
}

// plan builds and plans the job; called with worker.mu held.
func (r jobRef) plan() (*dataset.Units, error) {
	b, ok := dataset.LookupJob(r.Job)
	if !ok {
		return nil, fmt.Errorf("beam: no job %q is registered in this binary (dataset.RegisterJob, from an init function)", r.Job)
	}
	key := sessionKey{r.Config, r.PlanMemory}
	s := worker.sessions[key]
	if s == nil {
		cfg := r.Config.SessionConfig()
		cfg.PlanningMemory = r.PlanMemory
		var err error
		if s, err = dataset.NewSession(cfg); err != nil {
			return nil, err
		}
		if worker.sessions == nil {
			worker.sessions = map[sessionKey]*dataset.Session{}
		}
		worker.sessions[key] = s
	}
	d, err := b(s, r.Args)
	if err != nil {
		return nil, fmt.Errorf("beam: building job %q: %w", r.Job, err)
	}
	if r.Expectation > 0 {
		return dataset.PlanExpectationJob(d, r.Expectation-1, time.Unix(0, r.Now))
	}
	return dataset.PlanUnits(d, r.Action, time.Unix(0, r.Now))
}

// Stage function modes.
const (
	modeMap    = "map"    // a map stage: emits blocks keyed by reduce partition
	modeSample = "sample" // the sampling pass of a range-partitioned map stage
	modeResult = "result" // the result stage: writes its task's output file
	modeWrite  = "write"  // the result stage of a write action: writes its part file
)

// stageFn runs the tasks of one stage: each element is one task, with the blocks it
// reads grouped under its partition.
type stageFn struct {
	Ref       jobRef
	Stage     int
	Mode      string
	ResultDir string
	Write     writeSpec
	// ExpectDir is where tasks write their counts of the job's expectations ("": none).
	ExpectDir string

	u *dataset.Units
}

func (f *stageFn) Setup() error {
	u, err := f.Ref.units()
	f.u = u
	return err
}

func (f *stageFn) ProcessElement(ctx context.Context, task int, blocks, broadcast, bounds func(*[]byte) bool, emit func(int, []byte)) error {
	in := blockInput{}
	var moved taskIO
	for _, it := range []func(*[]byte) bool{blocks, broadcast} {
		n, err := in.add(it)
		if err != nil {
			return err
		}
		moved.bytesIn += n
	}
	var b arrow.RecordBatch
	var raw []byte
	for bounds(&raw) {
		if len(raw) == 0 {
			continue
		}
		rec, err := decodeBatch(raw[headerLen:], f.u.Allocator())
		if err != nil {
			return err
		}
		b = rec
		defer rec.Release()
	}
	var out [][]byte
	tw := &taskWriter{spec: f.Write, task: task, schema: f.u.Schema, mem: f.u.Allocator()}
	sink := func(reduce int, rec arrow.RecordBatch) error {
		if f.Mode == modeWrite {
			// Straight into the part file: nothing of a written result crosses Beam.
			return tw.write(ctx, rec)
		}
		if rec.NumRows() == 0 && f.Mode == modeResult {
			rec.Release()
			return nil
		}
		blk, err := encodeBlock(f.Stage, max(reduce, 0), rec)
		if err != nil {
			return err
		}
		moved.blocksOut++
		moved.bytesOut += int64(len(blk))
		switch f.Mode {
		case modeResult:
			out = append(out, blk)
		case modeSample:
			emit(0, blk)
		default:
			emit(reduce, blk)
		}
		return nil
	}
	start := time.Now()
	var m dataset.TaskMetrics
	var opRows []int64
	var err error
	if f.Mode == modeSample {
		m, err = f.u.SampleTask(ctx, f.Stage, task, in, sink)
	} else {
		// The sampling pass is not observed: its rows are counted by the real pass.
		tctx, counted := ctx, func() []dataset.ExpectationCounts { return nil }
		if f.ExpectDir != "" {
			tctx, counted = f.u.ObserveExpectations(ctx)
		}
		m, opRows, err = f.u.RunTask(tctx, f.Stage, task, in, b, sink)
		if cs := counted(); err == nil && len(cs) > 0 {
			err = writeExpectCounts(ctx, sharedDir(f.ExpectDir), f.Stage, task, cs)
		}
	}
	if f.Mode == modeWrite {
		err = tw.finish(ctx, err)
	}
	if err != nil {
		return err
	}
	if f.Mode != modeSample {
		// The sampling pass is a pre-pass of the same task, not a task of the stage.
		reportTask(ctx, f.Stage, task, f.Mode == modeMap, m, opRows, start, time.Since(start), moved)
	}
	if f.Mode == modeResult {
		return writePart(ctx, sharedDir(f.ResultDir), task, out)
	}
	return nil
}

// writePart writes a result task's blocks as one file, atomically, so that a retried or
// speculatively duplicated task leaves one complete file (the same, as tasks are
// deterministic).
func writePart(ctx context.Context, dir sharedDir, task int, blocks [][]byte) error {
	var buf []byte
	for _, b := range blocks {
		buf = binary.AppendUvarint(buf, uint64(len(b)))
		buf = append(buf, b...)
	}
	return dir.put(ctx, partName(task), buf)
}

// writeAtomic writes dir/name through a temporary file renamed into place.
func writeAtomic(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, ".tmp-"+name+"-*")
	if err != nil {
		return fmt.Errorf("beam: writing %s: %w", name, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("beam: writing %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("beam: writing %s: %w", name, err)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}

func partName(task int) string { return fmt.Sprintf("part-%06d.kblocks", task) }

// boundsFn turns the samples of a range-partitioned stage into its range bounds, the
// side input of the stage's real pass.
type boundsFn struct {
	Ref   jobRef
	Stage int

	u *dataset.Units
}

func (f *boundsFn) Setup() error {
	u, err := f.Ref.units()
	f.u = u
	return err
}

func (f *boundsFn) ProcessElement(ctx context.Context, _ int, samples func(*[]byte) bool, emit func([]byte)) error {
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	var b []byte
	for samples(&b) {
		rec, err := decodeBatch(b[headerLen:], f.u.Allocator())
		if err != nil {
			return err
		}
		recs = append(recs, rec)
	}
	bounds, err := f.u.RangeBounds(f.Stage, recs)
	if err != nil {
		return err
	}
	blk, err := encodeBlock(f.Stage, 0, bounds)
	if err != nil {
		return err
	}
	emit(blk)
	return nil
}

// routeFn sends each block of one shuffle to the tasks of one consuming stage that read
// its reduce partition (usually the task of the same index; not so after a union, a
// coalesce or in a cartesian join).
type routeFn struct {
	Routes map[int][]int
}

func (f *routeFn) ProcessElement(reduce int, blk []byte, emit func(int, []byte)) {
	for _, t := range f.Routes[reduce] {
		emit(t, blk)
	}
}

// marker is the empty element that makes task t exist even if it reads no block.
func marker(t int) (int, []byte) { return t, []byte{} }
