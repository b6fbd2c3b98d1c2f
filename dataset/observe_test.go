package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// eventLog is a listener that keeps every event and signals each job's end.
type eventLog struct {
	mu     sync.Mutex
	events []Event
	ended  chan int
}

func newEventLog() *eventLog { return &eventLog{ended: make(chan int, 64)} }

func (l *eventLog) OnEvent(e Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
	if je, ok := e.(*JobEnd); ok {
		l.ended <- je.JobID
	}
}

// waitJob waits for the end of job id (the bus delivers after the action returns).
func (l *eventLog) waitJob(t *testing.T, id int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-l.ended:
			if got == id {
				return
			}
		case <-timeout:
			t.Fatalf("no JobEnd for job %d", id)
		}
	}
}

func (l *eventLog) snapshot() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

// TestListenersSeeEveryTaskOfAJob: a listener gets the job's start with its stages, each
// stage's start and end, a start and an end for every task the job's metrics count, in
// order, and the job's end with the metrics LastJob returns.
func TestListenersSeeEveryTaskOfAJob(t *testing.T) {
	log := newEventLog()
	f := newFixture(t, []int{40, 30, 50}, Config{Listeners: []Listener{log}})
	recs, err := f.ds.GroupBy("k").Agg(Sum("x").As("x")).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	releaseAll(recs)
	job := f.s.LastJob()
	log.waitJob(t, job.JobID)
	events := log.snapshot()
	if js, ok := events[0].(*JobStart); !ok || js.JobID != job.JobID || len(js.Stages) != len(job.Stages) {
		t.Fatalf("first event %#v, want the JobStart of job %d with %d stages", events[0], job.JobID, len(job.Stages))
	}
	if je, ok := events[len(events)-1].(*JobEnd); !ok || je.Metrics != job || je.Err != nil {
		t.Fatalf("last event %#v, want the JobEnd of job %d with LastJob's metrics", events[len(events)-1], job.JobID)
	}
	type key struct{ stage, partition int }
	started := map[key]bool{}
	ended := map[key]*TaskMetrics{}
	stageStarts, stageEnds := map[int]int{}, map[int]int{}
	for _, e := range events {
		switch e := e.(type) {
		case *StageStart:
			stageStarts[e.StageID]++
		case *StageEnd:
			stageEnds[e.Metrics.StageID]++
			for _, tm := range e.Metrics.Tasks {
				if ended[key{e.Metrics.StageID, tm.Partition}] == nil {
					t.Errorf("stage %d ended before its task %d", e.Metrics.StageID, tm.Partition)
				}
			}
		case *TaskStart:
			started[key{e.StageID, e.Partition}] = true
		case *TaskEnd:
			k := key{e.StageID, e.Partition}
			if !started[k] {
				t.Errorf("task %v ended before it started", k)
			}
			if e.Err != nil || e.Metrics == nil {
				t.Errorf("task %v ended with %v", k, e.Err)
				continue
			}
			ended[k] = e.Metrics
		}
	}
	tasks := 0
	for _, s := range job.Stages {
		if stageStarts[s.StageID] != 1 || stageEnds[s.StageID] != 1 {
			t.Errorf("stage %d: %d starts and %d ends, want one each", s.StageID, stageStarts[s.StageID], stageEnds[s.StageID])
		}
		for _, tm := range s.Tasks {
			tasks++
			got := ended[key{s.StageID, tm.Partition}]
			if got == nil || got.RowsOut != tm.RowsOut || !got.Start.Equal(tm.Start) {
				t.Errorf("stage %d task %d: TaskEnd metrics %+v, want %+v", s.StageID, tm.Partition, got, tm)
			}
		}
	}
	if len(ended) != tasks {
		t.Errorf("%d tasks ended, the job's metrics have %d", len(ended), tasks)
	}
}

