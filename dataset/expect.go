package dataset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kindling-data/kindling/datasource"
)

// Policy says what a failed expectation does to the action that evaluated it.
type Policy int

const (
	// Fail makes the action fail with an *ExpectationError (wrapping
	// ErrExpectationFailed) that lists every failed expectation; a write commits nothing.
	// It is the zero Policy.
	Fail Policy = iota
	// Warn lets the action succeed: each failed expectation is logged at warn level
	// through Config.Logger, and the results stay readable (Dataset.ExpectationResults).
	Warn
)

// String returns "fail" or "warn".
func (p Policy) String() string {
	switch p {
	case Fail:
		return "fail"
	case Warn:
		return "warn"
	}
	return "Policy(" + strconv.Itoa(int(p)) + ")"
}

// ErrExpectationFailed is what the error of an action failed by an expectation under the
// Fail policy wraps (errors.Is); errors.As to *ExpectationError gives the results.
var ErrExpectationFailed = errors.New("dataset: expectation failed")

type expectKind int

const (
	kindRowCountEquals expectKind = iota
	kindRowCountBetween
	kindRowCountNotBelow
	kindNullRatio
	kindUnique
	kindValuesIn
	kindValuesBetween
	kindPassRatio
)

// Expectation is one named data quality check, declared on a dataset with
// Dataset.Expect (or checked at once with Dataset.Validate). Build it with
// RowCountEquals, RowCountBetween, RowCountNotBelow, NullRatioAtMost, UniqueKey,
// ValuesIn, ValuesBetween or PassRatioAtLeast; the name labels its result in reports,
// logs and errors.
type Expectation struct {
	name     string
	kind     expectKind
	check    string // what is checked, for reports
	col      string
	keys     []string
	flag     Expr // true for a passing row: the hidden column of row-level checks
	ratio    float64
	min, max int64
	other    *Dataset
	err      error
}

// Name returns the name the expectation was declared with.
func (e Expectation) Name() string { return e.name }

func newExpectation(fn, name string, kind expectKind, check string) Expectation {
	e := Expectation{name: name, kind: kind, check: check}
	if name == "" {
		e.err = fmt.Errorf("dataset: %s: an expectation needs a name", fn)
	}
	return e
}

// checkRatio records an error unless p is a ratio in [0, 1].
func (e *Expectation) checkRatio(fn string, p float64) {
	if e.err == nil && !(p >= 0 && p <= 1) {
		e.err = fmt.Errorf("dataset: %s(%q): ratio %v is not within [0, 1]", fn, e.name, p)
	}
	e.ratio = p
}

// RowCountEquals expects as many rows as other has, say the source a transform must
// not lose rows of. other is counted by a job of its own when the expectation is
// evaluated (for a Parquet scan, from the files' footers only): persist it if it is
// expensive to compute.
func RowCountEquals(name string, other *Dataset) Expectation {
	e := newExpectation("RowCountEquals", name, kindRowCountEquals, "row count")
	e.other = other
	if e.err == nil && other == nil {
		e.err = fmt.Errorf("dataset: RowCountEquals(%q): nil dataset", name)
	}
	return e
}

// RowCountBetween expects at least min and at most max rows.
func RowCountBetween(name string, min, max int64) Expectation {
	e := newExpectation("RowCountBetween", name, kindRowCountBetween, "row count")
	e.min, e.max = min, max
	if e.err == nil && min > max {
		e.err = fmt.Errorf("dataset: RowCountBetween(%q): min %d > max %d", name, min, max)
	}
	return e
}

// RowCountNotBelow expects the row count not to have dropped by more than the fraction
// maxDrop (0.1 allows 10% fewer rows) below previous, the count of the last run: given
// by the caller, or read from the table the last run wrote with
// Session.ParquetRowCount before it is overwritten. Any count passes when previous is
// zero or less (a first run).
func RowCountNotBelow(name string, previous int64, maxDrop float64) Expectation {
	e := newExpectation("RowCountNotBelow", name, kindRowCountNotBelow, "row count")
	e.min = previous
	e.checkRatio("RowCountNotBelow", maxDrop)
	return e
}

