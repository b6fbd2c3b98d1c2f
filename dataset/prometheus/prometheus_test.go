package prometheus_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/kindling-data/kindling/dataset"
	"github.com/kindling-data/kindling/dataset/prometheus"
)

// TestExporterCountsAJob: after a job, a scrape reports one succeeded job, its tasks, the
// rows its stages wrote and its shuffle bytes, as the job's metrics count them.
func TestExporterCountsAJob(t *testing.T) {
	exp := prometheus.New()
	s, err := dataset.NewSession(dataset.Config{Listeners: []dataset.Listener{exp}, Parallelism: 2, SpillDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	exp.WatchMemory(s)
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewInt64Builder(memory.DefaultAllocator)
	for i := range 10_000 {
		b.Append(int64(i % 37))
	}
	col := b.NewArray()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, 10_000)
	col.Release()
	ds := s.FromRecords(rec.NewSlice(0, 5000), rec.NewSlice(5000, 10_000))
	rec.Release()
	if _, err := ds.GroupBy("k").Count().Count(context.Background()); err != nil {
		t.Fatal(err)
	}
	job := s.LastJob()
	if err := s.Close(); err != nil { // delivers the last events
		t.Fatal(err)
	}
	rw := httptest.NewRecorder()
	exp.ServeHTTP(rw, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rw.Result().Body)
	text := string(body)
	tasks, rowsOut := 0, int64(0)
	totals := job.Totals()
	for _, st := range job.Stages {
		tasks += len(st.Tasks)
		rowsOut += st.Totals().RowsOut
	}
	for _, want := range []string{
		`kindling_jobs_total{result="succeeded"} 1`,
		fmt.Sprintf(`kindling_tasks_total{result="succeeded"} %d`, tasks),
		fmt.Sprintf("kindling_rows_written_total %d", rowsOut),
		fmt.Sprintf("kindling_shuffle_written_bytes_total %d", totals.ShuffleBytesWritten),
		"kindling_jobs_running 0",
		"kindling_tasks_running 0",
		"# TYPE kindling_tasks_total counter",
		`kindling_memory_bytes{kind="limit"}`,
	} {
		if !strings.Contains(text, want+"\n") && !strings.Contains(text, want+" ") {
			t.Errorf("scrape lacks %q:\n%s", want, text)
		}
	}
	if ct := rw.Result().Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
}
