package eval

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/kindling-data/kindling/internal/memtest"
)

// TestCastOfSlicedTimestamps: a batch that is a slice of a larger one (as every batch
// after the first of a source cut into BatchRows is) casts its own rows, for every
// timestamp target, including a change of zone alone, which arrow-go's cast performs
// without copying and, on a slice, from the parent's first rows.
func TestCastOfSlicedTimestamps(t *testing.T) {
	mem := memtest.Checked()
	defer mem.AssertSize(t, 0)
	b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond})
	defer b.Release()
	for k := range 6 {
		if k == 4 {
			b.AppendNull()
			continue
		}
		b.Append(arrow.Timestamp(int64(k) * 86_400_000_000))
	}
	whole := b.NewArray()
	defer whole.Release()
	slice := array.NewSlice(whole, 3, 6)
	defer slice.Release()
	ev := &Evaluator{Ctx: context.Background(), Mem: mem}
	for _, to := range []arrow.DataType{
		&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "America/New_York"},
		&arrow.TimestampType{Unit: arrow.Millisecond},
		&arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"},
	} {
		out, err := ev.CastArray(slice, to)
		if err != nil {
			t.Fatal(err)
		}
		per := map[arrow.TimeUnit]int64{arrow.Microsecond: 86_400_000_000, arrow.Millisecond: 86_400_000, arrow.Second: 86_400}[to.(*arrow.TimestampType).Unit]
		got := out.(*array.Timestamp)
		for i, day := range []int64{3, 4, 5} {
			if day == 4 {
				if !got.IsNull(i) {
					t.Errorf("%v: row %d is %v, want NULL", to, i, got.Value(i))
				}
				continue
			}
			if got.IsNull(i) || int64(got.Value(i)) != day*per {
				t.Errorf("%v: row %d is %v, want day %d", to, i, got.Value(i), day)
			}
		}
		out.Release()
	}
}