// NullRatioAtMost expects at most the fraction p of the rows to have a NULL in col
// (an empty dataset has ratio 0). It is counted from the Arrow arrays' null counts.
func NullRatioAtMost(name, col string, p float64) Expectation {
	e := newExpectation("NullRatioAtMost", name, kindNullRatio, "null ratio of "+col)
	e.col = col
	e.checkRatio("NullRatioAtMost", p)
	return e
}

// UniqueKey expects no two rows to have the same values in the key columns (NULLs equal
// NULLs, as in GroupBy). Uniqueness cannot be counted a partition at a time: it is
// checked by an aggregation job of its own over the expecting dataset's input, a second
// scan of it (persist the input to make that scan cheap).
func UniqueKey(name string, keys ...string) Expectation {
	e := newExpectation("UniqueKey", name, kindUnique, "unique ("+strings.Join(keys, ", ")+")")
	e.keys = append([]string(nil), keys...)
	if e.err == nil && len(keys) == 0 {
		e.err = fmt.Errorf("dataset: UniqueKey(%q): no key column", name)
	}
	return e
}

// ValuesIn expects every non-NULL value of col to be one of values (literals as Lit
// takes them; NULLs pass, NullRatioAtMost bounds them). The result's detail shows a few
// of the values found outside the set.
func ValuesIn(name, col string, values ...any) Expectation {
	shown := make([]string, 0, min(len(values), 6))
	for i, v := range values {
		if i == 5 {
			shown = append(shown, "…")
			break
		}
		shown = append(shown, fmt.Sprint(v))
	}
	e := newExpectation("ValuesIn", name, kindValuesIn, col+" in {"+strings.Join(shown, ", ")+"}")
	e.col = col
	c := Col(col)
	e.flag = c.IsNull().Or(c.IsIn(values...))
	return e
}

// ValuesBetween expects every non-NULL value of col to lie within [lo, hi], bounds
// included (literals as Lit takes them, or expressions; NULLs pass). The result's detail
// shows a few of the values found outside.
func ValuesBetween(name, col string, lo, hi any) Expectation {
	e := newExpectation("ValuesBetween", name, kindValuesBetween, fmt.Sprintf("%s in [%v, %v]", col, lo, hi))
	e.col = col
	c := Col(col)
	e.flag = c.IsNull().Or(c.Between(argExpr(lo), argExpr(hi)))
	return e
}

// PassRatioAtLeast expects pred, a boolean expression over the rows, to be true for at
// least the fraction p of the rows (an empty dataset passes). A row where pred is NULL
// does not pass, as Filter would drop it. It is Great Expectations' "mostly": p = 1
// requires every row.
func PassRatioAtLeast(name string, pred Expr, p float64) Expectation {
	e := newExpectation("PassRatioAtLeast", name, kindPassRatio, pred.String())
	if e.err == nil && pred.err != nil {
		e.err = pred.err
	}
	if e.err == nil && pred.e == nil {
		e.err = fmt.Errorf("dataset: PassRatioAtLeast(%q): a zero Expr", name)
	}
	e.checkRatio("PassRatioAtLeast", p)
	if e.err == nil {
		// AND with true keeps NULL and makes the analyzer reject a non-boolean pred.
		e.flag = pred.And(Lit(true))
	}
	return e
}

