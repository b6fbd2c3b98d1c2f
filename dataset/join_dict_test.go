package dataset

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// dictSides makes a left side (region as a dictionary, t) and a right side (region as
// plain strings, lo, hi, tag) with NULL regions and times, in a few partitions each.
func dictSides(t *testing.T, f *fixture) (left, right [][]any, l, r *Dataset) {
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	ls := arrow.NewSchema([]arrow.Field{{Name: "region", Type: dictType, Nullable: true}, {Name: "t", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	rs := arrow.NewSchema([]arrow.Field{{Name: "region", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "lo", Type: arrow.PrimitiveTypes.Int64}, {Name: "hi", Type: arrow.PrimitiveTypes.Int64}, {Name: "tag", Type: arrow.BinaryTypes.String}}, nil)
	rng := rand.New(rand.NewPCG(8, 9))
	region := func() any {
		if rng.IntN(8) == 0 {
			return nil
		}
		return fmt.Sprintf("r%d", rng.IntN(4))
	}
	var lparts, rparts []arrow.RecordBatch
	for p := range 3 {
		b := array.NewRecordBuilder(f.mem, ls)
		for range 40 * p {
			reg, tv := region(), int64(rng.IntN(100))
			if reg == nil {
				b.Field(0).AppendNull()
			} else if err := b.Field(0).(*array.BinaryDictionaryBuilder).AppendString(reg.(string)); err != nil {
				t.Fatal(err)
			}
			var tval any = tv
			if rng.IntN(10) == 0 {
				b.Field(1).AppendNull()
				tval = nil
			} else {
				b.Field(1).(*array.Int64Builder).Append(tv)
			}
			left = append(left, []any{reg, tval})
		}
		lparts = append(lparts, b.NewRecordBatch())
		b.Release()
		rb := array.NewRecordBuilder(f.mem, rs)
		for i := range 15 {
			reg, lo := region(), int64(rng.IntN(100))
			hi := lo + int64(rng.IntN(20))
			tag := fmt.Sprintf("w%d.%d", p, i)
			if reg == nil {
				rb.Field(0).AppendNull()
			} else {
				rb.Field(0).(*array.StringBuilder).Append(reg.(string))
			}
			rb.Field(1).(*array.Int64Builder).Append(lo)
			rb.Field(2).(*array.Int64Builder).Append(hi)
			rb.Field(3).(*array.StringBuilder).Append(tag)
			right = append(right, []any{reg, lo, hi, tag})
		}
		rparts = append(rparts, rb.NewRecordBatch())
		rb.Release()
	}
	l, r = f.s.FromRecords(lparts...), f.s.FromRecords(rparts...)
	releaseAll(lparts)
	releaseAll(rparts)
	return left, right, l, r
}

// TestJoinConditionDictionaryKeys joins a dictionary-encoded key with a plain one, plus a
// range residual, every kind, and an as-of join by that key, against nested loops.
func TestJoinConditionDictionaryKeys(t *testing.T) {
	for strat, threshold := range joinStrategies {
		for _, kind := range allJoinKinds {
			t.Run(strat+"/"+kind.String(), func(t *testing.T) {
				f := newFixture(t, []int{0}, Config{BroadcastThreshold: threshold, ShufflePartitions: 3})
				left, right, l, r := dictSides(t, f)
				cond := LeftCol("region").Eq(RightCol("region")).And(Col("t").Between(Col("lo"), Col("hi")))
				d := l.JoinWhere(r, cond, kind).Select(Col("region").Cast(arrow.BinaryTypes.String), Col("t"), Col("region_right"), Col("tag"))
				if kind == LeftSemi || kind == LeftAnti {
					d = l.JoinWhere(r, cond, kind).Select(Col("region").Cast(arrow.BinaryTypes.String), Col("t"))
				}
				var want [][]any
				rightMatched := make([]bool, len(right))
				for _, lr := range left {
					found := false
					for j, rr := range right {
						if lr[0] == nil || rr[0] == nil || lr[0] != rr[0] || lr[1] == nil || lr[1].(int64) < rr[1].(int64) || lr[1].(int64) > rr[2].(int64) {
							continue
						}
						found, rightMatched[j] = true, true
						if kind != LeftSemi && kind != LeftAnti {
							want = append(want, []any{lr[0], lr[1], rr[0], rr[3]})
						}
					}
					switch {
					case kind == LeftSemi && found, kind == LeftAnti && !found:
						want = append(want, []any{lr[0], lr[1]})
					case !found && (kind == LeftOuter || kind == FullOuter):
						want = append(want, []any{lr[0], lr[1], nil, nil})
					}
				}
				if kind == RightOuter || kind == FullOuter {
					for j, rr := range right {
						if !rightMatched[j] {
							want = append(want, []any{nil, nil, rr[0], rr[3]})
						}
					}
				}
				assertSameRows(t, collectRows(t, d), want)
			})
		}
	}
	t.Run("as-of", func(t *testing.T) {
		f := newFixture(t, []int{0}, Config{ShufflePartitions: 3})
		left, right, l, r := dictSides(t, f)
		d := l.JoinAsOf(r.Rename("lo", "t"), "t", []string{"region"}).Select(Col("region").Cast(arrow.BinaryTypes.String), Col("t"), Col("tag"))
		var want [][]any
		for _, lr := range left {
			best := -1
			for j, rr := range right {
				if lr[0] == nil || lr[1] == nil || rr[0] != lr[0] || rr[1].(int64) > lr[1].(int64) {
					continue
				}
				if best < 0 || rr[1].(int64) >= right[best][1].(int64) {
					best = j
				}
			}
			row := []any{lr[0], lr[1], nil}
			if best >= 0 {
				row[2] = right[best][3]
			}
			want = append(want, row)
		}
		assertSameRows(t, collectRows(t, d), want)
	})
}
