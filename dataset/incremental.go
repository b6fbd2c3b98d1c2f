package dataset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/datasource"
	"github.com/kindling-data/kindling/internal/vfs"
)

// IncrementalLoad is one named load into a target table that reads only what arrived
// since its last run: rows past a watermark on a column (Since), or files it has not
// loaded yet (NewFiles). Its state lives in the target, in the table's state file
// (_kindling_state.json), and a write with CommitLoad commits the new state in the same
// commit as the data: a failed run leaves the state as it was, so the next run loads the
// same rows again, and a committed one never loads them twice.
//
// One run at a time per load: two concurrent runs of the same load would both start
// from the same state.
type IncrementalLoad struct {
	s      *Session
	target string // absolute
	name   string

	mu        sync.Mutex
	committed loadState // as of the last commit seen
	pending   loadState // what the next CommitLoad write records
}

// tableState is the state file's content: every load into the table, by name.
type tableState struct {
	Version int                   `json:"version"`
	Loads   map[string]*loadState `json:"loads"`
}

type loadState struct {
	Watermark *Watermark        `json:"watermark,omitempty"`
	Files     []string          `json:"files,omitempty"`
	Cursors   map[string]string `json:"cursors,omitempty"`
	Runs      int               `json:"runs"`
	LastRun   time.Time         `json:"lastRun,omitzero"`
}

// Watermark is the largest value of a column a load has loaded.
type Watermark struct {
	Column string `json:"column"`
	// Type is the column's type: int64, float64, string, date32 or timestamp (UTC
	// microseconds in Int).
	Type  string  `json:"type"`
	Int   int64   `json:"int,omitempty"`
	Float float64 `json:"float,omitempty"`
	Text  string  `json:"text"` // the value as text (also the value of a string column)
}

// IncrementalLoad opens the load named name into the table directory target (which may
// not exist yet), reading its state.
func (s *Session) IncrementalLoad(target, name string) (*IncrementalLoad, error) {
	abs, err := filepath.Abs(target)
	if err != nil {
		return nil, fmt.Errorf("dataset: IncrementalLoad: %w", err)
	}
	l := &IncrementalLoad{s: s, target: abs, name: name}
	st, err := readTableState(s.fs, abs)
	if err != nil {
		return nil, err
	}
	if ls := st.Loads[name]; ls != nil {
		l.committed = *ls
	}
	l.pending = cloneLoadState(l.committed)
	return l, nil
}

func readTableState(fsys vfs.FS, dir string) (*tableState, error) {
	st := &tableState{Version: 1, Loads: map[string]*loadState{}}
	datasource.RecoverOutput(fsys, dir) // finish a committed job whose process died
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, datasource.StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: reading load state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("dataset: %s: damaged load state: %w", filepath.Join(dir, datasource.StateFile), err)
	}
	if st.Loads == nil {
		st.Loads = map[string]*loadState{}
	}
	return st, nil
}

func cloneLoadState(ls loadState) loadState {
	out := ls
	out.Files = slices.Clone(ls.Files)
	out.Cursors = maps.Clone(ls.Cursors)
	if ls.Watermark != nil {
		w := *ls.Watermark
		out.Watermark = &w
	}
	return out
}

// Watermark returns the watermark of the load's last committed run, if any.
func (l *IncrementalLoad) Watermark() (Watermark, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.committed.Watermark == nil {
		return Watermark{}, false
	}
	return *l.committed.Watermark, true
}

// LoadedFiles returns the files the load's committed runs have loaded (absolute paths).
func (l *IncrementalLoad) LoadedFiles() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.committed.Files)
}

// Runs is the number of committed runs of the load.
func (l *IncrementalLoad) Runs() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.committed.Runs
}

// Cursor returns the value of a named position the load's last committed run recorded
// with SetCursor: where a source of another kind (a table's snapshot id, a queue's
// offset) was read up to.
func (l *IncrementalLoad) Cursor(name string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.committed.Cursors[name]
	return v, ok
}

// SetCursor records a named position for the next CommitLoad write to commit with its
// data; Cursor returns it from then on.
func (l *IncrementalLoad) SetCursor(name, value string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending.Cursors == nil {
		l.pending.Cursors = map[string]string{}
	}
	l.pending.Cursors[name] = value
}