// TestListenersAndLogSeeRetries: a task attempt that fails and is retried shows as a
// TaskEnd with its error and Retry set, and as a warning in the session's log.
func TestListenersAndLogSeeRetries(t *testing.T) {
	log := newEventLog()
	var buf syncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	f := newFixture(t, []int{5}, Config{Listeners: []Listener{log}, Logger: logger, MaxTaskAttempts: 3})
	var calls atomic.Int64
	d := f.ds.MapBatches("flaky", nil, func(_ context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
		if calls.Add(1) == 1 {
			return nil, errors.New("transient failure")
		}
		in.Retain()
		return in, nil
	})
	if _, err := d.Count(t.Context()); err != nil {
		t.Fatal(err)
	}
	log.waitJob(t, f.s.LastJob().JobID)
	var retried []*TaskEnd
	for _, e := range log.snapshot() {
		if te, ok := e.(*TaskEnd); ok && te.Err != nil {
			retried = append(retried, te)
		}
	}
	if len(retried) != 1 || !retried[0].Retry || retried[0].Attempt != 1 || !strings.Contains(retried[0].Err.Error(), "transient failure") {
		t.Fatalf("failed attempts %+v, want one, attempt 1, retried, with its error", retried)
	}
	if out := buf.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "retrying") || !strings.Contains(out, "transient failure") {
		t.Fatalf("log %q, want a warning naming the retried attempt's error", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the log's concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWriteReportDrawsEveryStageAndTask: the report of a session has, for each job, a
// DAG box per stage, an arrow per shuffle read, a timeline bar per task, and each stage's
// task-time quantiles, in one file that fetches nothing.
func TestWriteReportDrawsEveryStageAndTask(t *testing.T) {
	f := newFixture(t, []int{40, 30, 50}, Config{})
	recs, err := f.ds.GroupBy("k").Agg(Sum("x").As("x")).OrderBy(Asc("k")).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	releaseAll(recs)
	html := writeReport(t, f.s)
	job := f.s.LastJob()
	checkJobDrawing(t, html, job)
	for _, banned := range []string{"<script", "src=\"http", "href=\"http"} {
		if strings.Contains(html, banned) {
			t.Errorf("the report contains %q: it must be self-contained", banned)
		}
	}
	for _, want := range []string{"Environment", "ShufflePartitions", "Memory", "== Physical Plan ==", "Cache advice"} {
		if !strings.Contains(html, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

// writeReport writes s's report to a file and returns what the file holds.
func writeReport(t *testing.T, s *Session) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "report.html")
	if err := s.WriteReport(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// checkJobDrawing checks that html draws job: its stages, shuffle edges, tasks and the
// stages' quantile tables.
func checkJobDrawing(t *testing.T, html string, job *JobMetrics) {
	t.Helper()
	edges, tasks := 0, 0
	for _, s := range job.Stages {
		if !strings.Contains(html, fmt.Sprintf(`<g class="stage" data-stage="%d">`, s.StageID)) {
			t.Errorf("no DAG box for stage %d", s.StageID)
		}
		for _, p := range s.Parents {
			edges++
			if !strings.Contains(html, fmt.Sprintf(`data-from="%d" data-to="%d"`, p, s.StageID)) {
				t.Errorf("no DAG edge from stage %d to stage %d", p, s.StageID)
			}
		}
		for _, tm := range s.Tasks {
			tasks++
			if !strings.Contains(html, fmt.Sprintf(`class="task" data-stage="%d" data-partition="%d"`, s.StageID, tm.Partition)) {
				t.Errorf("no timeline bar for stage %d task %d", s.StageID, tm.Partition)
			}
		}
	}
	if edges == 0 || len(job.Stages) < 2 {
		t.Fatalf("job %d has %d stages and %d shuffle reads: the test wants a shuffle", job.JobID, len(job.Stages), edges)
	}
	if got := len(regexp.MustCompile(`class="task" `).FindAllString(html, -1)); got < tasks {
		t.Errorf("%d timeline bars, want at least the job's %d tasks", got, tasks)
	}
	if got := strings.Count(html, `<td class="text">Duration</td>`); got < len(job.Stages) {
		t.Errorf("%d task-time quantile rows, want one per stage (%d)", got, len(job.Stages))
	}
}

// TestWebUIServesEveryPage: with UIAddr set, the session serves each page of the UI,
// the job page draws the job, an unknown job is a 404, and Close stops the server.
func TestWebUIServesEveryPage(t *testing.T) {
	f := newFixture(t, []int{40, 30, 50}, Config{UIAddr: "127.0.0.1:0"})
	persisted := f.ds.Filter(Col("x").Gt(Lit(int64(0)))).Persist(MemoryOnly)
	recs, err := persisted.GroupBy("k").Agg(Sum("x").As("x")).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	releaseAll(recs)
	base := "http://" + f.s.UIAddr()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	job := f.s.LastJob()
	for path, want := range map[string]string{
		"/":                               fmt.Sprintf(`<a href="/job/%d">%d</a>`, job.JobID, job.JobID),
		fmt.Sprintf("/job/%d", job.JobID): "Task timeline",
		"/storage":                        "MEMORY_ONLY",
		"/memory":                         `class="memory"`,
		"/plans":                          "== Optimized Plan ==",
		"/env":                            "UIAddr",
		"/report":                         "kindling session report",
	} {
		code, body := get(path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, want 200 with %q in:\n%.2000s", path, code, want, body)
		}
		if path == fmt.Sprintf("/job/%d", job.JobID) {
			checkJobDrawing(t, body, job)
		}
	}
	if code, _ := get("/job/999"); code != http.StatusNotFound {
		t.Errorf("GET /job/999: %d, want 404", code)
	}
	addr := f.s.UIAddr()
	if err := f.s.Close(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get("http://" + addr + "/"); err == nil {
		resp.Body.Close()
		t.Errorf("the UI still answers after Close")
	}
}

// TestSkewNamesTheHotKey: when one customer holds 40% of the rows of a hash shuffle, the
// stage's metrics, LastJob's text and the report name the partition, the customer and its
// share.
func TestSkewNamesTheHotKey(t *testing.T) {
	f := newFixture(t, []int{10}, Config{ShufflePartitions: 8})
	schema := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var parts [][]arrow.RecordBatch
	for p := range 4 {
		vals := make([]int64, 20000)
		for i := range vals {
			vals[i] = int64(1000 + p*len(vals) + i)
			if i%5 < 2 {
				vals[i] = 42 // 40% of the rows
			}
		}
		parts = append(parts, []arrow.RecordBatch{customerBatch(f.mem, schema, vals)})
	}
	ds := f.s.FromPartitions(schema, parts...)
	for _, p := range parts {
		p[0].Release()
	}
	if _, err := ds.Repartition(8, "customer_id").Count(t.Context()); err != nil {
		t.Fatal(err)
	}
	job := f.s.LastJob()
	sk := job.Stages[0].Skew
	if len(sk) != 1 || len(sk[0].Keys) == 0 || sk[0].Keys[0].Key != "customer_id=42" {
		t.Fatalf("skew %+v, want one partition with customer_id=42 behind it", sk)
	}
	if s := sk[0].Keys[0].Share; s < 0.35 || s > 0.45 {
		t.Errorf("customer_id=42 estimated at %.2f of the rows, holds 0.40", s)
	}
	if rows := job.Stages[0].ShufflePartitionRows[sk[0].Partition]; rows < 32000 {
		t.Errorf("skewed partition %d has %d rows, want the hot key's 32000 at least", sk[0].Partition, rows)
	}
	for _, text := range []string{job.String(), job.Explain()} {
		if !strings.Contains(text, "skew: partition") || !strings.Contains(text, "customer_id=42 holds 4") {
			t.Errorf("the job's metrics say:\n%s\nwant the skew line naming customer_id=42", text)
		}
	}
	if !strings.Contains(writeReport(t, f.s), "customer_id=42 holds 4") {
		t.Errorf("the report does not name customer_id=42")
	}
}

func customerBatch(mem memory.Allocator, schema *arrow.Schema, vals []int64) arrow.RecordBatch {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, nil)
	col := b.NewArray()
	defer col.Release()
	return array.NewRecordBatch(schema, []arrow.Array{col}, int64(len(vals)))
}

// TestJobPlanShowsTheSQL: a job run from Session.SQL keeps the query's text with its plans.
func TestJobPlanShowsTheSQL(t *testing.T) {
	f := newFixture(t, []int{10, 10}, Config{})
	if err := f.ds.CreateOrReplaceTempView("t"); err != nil {
		t.Fatal(err)
	}
	d, err := f.s.SQL("SELECT k, sum(x) AS x FROM t GROUP BY k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Count(t.Context()); err != nil {
		t.Fatal(err)
	}
	if p := f.s.LastJob().Plan; !strings.HasPrefix(p, "== SQL ==\nSELECT k, sum(x) AS x FROM t GROUP BY k\n== Logical Plan ==") {
		t.Fatalf("plan %q, want the SQL text first", p)
	}
}

// TestOperatorRowsCountEachOperator: a stage's operator rows say what each operator of
// its pipeline output: the scan every row, the filter the rows it kept, the final
// aggregate one row per key, as counted here from the input.
func TestOperatorRowsCountEachOperator(t *testing.T) {
	f := newFixture(t, []int{40, 30, 50}, Config{})
	kept, keys := 0, map[string]bool{}
	for _, r := range f.rows {
		if r.x != nil && *r.x > 0 {
			kept++
			k := "NULL"
			if r.k != nil {
				k = *r.k
			}
			keys[k] = true
		}
	}
	recs, err := f.ds.Filter(Col("x").Gt(Lit(int64(0)))).GroupBy("k").Agg(Sum("x").As("x")).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	releaseAll(recs)
	found := map[string]int64{}
	for _, st := range f.s.LastJob().Stages {
		if len(st.OperatorRows) != len(st.Operators) {
			t.Fatalf("stage %d: %d operator counts for %d operators", st.StageID, len(st.OperatorRows), len(st.Operators))
		}
		for i, op := range st.Operators {
			name := strings.TrimLeft(op, " :+-")
			for _, prefix := range []string{"Scan", "Filter", "HashAggregate(final)"} {
				if strings.HasPrefix(name, prefix) {
					found[prefix] += st.OperatorRows[i]
				}
			}
		}
	}
	if text := f.s.LastJob().Explain(); !strings.Contains(text, fmt.Sprintf("[rows=%d]", kept)) {
		t.Errorf("Explain with metrics:\n%s\nwant the filter's %d rows", text, kept)
	}
	want := map[string]int64{"Scan": int64(len(f.rows)), "Filter": int64(kept), "HashAggregate(final)": int64(len(keys))}
	for op, n := range want {
		if found[op] != n {
			t.Errorf("%s output %d rows, want %d (all: %v)", op, found[op], n, found)
		}
	}
}
