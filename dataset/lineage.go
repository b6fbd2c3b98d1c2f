package dataset

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/kindling-data/kindling/plan"
)

// OpenLineage (https://openlineage.io/spec) run events of the session's writes. A write
// is one run of one job: START before its job runs, COMPLETE or FAIL once its output is
// committed or abandoned. Each event names the write's input datasets (the plan's scans),
// its output directory with the output's schema and column-level lineage, and the SQL
// text the dataset came from. Marquez, and the other OpenLineage consumers, ingest them
// as they are: Config.Lineage.File collects them one JSON object per line, and listeners
// receive them as *LineageEvent.

// The OpenLineage schema versions the events and facets follow.
const (
	lineageProducer       = "https://github.com/kindling-data/kindling"
	lineageRunEventSchema = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
	lineageFacetSchemas   = "https://openlineage.io/spec/facets/"
	lineageWriteSchema    = "https://github.com/kindling-data/kindling/blob/main/docs/lineage.md#kindling_write"
)

// LineageConfig says where the OpenLineage events of the session's writes go, besides
// Config.Listeners, and how their jobs are named.
type LineageConfig struct {
	// File, when set, is the file every write appends its events to, one JSON object a
	// line (created if missing): what Marquez's lineage API and the OpenLineage clients'
	// file transport read. A failure to append is logged, never fails the write.
	File string
	// Namespace is the jobs' OpenLineage namespace (default "kindling").
	Namespace string
	// Job prefixes the job names: a write's job is Job + "." + the base name of its
	// output directory, so that each table has its own job whose runs Marquez lists
	// (default: the program's name).
	Job string
}

// LineageEvent is an OpenLineage run event (RunEvent of spec 2-0-2) of one write. The
// session posts it, as *LineageEvent, to Config.Listeners and appends it to
// Config.Lineage.File; Dataset.Lineage returns one without writing. encoding/json
// renders it as the spec's JSON.
type LineageEvent struct {
	// EventType is START, COMPLETE or FAIL (OTHER from Dataset.Lineage).
	EventType string     `json:"eventType"`
	EventTime time.Time  `json:"eventTime"`
	Run       LineageRun `json:"run"`
	Job       LineageJob `json:"job"`
	// Inputs are the datasets the plan scans: files (namespace "file", named by their
	// absolute path or pattern) and in-memory data (namespace "memory", named by the
	// call that made it, e.g. fromRecords@etl.go:12).
	Inputs []LineageDataset `json:"inputs"`
	// Outputs is the written directory (namespace "file", its absolute path).
	Outputs   []LineageDataset `json:"outputs"`
	Producer  string           `json:"producer"`
	SchemaURL string           `json:"schemaURL"`
}

// When returns the time of the event, so that a LineageEvent is an Event.
func (e *LineageEvent) When() time.Time { return e.EventTime }

// LineageFacet is what every facet carries: what produced it and the JSON schema it
// follows.
type LineageFacet struct {
	Producer  string `json:"_producer"`
	SchemaURL string `json:"_schemaURL"`
}

// LineageRun identifies the run (a UUIDv7, the same in the events of one write).
type LineageRun struct {
	RunID  string           `json:"runId"`
	Facets LineageRunFacets `json:"facets"`
}

// LineageRunFacets are the run's facets.
type LineageRunFacets struct {
	ProcessingEngine *LineageEngineFacet `json:"processing_engine,omitempty"`
	// ErrorMessage is the write's error, in FAIL events.
	ErrorMessage *LineageErrorFacet `json:"errorMessage,omitempty"`
	// Write says which call wrote, and the session's job that ran it.
	Write *LineageWriteFacet `json:"kindling_write,omitempty"`
}

// LineageEngineFacet names the engine that ran the job (ProcessingEngineRunFacet).
type LineageEngineFacet struct {
	LineageFacet
	Version string `json:"version"`
	Name    string `json:"name"`
}

// LineageErrorFacet is why a run failed (ErrorMessageRunFacet).
type LineageErrorFacet struct {
	LineageFacet
	Message             string `json:"message"`
	ProgrammingLanguage string `json:"programmingLanguage"`
}

// LineageWriteFacet is kindling's own run facet: the write's action (writeParquet …),
// format, the user's call site, and the JobID of its JobMetrics (COMPLETE and FAIL
// events of a write whose job ran).
type LineageWriteFacet struct {
	LineageFacet
	Action   string `json:"action"`
	Format   string `json:"format"`
	CallSite string `json:"callSite"`
	JobID    int    `json:"jobId,omitempty"`
}