// Expect returns the dataset with the expectations attached: every action over it (or
// over a dataset derived from it) evaluates them and applies policy. Row counts, NULL
// counts and the row-level checks (ValuesIn, ValuesBetween, PassRatioAtLeast) are
// counted in the action's own job, by a pass-through stage the batches flow through on
// their way to the action: the predicates are evaluated by the engine a batch at a time
// into hidden columns, dropped again above the stage. Only the counts of a task attempt
// that ends up in the result are kept: a retried task counts its partition once.
// UniqueKey and RowCountEquals run jobs of their own when the action's job has ended.
//
// An action that reads only part of the rows (Take, Show, a Limit) or reads them from
// a persisted copy of the expecting dataset has not seen every row pass the stage: it
// evaluates the expectations by a job of their own over the whole input. Persist the
// input (d.Cache().Expect(...)) rather than the expecting dataset to keep such checks
// cheap. Actions that hand rows over while the job runs (ForEachBatch, Batches) report
// a failed expectation at the end, after the rows were handed over.
func (d *Dataset) Expect(policy Policy, exps ...Expectation) *Dataset {
	site := callSite("expect")
	if d.err != nil {
		return d
	}
	if policy != Fail && policy != Warn {
		return d.deriveErr(fmt.Errorf("dataset: Expect: unknown policy %d", int(policy)))
	}
	if len(exps) == 0 {
		return d.deriveErr(errors.New("dataset: Expect: no expectation given"))
	}
	for _, e := range exps {
		if e.err != nil {
			return d.deriveErr(e.err)
		}
		if e.kind == kindRowCountEquals && e.other.s != d.s {
			return d.deriveErr(fmt.Errorf("dataset: RowCountEquals(%q): a dataset of another session", e.name))
		}
		if e.kind == kindRowCountEquals && e.other.err != nil {
			return d.deriveErr(e.other.err)
		}
	}
	return d.derive(newGate(d, policy, exps, site))
}

// Validate evaluates, by one job that computes the dataset and keeps none of its rows,
// the expectations attached to it (and to the datasets it derives from) along with exps,
// and returns their results whatever the policies: it neither fails on nor logs a failed
// expectation. Its error is the job's. With no expectation at all it runs nothing.
func (d *Dataset) Validate(ctx context.Context, exps ...Expectation) (ExpectationReport, error) {
	v := d
	if len(exps) > 0 {
		if v = d.Expect(Warn, exps...); v.err != nil {
			return ExpectationReport{}, v.err
		}
	}
	if v.err != nil {
		return ExpectationReport{}, v.err
	}
	if len(gatesIn(v.node)) == 0 {
		return ExpectationReport{}, nil
	}
	return v.validate(ctx, "validate")
}

// ExpectationResults returns the results of the latest evaluation of the expectations
// attached to the dataset and to the datasets it derives from, by whichever action
// evaluated them last; an expectation not evaluated yet is left out.
func (d *Dataset) ExpectationResults() ExpectationReport {
	var rep ExpectationReport
	if d.err != nil {
		return rep
	}
	for _, g := range gatesIn(d.node) {
		rep.Results = append(rep.Results, g.lastResults()...)
	}
	return rep
}

// ParquetRowCount counts the rows of Parquet files (a table directory, files or globs)
// from their footers, reading no data: the count a previous run wrote, for
// RowCountNotBelow. A missing path is an error wrapping fs.ErrNotExist, which a first
// run can tell apart.
func (s *Session) ParquetRowCount(ctx context.Context, paths ...string) (int64, error) {
	for _, p := range paths {
		if strings.ContainsAny(p, "*?[") {
			continue
		}
		if _, err := datasource.InputSize(ctx, p); errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("dataset: ParquetRowCount: %w", err)
		}
	}
	return s.ReadParquet(paths...).count(ctx, "parquetRowCount")
}

// expectationsGate applies the policies of d's expectations to the job d.run has just
// run under ctx for action, whose sink deferred them (a write: see deferredGate): it is
// called after the job's tasks finished and before anything is committed. It returns nil
// when d has no expectations, when they passed, or when they failed under Warn (after
// logging them), and an *ExpectationError wrapping ErrExpectationFailed when one failed
// under Fail. Called when no job of ctx observed them, it evaluates them by a job of
// their own.
func (d *Dataset) expectationsGate(ctx context.Context, action string) error {
	if d.err != nil {
		return d.err
	}
	if results, ok := takeDeferred(d, ctx); ok {
		return d.s.applyExpectations(action, results)
	}
	if len(gatesIn(d.node)) == 0 {
		return nil
	}
	rep, err := d.validate(ctx, action)
	if err != nil {
		return err
	}
	return d.s.applyExpectations(action, rep.Results)
}

