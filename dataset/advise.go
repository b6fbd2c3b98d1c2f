package dataset

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kindling-data/kindling/exec"
	"github.com/kindling-data/kindling/plan"
)

// AdviceKind says what an Advice recommends.
type AdviceKind int

const (
	// AdvisePersist: several jobs computed the same dataset; persisting it would compute
	// it once.
	AdvisePersist AdviceKind = iota
	// AdviseUnpersist: a persisted dataset was stored but no job read it from the cache.
	AdviseUnpersist
	// AdviseEvicted: a persisted dataset lost partitions under the budget, and jobs
	// recomputed them from lineage.
	AdviseEvicted
)

// String names the kind.
func (k AdviceKind) String() string {
	switch k {
	case AdvisePersist:
		return "persist"
	case AdviseUnpersist:
		return "unpersist"
	case AdviseEvicted:
		return "evicted"
	}
	return fmt.Sprintf("AdviceKind(%d)", int(k))
}

// Advice is one recommendation of Session.Advise about a dataset of the user's program.
type Advice struct {
	Kind AdviceKind
	// Site is the user's line that made the dataset (op@file.go:line), Dataset its top
	// operator as Explain prints it.
	Site, Dataset string
	// Jobs are the jobs concerned: those that computed the dataset (AdvisePersist), or read
	// or recomputed the persisted one.
	Jobs []int
	// Repeated estimates the stage time that jobs after the first spent computing the
	// dataset again: their stages whose pipelines an earlier job ran too (AdvisePersist).
	Repeated time.Duration
	// Text says it in a sentence or two.
	Text string
}

// String returns the advice's text.
func (a Advice) String() string { return a.Text }

// jobLineage is one job with the lineage its action ran.
type jobLineage struct {
	job  *JobMetrics
	root plan.Node
}

// Advise reads the lineage of the jobs the session ran and their metrics, and says where
// caching would pay and where it does not: datasets that several jobs computed (persist
// the last one before they part ways; a shuffle below it makes the cache pay most), with
// the stage time spent computing them again; persisted datasets no job read from the
// cache (unpersist them); and persisted datasets that lost partitions under the budget,
// which jobs then recomputed from lineage. Each names the line of user code that made
// the dataset. The most costly recomputation comes first.
func (s *Session) Advise() []Advice {
	s.mu.Lock()
	lineages := slices.Clone(s.lineages)
	caches := slices.Clone(s.caches)
	s.mu.Unlock()
	out := adviseRecomputed(lineages)
	for _, c := range caches {
		out = append(out, c.advise(lineages)...)
	}
	return out
}

// adviseRecomputed finds the datasets computed by more than one job: the top-most node
// of each lineage that several jobs share (below a persisted dataset nothing is
// recomputed, so the walk stops there).
func adviseRecomputed(lineages []jobLineage) []Advice {
	jobsOf := map[plan.Node][]int{}
	parents := map[plan.Node][]plan.Node{}
	byJob := map[int]*JobMetrics{}
	for _, l := range lineages {
		byJob[l.job.JobID] = l.job
		seen := map[plan.Node]bool{}
		var walk func(n plan.Node)
		walk = func(n plan.Node) {
			if seen[n] {
				return
			}
			seen[n] = true
			jobsOf[n] = append(jobsOf[n], l.job.JobID)
			if _, cached := n.(*plan.Cache); cached {
				return
			}
			for _, c := range n.Children() {
				parents[c] = append(parents[c], n)
				walk(c)
			}
		}
		walk(l.root)
	}
	var out []Advice
	for n, jobs := range jobsOf {
		if len(jobs) < 2 || !worthCaching(n) {
			continue
		}
		dominated := false
		for _, p := range parents[n] {
			if slices.Equal(jobsOf[p], jobs) {
				dominated = true // the parent is computed by the same jobs: advise it instead
				break
			}
		}
		if dominated {
			continue
		}
		out = append(out, persistAdvice(n, jobs, byJob))
	}
	slices.SortFunc(out, func(a, b Advice) int {
		return cmp.Or(cmp.Compare(b.Repeated, a.Repeated), cmp.Compare(a.Site, b.Site))
	})
	return out
}

// worthCaching: a cache of an in-memory source, or of one already persisted, saves
// nothing.
func worthCaching(n plan.Node) bool {
	switch n := n.(type) {
	case *plan.Cache:
		return false
	case *plan.Scan:
		_, inMemory := n.Source.(*exec.RecordsSource)
		return !inMemory
	}
	return true
}

