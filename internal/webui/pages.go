package webui

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"time"

	"github.com/kindling-data/kindling/exec"
	kmemory "github.com/kindling-data/kindling/memory"
)

//go:embed assets/style.css templates/*.html
var assets embed.FS

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"dag":       StageDAG,
	"timeline":  TaskTimeline,
	"quantiles": StageQuantiles,
	"totals":    func(s exec.StageMetrics) exec.TaskMetrics { return s.Totals() },
	"operators": stageOperatorRows,
	"bytes":     size,
	"count":     count,
	"dur":       dur,
	"percent": func(done, all int) int {
		if all <= 0 {
			return 0
		}
		return 100 * done / all
	},
}).ParseFS(assets, "templates/*.html"))

var style = func() template.CSS {
	b, err := assets.ReadFile("assets/style.css")
	if err != nil {
		panic(err) // embedded at build time
	}
	return template.CSS(b) // our own file
}()

// page is what every template gets.
type page struct {
	Title     string
	Style     template.CSS
	Nav       []navLink
	Refresh   int // seconds; 0: none
	Report    bool
	Generated string

	Running []RunningJob
	Jobs    []JobRow
	Job     *jobView
	Details []*jobView
	Storage []StorageRow
	Memory  memoryView
	Env     [][2]string
	Advice  []string
}

type navLink struct {
	Href, Label string
	Current     bool
}

// jobView is one job's detail: its metrics and their drawings.
type jobView struct {
	Row     JobRow
	Metrics *exec.JobMetrics
}

// memoryView is the Memory page: the chart and the manager's numbers now.
type memoryView struct {
	Chart template.HTML
	Stats kmemory.Stats
}

// livePages are the UI's pages, in the navigation's order.
var livePages = []struct{ path, label string }{
	{"/", "Jobs"}, {"/storage", "Storage"}, {"/memory", "Memory"}, {"/plans", "Plans"}, {"/env", "Environment"},
}

func nav(current string) []navLink {
	out := make([]navLink, len(livePages))
	for i, p := range livePages {
		out[i] = navLink{Href: p.path, Label: p.label, Current: p.path == current}
	}
	return out
}

func jobRows(jobs []*exec.JobMetrics) []JobRow {
	rows := make([]JobRow, len(jobs))
	for i, j := range jobs {
		rows[len(jobs)-1-i] = jobRow(j) // newest first
	}
	return rows
}

func storageView(src Source) []StorageRow { return src.Storage() }

// WriteReport writes one self-contained HTML page with everything the UI's pages show:
// the jobs, each job's stage DAG, task timeline, stage summaries and plans, the cached
// datasets, memory over time and the configuration.
func WriteReport(w io.Writer, src Source, title string) error {
	jobs := src.Jobs()
	p := page{Title: title, Style: style, Report: true, Generated: time.Now().Format(time.RFC1123),
		Jobs: jobRows(jobs), Storage: storageView(src), Env: src.Environment(), Advice: src.Advice(),
		Memory: memoryView{Chart: MemoryChart(jobs), Stats: src.Memory()}}
	for _, j := range slices.Backward(jobs) {
		p.Details = append(p.Details, &jobView{Row: jobRow(j), Metrics: j})
	}
	return pageTemplates.ExecuteTemplate(w, "report.html", p)
}

// livePage renders one page of the live UI.
func livePage(w io.Writer, name, path string, src Source, tr *Tracker, fill func(*page) error) error {
	p := page{Title: "kindling", Style: style, Nav: nav(path), Generated: time.Now().Format("15:04:05")}
	p.Running = tr.Running()
	if len(p.Running) > 0 {
		p.Refresh = 2
	}
	if fill != nil {
		if err := fill(&p); err != nil {
			return err
		}
	}
	return pageTemplates.ExecuteTemplate(w, name, p)
}

// operatorRow is one line of a stage's pipeline with the rows its operator output.
type operatorRow struct {
	Operator string
	Rows     string
}

func stageOperatorRows(s exec.StageMetrics) []operatorRow {
	out := make([]operatorRow, len(s.Operators))
	for i, op := range s.Operators {
		out[i] = operatorRow{Operator: op, Rows: "–"}
		if i < len(s.OperatorRows) {
			out[i].Rows = count(s.OperatorRows[i])
		}
	}
	return out
}

// findJob returns the finished job with the given ID.
func findJob(src Source, id int) (*exec.JobMetrics, error) {
	for _, j := range src.Jobs() {
		if j.JobID == id {
			return j, nil
		}
	}
	return nil, fmt.Errorf("no finished job %d", id)
}
