// Package prometheus exports a session's job metrics in Prometheus' text exposition
// format: an Exporter is a dataset.Listener that counts jobs, stages, tasks, retries,
// rows, shuffle bytes, spills and evictions as their events arrive, and serves the
// counters over HTTP for a Prometheus server to scrape.
//
// It writes the text format itself, so that neither it nor the engine depends on a
// metrics library:
//
//	exp := prometheus.New()
//	s, _ := dataset.NewSession(dataset.Config{Listeners: []dataset.Listener{exp}})
//	exp.WatchMemory(s)
//	http.Handle("/metrics", exp)
package prometheus

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kindling-data/kindling/dataset"
	kmemory "github.com/kindling-data/kindling/memory"
)

// Exporter counts a session's events and serves them in Prometheus' text format. Its
// zero value is not ready: use New. Safe for concurrent use.
type Exporter struct {
	mu       sync.Mutex
	counters map[string]float64 // by metric name with its labels
	running  map[string]float64 // gauges: jobs and tasks running
	memory   func() kmemory.Stats
}

// New returns an exporter with every counter at zero.
func New() *Exporter {
	return &Exporter{counters: map[string]float64{}, running: map[string]float64{}}
}

// WatchMemory makes the exporter report s's memory (execution and storage in use, the
// budget, evictions) at each scrape.
func (e *Exporter) WatchMemory(s *dataset.Session) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.memory = s.MemoryStats
}

// metrics lists every metric the exporter writes, with its type and help, in order.
var metrics = []struct{ name, kind, help string }{
	{"kindling_jobs_total", "counter", "Jobs ended, by result."},
	{"kindling_job_duration_seconds_total", "counter", "Time spent in jobs that ended."},
	{"kindling_jobs_running", "gauge", "Jobs running now."},
	{"kindling_stages_total", "counter", "Stages ended, by result."},
	{"kindling_tasks_total", "counter", "Task attempts ended, by result (succeeded, failed, retried)."},
	{"kindling_task_duration_seconds_total", "counter", "Time spent in task attempts that succeeded."},
	{"kindling_tasks_running", "gauge", "Task attempts running now."},
	{"kindling_rows_read_total", "counter", "Rows read by successful tasks from sources and shuffles."},
	{"kindling_rows_written_total", "counter", "Rows written by successful tasks to shuffles and results."},
	{"kindling_shuffle_written_bytes_total", "counter", "Shuffle block bytes written."},
	{"kindling_shuffle_read_bytes_total", "counter", "Shuffle block bytes read."},
	{"kindling_spill_files_total", "counter", "Spill files written (operators, evicted blocks)."},
	{"kindling_spilled_bytes_total", "counter", "Bytes of spill files on disk."},
	{"kindling_evictions_total", "counter", "Blocks evicted for execution memory, by where they went (disk, dropped)."},
	{"kindling_evicted_bytes_total", "counter", "Memory bytes of evicted blocks."},
	{"kindling_skewed_partitions_total", "counter", "Shuffle partitions reported as skewed (far above the median)."},
	{"kindling_memory_bytes", "gauge", "Memory in use by kind (execution, storage), and the budget (limit)."},
}

// OnEvent counts e.
func (e *Exporter) OnEvent(ev dataset.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.counters
	switch ev := ev.(type) {
	case *dataset.JobStart:
		e.running["kindling_jobs_running"]++
	case *dataset.JobEnd:
		e.running["kindling_jobs_running"]--
		c[`kindling_jobs_total{result="`+result(ev.Err)+`"}`]++
		if ev.Metrics != nil {
			c["kindling_job_duration_seconds_total"] += ev.Metrics.Duration.Seconds()
		}
	case *dataset.StageEnd:
		c[`kindling_stages_total{result="`+result(ev.Err)+`"}`]++
		if ev.Metrics != nil {
			c["kindling_skewed_partitions_total"] += float64(len(ev.Metrics.Skew))
		}
	case *dataset.TaskStart:
		e.running["kindling_tasks_running"]++
	case *dataset.TaskEnd:
		e.running["kindling_tasks_running"]--
		switch {
		case ev.Err == nil && ev.Metrics != nil:
			c[`kindling_tasks_total{result="succeeded"}`]++
			m := ev.Metrics
			c["kindling_task_duration_seconds_total"] += m.Duration.Seconds()
			c["kindling_rows_read_total"] += float64(m.RowsIn)
			c["kindling_rows_written_total"] += float64(m.RowsOut)
			c["kindling_shuffle_written_bytes_total"] += float64(m.ShuffleBytesWritten)
			c["kindling_shuffle_read_bytes_total"] += float64(m.ShuffleBytesRead)
		case ev.Retry:
			c[`kindling_tasks_total{result="retried"}`]++
		default:
			c[`kindling_tasks_total{result="failed"}`]++
		}
	case *dataset.Spill:
		c["kindling_spill_files_total"]++
		c["kindling_spilled_bytes_total"] += float64(ev.Bytes)
	case *dataset.Eviction:
		to := "dropped"
		if ev.ToDisk {
			to = "disk"
		}
		c[`kindling_evictions_total{to="`+to+`"}`]++
		c["kindling_evicted_bytes_total"] += float64(ev.Bytes)
	}
}

func result(err error) string {
	if err != nil {
		return "failed"
	}
	return "succeeded"
}

// WriteTo writes every metric in Prometheus' text format (version 0.0.4).
func (e *Exporter) WriteTo(w io.Writer) (int64, error) {
	e.mu.Lock()
	values := map[string]float64{}
	for k, v := range e.counters {
		values[k] = v
	}
	for k, v := range e.running {
		values[k] = v
	}
	memory := e.memory
	e.mu.Unlock()
	if memory != nil {
		st := memory()
		values[`kindling_memory_bytes{kind="execution"}`] = float64(st.ExecutionUsed)
		values[`kindling_memory_bytes{kind="storage"}`] = float64(st.StorageUsed)
		values[`kindling_memory_bytes{kind="limit"}`] = float64(st.Limit)
	}
	var b strings.Builder
	for _, m := range metrics {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.kind)
		wrote := false
		for _, k := range sortedKeys(values) {
			if k == m.name || strings.HasPrefix(k, m.name+"{") {
				fmt.Fprintf(&b, "%s %s\n", k, strconv.FormatFloat(values[k], 'f', -1, 64))
				wrote = true
			}
		}
		if !wrote && !strings.HasSuffix(m.name, "_bytes") {
			fmt.Fprintf(&b, "%s 0\n", m.name)
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// ServeHTTP serves the metrics to a scrape.
func (e *Exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
	_, _ = e.WriteTo(w)
}

func sortedKeys(m map[string]float64) []string { return slices.Sorted(maps.Keys(m)) }
