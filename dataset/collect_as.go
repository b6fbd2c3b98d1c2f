package dataset

import (
	"context"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// CollectAs runs the job and returns its rows as values of the struct type T, in the
// order Collect returns them. A column goes to the exported field tagged
// `kindling:"name"` with its name, or else to the field whose name matches it
// case-insensitively (as encoding/json matches keys); a tag "-" skips the field.
// Columns no field takes are ignored, and fields no column fills stay zero.
//
// The field types a column converts to:
//
//	int64, int   any signed integer column, or uint8, uint16, uint32
//	int32        int8, int16, int32 columns
//	float64      floating-point and integer columns
//	string       string columns (dictionary-encoded too); the value is copied
//	bool         boolean columns
//	time.Time    timestamp (UTC) and date (midnight UTC) columns
//	*big.Rat     decimal columns, exactly
//
// and a pointer to one of them (*int64, *string, ...) takes NULLs as nil. A NULL for a
// field that is not a pointer, or a column whose type does not convert to its field's,
// is an error naming the column and the field; the types are checked before the job
// runs. The conversions are chosen once per column and batch, not per row, and the rows
// stream in (Batches), so only the result values are held.
func CollectAs[T any](ctx context.Context, d *Dataset) ([]T, error) {
	var zero T
	st := reflect.TypeOf(zero)
	if st == nil || st.Kind() != reflect.Struct {
		return nil, fmt.Errorf("dataset: CollectAs: %T is not a struct type", zero)
	}
	schema, err := d.Schema()
	if err != nil {
		return nil, err
	}
	fields, err := planFields(st, schema)
	if err != nil {
		return nil, err
	}
	var out []T
	for rec, err := range d.Batches(ctx) {
		if err != nil {
			return nil, err
		}
		start := len(out)
		out = append(out, make([]T, rec.NumRows())...)
		for _, f := range fields {
			set, err := f.bind(rec.Column(f.col))
			if err != nil {
				return nil, err
			}
			for i := range int(rec.NumRows()) {
				if err := set(unsafe.Add(unsafe.Pointer(&out[start+i]), f.offset), i); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// fieldPlan says where column col goes in the struct and how its arrays are read.
type fieldPlan struct {
	col    int
	offset uintptr
	bind   func(a arrow.Array) (func(p unsafe.Pointer, i int) error, error)
}

// planFields matches the schema's columns to st's fields and checks their types.
func planFields(st reflect.Type, schema *arrow.Schema) ([]fieldPlan, error) {
	var plans []fieldPlan
	for c, col := range schema.Fields() {
		f, ok := fieldFor(st, col.Name)
		if !ok {
			continue
		}
		what := fmt.Sprintf("column %q (%s) into field %s.%s (%s)", col.Name, col.Type, st.Name(), f.Name, f.Type)
		bind, err := binder(f.Type, col.Type, what)
		if err != nil {
			return nil, err
		}
		plans = append(plans, fieldPlan{col: c, offset: f.Offset, bind: bind})
	}
	return plans, nil
}

// fieldFor finds the exported field of st that column name goes to.
func fieldFor(st reflect.Type, name string) (reflect.StructField, bool) {
	var byName reflect.StructField
	found := false
	for i := range st.NumField() {
		f := st.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("kindling"), ",")
		if tag == "-" {
			continue
		}
		if tag != "" {
			if tag == name {
				return f, true
			}
			continue
		}
		if f.Name == name {
			return f, true
		}
		if !found && strings.EqualFold(f.Name, name) {
			byName, found = f, true
		}
	}
	return byName, found
}

var (
	typeTime = reflect.TypeFor[time.Time]()
	typeRat  = reflect.TypeFor[*big.Rat]()
)

// binder returns how arrays of column type ct are written into fields of type ft.
func binder(ft reflect.Type, ct arrow.DataType, what string) (func(a arrow.Array) (func(p unsafe.Pointer, i int) error, error), error) {
	ptr := ft.Kind() == reflect.Pointer && ft != typeRat
	base := ft
	if ptr {
		base = ft.Elem()
	}
	if !convertible(base, ct) {
		return nil, fmt.Errorf("dataset: CollectAs: cannot convert %s", what)
	}
	switch {
	case base == typeTime:
		return bindAs(ptr, what, timeGetter), nil
	case base == typeRat:
		return bindAs(ptr, what, ratGetter), nil
	}
	switch base.Kind() {
	case reflect.Int64:
		return bindAs(ptr, what, intGetter[int64]), nil
	case reflect.Int:
		return bindAs(ptr, what, intGetter[int]), nil
	case reflect.Int32:
		return bindAs(ptr, what, intGetter[int32]), nil
	case reflect.Float64:
		return bindAs(ptr, what, floatGetter), nil
	case reflect.String:
		return bindAs(ptr, what, stringGetter), nil
	case reflect.Bool:
		return bindAs(ptr, what, boolGetter), nil
	}
	return nil, fmt.Errorf("dataset: CollectAs: cannot convert %s", what)
}

// convertible reports whether a column of type ct fills a field of type t.
func convertible(t reflect.Type, ct arrow.DataType) bool {
	switch {
	case t == typeTime:
		return ct.ID() == arrow.TIMESTAMP || ct.ID() == arrow.DATE32
	case t == typeRat:
		return ct.ID() == arrow.DECIMAL128
	}
	switch t.Kind() {
	case reflect.Int64, reflect.Int:
		switch ct.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
			return true
		}
	case reflect.Int32:
		switch ct.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32:
			return true
		}
	case reflect.Float64:
		switch ct.ID() {
		case arrow.FLOAT32, arrow.FLOAT64, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
			return true
		}
	case reflect.String:
		return isStringType(ct)
	case reflect.Bool:
		return ct.ID() == arrow.BOOL
	}
	return false
}

// bindAs makes the setter of a field of type X (or *X when ptr) from getter, which reads
// one array's values.
func bindAs[X any](ptr bool, what string, getter func(a arrow.Array) func(i int) X) func(a arrow.Array) (func(p unsafe.Pointer, i int) error, error) {
	return func(a arrow.Array) (func(p unsafe.Pointer, i int) error, error) {
		get := getter(a)
		if get == nil {
			return nil, fmt.Errorf("dataset: CollectAs: cannot convert %s: got an array of %s", what, a.DataType())
		}
		nulls := a.NullN() > 0
		if ptr {
			return func(p unsafe.Pointer, i int) error {
				if nulls && a.IsNull(i) {
					*(**X)(p) = nil
					return nil
				}
				v := get(i)
				*(**X)(p) = &v
				return nil
			}, nil
		}
		return func(p unsafe.Pointer, i int) error {
			if nulls && a.IsNull(i) {
				return fmt.Errorf("dataset: CollectAs: a NULL in %s: use a pointer field for a column with NULLs", what)
			}
			*(*X)(p) = get(i)
			return nil
		}, nil
	}
}

func intGetter[X int64 | int32 | int](a arrow.Array) func(i int) X {
	switch a := a.(type) {
	case *array.Int64:
		v := a.Int64Values()
		return func(i int) X { return X(v[i]) }
	case *array.Int32:
		v := a.Int32Values()
		return func(i int) X { return X(v[i]) }
	case *array.Int16:
		v := a.Int16Values()
		return func(i int) X { return X(v[i]) }
	case *array.Int8:
		v := a.Int8Values()
		return func(i int) X { return X(v[i]) }
	case *array.Uint32:
		v := a.Uint32Values()
		return func(i int) X { return X(v[i]) }
	case *array.Uint16:
		v := a.Uint16Values()
		return func(i int) X { return X(v[i]) }
	case *array.Uint8:
		v := a.Uint8Values()
		return func(i int) X { return X(v[i]) }
	}
	return nil
}

func floatGetter(a arrow.Array) func(i int) float64 {
	switch a := a.(type) {
	case *array.Float64:
		v := a.Float64Values()
		return func(i int) float64 { return v[i] }
	case *array.Float32:
		v := a.Float32Values()
		return func(i int) float64 { return float64(v[i]) }
	}
	if g := intGetter[int64](a); g != nil {
		return func(i int) float64 { return float64(g(i)) }
	}
	return nil
}

func stringGetter(a arrow.Array) func(i int) string {
	switch a := a.(type) {
	case *array.String:
		return func(i int) string { return strings.Clone(a.Value(i)) }
	case *array.LargeString:
		return func(i int) string { return strings.Clone(a.Value(i)) }
	case *array.Dictionary:
		// Each dictionary value decoded (and copied) once per batch, not per row.
		dict := stringGetter(a.Dictionary())
		if dict == nil {
			return nil
		}
		values := make([]string, a.Dictionary().Len())
		for j := range values {
			if a.Dictionary().IsValid(j) {
				values[j] = dict(j)
			}
		}
		return func(i int) string { return values[a.GetValueIndex(i)] }
	}
	return nil
}

func boolGetter(a arrow.Array) func(i int) bool {
	if b, ok := a.(*array.Boolean); ok {
		return b.Value
	}
	return nil
}

func timeGetter(a arrow.Array) func(i int) time.Time {
	switch a := a.(type) {
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		v := a.TimestampValues()
		return func(i int) time.Time { return v[i].ToTime(unit).UTC() }
	case *array.Date32:
		v := a.Date32Values()
		return func(i int) time.Time { return v[i].ToTime().UTC() }
	}
	return nil
}

func ratGetter(a arrow.Array) func(i int) *big.Rat {
	d, ok := a.(*array.Decimal128)
	if !ok {
		return nil
	}
	scale := d.DataType().(*arrow.Decimal128Type).Scale
	denom := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
	return func(i int) *big.Rat {
		return new(big.Rat).SetFrac(decimal128.Num(d.Value(i)).BigInt(), denom)
	}
}
