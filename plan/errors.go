package plan

import (
	"errors"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// The kinds of analysis error. An *AnalysisError unwraps to one of them, so callers can
// tell a misspelt column from a type error with errors.Is.
var (
	ErrUnknownColumn   = errors.New("unknown column")
	ErrType            = errors.New("type error")
	ErrDuplicateColumn = errors.New("duplicate column")
	ErrUnionMismatch   = errors.New("union inputs differ")
	ErrInvalidPlan     = errors.New("invalid plan")
)

// AnalysisError is a problem found in a plan before anything runs. Its message names the
// node's call site (e.g. filter@etl.go:17), the expression and the columns or types involved.
type AnalysisError struct {
	// Site is the call site of the node, or the node kind when the site is unknown.
	Site string
	// Kind is one of the Err* values above.
	Kind error
	// Msg is the detail, e.g. unknown column "amout" (columns: region, day, amount).
	Msg string
}

// Error returns "plan: ", the site when there is one, then the detail.
func (e *AnalysisError) Error() string {
	if e.Site == "" {
		return "plan: " + e.Msg
	}
	return "plan: " + e.Site + ": " + e.Msg
}

// Unwrap returns the error's kind.
func (e *AnalysisError) Unwrap() error { return e.Kind }

func errAt(kind error, msg string) *AnalysisError { return &AnalysisError{Kind: kind, Msg: msg} }

// atSite sets the site of an analysis error that does not have one yet; other errors are
// wrapped with the site.
func atSite(err error, site string) error {
	var ae *AnalysisError
	if errors.As(err, &ae) {
		if ae.Site == "" {
			c := *ae
			c.Site = site
			return &c
		}
		return err
	}
	return &AnalysisError{Site: site, Kind: ErrInvalidPlan, Msg: err.Error()}
}

// nodeSite is the label analysis errors use for n: its call site, else its kind.
func nodeSite(n Node) string {
	if s := n.Site(); s != "" {
		return s
	}
	return nodeKind(n)
}

func nodeKind(n Node) string {
	switch n.(type) {
	case *Scan:
		return "scan"
	case *Project:
		return "project"
	case *Filter:
		return "filter"
	case *Aggregate:
		return "aggregate"
	case *Limit:
		return "limit"
	case *Union:
		return "union"
	case *Repartition:
		return "repartition"
	case *Coalesce:
		return "coalesce"
	case *MapBatches:
		return "map_batches"
	case *MapPartitions:
		return "map_partitions"
	case *Sample:
		return "sample"
	case *Explode:
		return "explode"
	case *Expand:
		return "expand"
	case *Join:
		return "join"
	case *Broadcast:
		return "broadcast"
	case *Sort:
		return "sort"
	case *WithColumns:
		return "with_columns"
	case *Drop:
		return "drop"
	case *Rename:
		return "rename"
	case *Distinct:
		return "distinct"
	}
	return "node"
}

// unknownColumn builds the error for a name missing from names, suggesting a close one.
func unknownColumn(name string, names []string) *AnalysisError {
	msg := `unknown column "` + name + `" (columns: ` + strings.Join(names, ", ") + ")"
	if s := suggest(name, names); s != "" {
		msg += `; did you mean "` + s + `"?`
	}
	return errAt(ErrUnknownColumn, msg)
}

// suggest returns the name closest to want if it differs only by case or by one or two
// edits, else "".
func suggest(want string, names []string) string {
	for _, n := range names {
		if strings.EqualFold(n, want) {
			return n
		}
	}
	best, bestD := "", 3
	for _, n := range names {
		d := editDistance(strings.ToLower(want), strings.ToLower(n))
		if d < bestD && d < max(len(want), len(n)) {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func schemaNames(s *arrow.Schema) []string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return names
}
