package iceberg

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	iceberggo "github.com/apache/iceberg-go"

	"github.com/kindling-data/kindling/dataset"
)

// PartitionField is one field of a table's partition spec: a source column and the
// Iceberg transform deriving the partition value from it. Build one with Identity,
// Year, Month, Day, Hour, Bucket or Truncate.
type PartitionField struct {
	// Column is the source column.
	Column string
	// Transform is the Iceberg transform: identity, year, month, day, hour,
	// bucket[N] or truncate[W].
	Transform string
	// Name is the partition field's name; "" gives Spark's default (the column for
	// identity, column_year, column_month, column_day, column_hour, column_bucket,
	// column_trunc).
	Name string
}

// Identity partitions by the column's value.
func Identity(column string) PartitionField {
	return PartitionField{Column: column, Transform: "identity"}
}

// Year partitions a date or timestamp column by year.
func Year(column string) PartitionField { return PartitionField{Column: column, Transform: "year"} }

// Month partitions a date or timestamp column by month.
func Month(column string) PartitionField { return PartitionField{Column: column, Transform: "month"} }

// Day partitions a date or timestamp column by day (UTC for timestamps with a zone).
func Day(column string) PartitionField { return PartitionField{Column: column, Transform: "day"} }

// Hour partitions a timestamp column by hour.
func Hour(column string) PartitionField { return PartitionField{Column: column, Transform: "hour"} }

// Bucket partitions by Iceberg's hash of the column into n buckets. Kindling cannot
// compute that hash, so writes to a bucketed table go through iceberg-go's writer.
func Bucket(column string, n int) PartitionField {
	return PartitionField{Column: column, Transform: fmt.Sprintf("bucket[%d]", n)}
}

// Truncate partitions an integer column by value rounded down to a multiple of width,
// or a string column by its first width characters.
func Truncate(column string, width int) PartitionField {
	return PartitionField{Column: column, Transform: fmt.Sprintf("truncate[%d]", width)}
}

func (p PartitionField) defaultName(t iceberggo.Transform) string {
	if p.Name != "" {
		return p.Name
	}
	switch t.(type) {
	case iceberggo.IdentityTransform:
		return p.Column
	case iceberggo.YearTransform:
		return p.Column + "_year"
	case iceberggo.MonthTransform:
		return p.Column + "_month"
	case iceberggo.DayTransform:
		return p.Column + "_day"
	case iceberggo.HourTransform:
		return p.Column + "_hour"
	case iceberggo.BucketTransform:
		return p.Column + "_bucket"
	case iceberggo.TruncateTransform:
		return p.Column + "_trunc"
	}
	return p.Column + "_" + t.String()
}

func buildSpec(sc *iceberggo.Schema, fields []PartitionField) (iceberggo.PartitionSpec, error) {
	if len(fields) == 0 {
		return *iceberggo.UnpartitionedSpec, nil
	}
	opts := make([]iceberggo.PartitionOption, 0, len(fields))
	for _, f := range fields {
		t, err := iceberggo.ParseTransform(f.Transform)
		if err != nil {
			return iceberggo.PartitionSpec{}, err
		}
		if _, unknown := t.(iceberggo.UnknownTransform); unknown {
			return iceberggo.PartitionSpec{}, fmt.Errorf("unknown partition transform %q", f.Transform)
		}
		opts = append(opts, iceberggo.AddPartitionFieldByName(f.Column, f.defaultName(t), t, sc, nil))
	}
	return iceberggo.NewPartitionSpecOpts(opts...)
}

// partitionKey is a column kindling computes and lays the written files out by
// (PartitionedBy), so that each file holds the rows of one Iceberg partition. Its value
// need not be Iceberg's partition value: iceberg-go reads that from the file's column
// bounds when the file is added, and fails if a file spans two partitions. It only has
// to be at least as fine as the transform, and to keep NULL apart from every value.
type partitionKey struct {
	name string
	expr dataset.Expr
}

// emptyString stands for "" in a string key, which kindling's Hive layout would
// otherwise write in the same directory as NULL; a file holding NULLs under a non-NULL
// partition value would be skipped by an IS NULL scan.
const emptyString = "__EMPTY_STRING__"

