package webui

import (
	"fmt"
	"html"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kindling-data/kindling/exec"
	kmemory "github.com/kindling-data/kindling/memory"
)

// stageColors tells the stages of a job apart in the DAG and the timeline.
var stageColors = []string{"#4c6ef5", "#e4572e", "#17a589", "#f0a202", "#7b5ea7", "#2e86c1", "#c0392b", "#76b041"}

func stageColor(i int) string { return stageColors[i%len(stageColors)] }

// esc escapes text for SVG inside HTML.
func esc(s string) string { return html.EscapeString(s) }

// DAG layout constants, in SVG user units.
const (
	dagNodeWidth  = 280
	dagColumnGap  = 70
	dagRowGap     = 24
	dagLineHeight = 15
	dagMaxOps     = 8
	dagMaxChars   = 40
)

// stageDepths returns each stage's column: 0 for a stage reading no shuffle, else one more
// than its deepest parent.
func stageDepths(stages []exec.StageMetrics) map[int]int {
	byID := map[int]*exec.StageMetrics{}
	for i := range stages {
		byID[stages[i].StageID] = &stages[i]
	}
	depth := map[int]int{}
	var visit func(id int, seen int) int
	visit = func(id int, seen int) int {
		if d, ok := depth[id]; ok {
			return d
		}
		d := 0
		if s := byID[id]; s != nil && seen < len(stages) {
			for _, p := range s.Parents {
				d = max(d, visit(p, seen+1)+1)
			}
		}
		depth[id] = d
		return d
	}
	for _, s := range stages {
		visit(s.StageID, 0)
	}
	return depth
}

// dagNode is a stage's box in the DAG.
type dagNode struct {
	stage         *exec.StageMetrics
	color         string
	x, y, w, h    int
	lines, detail []string
}