// LineageJob names the job, in Config.Lineage's namespace.
type LineageJob struct {
	Namespace string           `json:"namespace"`
	Name      string           `json:"name"`
	Facets    LineageJobFacets `json:"facets"`
}

// LineageJobFacets are the job's facets.
type LineageJobFacets struct {
	JobType *LineageJobTypeFacet `json:"jobType,omitempty"`
	// SQL is the query of Session.SQL the written dataset came from.
	SQL *LineageSQLFacet `json:"sql,omitempty"`
}

// LineageJobTypeFacet says the job is a batch job run by kindling (JobTypeJobFacet).
type LineageJobTypeFacet struct {
	LineageFacet
	ProcessingType string `json:"processingType"`
	Integration    string `json:"integration"`
	JobType        string `json:"jobType"`
}

// LineageSQLFacet is the SQL text of the job (SQLJobFacet).
type LineageSQLFacet struct {
	LineageFacet
	Query   string `json:"query"`
	Dialect string `json:"dialect,omitempty"`
}

// LineageDataset is an input or output dataset.
type LineageDataset struct {
	Namespace    string               `json:"namespace"`
	Name         string               `json:"name"`
	Facets       LineageDatasetFacets `json:"facets"`
	OutputFacets *LineageOutputFacets `json:"outputFacets,omitempty"`
}

// LineageDatasetFacets are a dataset's facets: its schema, and for the output the
// lineage of each column.
type LineageDatasetFacets struct {
	Schema        *LineageSchemaFacet        `json:"schema,omitempty"`
	ColumnLineage *LineageColumnLineageFacet `json:"columnLineage,omitempty"`
}

// LineageSchemaFacet is a dataset's columns (SchemaDatasetFacet).
type LineageSchemaFacet struct {
	LineageFacet
	Fields []LineageSchemaField `json:"fields"`
}

// LineageSchemaField is a column: its name, its Arrow type, and the fields of a struct
// or the element of a list.
type LineageSchemaField struct {
	Name   string               `json:"name"`
	Type   string               `json:"type"`
	Fields []LineageSchemaField `json:"fields,omitempty"`
}

// LineageColumnLineageFacet says, for each output column, the input fields it derives
// from, and which input fields affect the whole output (filters, join and group keys,
// sort and window keys): ColumnLineageDatasetFacet.
type LineageColumnLineageFacet struct {
	LineageFacet
	Fields  map[string]LineageColumnInputs `json:"fields"`
	Dataset []LineageInputField            `json:"dataset,omitempty"`
}

// LineageColumnInputs are the input fields one output column derives from (none for a
// literal or count(*)).
type LineageColumnInputs struct {
	InputFields []LineageInputField `json:"inputFields"`
}

// LineageInputField is a field of an input dataset and how it reaches the output.
type LineageInputField struct {
	Namespace       string                  `json:"namespace"`
	Name            string                  `json:"name"`
	Field           string                  `json:"field"`
	Transformations []LineageTransformation `json:"transformations"`
}

// LineageTransformation is how an input field reaches the output: DIRECT (its values
// flow into the column) with subtype IDENTITY (copied), TRANSFORMATION (computed from) or
// AGGREGATION (aggregated), or INDIRECT (it decides which rows there are) with subtype
// FILTER, JOIN, GROUP_BY, SORT or WINDOW. Masking is true when every path from the field
// to the column goes through a hash or mask (Token, HmacSha256, Sha2, Mask …).
type LineageTransformation struct {
	Type    string `json:"type"`
	Subtype string `json:"subtype"`
	Masking bool   `json:"masking"`
}

// LineageOutputFacets are the output dataset's facets of one run.
type LineageOutputFacets struct {
	OutputStatistics *LineageOutputStatisticsFacet `json:"outputStatistics,omitempty"`
}

// LineageOutputStatisticsFacet counts what the run wrote: rows, and the bytes and number
// of the files it added (OutputStatisticsOutputDatasetFacet). COMPLETE events only.
type LineageOutputStatisticsFacet struct {
	LineageFacet
	RowCount  int64 `json:"rowCount"`
	Size      int64 `json:"size"`
	FileCount int64 `json:"fileCount"`
}

