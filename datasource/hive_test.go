package datasource

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestPartitionValueEscaping(t *testing.T) {
	for _, v := range []string{"eu", "a/b", "x=y", "100%", "tab\there", "日本", "2024-01-01 10:00:00", "..", "#?*"} {
		esc := EscapePartitionValue(v)
		if strings.ContainsAny(esc, "/=\\:\t") {
			t.Errorf("%q escaped as %q: not one safe path segment", v, esc)
		}
		if back, ok := UnescapePartitionValue(esc); !ok || back != v {
			t.Errorf("%q → %q → %q, %v", v, esc, back, ok)
		}
	}
	if EscapePartitionValue("") != HiveNullPartition {
		t.Error(`"" is not the NULL partition`)
	}
	if _, ok := UnescapePartitionValue(HiveNullPartition); ok {
		t.Error("the NULL partition reads as a value")
	}
	if v, _ := UnescapePartitionValue("50%zz"); v != "50%zz" {
		t.Errorf("a stray %% is kept as Hive keeps it: got %q", v)
	}
}

func TestPartitionTypeInference(t *testing.T) {
	for _, c := range []struct {
		values []string
		want   arrow.DataType
	}{
		{[]string{"1", "-20", HiveNullPartition}, arrow.PrimitiveTypes.Int64},
		{[]string{"1", "2.5"}, arrow.PrimitiveTypes.Float64},
		{[]string{"2024-01-01", "2024-02-29"}, arrow.FixedWidthTypes.Date32},
		{[]string{"2024-01-01 10%3A00%3A00", "2024-01-02 00%3A00%3A00.5"}, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{[]string{"2024-01-01", "eu"}, arrow.BinaryTypes.String},
		{[]string{"NaN", "1"}, arrow.BinaryTypes.String},
		{[]string{HiveNullPartition}, arrow.BinaryTypes.String},
	} {
		raw := make([][]string, len(c.values))
		for i, v := range c.values {
			raw[i] = []string{v}
		}
		fields, values := typePartitionValues([]string{"p"}, raw)
		if !arrow.TypeEqual(fields[0].Type, c.want) {
			t.Errorf("%v: type %s, want %s", c.values, fields[0].Type, c.want)
		}
		for i, v := range c.values {
			if (v == HiveNullPartition) == values[i][0].IsValid() {
				t.Errorf("%v: value %d validity %v", c.values, i, values[i][0].IsValid())
			}
		}
	}
}