// StageDAG draws a job's stages as boxes, shuffles as arrows from the stage that writes
// them to the stages that read them. Each box names the stage, its kind and tasks, its
// pipeline's operators, and its rows and bytes in and out.
func StageDAG(job *exec.JobMetrics) template.HTML {
	if len(job.Stages) == 0 {
		return ""
	}
	depth := stageDepths(job.Stages)
	columns := map[int][]*dagNode{}
	nodes := map[int]*dagNode{}
	maxDepth := 0
	for i := range job.Stages {
		s := &job.Stages[i]
		t := s.Totals()
		n := &dagNode{stage: s, color: stageColor(i), w: dagNodeWidth}
		n.lines = append(n.lines, fmt.Sprintf("Stage %d · %s · %d %s", s.StageID, s.Kind, len(s.Tasks), plural(len(s.Tasks), "task", "tasks")))
		ops := s.Operators
		if len(ops) > dagMaxOps {
			ops = append(slices.Clone(ops[:dagMaxOps-1]), fmt.Sprintf("… %d more operators", len(s.Operators)-dagMaxOps+1))
		}
		for k, op := range ops {
			line := clip(op, dagMaxChars)
			if k < len(s.OperatorRows) && (len(ops) == len(s.Operators) || k < len(ops)-1) {
				line = clip(op, dagMaxChars-10) + " " + shortCount(s.OperatorRows[k])
			}
			n.lines = append(n.lines, line)
		}
		n.detail = append(n.detail, fmt.Sprintf("rows %s → %s", count(t.RowsIn), count(t.RowsOut)))
		n.detail = append(n.detail, fmt.Sprintf("in %s, out %s, %s", size(t.BytesIn), size(t.BytesOut), dur(s.Duration)))
		if t.ShuffleBytesWritten > 0 || t.ShuffleBytesRead > 0 {
			n.detail = append(n.detail, fmt.Sprintf("shuffle read %s, write %s", size(t.ShuffleBytesRead), size(t.ShuffleBytesWritten)))
		}
		if t.SpilledBytes > 0 {
			n.detail = append(n.detail, fmt.Sprintf("spilled %s", size(t.SpilledBytes)))
		}
		for _, sk := range s.Skew {
			line := fmt.Sprintf("skew: partition %d %s", sk.Partition, pct(sk.Share))
			if len(sk.Keys) > 0 {
				line += ": " + sk.Keys[0].Key + " " + pct(sk.Keys[0].Share)
			}
			n.detail = append(n.detail, "!"+clip(line, dagMaxChars))
		}
		n.h = (len(n.lines)+len(n.detail))*dagLineHeight + 14
		d := depth[s.StageID]
		maxDepth = max(maxDepth, d)
		columns[d] = append(columns[d], n)
		nodes[s.StageID] = n
	}
	width, height := 0, 0
	for d := 0; d <= maxDepth; d++ {
		y := 10
		for _, n := range columns[d] {
			n.x, n.y = 10+d*(dagNodeWidth+dagColumnGap), y
			y += n.h + dagRowGap
		}
		width = 10 + (d+1)*(dagNodeWidth+dagColumnGap)
		height = max(height, y)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="stage DAG of job %d">`,
		width, height, width, height, job.JobID)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>`)
	for i := range job.Stages {
		child := nodes[job.Stages[i].StageID]
		for _, p := range job.Stages[i].Parents {
			parent := nodes[p]
			if parent == nil {
				continue
			}
			x1, y1 := parent.x+parent.w, parent.y+parent.h/2
			x2, y2 := child.x, child.y+child.h/2
			fmt.Fprintf(&b, `<path class="edge" data-from="%d" data-to="%d" d="M %d %d C %d %d, %d %d, %d %d" fill="none" stroke="#555" stroke-width="1.5" marker-end="url(#arrow)"/>`,
				p, child.stage.StageID, x1, y1, x1+dagColumnGap/2, y1, x2-dagColumnGap/2, y2, x2-2, y2)
		}
	}
	for i := range job.Stages {
		n := nodes[job.Stages[i].StageID]
		fmt.Fprintf(&b, `<g class="stage" data-stage="%d"><title>%s</title>`, n.stage.StageID, esc(strings.Join(n.stage.Operators, "\n")))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="#fff" stroke="%s" stroke-width="2"/>`, n.x, n.y, n.w, n.h, n.color)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s"/>`, n.x, n.y, n.w, dagLineHeight+6, n.color)
		y := n.y + dagLineHeight
		for k, line := range n.lines {
			cls := "op"
			if k == 0 {
				cls = "head"
			}
			fmt.Fprintf(&b, `<text class="%s" x="%d" y="%d">%s</text>`, cls, n.x+8, y, esc(line))
			y += dagLineHeight
		}
		for _, line := range n.detail {
			cls := "metric"
			if rest, ok := strings.CutPrefix(line, "!"); ok {
				cls, line = "skew", rest
			}
			fmt.Fprintf(&b, `<text class="%s" x="%d" y="%d">%s</text>`, cls, n.x+8, y, esc(line))
			y += dagLineHeight
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from escaped text only
}

// Timeline layout constants.
const (
	ganttWidth      = 900
	ganttLabelWidth = 60
	ganttLane       = 18
)

// taskBar is one task on the timeline.
type taskBar struct {
	stage, stageIndex, partition, attempt int
	start, end                            time.Duration
	rows                                  int64
}

// TaskTimeline draws every task of a job as a bar from its start to its end, on as few
// lanes as let no two bars overlap (about one lane per worker), colored by stage.
func TaskTimeline(job *exec.JobMetrics) template.HTML {
	var bars []taskBar
	var end time.Duration
	for i, s := range job.Stages {
		for _, t := range s.Tasks {
			if t.Start.IsZero() {
				continue
			}
			b := taskBar{stage: s.StageID, stageIndex: i, partition: t.Partition, attempt: t.Attempt,
				start: t.Start.Sub(job.Start), rows: t.RowsOut}
			b.end = b.start + t.Duration
			end = max(end, b.end)
			bars = append(bars, b)
		}
	}
	if len(bars) == 0 {
		return ""
	}
	end = max(end, job.Duration, time.Microsecond)
	slices.SortStableFunc(bars, func(a, b taskBar) int { return int(a.start - b.start) })
	var laneEnds []time.Duration
	lanes := make([]int, len(bars))
	for i, b := range bars {
		lane := slices.IndexFunc(laneEnds, func(e time.Duration) bool { return e <= b.start })
		if lane < 0 {
			lane = len(laneEnds)
			laneEnds = append(laneEnds, 0)
		}
		laneEnds[lane] = b.end
		lanes[i] = lane
	}
	height := len(laneEnds)*ganttLane + 30
	scale := float64(ganttWidth-ganttLabelWidth-10) / float64(end)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="task timeline of job %d">`,
		ganttWidth, height, ganttWidth, height, job.JobID)
	for l := range laneEnds {
		fmt.Fprintf(&sb, `<text class="lane" x="4" y="%d">lane %d</text>`, 12+l*ganttLane+ganttLane/2, l+1)
	}
	for i, b := range bars {
		x := ganttLabelWidth + int(float64(b.start)*scale)
		w := max(1, int(float64(b.end-b.start)*scale))
		y := 4 + lanes[i]*ganttLane
		fmt.Fprintf(&sb, `<rect class="task" data-stage="%d" data-partition="%d" x="%d" y="%d" width="%d" height="%d" fill="%s"><title>stage %d task %d (attempt %d): %s from %s, %s rows out</title></rect>`,
			b.stage, b.partition, x, y, w, ganttLane-4, stageColor(b.stageIndex), b.stage, b.partition, b.attempt, dur(b.end-b.start), dur(b.start), count(b.rows))
	}
	axisY := len(laneEnds)*ganttLane + 20
	for k := 0; k <= 4; k++ {
		x := ganttLabelWidth + k*(ganttWidth-ganttLabelWidth-10)/4
		anchor := [...]string{"start", "middle", "middle", "middle", "end"}[k]
		fmt.Fprintf(&sb, `<text class="axis" x="%d" y="%d" text-anchor="%s">%s</text>`, x, axisY, anchor, dur(end*time.Duration(k)/4))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// MemoryChart draws the session's memory over the jobs' timelines: execution and storage
// memory in use, the bytes spilled so far, and the budget.
func MemoryChart(jobs []*exec.JobMetrics) template.HTML {
	var samples []exec.MemorySample
	for _, j := range jobs {
		samples = append(samples, j.MemoryTimeline...)
	}
	if len(samples) == 0 {
		return ""
	}
	slices.SortStableFunc(samples, func(a, b exec.MemorySample) int { return a.Time.Compare(b.Time) })
	t0, t1 := samples[0].Time, samples[len(samples)-1].Time
	span := max(t1.Sub(t0), time.Millisecond)
	top := int64(1)
	spilled0 := samples[0].SpilledBytes
	for _, s := range samples {
		top = max(top, s.Limit, s.Execution+s.Storage, s.SpilledBytes-spilled0)
	}
	const w, h, left, bottom = 900, 260, 70, 30
	x := func(t time.Time) int { return left + int(float64(t.Sub(t0))/float64(span)*float64(w-left-10)) }
	y := func(v int64) int { return h - bottom - int(float64(v)/float64(top)*float64(h-bottom-10)) }
	series := []struct {
		name, color string
		value       func(exec.MemorySample) int64
	}{
		{"execution", "#e4572e", func(s exec.MemorySample) int64 { return s.Execution }},
		{"storage", "#4c6ef5", func(s exec.MemorySample) int64 { return s.Storage }},
		{"spilled (on disk, this view)", "#7b5ea7", func(s exec.MemorySample) int64 { return s.SpilledBytes - spilled0 }},
		{"budget", "#555", func(s exec.MemorySample) int64 { return s.Limit }},
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="memory" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="memory over time">`, w, h, w, h)
	for i, s := range series {
		var pts []string
		for _, m := range samples {
			pts = append(pts, strconv.Itoa(x(m.Time))+","+strconv.Itoa(y(s.value(m))))
		}
		dash := ""
		if s.name == "budget" {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<polyline class="series" data-series="%s" fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`, esc(s.name), s.color, dash, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text class="legend" x="%d" y="%d">%s</text>`,
			left+10+i*190, 4, s.color, left+24+i*190, 13, esc(s.name))
	}
	for k := 0; k <= 4; k++ {
		v := top * int64(k) / 4
		fmt.Fprintf(&b, `<text class="axis" x="4" y="%d">%s</text>`, y(v)+4, size(v))
	}
	fmt.Fprintf(&b, `<text class="axis" x="%d" y="%d">0</text><text class="axis" x="%d" y="%d" text-anchor="end">%s</text>`, left, h-8, w-10, h-8, dur(span))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// shortCount writes n in at most five characters and a unit: 950, 12.3k, 4.5M.
func shortCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fG", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return strconv.FormatInt(n, 10)
}

// pct writes a share as a percentage.
func pct(f float64) string {
	if f < 0.1 {
		return fmt.Sprintf("%.1f%%", 100*f)
	}
	return fmt.Sprintf("%.0f%%", 100*f)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func size(n int64) string { return kmemory.FormatBytes(n) }

// count writes n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// dur rounds d for reading.
func dur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(10 * time.Microsecond).String()
	}
}
