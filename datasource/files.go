package datasource

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kindling-data/kindling/internal/objstore"
	"github.com/kindling-data/kindling/internal/vfs"
)

// OpenCostBytes is Spark's spark.sql.files.openCostInBytes: the notional cost of opening a
// file, added to every file's size when sizing splits, so that many tiny files do not each
// become a task of their own.
const OpenCostBytes int64 = 4 << 20

// FileSplit is one independent piece of a file scan: a byte range of a CSV file, a run of
// row groups of a Parquet file, or a run of record batches of an Arrow IPC file.
type FileSplit struct {
	// Path is the file.
	Path string
	// Start and End bound the bytes [Start, End) the split owns. For CSV the split owns
	// the lines that start inside the range (see PlanCSVSplits); for Parquet and IPC they
	// are informational.
	Start, End int64
	// FileSize is the size of the whole file when the split was planned.
	FileSize int64
	// RowGroups lists the Parquet row groups the split reads, in file order.
	RowGroups []int
	// RowGroupBytes holds the compressed size of each row group in RowGroups.
	RowGroupBytes []int64
	// FirstBatch and NumBatches bound the record batches of an Arrow IPC file the split
	// reads: [FirstBatch, FirstBatch+NumBatches).
	FirstBatch, NumBatches int
}

// Bytes is the size of the input the split reads.
func (s FileSplit) Bytes() int64 {
	if len(s.RowGroupBytes) > 0 {
		var n int64
		for _, b := range s.RowGroupBytes {
			n += b
		}
		return n
	}
	return s.End - s.Start
}

// String describes the split, e.g. orders-1.csv[0:1048576] or data.parquet[rg 0-3].
func (s FileSplit) String() string {
	name := filepath.Base(s.Path)
	switch {
	case len(s.RowGroups) > 0:
		return fmt.Sprintf("%s[rg %d-%d]", name, s.RowGroups[0], s.RowGroups[len(s.RowGroups)-1])
	case s.NumBatches > 0:
		return fmt.Sprintf("%s[batch %d-%d]", name, s.FirstBatch, s.FirstBatch+s.NumBatches-1)
	}
	return fmt.Sprintf("%s[%d:%d]", name, s.Start, s.End)
}

// ExpandPaths turns user patterns into a sorted, de-duplicated list of files. Each pattern
// is a file, a directory (its regular files, not recursively, skipping names that start
// with "_" or ".", as Spark skips _SUCCESS and hidden files) or a glob. A pattern that
// matches no file is an error naming the pattern. A missing directory that an Overwrite
// killed between its renames left aside is recovered first (RecoverOutput).
func ExpandPaths(patterns []string) ([]string, error) {
	if len(patterns) == 0 {
		return nil, errors.New("datasource: no input paths given")
	}
	seen := make(map[string]bool)
	var out []string
	matched := 0
	add := func(p string) {
		matched++
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	ctx := context.Background()
	for _, pat := range patterns {
		matched = 0
		if hasGlobMeta(pat) {
			matches, err := globInput(ctx, pat)
			if err != nil {
				return nil, fmt.Errorf("datasource: pattern %q: %w", pat, err)
			}
			for _, m := range matches {
				if m.regular && !hiddenName(baseInput(m.path)) {
					add(m.path)
				}
			}
		} else {
			st, err := statInput(ctx, pat)
			if errors.Is(err, fs.ErrNotExist) && !objstore.IsGS(pat) {
				// An Overwrite killed between its two renames left the table aside in a
				// hidden directory: put it back (only if its writer is dead), then look again.
				if RecoverOutput(vfs.Default, pat) == nil {
					st, err = statInput(ctx, pat)
				}
			}
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil, fmt.Errorf("datasource: input path %q does not exist: %w", pat, err)
				}
				return nil, fmt.Errorf("datasource: %w", err)
			}
			if st.dir {
				entries, err := readInputDir(ctx, pat)
				if err != nil {
					return nil, fmt.Errorf("datasource: %w", err)
				}
				for _, e := range entries {
					if hiddenName(e.name) || !e.regular {
						continue
					}
					add(joinInput(pat, e.name))
				}
			} else {
				add(pat)
			}
		}
		if matched == 0 {
			return nil, fmt.Errorf("datasource: no files match %q", pat)
		}
	}
	slices.Sort(out)
	return out, nil
}

func hasGlobMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

func hiddenName(name string) bool {
	return strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")
}

// MaxSplitBytes is Spark's FilePartition.maxSplitBytes: the size files are cut into so
// that a scan has about minPartitions pieces but none larger than maxPartitionBytes, and
// none smaller than OpenCostBytes. totalBytes should already include one OpenCostBytes per
// file.
func MaxSplitBytes(totalBytes, maxPartitionBytes int64, minPartitions int) int64 {
	if maxPartitionBytes <= 0 {
		maxPartitionBytes = 128 << 20
	}
	if minPartitions < 1 {
		minPartitions = 1
	}
	perCore := totalBytes / int64(minPartitions)
	return min(maxPartitionBytes, max(OpenCostBytes, perCore))
}

// fileSizes stats every file, returning sizes and Spark's total (size + open cost each).
func fileSizes(files []string) ([]int64, int64, error) {
	sizes := make([]int64, len(files))
	var total int64
	for i, f := range files {
		st, err := statInput(context.Background(), f)
		if err != nil {
			return nil, 0, fmt.Errorf("datasource: %w", err)
		}
		if !st.regular {
			return nil, 0, fmt.Errorf("datasource: %s is not a regular file", f)
		}
		sizes[i] = st.size
		total += st.size + OpenCostBytes
	}
	return sizes, total, nil
}

// PlanWholeFileSplits returns one split per file covering the whole file. CSV files with
// newlines inside quoted fields (CSVOptions.MultiLine) must be read this way.
func PlanWholeFileSplits(files []string) ([]FileSplit, error) {
	sizes, _, err := fileSizes(files)
	if err != nil {
		return nil, err
	}
	out := make([]FileSplit, len(files))
	for i, f := range files {
		out[i] = FileSplit{Path: f, Start: 0, End: sizes[i], FileSize: sizes[i]}
	}
	return out, nil
}

// PlanCSVSplits cuts CSV files into byte ranges of at most MaxSplitBytes (Spark's rule).
//
// Ownership rule: a split [Start, End) owns exactly the lines whose first byte lies in
// [Start, End), where a line starts at offset 0 or right after a '\n'. So a reader of a
// split with Start > 0 skips through the first '\n' at offset >= Start-1, and stops after
// the first '\n' at offset >= End-1. Adjacent splits agree on that newline, so every line
// is read exactly once. This assumes no newline inside a quoted field; files that have them
// must be read whole (PlanWholeFileSplits, CSVOptions.MultiLine).
//
// An empty file gets one empty split (so that the reader still checks it). Splits are in
// file order, then offset order.
func PlanCSVSplits(files []string, maxPartitionBytes int64, minPartitions int) ([]FileSplit, error) {
	sizes, total, err := fileSizes(files)
	if err != nil {
		return nil, err
	}
	maxSplit := MaxSplitBytes(total, maxPartitionBytes, minPartitions)
	var out []FileSplit
	for i, f := range files {
		size := sizes[i]
		if size == 0 {
			out = append(out, FileSplit{Path: f, FileSize: 0})
			continue
		}
		for start := int64(0); start < size; start += maxSplit {
			end := min(start+maxSplit, size)
			out = append(out, FileSplit{Path: f, Start: start, End: end, FileSize: size})
		}
	}
	return out, nil
}