// applyExpectations logs the failed results under Warn and returns the error listing
// those under Fail.
func (s *Session) applyExpectations(action string, results []ExpectationResult) error {
	failed := 0
	for _, r := range results {
		if r.Passed {
			continue
		}
		if r.Policy == Warn {
			s.cfg.Logger.Warn("dataset: expectation failed", "action", action, "expectation", r.Name,
				"check", r.Check, "observed", formatObserved(r.Observed), "threshold", r.Threshold, "detail", r.Detail)
			continue
		}
		failed++
	}
	if failed == 0 {
		return nil
	}
	return &ExpectationError{Action: action, Report: ExpectationReport{Results: results}}
}

// ExpectationResult is the outcome of one expectation.
type ExpectationResult struct {
	// Name is the expectation's name; Check says what it checks ("null ratio of
	// email", "row count", "unique (id)").
	Name, Check string
	// Policy is the policy of the Expect call that declared it.
	Policy Policy
	Passed bool
	// Observed is the measured value: a row count, a ratio, a number of duplicate keys
	// or of rows outside the allowed values.
	Observed float64
	// Threshold is the bound Observed was held to, as text ("<= 0.05", "in [1, 10]").
	Threshold string
	// Detail explains Observed in words, with examples of offending values if any.
	Detail string
}

// ExpectationReport is the results of the expectations an action evaluated.
type ExpectationReport struct {
	Results []ExpectationResult
}

// Passed reports whether every expectation passed.
func (r ExpectationReport) Passed() bool { return len(r.Failed()) == 0 }

// Failed returns the results of the expectations that failed, whatever their policy.
func (r ExpectationReport) Failed() []ExpectationResult {
	var out []ExpectationResult
	for _, x := range r.Results {
		if !x.Passed {
			out = append(out, x)
		}
	}
	return out
}

// String renders the report as a text table, one line per expectation.
func (r ExpectationReport) String() string {
	rows := [][]string{{"expectation", "check", "policy", "result", "observed", "threshold", "detail"}}
	for _, x := range r.Results {
		result := "passed"
		if !x.Passed {
			result = "FAILED"
		}
		rows = append(rows, []string{x.Name, x.Check, x.Policy.String(), result, formatObserved(x.Observed), x.Threshold, x.Detail})
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		var line strings.Builder
		for i, c := range row {
			line.WriteString(c)
			if i < len(row)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// ExpectationError is the error of an action that an expectation under the Fail policy
// failed. It wraps ErrExpectationFailed.
type ExpectationError struct {
	// Action is the action that evaluated the expectations ("count", "writeParquet").
	Action string
	// Report holds every expectation the action evaluated, passed or not.
	Report ExpectationReport
}

// Failed returns the results that failed the action: those failed under Fail.
func (e *ExpectationError) Failed() []ExpectationResult {
	var out []ExpectationResult
	for _, r := range e.Report.Failed() {
		if r.Policy == Fail {
			out = append(out, r)
		}
	}
	return out
}

// Error lists each failed expectation with its observed value and threshold.
func (e *ExpectationError) Error() string {
	failed := e.Failed()
	var b strings.Builder
	fmt.Fprintf(&b, "dataset: %s: %d expectation", e.Action, len(failed))
	if len(failed) != 1 {
		b.WriteByte('s')
	}
	b.WriteString(" failed")
	for i, r := range failed {
		sep := "; "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%s%s (%s): observed %s, want %s", sep, r.Name, r.Check, formatObserved(r.Observed), r.Threshold)
		if r.Detail != "" {
			fmt.Fprintf(&b, " (%s)", r.Detail)
		}
	}
	return b.String()
}

// Unwrap returns ErrExpectationFailed.
func (e *ExpectationError) Unwrap() error { return ErrExpectationFailed }

// formatObserved prints counts as integers and ratios with six significant digits.
func formatObserved(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// formatBound prints a user-given bound exactly.
func formatBound(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// gateNodeName names a gate's stage in plans: its id (which identifies its node in a
// physical plan) and its expectations.
func gateNodeName(id int64, exps []Expectation) string {
	names := make([]string, len(exps))
	for i, e := range exps {
		names[i] = e.name
	}
	return fmt.Sprintf("expect#%d [%s]", id, strings.Join(names, ", "))
}