func persistAdvice(n plan.Node, jobs []int, byJob map[int]*JobMetrics) Advice {
	a := Advice{Kind: AdvisePersist, Site: n.Site(), Dataset: n.Describe(), Jobs: jobs}
	first := map[string]bool{}
	for _, st := range byJob[jobs[0]].Stages {
		first[pipelineKey(st.Operators)] = true
	}
	for _, id := range jobs[1:] {
		for _, st := range byJob[id].Stages {
			if first[pipelineKey(st.Operators)] {
				a.Repeated += st.Duration
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "persist the dataset made at %s (%s): jobs %s each computed it", a.Site, a.Dataset, joinInts(jobs))
	if a.Repeated > 0 {
		fmt.Fprintf(&b, ", %v of stage time spent again", a.Repeated.Round(time.Millisecond))
	}
	switch wide, cached := shuffleBelow(n); {
	case wide && cached != nil:
		fmt.Fprintf(&b, "; it is after a shuffle, and the dataset it reads is persisted before that shuffle (%s): the cache after the shuffle is the one that saves the shuffle", cached.Site())
	case wide:
		b.WriteString("; it is after a shuffle, so the cache saves the shuffle and everything below it")
	default:
		b.WriteString("; no shuffle below it, so a cache saves the scan and the narrow transforms only: look for a later dataset, after a shuffle, to persist instead")
	}
	a.Text = b.String()
	return a
}

// shuffleBelow reports whether n's lineage (down to persisted datasets) shuffles, and the
// first persisted dataset it reads, if any.
func shuffleBelow(n plan.Node) (wide bool, cached *plan.Cache) {
	var walk func(n plan.Node)
	walk = func(n plan.Node) {
		switch n := n.(type) {
		case *plan.Cache:
			if cached == nil {
				cached = n
			}
			return
		case *plan.Aggregate, *plan.Join, *plan.Distinct, *plan.Sort, *plan.Repartition, *plan.Window:
			wide = true
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(n)
	return wide, cached
}

var shuffleIDs = regexp.MustCompile(`shuffle=\d+`)

// pipelineKey identifies a stage's work across jobs: its operators, without the shuffle
// IDs, which each job numbers anew.
func pipelineKey(ops []string) string {
	return shuffleIDs.ReplaceAllString(strings.Join(ops, "\n"), "shuffle=?")
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// advise says what is wrong with a persisted dataset, if anything: stored and never read,
// or partitions lost and recomputed.
func (c *cacheState) advise(lineages []jobLineage) []Advice {
	c.mu.Lock()
	active, parts, hits, recomputed, evictions, notCached := c.active, c.partitions, c.hits, c.recomputed, c.evictions, len(c.notCached)
	c.mu.Unlock()
	if !active || parts < 0 {
		return nil
	}
	var jobs []int
	var describe string
	for _, l := range lineages {
		if n := findCache(l.root, c.id); n != nil {
			jobs = append(jobs, l.job.JobID)
			describe = n.Input.Describe()
		}
	}
	base := Advice{Site: c.site, Dataset: describe, Jobs: jobs}
	var out []Advice
	if hits == 0 && recomputed == 0 {
		a := base
		a.Kind = AdviseUnpersist
		a.Text = fmt.Sprintf("the dataset persisted at %s (%s) was stored by job %s, and no job read it from the cache: Unpersist it, or drop the Persist",
			c.site, c.level, joinInts(jobs[:min(1, len(jobs))]))
		out = append(out, a)
	}
	if recomputed > 0 || notCached > 0 && len(jobs) > 1 {
		a := base
		a.Kind = AdviseEvicted
		var b strings.Builder
		fmt.Fprintf(&b, "the dataset persisted at %s (%s) lost partitions under the budget: jobs recomputed %d partitions from lineage", c.site, c.level, recomputed)
		if evictions > 0 {
			fmt.Fprintf(&b, " (%d blocks evicted for execution memory)", evictions)
		}
		if notCached > 0 {
			fmt.Fprintf(&b, ", %d partitions never fit", notCached)
		}
		if c.level.UseDisk() {
			b.WriteString("; persist a smaller dataset (after a shuffle) or raise Config.MemoryLimit")
		} else {
			b.WriteString("; MemoryAndDisk would read them back from disk instead, or persist a smaller dataset (after a shuffle), or raise Config.MemoryLimit")
		}
		a.Text = b.String()
		out = append(out, a)
	}
	return out
}

// findCache returns the node persisting dataset id in the lineage under root, if any.
func findCache(root plan.Node, id int) *plan.Cache {
	var found *plan.Cache
	seen := map[plan.Node]bool{}
	var walk func(n plan.Node)
	walk = func(n plan.Node) {
		if found != nil || seen[n] {
			return
		}
		seen[n] = true
		if c, ok := n.(*plan.Cache); ok && c.DatasetID == id {
			found = c
			return
		}
		for _, ch := range n.Children() {
			walk(ch)
		}
	}
	walk(root)
	return found
}
