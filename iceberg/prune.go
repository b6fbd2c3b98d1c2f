package iceberg

import (
	"context"
	"slices"
	"strings"

	iceberggo "github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/table"
)

// unprunable returns the columns a planning filter must not constrain in the given
// snapshots: the sources of string or binary partition fields whose summary, in some
// manifest, has no lower bound. iceberg-go v0.7.0 writes an empty string's bound as
// zero bytes and reads it back as no bound, which its manifest evaluator takes for a
// manifest of NULLs only: a filter on the column (region = "", region < "b", even
// region IN ("", "eu")) would skip the whole manifest, with the files of every other
// value in it. Such a manifest may also truly hold only NULLs; not pruning by the
// column there costs some speed, never rows. kindling still applies the whole filter.
func unprunable(ctx context.Context, tbl *table.Table, snaps []*table.Snapshot) (map[string]bool, error) {
	meta := tbl.Metadata()
	sc := tbl.Schema()
	var out map[string]bool
	fsys, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, snap := range snaps {
		if snap == nil {
			continue
		}
		manifests, err := snap.Manifests(fsys)
		if err != nil {
			return nil, err
		}
		for _, m := range manifests {
			if seen[m.FilePath()] {
				continue
			}
			seen[m.FilePath()] = true
			spec := meta.PartitionSpecByID(int(m.PartitionSpecID()))
			if spec == nil {
				continue
			}
			summaries := m.Partitions()
			for i, pf := range spec.Fields() {
				if i >= len(summaries) || summaries[i].LowerBound != nil {
					continue
				}
				src, ok := sc.FindFieldByID(pf.SourceID())
				if !ok {
					continue
				}
				switch pf.Transform.ResultType(src.Type).(type) {
				case iceberggo.StringType, iceberggo.BinaryType:
					if out == nil {
						out = map[string]bool{}
					}
					out[src.Name] = true
				}
			}
		}
	}
	return out, nil
}

// snapshotsSince returns the snapshots whose manifests a scan of to reads: to alone
// (its manifest list holds every live file), or for an incremental scan from from, to
// and its ancestors down to, not including, from.
func snapshotsSince(tbl *table.Table, to *table.Snapshot, from *int64) []*table.Snapshot {
	if to == nil {
		return nil
	}
	if from == nil {
		return []*table.Snapshot{to}
	}
	var out []*table.Snapshot
	for s := to; s != nil && s.SnapshotID != *from; {
		out = append(out, s)
		if s.ParentSnapshotID == nil {
			break
		}
		s = tbl.SnapshotByID(*s.ParentSnapshotID)
	}
	return out
}

// pruneByPartition drops the tasks whose identity partition value on a column of skip
// fails a predicate: the per-file half of the partition pruning that unprunable took
// from iceberg-go (whose per-file partition values are sound).
func pruneByPartition(tbl *table.Table, tasks []table.FileScanTask, preds []Predicate, skip map[string]bool) []table.FileScanTask {
	if len(skip) == 0 {
		return tasks
	}
	meta, sc := tbl.Metadata(), tbl.Schema()
	out := tasks[:0:0]
	for _, task := range tasks {
		if keepTask(meta, sc, task.File, preds, skip) {
			out = append(out, task)
		}
	}
	return out
}

func keepTask(meta table.Metadata, sc *iceberggo.Schema, f iceberggo.DataFile, preds []Predicate, skip map[string]bool) bool {
	spec := meta.PartitionSpecByID(int(f.SpecID()))
	if spec == nil {
		return true
	}
	values := f.Partition()
	for _, pf := range spec.Fields() {
		if _, ok := pf.Transform.(iceberggo.IdentityTransform); !ok {
			continue
		}
		name, ok := sc.FindColumnName(pf.SourceID())
		if !ok || !skip[name] {
			continue
		}
		v, isString := values[pf.FieldID].(string)
		if values[pf.FieldID] != nil && !isString {
			continue
		}
		for _, p := range preds {
			if p.Column == name && !stringMatches(p, v, values[pf.FieldID] == nil) {
				return false
			}
		}
	}
	return true
}

// stringMatches evaluates p on a string value (SQL semantics: NULL matches only IS
// NULL); a value p cannot be compared with keeps the file.
func stringMatches(p Predicate, v string, null bool) bool {
	switch p.Op {
	case OpIsNull:
		return null
	case OpNotNull:
		return !null
	}
	if null {
		return false
	}
	lits := make([]string, len(p.Values))
	for i, x := range p.Values {
		s, ok := x.(string)
		if !ok {
			return true
		}
		lits[i] = s
	}
	if len(lits) == 0 {
		return true
	}
	switch p.Op {
	case OpEq:
		return v == lits[0]
	case OpNotEq:
		return v != lits[0]
	case OpLt:
		return v < lits[0]
	case OpLe:
		return v <= lits[0]
	case OpGt:
		return v > lits[0]
	case OpGe:
		return v >= lits[0]
	case OpIn:
		return slices.Contains(lits, v)
	case OpNotIn:
		return !slices.Contains(lits, v)
	case OpStartsWith:
		return strings.HasPrefix(v, lits[0])
	}
	return true
}
