package dataset

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/kindling-data/kindling/exec"
	kmemory "github.com/kindling-data/kindling/memory"
)

// ProgressMode says when a session draws its console progress bar (Config.Progress).
type ProgressMode int

const (
	// ProgressAuto draws it when the progress writer (Config.ProgressWriter, default
	// standard error) is a terminal.
	ProgressAuto ProgressMode = iota
	// ProgressOff never draws it.
	ProgressOff
	// ProgressOn always draws it, terminal or not.
	ProgressOn
)

// String names the mode.
func (m ProgressMode) String() string {
	switch m {
	case ProgressAuto:
		return "auto"
	case ProgressOff:
		return "off"
	case ProgressOn:
		return "on"
	}
	return fmt.Sprintf("ProgressMode(%d)", int(m))
}

// progressShowAfter: a job shorter than this draws no bar (Spark's console progress
// waits half a second too), so quick jobs leave the console alone.
var progressShowAfter = 500 * time.Millisecond

// progressRefresh is how often the bar is redrawn while a job runs.
const progressRefresh = 200 * time.Millisecond

// progressBar draws one line on a terminal for the running job: its stage, a bar of the
// stage's tasks, rows per second and bytes spilled. It is a listener; a goroutine redraws
// it while a job runs and ends with the job.
type progressBar struct {
	out   io.Writer
	width int

	mu      sync.Mutex
	job     *progressJob
	drawn   bool // a line is on screen
	stop    chan struct{}
	stopped chan struct{}
}

type progressJob struct {
	id                   int
	action               string
	start                time.Time
	stages               int
	stage, stageIndex    int
	tasks, done, running int
	rowsIn, spilled      int64
}

// newProgressBar returns the bar for mode over out (os.Stderr when nil), or nil when it
// is off.
func newProgressBar(mode ProgressMode, out io.Writer) *progressBar {
	if out == nil {
		out = os.Stderr
	}
	width := 100
	f, isFile := out.(*os.File)
	tty := isFile && term.IsTerminal(int(f.Fd()))
	if tty {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
			width = w - 1
		}
	}
	if mode == ProgressOff || mode == ProgressAuto && !tty {
		return nil
	}
	return &progressBar{out: out, width: width}
}

// OnEvent follows the running job.
func (p *progressBar) OnEvent(e exec.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := e.(type) {
	case *exec.JobStart:
		p.job = &progressJob{id: e.JobID, action: e.Action, start: e.Time, stages: len(e.Stages)}
		if p.stop == nil {
			p.stop, p.stopped = make(chan struct{}), make(chan struct{})
			go p.redraw(p.stop, p.stopped)
		}
	case *exec.StageStart:
		if j := p.job; j != nil && j.id == e.JobID {
			j.stage, j.tasks, j.done, j.running = e.StageID, e.Tasks, 0, 0
			j.stageIndex++
		}
	case *exec.TaskStart:
		if j := p.job; j != nil && j.id == e.JobID {
			j.running++
		}
	case *exec.TaskEnd:
		if j := p.job; j != nil && j.id == e.JobID {
			j.running--
			if e.Metrics != nil {
				j.done++
				j.rowsIn += e.Metrics.RowsIn
				j.spilled += e.Metrics.SpilledBytes
			}
		}
	case *exec.JobEnd:
		if j := p.job; j != nil && j.id == e.JobID {
			p.job = nil
			p.clearLocked()
			p.stopLocked()
		}
	}
}

func (p *progressBar) redraw(stop, stopped chan struct{}) {
	defer close(stopped)
	t := time.NewTicker(progressRefresh)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			if j := p.job; j != nil && time.Since(j.start) >= progressShowAfter {
				fmt.Fprint(p.out, "\r"+p.line(j, time.Since(j.start)))
				p.drawn = true
			}
			p.mu.Unlock()
		}
	}
}

// line renders the bar: "[job 3 collect] stage 2/3 ▕██████░░░░▏ 14/16 tasks (2 running)
// · 2.1M rows/s · spilled 12.0 MiB · 3.2s", cut to the terminal's width.
func (p *progressBar) line(j *progressJob, elapsed time.Duration) string {
	const barWidth = 20
	filled := 0
	if j.tasks > 0 {
		filled = min(barWidth, barWidth*j.done/j.tasks)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[job %d %s] stage %d/%d ▕%s%s▏ %d/%d tasks", j.id, j.action, max(j.stageIndex, 1), j.stages,
		strings.Repeat("█", filled), strings.Repeat("░", barWidth-filled), j.done, j.tasks)
	if j.running > 0 {
		fmt.Fprintf(&b, " (%d running)", j.running)
	}
	if secs := elapsed.Seconds(); secs > 0 && j.rowsIn > 0 {
		fmt.Fprintf(&b, " · %s rows/s", humanCount(float64(j.rowsIn)/secs))
	}
	if j.spilled > 0 {
		fmt.Fprintf(&b, " · spilled %s", kmemory.FormatBytes(j.spilled))
	}
	fmt.Fprintf(&b, " · %s", elapsed.Round(100*time.Millisecond))
	r := []rune(b.String())
	if len(r) > p.width {
		r = r[:p.width]
	}
	return string(r) + strings.Repeat(" ", p.width-len(r))
}

// clearLocked erases the bar's line, if one is on screen.
func (p *progressBar) clearLocked() {
	if p.drawn {
		fmt.Fprint(p.out, "\r"+strings.Repeat(" ", p.width)+"\r")
		p.drawn = false
	}
}

// stopLocked ends the redrawing goroutine (it takes the lock, so it is not waited for
// here; Close waits).
func (p *progressBar) stopLocked() {
	if p.stop != nil {
		close(p.stop)
		p.stop = nil
	}
}

// Close stops the bar and waits for its goroutine.
func (p *progressBar) Close() {
	p.mu.Lock()
	stopped := p.stopped
	p.stopLocked()
	p.clearLocked()
	p.mu.Unlock()
	if stopped != nil {
		<-stopped
	}
}

// humanCount writes n with a k, M or G suffix.
func humanCount(n float64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fG", n/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", n/1e3)
	}
	return fmt.Sprintf("%.0f", n)
}
