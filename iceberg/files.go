package iceberg

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	iceberggo "github.com/apache/iceberg-go"
	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
)

// describeFiles builds the manifest entries of the Parquet files kindling wrote under
// dir; empty files (kindling writes one for an empty result) are removed instead.
func describeFiles(ctx context.Context, tbl *table.Table, dir string) ([]iceberggo.DataFile, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := e.Name()
		if !e.IsDir() && strings.HasSuffix(name, ".parquet") && !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "_") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	tfs, err := tbl.FS(ctx)
	if err != nil {
		return nil, err
	}
	sc, spec := tbl.Schema(), tbl.Spec()
	props := maps.Clone(tbl.Properties())
	if props == nil {
		props = iceberggo.Properties{}
	}
	maps.Copy(props, metricsFull(spec, sc, props))
	var files []iceberggo.DataFile
	for _, p := range paths {
		df, err := describeFile(ctx, tfs, p, sc, spec, props)
		if err != nil {
			return nil, fmt.Errorf("describing %s: %w", p, err)
		}
		if df == nil {
			_ = os.Remove(p)
			continue
		}
		files = append(files, df)
	}
	return files, nil
}

// describeFile reads a file's footer for its statistics (iceberg-go's FileToDataFile)
// and computes its partition values itself. iceberg-go would infer them from the column
// bounds, but it drops an empty string's bound, recording NULL for the partition of ""
// (a scan for region = "" would then skip the file), and cannot infer a value for a
// transform that does not preserve order.
func describeFile(ctx context.Context, tfs icebergio.IO, path string, sc *iceberggo.Schema, spec iceberggo.PartitionSpec, props iceberggo.Properties) (iceberggo.DataFile, error) {
	stats, err := table.FileToDataFile(ctx, tfs, path, sc, *iceberggo.UnpartitionedSpec, 0, props)
	if err != nil {
		return nil, err
	}
	if stats.Count() == 0 {
		return nil, nil
	}
	values, logical, err := partitionValues(ctx, path, sc, spec, stats)
	if err != nil {
		return nil, err
	}
	b, err := iceberggo.NewDataFileBuilder(spec, iceberggo.EntryContentData, path, iceberggo.ParquetFile,
		values, logical, nil, stats.Count(), stats.FileSizeBytes())
	if err != nil {
		return nil, err
	}
	b.ColumnSizes(stats.ColumnSizes()).ValueCounts(stats.ValueCounts()).
		NullValueCounts(stats.NullValueCounts()).NaNValueCounts(stats.NaNValueCounts()).
		LowerBoundValues(stats.LowerBoundValues()).UpperBoundValues(stats.UpperBoundValues()).
		SplitOffsets(stats.SplitOffsets())
	return b.Build(), nil
}

// Avro logical types of partition values, as iceberg-go names them (twmb/avro's atype).
const (
	avroDate            = "date"
	avroTimeMicros      = "time-micros"
	avroTimestampMicros = "timestamp-micros"
	avroDecimal         = "decimal"
)

// partitionValues applies each partition transform to the first row's source value,
// then checks the file's statistics agree (no NULL beside a value, bounds in the same
// partition): kindling's layout keys are meant to put one partition in a file, and a
// file that does not would be silently misfiled.
func partitionValues(ctx context.Context, path string, sc *iceberggo.Schema, spec iceberggo.PartitionSpec, stats iceberggo.DataFile) (map[int]any, map[int]string, error) {
	if spec.NumFields() == 0 {
		return nil, nil, nil
	}
	var sources []string
	for _, pf := range spec.Fields() {
		name, ok := sc.FindColumnName(pf.SourceID())
		if !ok {
			return nil, nil, fmt.Errorf("partition field %s: no source column %d", pf.Name, pf.SourceID())
		}
		sources = append(sources, name)
	}
	first, err := firstRow(ctx, path, sources)
	if err != nil {
		return nil, nil, err
	}
	values, logical := map[int]any{}, map[int]string{}
	for i, pf := range spec.Fields() {
		src, _ := sc.FindFieldByID(pf.SourceID())
		lit, err := literalOf(first[i], src.Type)
		if err != nil {
			return nil, nil, fmt.Errorf("partition field %s: %w", pf.Name, err)
		}
		v := pf.Transform.Apply(lit)
		if err := checkOnePartition(pf, src, v, stats); err != nil {
			return nil, nil, err
		}
		values[pf.FieldID] = nil
		if v.Valid {
			values[pf.FieldID] = v.Val.Any()
		}
		switch pf.Transform.ResultType(src.Type).(type) {
		case iceberggo.DateType:
			logical[pf.FieldID] = avroDate
		case iceberggo.TimeType:
			logical[pf.FieldID] = avroTimeMicros
		case iceberggo.TimestampType, iceberggo.TimestampTzType:
			logical[pf.FieldID] = avroTimestampMicros
		case iceberggo.DecimalType:
			logical[pf.FieldID] = avroDecimal
		}
	}
	return values, logical, nil
}