// NewFiles returns the files matching patterns (as ReadCSV and the other readers expand
// them) that the load has not loaded, sorted, and records them to be marked loaded by
// the next CommitLoad write. None is not an error.
func (l *IncrementalLoad) NewFiles(patterns ...string) ([]string, error) {
	files, err := datasource.ExpandPaths(patterns)
	if err != nil {
		return nil, fmt.Errorf("dataset: IncrementalLoad %s: %w", l.name, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, f := range files {
		abs, err := absPath(f) // a gs:// object keeps its URL
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		if !slices.Contains(l.committed.Files, abs) {
			out = append(out, f)
			if !slices.Contains(l.pending.Files, abs) {
				l.pending.Files = append(l.pending.Files, abs)
			}
		}
	}
	slices.Sort(l.pending.Files)
	return out, nil
}

// Since returns the rows of d whose column is past the load's watermark (all rows on the
// first run) and not past the largest value d holds now, which becomes the watermark the
// next CommitLoad write records. Bounding both ends means rows that arrive while the run
// goes are left for the next run rather than loaded now and again later. It runs one job
// (the largest value); NULLs in column are never loaded. The column must be an integer,
// float, string, date or timestamp column.
func (l *IncrementalLoad) Since(ctx context.Context, d *Dataset, column string) (*Dataset, error) {
	l.mu.Lock()
	last := l.committed.Watermark
	l.mu.Unlock()
	if last != nil && last.Column != column {
		return nil, fmt.Errorf("dataset: IncrementalLoad %s: the watermark is on column %q, not %q", l.name, last.Column, column)
	}
	fresh := d
	if last != nil {
		fresh = d.Filter(Col(column).Gt(last.literal()))
	}
	recs, err := fresh.GroupBy().Agg(Max(column).As("m")).Collect(ctx)
	if err != nil {
		return nil, fmt.Errorf("dataset: IncrementalLoad %s: watermark of %s: %w", l.name, column, err)
	}
	defer releaseAll(recs)
	var next *Watermark
	for _, r := range recs {
		if r.NumRows() > 0 && r.Column(0).IsValid(0) {
			if next, err = watermarkOf(column, r.Column(0)); err != nil {
				return nil, fmt.Errorf("dataset: IncrementalLoad %s: %w", l.name, err)
			}
		}
	}
	if next == nil {
		// Nothing new: the watermark stays, and so does the empty result.
		return fresh.Filter(Lit(false)), nil
	}
	l.mu.Lock()
	l.pending.Watermark = next
	l.mu.Unlock()
	return fresh.Filter(Col(column).Le(next.literal())), nil
}

func watermarkOf(column string, a arrow.Array) (*Watermark, error) {
	w := &Watermark{Column: column, Text: strings.Clone(a.ValueStr(0))} // outlives the batch
	switch a := a.(type) {
	case *array.Int64:
		w.Type, w.Int = "int64", a.Value(0)
	case *array.Int32:
		w.Type, w.Int = "int64", int64(a.Value(0))
	case *array.Float64:
		w.Type, w.Float = "float64", a.Value(0)
	case *array.String:
		w.Type = "string"
	case *array.Date32:
		w.Type, w.Int = "date32", int64(a.Value(0))
		w.Text = a.Value(0).FormattedString()
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		t := a.Value(0).ToTime(unit).UTC()
		w.Type, w.Int, w.Text = "timestamp", t.UnixMicro(), t.Format(time.RFC3339Nano)
	default:
		return nil, fmt.Errorf("a watermark column must be an integer, float, string, date or timestamp; %q is %s", column, a.DataType())
	}
	return w, nil
}

func (w *Watermark) literal() Expr {
	switch w.Type {
	case "int64":
		return Lit(w.Int)
	case "float64":
		return Lit(w.Float)
	case "date32":
		return Lit(arrow.Date32(w.Int))
	case "timestamp":
		return Lit(arrow.Timestamp(w.Int))
	}
	return Lit(w.Text)
}

// CommitLoad makes a write commit the load's new state (its new watermark and files)
// with the data, into the table's state file. The write's directory must be the load's
// target. After the write commits, the load's state is the new one.
func CommitLoad(l *IncrementalLoad) WriteOption {
	return func(o *writeOptions) { o.load = l }
}

// stateForCommit returns the table's state file as it will be with this run committed.
// It reads the file again, so that other loads' entries written since are kept.
func (l *IncrementalLoad) stateForCommit(dir string) ([]byte, loadState, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, loadState{}, fmt.Errorf("dataset: %w", err)
	}
	if abs != l.target {
		return nil, loadState{}, fmt.Errorf("dataset: CommitLoad: load %s targets %s, not %s", l.name, l.target, abs)
	}
	st, err := readTableState(l.s.fs, abs)
	if err != nil {
		return nil, loadState{}, err
	}
	l.mu.Lock()
	next := cloneLoadState(l.pending)
	l.mu.Unlock()
	next.Runs = l.committed.Runs + 1
	next.LastRun = time.Now().UTC()
	st.Loads[l.name] = &next
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, loadState{}, fmt.Errorf("dataset: %w", err)
	}
	return append(b, '\n'), next, nil
}

// committedRun records that a run's state is now the committed one.
func (l *IncrementalLoad) committedRun(next loadState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.committed = next
	l.pending = cloneLoadState(next)
}
