package webui

import (
	"slices"
	"time"

	"github.com/kindling-data/kindling/exec"
)

// Quantiles are a metric's summary over a stage's tasks, as Spark's stage page shows it.
type Quantiles struct {
	Metric                       string
	Min, P25, Median, P75, Max   string
	minV, p25V, medV, p75V, maxV int64
}

// quantileMetrics are the task metrics summarized per stage, and how each reads.
var quantileMetrics = []struct {
	name   string
	value  func(*exec.TaskMetrics) int64
	format func(int64) string
}{
	{"Duration", func(t *exec.TaskMetrics) int64 { return int64(t.Duration) }, func(v int64) string { return dur(time.Duration(v)) }},
	{"Rows in", func(t *exec.TaskMetrics) int64 { return t.RowsIn }, count},
	{"Rows out", func(t *exec.TaskMetrics) int64 { return t.RowsOut }, count},
	{"Bytes in", func(t *exec.TaskMetrics) int64 { return t.BytesIn }, size},
	{"Shuffle read", func(t *exec.TaskMetrics) int64 { return t.ShuffleBytesRead }, size},
	{"Shuffle write", func(t *exec.TaskMetrics) int64 { return t.ShuffleBytesWritten }, size},
	{"Spilled", func(t *exec.TaskMetrics) int64 { return t.SpilledBytes }, size},
	{"Peak execution memory", func(t *exec.TaskMetrics) int64 { return t.PeakExecutionMemory }, size},
}

// StageQuantiles summarizes each metric over the stage's tasks: minimum, quartiles,
// median and maximum (nearest rank). Metrics that are zero in every task are left out.
func StageQuantiles(s *exec.StageMetrics) []Quantiles {
	if len(s.Tasks) == 0 {
		return nil
	}
	var out []Quantiles
	vals := make([]int64, len(s.Tasks))
	for _, m := range quantileMetrics {
		for i := range s.Tasks {
			vals[i] = m.value(&s.Tasks[i])
		}
		slices.Sort(vals)
		if vals[0] == 0 && vals[len(vals)-1] == 0 && m.name != "Duration" {
			continue
		}
		q := Quantiles{Metric: m.name, minV: vals[0], p25V: rank(vals, 0.25), medV: rank(vals, 0.5), p75V: rank(vals, 0.75), maxV: vals[len(vals)-1]}
		q.Min, q.P25, q.Median, q.P75, q.Max = m.format(q.minV), m.format(q.p25V), m.format(q.medV), m.format(q.p75V), m.format(q.maxV)
		out = append(out, q)
	}
	return out
}

// rank returns the nearest-rank q-quantile of sorted values.
func rank(sorted []int64, q float64) int64 {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// JobRow is a finished job as the Jobs table lists it.
type JobRow struct {
	ID                int
	Action            string
	Start             string
	Duration          string
	Stages, Tasks     int
	RowsOut           string
	Spilled, Shuffled string
	Failed            bool
	Error             string
}

func jobRow(j *exec.JobMetrics) JobRow {
	t := j.Totals()
	r := JobRow{ID: j.JobID, Action: j.Action, Start: j.Start.Format("15:04:05.000"), Duration: dur(j.Duration),
		Stages: len(j.Stages), RowsOut: "–", Spilled: size(j.Spill.Bytes), Shuffled: size(t.ShuffleBytesWritten)}
	for _, s := range j.Stages {
		r.Tasks += len(s.Tasks)
	}
	if n := len(j.Stages); n > 0 {
		r.RowsOut = count(j.Stages[n-1].Totals().RowsOut)
	}
	if j.Err != nil {
		r.Failed, r.Error = true, j.Err.Error()
	}
	return r
}