func checkOnePartition(pf iceberggo.PartitionField, src iceberggo.NestedField, v iceberggo.Optional[iceberggo.Literal], stats iceberggo.DataFile) error {
	nulls := stats.NullValueCounts()[src.ID]
	mixed := fmt.Errorf("a file holds rows of several partitions of %s", pf.Name)
	if !v.Valid {
		if nulls != stats.Count() {
			return mixed
		}
		return nil
	}
	if nulls > 0 {
		return mixed
	}
	for _, bound := range []map[int][]byte{stats.LowerBoundValues(), stats.UpperBoundValues()} {
		raw, ok := bound[src.ID]
		if !ok {
			continue
		}
		lit, err := iceberggo.LiteralFromBytes(src.Type, raw)
		if err != nil {
			return err
		}
		if b := pf.Transform.Apply(iceberggo.Optional[iceberggo.Literal]{Val: lit, Valid: true}); !b.Valid || !b.Val.Equals(v.Val) {
			return mixed
		}
	}
	return nil
}

// firstRow reads the first row's values of the named top-level columns.
func firstRow(ctx context.Context, path string, columns []string) ([]arrow.Array, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	leaves := make([]int, len(columns))
	for i, c := range columns {
		leaves[i] = -1
		for _, f := range fr.Manifest.Fields {
			if f.Field.Name == c && f.IsLeaf() {
				leaves[i] = f.ColIndex
			}
		}
		if leaves[i] < 0 {
			return nil, fmt.Errorf("no column %q", c)
		}
	}
	rr, err := fr.GetRecordReader(ctx, leaves, []int{0})
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	rec, err := rr.Read()
	if err != nil {
		return nil, err
	}
	out := make([]arrow.Array, len(columns))
	for i, c := range columns {
		idx := rec.Schema().FieldIndices(c)
		if len(idx) == 0 {
			return nil, fmt.Errorf("no column %q", c)
		}
		out[i] = array.NewSlice(rec.Column(idx[0]), 0, 1)
	}
	return out, nil
}

// literalOf converts a one-value array to the Iceberg literal of type typ (invalid for
// NULL).
func literalOf(a arrow.Array, typ iceberggo.Type) (iceberggo.Optional[iceberggo.Literal], error) {
	var none iceberggo.Optional[iceberggo.Literal]
	if a.IsNull(0) {
		return none, nil
	}
	var lit iceberggo.Literal
	switch a := a.(type) {
	case *array.String:
		lit = iceberggo.NewLiteral(a.Value(0))
	case *array.LargeString:
		lit = iceberggo.NewLiteral(a.Value(0))
	case *array.Boolean:
		lit = iceberggo.NewLiteral(a.Value(0))
	case *array.Int32:
		lit = iceberggo.NewLiteral(a.Value(0))
	case *array.Int64:
		lit = iceberggo.NewLiteral(a.Value(0))
	case *array.Float32:
		lit = iceberggo.NewLiteral(a.Value(0))
	case *array.Float64:
		lit = iceberggo.NewLiteral(a.Value(0))
	case *array.Date32:
		lit = iceberggo.NewLiteral(iceberggo.Date(a.Value(0)))
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		us := int64(a.Value(0)) * int64(unit.Multiplier()) / int64(arrow.Microsecond.Multiplier())
		lit = iceberggo.NewLiteral(iceberggo.Timestamp(us))
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		lit = iceberggo.NewLiteral(iceberggo.Decimal{Val: a.Value(0), Scale: int(scale)})
	default:
		return none, fmt.Errorf("cannot take a partition value from a %s column", a.DataType())
	}
	conv, err := lit.To(typ)
	if err != nil {
		return none, err
	}
	return iceberggo.Optional[iceberggo.Literal]{Val: conv, Valid: true}, nil
}
