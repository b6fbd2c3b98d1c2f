package dataset

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/kindling-data/kindling/plan"
)

// Dataset is an immutable, lazy, partitioned collection of rows with a schema. Each
// transform returns a new Dataset that remembers its lineage; nothing is read or computed
// until an action (Collect, Count, Show, Take, ForEachBatch, WriteParquet, WriteCSV) runs
// a job. Mistakes made while building (an unknown column, a type mismatch) are reported
// by the action, before any task runs, naming the call site.
type Dataset struct {
	s    *Session
	node plan.Node
	err  error
	// sql is the query text of Session.SQL that the dataset, or the one it derives from,
	// came from: its jobs' plans show it.
	sql string
	// origin is the registered job that built the dataset (Session.Job); datasets derived
	// from it do not inherit it.
	origin *jobOrigin
}

func (d *Dataset) derive(n plan.Node) *Dataset {
	return &Dataset{s: d.s, node: n, err: d.err, sql: d.sql}
}

func (d *Dataset) deriveErr(err error) *Dataset {
	if d.err != nil {
		return d
	}
	return &Dataset{s: d.s, node: d.node, err: err}
}

func exprs(xs []Expr) ([]plan.Expr, error) {
	out := make([]plan.Expr, len(xs))
	for i, x := range xs {
		if x.err != nil {
			return nil, x.err
		}
		if x.e == nil {
			return nil, errors.New("dataset: a zero Expr (use Col or Lit)")
		}
		out[i] = x.e
	}
	return out, nil
}

// Select keeps the given expressions as the columns of the result, in order.
func (d *Dataset) Select(cols ...Expr) *Dataset {
	es, err := exprs(cols)
	if err != nil {
		return d.deriveErr(err)
	}
	return d.derive(&plan.Project{Meta: plan.Meta{CallSite: callSite("select")}, Input: d.node, Exprs: es})
}

// SelectColumns keeps the named columns, in order.
func (d *Dataset) SelectColumns(names ...string) *Dataset {
	es := make([]plan.Expr, len(names))
	for i, n := range names {
		es[i] = &plan.ColumnRef{Name: n}
	}
	return d.derive(&plan.Project{Meta: plan.Meta{CallSite: callSite("select")}, Input: d.node, Exprs: es})
}

// Filter keeps the rows where cond is true; rows where it is NULL are dropped.
func (d *Dataset) Filter(cond Expr) *Dataset {
	if cond.err != nil {
		return d.deriveErr(cond.err)
	}
	return d.derive(&plan.Filter{Meta: plan.Meta{CallSite: callSite("filter")}, Input: d.node, Cond: cond.e})
}

// WithColumn adds a column computed by x, or replaces the column of that name in place.
func (d *Dataset) WithColumn(name string, x Expr) *Dataset {
	if x.err != nil {
		return d.deriveErr(x.err)
	}
	return d.derive(&plan.WithColumns{Meta: plan.Meta{CallSite: callSite("withColumn")}, Input: d.node,
		Exprs: []plan.Expr{&plan.Alias{Child: x.e, Name: name}}})
}

// Drop removes the named columns. Naming a column that does not exist is an error.
func (d *Dataset) Drop(names ...string) *Dataset {
	return d.derive(&plan.Drop{Meta: plan.Meta{CallSite: callSite("drop")}, Input: d.node, Columns: names})
}

// Rename renames column from to to.
func (d *Dataset) Rename(from, to string) *Dataset {
	return d.derive(&plan.Rename{Meta: plan.Meta{CallSite: callSite("rename")}, Input: d.node, From: from, To: to})
}

// BatchFunc is a user function applied to every record batch by MapBatches. It borrows
// in (kindling releases it afterwards) and returns a batch that kindling owns: a new one
// allocated with mem (so that it is accounted), or in itself after in.Retain(). Strings
// and slices read from in point into buffers that are reused once it is released: copy
// what must outlive the call. It may be called concurrently for different partitions.
type BatchFunc = plan.BatchFunc

// MapBatches applies fn to every record batch. out is the schema fn returns; nil means
// fn keeps the input schema. A batch of another schema fails the job at once (a retry
// would return it again); an error or a panic in fn fails the task, which is retried up to
// Config.MaxTaskAttempts times.
func (d *Dataset) MapBatches(name string, out *arrow.Schema, fn BatchFunc) *Dataset {
	if fn == nil {
		return d.deriveErr(errors.New("dataset: MapBatches: nil function"))
	}
	return d.derive(&plan.MapBatches{Meta: plan.Meta{CallSite: callSite("mapBatches")}, Input: d.node, Fn: fn, OutputSchema: out, Name: name})
}

// Limit keeps the first n rows (of the partitions in order).
func (d *Dataset) Limit(n int64) *Dataset {
	if n < 0 {
		return d.deriveErr(fmt.Errorf("dataset: Limit(%d): negative", n))
	}
	return d.derive(&plan.Limit{Meta: plan.Meta{CallSite: callSite("limit")}, Input: d.node, N: n})
}

// Union appends the rows of others, matching columns by name: every dataset must have
// the same column names and types; the result has d's column order.
func (d *Dataset) Union(others ...*Dataset) *Dataset {
	inputs := []plan.Node{d.node}
	out := d.derive(nil)
	for _, o := range others {
		if o.s != d.s {
			return d.deriveErr(errors.New("dataset: Union of datasets from different sessions"))
		}
		if o.err != nil && out.err == nil {
			out.err = o.err
		}
		inputs = append(inputs, o.node)
	}
	out.node = &plan.Union{Meta: plan.Meta{CallSite: callSite("union")}, Inputs: inputs}
	return out
}

// Coalesce reduces the partitions to at most n by merging neighbours, without a shuffle.
func (d *Dataset) Coalesce(n int) *Dataset {
	if n < 1 {
		return d.deriveErr(fmt.Errorf("dataset: Coalesce(%d): need at least one partition", n))
	}
	return d.derive(&plan.Coalesce{Meta: plan.Meta{CallSite: callSite("coalesce")}, Input: d.node, N: n})
}

// Repartition shuffles the rows into n partitions: by the hash of the key columns, or
// round robin when no key is given. n <= 0 uses Config.ShufflePartitions.
func (d *Dataset) Repartition(n int, keys ...string) *Dataset {
	if n <= 0 {
		n = d.s.cfg.ShufflePartitions
	}
	return d.derive(&plan.Repartition{Meta: plan.Meta{CallSite: callSite("repartition")}, Input: d.node, N: n, Keys: keys})
}

// Distinct keeps one copy of each distinct row (NULLs equal NULLs), with a partial
// distinct before the shuffle.
func (d *Dataset) Distinct() *Dataset {
	site := callSite("distinct")
	if d.err != nil {
		return d
	}
	return d.derive(&plan.Distinct{Meta: plan.Meta{CallSite: site}, Input: d.node})
}
