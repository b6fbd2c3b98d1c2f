package datasource

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/kindling-data/kindling/internal/objstore"
	"github.com/kindling-data/kindling/internal/vfs"
)

// HiveTable is what partition discovery found under table directories laid out as
// col=value subdirectories (the Hive layout Spark, Trino and DuckDB read and write).
type HiveTable struct {
	// Fields are the partition columns, in directory order, with the types inferred from
	// their values: int64 if every value is an integer, else float64 if every value is a
	// number, else date32 if every value is a date (2024-01-01), else timestamp[us, UTC]
	// if every value is a timestamp, else string. A column whose values are all NULL is a
	// string.
	Fields []arrow.Field
	// Files are the data files, sorted.
	Files []string
	// Dirs are the distinct partition directories relative to their table directory
	// (day=2024-01-01/region=eu), sorted; FileDir[i] is the index in Dirs of Files[i].
	Dirs    []string
	FileDir []int
	// Values[d] holds directory d's value of each partition column, nil for NULL.
	Values [][]scalar.Scalar
}

// DiscoverHive looks for a Hive layout under patterns. It returns nil (and no error)
// unless every pattern is a directory whose data files all lie in col=value
// subdirectories, so that a plain directory of files is read as before. Files at several
// depths, or directories naming different columns, are an error naming both paths.
func DiscoverHive(patterns []string) (*HiveTable, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	type found struct {
		file, dir string
		cols      []string
		values    []string
	}
	var all []found
	for _, pat := range patterns {
		if hasGlobMeta(pat) {
			return nil, nil
		}
		st, err := statInput(context.Background(), pat)
		if err != nil || !st.dir {
			return nil, nil
		}
		if !objstore.IsGS(pat) {
			RecoverOutput(vfs.Default, pat) // complete a committed append whose writer died
		}
		if !looksPartitioned(pat) {
			return nil, nil
		}
		var files []found
		hasPartitionDir := false
		err = walkHive(pat, "", nil, nil, func(file, rel string, cols, values []string) {
			files = append(files, found{file: file, dir: rel, cols: cols, values: values})
		}, &hasPartitionDir)
		if err != nil {
			return nil, err
		}
		if !hasPartitionDir {
			return nil, nil
		}
		all = append(all, files...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("datasource: no data files under %s", strings.Join(patterns, ", "))
	}
	cols := all[0].cols
	for _, f := range all[1:] {
		if !slices.Equal(f.cols, cols) {
			return nil, fmt.Errorf("datasource: inconsistent partition layout: %s is partitioned by (%s) but %s by (%s)",
				all[0].file, strings.Join(cols, ", "), f.file, strings.Join(f.cols, ", "))
		}
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("datasource: %s lies beside partition directories: a table's data files are either all in col=value directories or none are", all[0].file)
	}
	slices.SortFunc(all, func(a, b found) int { return strings.Compare(a.file, b.file) })
	t := &HiveTable{}
	dirIndex := map[string]int{}
	var rawValues [][]string
	for _, f := range all {
		d, ok := dirIndex[f.dir]
		if !ok {
			d = len(t.Dirs)
			dirIndex[f.dir] = d
			t.Dirs = append(t.Dirs, f.dir)
			rawValues = append(rawValues, f.values)
		}
		t.Files = append(t.Files, f.file)
		t.FileDir = append(t.FileDir, d)
	}
	t.Fields, t.Values = typePartitionValues(cols, rawValues)
	return t, nil
}

// looksPartitioned says whether dir's own entries are those of a partitioned table: no
// data file, and only col=value subdirectories. A directory of files keeps being read as
// before, whatever other subdirectories it has (ExpandPaths does not descend into them).
func looksPartitioned(dir string) bool {
	entries, err := readInputDir(context.Background(), dir)
	if err != nil {
		return false
	}
	partitions := 0
	for _, e := range entries {
		if hiddenName(e.name) {
			continue
		}
		if !e.dir {
			return false
		}
		if _, _, ok := ParseHiveSegment(e.name); !ok {
			return false
		}
		partitions++
	}
	return partitions > 0
}

// walkHive visits the data files under dir (rel is dir relative to the table directory),
// collecting the col=value names on the way down.
func walkHive(dir, rel string, cols, values []string, visit func(file, rel string, cols, values []string), partitioned *bool) error {
	entries, err := readInputDir(context.Background(), dir)
	if err != nil {
		return fmt.Errorf("datasource: %w", err)
	}
	var files, subdirs []string
	for _, e := range entries {
		if hiddenName(e.name) {
			continue
		}
		if e.dir {
			subdirs = append(subdirs, e.name)
		} else if e.regular {
			files = append(files, e.name)
		}
	}
	if len(files) > 0 && len(subdirs) > 0 {
		return fmt.Errorf("datasource: %s holds both files (%s) and directories (%s): a partitioned table's files lie only in its leaf col=value directories",
			dir, files[0], subdirs[0])
	}
	for _, f := range files {
		visit(joinInput(dir, f), rel, cols, values)
	}
	for _, sd := range subdirs {
		col, v, ok := ParseHiveSegment(sd)
		if !ok {
			return fmt.Errorf("datasource: %s is not a col=value partition directory", joinInput(dir, sd))
		}
		*partitioned = true
		if slices.Contains(cols, col) {
			return fmt.Errorf("datasource: %s names partition column %q twice", joinInput(dir, sd), col)
		}
		err := walkHive(joinInput(dir, sd), filepath.Join(rel, sd),
			append(slices.Clone(cols), col), append(slices.Clone(values), v), visit, partitioned)
		if err != nil {
			return err
		}
	}
	return nil
}

// typePartitionValues infers each partition column's type from all its values and
// converts them.
func typePartitionValues(cols []string, raw [][]string) ([]arrow.Field, [][]scalar.Scalar) {
	fields := make([]arrow.Field, len(cols))
	values := make([][]scalar.Scalar, len(raw))
	for d := range raw {
		values[d] = make([]scalar.Scalar, len(cols))
	}
	for c, name := range cols {
		texts := make([]string, len(raw))
		valid := make([]bool, len(raw))
		for d := range raw {
			texts[d], valid[d] = UnescapePartitionValue(raw[d][c])
		}
		t, conv := inferPartitionType(texts, valid)
		fields[c] = arrow.Field{Name: name, Type: t, Nullable: true}
		for d := range raw {
			if valid[d] {
				values[d][c] = conv(texts[d])
			} else {
				values[d][c] = scalar.MakeNullScalar(t)
			}
		}
	}
	return fields, values
}

// inferPartitionType picks the narrowest type of the order int64, float64, date32,
// timestamp, string that reads every valid value, and a converter into it.
func inferPartitionType(texts []string, valid []bool) (arrow.DataType, func(string) scalar.Scalar) {
	all := func(ok func(string) bool) bool {
		any := false
		for i, s := range texts {
			if valid[i] {
				if !ok(s) {
					return false
				}
				any = true
			}
		}
		return any
	}
	switch {
	case all(func(s string) bool { _, err := strconv.ParseInt(s, 10, 64); return err == nil }):
		return arrow.PrimitiveTypes.Int64, func(s string) scalar.Scalar {
			v, _ := strconv.ParseInt(s, 10, 64)
			return scalar.NewInt64Scalar(v)
		}
	case all(func(s string) bool {
		_, err := strconv.ParseFloat(s, 64)
		return err == nil && !strings.ContainsAny(s, "xXnNiI_")
	}):
		return arrow.PrimitiveTypes.Float64, func(s string) scalar.Scalar {
			v, _ := strconv.ParseFloat(s, 64)
			return scalar.NewFloat64Scalar(v)
		}
	case all(func(s string) bool { _, err := time.Parse(time.DateOnly, s); return err == nil }):
		return arrow.FixedWidthTypes.Date32, func(s string) scalar.Scalar {
			t, _ := time.Parse(time.DateOnly, s)
			return scalar.NewDate32Scalar(arrow.Date32FromTime(t))
		}
	case all(func(s string) bool { _, ok := parsePartitionTimestamp(s); return ok }):
		tsType := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		return tsType, func(s string) scalar.Scalar {
			t, _ := parsePartitionTimestamp(s)
			return scalar.NewTimestampScalar(arrow.Timestamp(t.UnixMicro()), tsType)
		}
	}
	return arrow.BinaryTypes.String, func(s string) scalar.Scalar { return scalar.NewStringScalar(s) }
}

func parsePartitionTimestamp(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// PartitionColumn makes an array of n copies of a partition value, allocated from mem.
func PartitionColumn(v scalar.Scalar, n int, mem memory.Allocator) (arrow.Array, error) {
	arr, err := scalar.MakeArrayFromScalar(v, n, mem)
	if err != nil {
		return nil, fmt.Errorf("datasource: partition value %s: %w", v, err)
	}
	return arr, nil
}

// PartitionValuesBatch is a batch of one row per partition directory of t (the given
// directories), with the partition columns as its columns: a filter evaluated over it
// says which directories can hold matching rows.
func (t *HiveTable) PartitionValuesBatch(dirs []int, mem memory.Allocator) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, len(t.Fields))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for c, f := range t.Fields {
		b := array.NewBuilder(mem, f.Type)
		for _, d := range dirs {
			if err := appendScalar(b, t.Values[d][c]); err != nil {
				b.Release()
				return nil, err
			}
		}
		cols[c] = b.NewArray()
		b.Release()
	}
	return array.NewRecordBatch(arrow.NewSchema(t.Fields, nil), cols, int64(len(dirs))), nil
}

func appendScalar(b array.Builder, v scalar.Scalar) error {
	if !v.IsValid() {
		b.AppendNull()
		return nil
	}
	switch v := v.(type) {
	case *scalar.Int64:
		b.(*array.Int64Builder).Append(v.Value)
	case *scalar.Float64:
		b.(*array.Float64Builder).Append(v.Value)
	case *scalar.Date32:
		b.(*array.Date32Builder).Append(v.Value)
	case *scalar.Timestamp:
		b.(*array.TimestampBuilder).Append(v.Value)
	case *scalar.String:
		b.(*array.StringBuilder).Append(v.String())
	default:
		return errors.New("datasource: partition value of type " + v.DataType().String())
	}
	return nil
}