// Lineage returns the OpenLineage event a write of d to dir would post, without running
// anything: its inputs, the output with its schema and column lineage, and the job. Its
// EventType is OTHER and it has a fresh run ID. Planning reads metadata (a CSV header,
// Parquet footers), never data.
func (d *Dataset) Lineage(dir string) (*LineageEvent, error) {
	ev, err := d.lineageEvent(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: lineage: %w", err)
	}
	ev.EventType = "OTHER"
	return ev, nil
}

// lineageEvent builds the parts of a write's events that do not change during the run.
func (d *Dataset) lineageEvent(dir string) (*LineageEvent, error) {
	if d.err != nil {
		return nil, d.err
	}
	if err := d.s.checkOpen(); err != nil {
		return nil, err
	}
	analyzed, err := plan.Analyze(d.node)
	if err != nil {
		return nil, err
	}
	out, err := absPath(dir)
	if err != nil {
		return nil, err
	}
	cols := walkLineage(analyzed)
	cfg := d.s.cfg.Lineage
	ev := &LineageEvent{
		EventTime: time.Now().UTC(),
		Run: LineageRun{RunID: newRunID(), Facets: LineageRunFacets{
			ProcessingEngine: &LineageEngineFacet{LineageFacet: facet("1-1-1/ProcessingEngineRunFacet"),
				Version: kindlingVersion(), Name: "kindling"}}},
		Job: LineageJob{Namespace: orDefault(cfg.Namespace, "kindling"), Name: lineageJobName(cfg.Job, out),
			Facets: LineageJobFacets{JobType: &LineageJobTypeFacet{LineageFacet: facet("2-0-3/JobTypeJobFacet"),
				ProcessingType: "BATCH", Integration: "KINDLING", JobType: "JOB"}}},
		Inputs: cols.inputDatasets(),
		Outputs: []LineageDataset{{Namespace: "file", Name: out, Facets: LineageDatasetFacets{
			Schema:        schemaFacet(analyzed),
			ColumnLineage: cols.columnFacet(analyzed),
		}}},
		Producer:  lineageProducer,
		SchemaURL: lineageRunEventSchema,
	}
	if q := strings.TrimSpace(d.sql); q != "" {
		ev.Job.Facets.SQL = &LineageSQLFacet{LineageFacet: facet("1-1-0/SQLJobFacet"), Query: q, Dialect: "spark"}
	}
	return ev, nil
}

