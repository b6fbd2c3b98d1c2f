package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/chromedp/chromedp"

	"github.com/kindling-data/kindling/dataset"
)

// chromium returns the browser to drive: $CHROMIUM, or Debian's chromium. Without one the
// test is skipped, except in CI, which installs it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium on PATH: .ci/run installs Debian's chromium package")
	}
	t.Skip("no Chromium on PATH (apt-get install chromium, or set CHROMIUM)")
	return ""
}

// skewedSession runs a shuffled join where customer 0 holds 30% of the orders, over a
// persisted customers table, in a session serving the UI; it returns the session and the
// join's job.
func skewedSession(t *testing.T) (*dataset.Session, *dataset.JobMetrics) {
	t.Helper()
	s, err := dataset.NewSession(dataset.Config{UIAddr: "127.0.0.1:0", BroadcastThreshold: -1, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	mem := memory.DefaultAllocator
	orderSchema := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64}, {Name: "amount", Type: arrow.PrimitiveTypes.Float64}}, nil)
	var parts [][]arrow.RecordBatch
	for p := range 4 {
		ids, amounts := array.NewInt64Builder(mem), array.NewFloat64Builder(mem)
		for i := range 50_000 {
			id := int64((p*50_000 + i) % 5000)
			if i%10 < 3 {
				id = 0
			}
			ids.Append(id)
			amounts.Append(float64(i%100) + 0.5)
		}
		a, b := ids.NewArray(), amounts.NewArray()
		parts = append(parts, []arrow.RecordBatch{array.NewRecordBatch(orderSchema, []arrow.Array{a, b}, 50_000)})
		a.Release()
		b.Release()
	}
	orders := s.FromPartitions(orderSchema, parts...)
	custSchema := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64}, {Name: "region", Type: arrow.BinaryTypes.String}}, nil)
	ids, regions := array.NewInt64Builder(mem), array.NewStringBuilder(mem)
	for i := range 5000 {
		ids.Append(int64(i))
		regions.Append([]string{"north", "south", "east", "west"}[i%4])
	}
	a, b := ids.NewArray(), regions.NewArray()
	customers := s.FromRecords(array.NewRecordBatch(custSchema, []arrow.Array{a, b}, 5000)).Persist(dataset.MemoryOnly)
	a.Release()
	b.Release()
	recs, err := orders.Join(customers, dataset.On("customer_id"), dataset.Inner).
		GroupBy("region").Agg(dataset.Sum("amount").As("revenue")).Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.Release()
	}
	return s, s.LastJob()
}

// TestUIPagesInChromium opens every page of the live UI in headless Chromium: none logs a
// console error or throws, the job page's stage DAG has a box per stage of the job and its
// timeline a bar per task, and the skewed customer is named. It saves screenshots of the
// main pages (into KINDLING_SCREENSHOTS when set).
func TestUIPagesInChromium(t *testing.T) {
	browser := chromium(t)
	s, job := skewedSession(t)
	shots := os.Getenv("KINDLING_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1400, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first Run starts the browser and its tab, so that the console subscription
	// below sees every message of the pages.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTimeout()
	consoleCtx, stopConsole := context.WithCancel(ctx)
	messages := chromedp.Console(consoleCtx)
	var problems []string
	var wg sync.WaitGroup
	wg.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleLog, "info", "debug":
			default:
				problems = append(problems, fmt.Sprintf("%s: %s", m.Type, m.Text))
			}
		}
	})

	base := "http://" + s.UIAddr()
	jobPath := fmt.Sprintf("/job/%d", job.JobID)
	pages := []struct{ path, shot, want string }{
		{"/", "jobs.jpg", "Finished jobs"},
		{jobPath, "job.jpg", "Stage DAG"},
		{"/storage", "storage.jpg", "MEMORY_ONLY"},
		{"/memory", "memory.jpg", "Budget"},
		{"/plans", "", "Physical Plan"},
		{"/env", "", "UIAddr"},
	}
	for _, p := range pages {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+p.path), chromedp.WaitReady("body")); err != nil {
			t.Fatalf("%s: %v", p.path, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text("main"))
		if err != nil {
			t.Fatalf("%s: %v", p.path, err)
		}
		if !strings.Contains(text, p.want) {
			t.Errorf("%s shows no %q", p.path, p.want)
		}
		if p.shot != "" {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
			if err != nil {
				t.Fatalf("%s: screenshot: %v", p.path, err)
			}
			if err := os.WriteFile(filepath.Join(shots, p.shot), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(base+jobPath), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	stages, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.dag g.stage").length`))
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.timeline rect.task").length`))
	if err != nil {
		t.Fatal(err)
	}
	skew, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll(".skew")).map(e => e.textContent).join("\n")`))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the last page's messages on their way
	stopConsole()
	wg.Wait()
	wantTasks := 0
	for _, st := range job.Stages {
		wantTasks += len(st.Tasks)
	}
	if stages != len(job.Stages) {
		t.Errorf("the stage DAG has %d stages, the job %d", stages, len(job.Stages))
	}
	if tasks != wantTasks {
		t.Errorf("the timeline has %d tasks, the job %d", tasks, wantTasks)
	}
	if !strings.Contains(skew, "customer_id=0 holds 3") {
		t.Errorf("the job page's skew notes %q do not name customer_id=0 at about 30%%", skew)
	}
	for _, p := range problems {
		t.Errorf("browser: %s", p)
	}
}