// partitionKeys returns the key columns for spec, or ok=false when kindling cannot
// compute a key (bucket, truncate of a decimal), in which case the rows are written by
// iceberg-go.
func partitionKeys(spec iceberggo.PartitionSpec, sc *iceberggo.Schema) (keys []partitionKey, ok bool, err error) {
	taken := map[string]bool{}
	for _, f := range sc.Fields() {
		taken[f.Name] = true
	}
	for _, pf := range spec.Fields() {
		src, found := sc.FindFieldByID(pf.SourceID())
		if !found {
			return nil, false, fmt.Errorf("partition field %s: source column %d not in the schema", pf.Name, pf.SourceID())
		}
		if _, void := pf.Transform.(iceberggo.VoidTransform); void {
			continue
		}
		col, srcName := dataset.Col(src.Name), src.Name
		if full, _ := sc.FindColumnName(src.ID); full != srcName {
			return nil, false, nil // a nested source column
		}
		x, can := keyExpr(pf.Transform, col, src.Type)
		if !can {
			return nil, false, nil
		}
		name := pf.Name
		for taken[name] {
			name = "_" + name
		}
		taken[name] = true
		keys = append(keys, partitionKey{name: name, expr: x.As(name)})
	}
	return keys, true, nil
}

func keyExpr(t iceberggo.Transform, col dataset.Expr, typ iceberggo.Type) (dataset.Expr, bool) {
	switch tr := t.(type) {
	case iceberggo.IdentityTransform:
		return identityKey(col, typ)
	case iceberggo.YearTransform:
		d, ok := dateOf(col, typ)
		return dataset.Year(d), ok
	case iceberggo.MonthTransform:
		d, ok := dateOf(col, typ)
		return dataset.Year(d).Mul(dataset.Lit(12)).Add(dataset.Month(d)), ok
	case iceberggo.DayTransform:
		return dateOf(col, typ)
	case iceberggo.HourTransform:
		if !isTimestamp(typ) {
			return dataset.Expr{}, false
		}
		return dataset.Floor(col.Cast(arrow.PrimitiveTypes.Float64).Div(dataset.Lit(3600.0))), true
	case iceberggo.TruncateTransform:
		w := dataset.Lit(int64(tr.Width))
		switch typ.(type) {
		case iceberggo.Int32Type, iceberggo.Int64Type:
			return col.Sub(col.Mod(w).Add(w).Mod(w)), true
		case iceberggo.StringType:
			return guardEmpty(dataset.Substring(col, 1, tr.Width)), true
		}
	}
	return dataset.Expr{}, false
}

func identityKey(col dataset.Expr, typ iceberggo.Type) (dataset.Expr, bool) {
	switch typ.(type) {
	case iceberggo.StringType:
		return guardEmpty(col), true
	case iceberggo.BooleanType, iceberggo.Int32Type, iceberggo.Int64Type, iceberggo.DateType:
		return col, true
	case iceberggo.TimestampType, iceberggo.TimestampTzType:
		return col, true
	case iceberggo.Float32Type, iceberggo.Float64Type, iceberggo.DecimalType:
		return col.Cast(arrow.BinaryTypes.String), true
	}
	return dataset.Expr{}, false
}

func guardEmpty(x dataset.Expr) dataset.Expr {
	return dataset.If(x.Eq(dataset.Lit("")), dataset.Lit(emptyString), x)
}

func isTimestamp(typ iceberggo.Type) bool {
	switch typ.(type) {
	case iceberggo.TimestampType, iceberggo.TimestampTzType:
		return true
	}
	return false
}

// dateOf is the UTC date of a timestamp, computed from its epoch seconds rather than by
// kindling's date functions, which read the session's time zone; Iceberg's transforms
// are in UTC.
func dateOf(col dataset.Expr, typ iceberggo.Type) (dataset.Expr, bool) {
	if _, ok := typ.(iceberggo.DateType); ok {
		return col, true
	}
	if !isTimestamp(typ) {
		return dataset.Expr{}, false
	}
	days := dataset.Floor(col.Cast(arrow.PrimitiveTypes.Float64).Div(dataset.Lit(86400.0)))
	return dataset.DateAdd(dataset.Lit(arrow.Date32(0)), days), true
}

// metricsFull returns the table properties that make iceberg-go record the full
// bounds of each partition source column: the partition value of an added file is read
// from them, and a string bound truncated to 16 characters (the default) or missing
// (metrics mode none or counts) would give a wrong or no value.
func metricsFull(spec iceberggo.PartitionSpec, sc *iceberggo.Schema, props iceberggo.Properties) iceberggo.Properties {
	var set iceberggo.Properties
	var seen []int
	for _, pf := range spec.Fields() {
		if slices.Contains(seen, pf.SourceID()) {
			continue
		}
		seen = append(seen, pf.SourceID())
		name, ok := sc.FindColumnName(pf.SourceID())
		if !ok {
			continue
		}
		key := "write.metadata.metrics.column." + name
		if props.Get(key, "") != "full" {
			if set == nil {
				set = iceberggo.Properties{}
			}
			set[key] = "full"
		}
	}
	return set
}