// facet stamps a standard facet with its schema's URL, "version/Name" naming both the
// file and its definition, as the spec's URLs do.
func facet(schema string) LineageFacet {
	name := schema[strings.IndexByte(schema, '/')+1:]
	return LineageFacet{Producer: lineageProducer, SchemaURL: lineageFacetSchemas + schema + ".json#/$defs/" + name}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// lineageJobName names a write's job after the table it writes, so that writes of
// different tables from one program stay apart and reruns of one are runs of one job.
func lineageJobName(prefix, out string) string {
	if prefix == "" {
		prefix = strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	}
	return prefix + "." + filepath.Base(out)
}

// absPath makes a local path absolute and clean, as OpenLineage names files; a URL
// (s3://…) is left as it is.
func absPath(p string) (string, error) {
	if strings.Contains(p, "://") {
		return p, nil
	}
	return filepath.Abs(p)
}

// newRunID returns a UUIDv7: run IDs sort by start time, as OpenLineage recommends.
func newRunID() string {
	var u [16]byte
	ms := uint64(time.Now().UnixMilli())
	binary.BigEndian.PutUint64(u[:8], ms<<16)
	_, _ = rand.Read(u[6:])
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// kindlingVersion is the module version the program was built with ("devel" in a
// checkout, where the build records none).
var kindlingVersion = sync.OnceValue(func() string {
	const module = "github.com/kindling-data/kindling"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if bi.Main.Path == module && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	for _, m := range bi.Deps {
		if m.Path == module && m.Version != "" && m.Version != "(devel)" {
			return m.Version
		}
	}
	return "devel"
})

// lineageRun is one write's run between its START and its COMPLETE or FAIL event.
type lineageRun struct {
	s      *Session
	ev     *LineageEvent
	action string
	start  time.Time
	// before are the output directory's files when the run started, so that the
	// statistics count only what the run added or rewrote.
	before map[string]fileStamp
}

// startLineage posts the START event of a write of d to dir, when the session has
// listeners or a lineage file, and returns the run that finish ends (nil otherwise, or
// when the event cannot be built: lineage never fails a write).
func (d *Dataset) startLineage(action, dir, format, jobName string) *lineageRun {
	if !d.s.bus.Active() && d.s.cfg.Lineage.File == "" {
		return nil
	}
	ev, err := d.lineageEvent(dir)
	if err != nil {
		d.s.cfg.Logger.Warn("dataset: no lineage for the write", "action", action, "dir", dir, "error", err)
		return nil
	}
	ev.EventType = "START"
	if jobName != "" {
		ev.Job.Name = jobName
	}
	ev.Run.Facets.Write = &LineageWriteFacet{LineageFacet: LineageFacet{Producer: lineageProducer, SchemaURL: lineageWriteSchema},
		Action: action, Format: format, CallSite: callSite(action)}
	r := &lineageRun{s: d.s, ev: ev, action: action, start: time.Now(), before: d.s.outputFiles(ev.Outputs[0].Name)}
	r.emit(ev)
	return r
}

// finish posts the run's COMPLETE event when err is nil, with what it wrote, and its
// FAIL event otherwise. A nil run does nothing.
func (r *lineageRun) finish(err error) {
	if r == nil {
		return
	}
	ev := *r.ev
	ev.EventTime = time.Now().UTC()
	ev.Outputs = append([]LineageDataset(nil), r.ev.Outputs...)
	write := *r.ev.Run.Facets.Write
	ev.Run.Facets.Write = &write
	job := r.s.writeJob(r.action, r.start)
	if job != nil {
		write.JobID = job.JobID
	}
	if err != nil {
		ev.EventType = "FAIL"
		ev.Run.Facets.ErrorMessage = &LineageErrorFacet{LineageFacet: facet("1-0-1/ErrorMessageRunFacet"),
			Message: err.Error(), ProgrammingLanguage: "go"}
		r.emit(&ev)
		return
	}
	ev.EventType = "COMPLETE"
	stats := &LineageOutputStatisticsFacet{LineageFacet: facet("1-0-2/OutputStatisticsOutputDatasetFacet")}
	if job != nil {
		for i := range job.Stages {
			if job.Stages[i].Kind == "result" {
				stats.RowCount += job.Stages[i].Totals().RowsOut
			}
		}
	}
	for path, st := range r.s.outputFiles(ev.Outputs[0].Name) {
		if old, ok := r.before[path]; !ok || old.size != st.size || !old.modTime.Equal(st.modTime) {
			stats.Size += st.size
			stats.FileCount++
		}
	}
	ev.Outputs[0].OutputFacets = &LineageOutputFacets{OutputStatistics: stats}
	r.emit(&ev)
}

// writeJob finds the metrics of the write's job: the latest job of its action that
// started after the run did (a rerun after a lost cache is the one that wrote).
func (s *Session) writeJob(action string, start time.Time) *JobMetrics {
	jobs := s.Jobs()
	for i := len(jobs) - 1; i >= 0; i-- {
		if j := jobs[i]; j.Action == action && !j.Start.Before(start) {
			return j
		}
	}
	return nil
}

// emit delivers ev to the listeners and appends it to the lineage file.
func (r *lineageRun) emit(ev *LineageEvent) {
	if r.s.bus.Active() {
		r.s.bus.Post(ev)
	}
	if path := r.s.cfg.Lineage.File; path != "" {
		if err := appendLineage(path, ev); err != nil {
			r.s.cfg.Logger.Warn("dataset: lineage event not written", "file", path, "error", err)
		}
	}
}

// lineageFileMu keeps each event's line whole when writes of several sessions append to
// one file.
var lineageFileMu sync.Mutex

func appendLineage(path string, ev *LineageEvent) error {
	line, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	lineageFileMu.Lock()
	defer lineageFileMu.Unlock()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	// One write per line: with O_APPEND, other processes' lines never split it.
	if _, err := f.Write(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fileStamp is what tells a file rewritten by a run from one it left alone.
type fileStamp struct {
	size    int64
	modTime time.Time
}

// outputFiles lists the data files under dir (partition directories included; hidden
// and underscore-prefixed names, such as a committer's staging, left out).
func (s *Session) outputFiles(dir string) map[string]fileStamp {
	out := map[string]fileStamp{}
	var walk func(string)
	walk = func(d string) {
		entries, err := s.fs.ReadDir(d)
		if err != nil {
			return
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") {
				continue
			}
			p := filepath.Join(d, e.Name())
			if e.IsDir() {
				walk(p)
				continue
			}
			if info, err := e.Info(); err == nil {
				out[p] = fileStamp{size: info.Size(), modTime: info.ModTime()}
			}
		}
	}
	walk(dir)
	return out
}
