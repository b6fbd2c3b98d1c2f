package exec

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestTotalsCoverEveryField fills every field of TaskMetrics with distinct values in
// several tasks of several stages and checks, field by field and found by reflection, that
// StageMetrics.Totals and JobMetrics.Totals agree with a sum (a maximum for the peaks)
// computed here: a field added to TaskMetrics and forgotten by the totals fails it.
func TestTotalsCoverEveryField(t *testing.T) {
	typ := reflect.TypeFor[TaskMetrics]()
	skip := map[string]bool{"Partition": true, "Attempt": true, "Start": true} // identify a task, not summed
	isPeak := func(name string) bool { return strings.HasPrefix(name, "Peak") }
	var job JobMetrics
	seed := int64(1)
	for s := 0; s < 3; s++ {
		st := StageMetrics{StageID: s}
		for k := 0; k < 4; k++ {
			var m TaskMetrics
			v := reflect.ValueOf(&m).Elem()
			for i := 0; i < typ.NumField(); i++ {
				f := v.Field(i)
				if typ.Field(i).Name == "Start" {
					f.Set(reflect.ValueOf(time.Unix(seed, 0)))
					continue
				}
				switch f.Kind() {
				case reflect.Int, reflect.Int64:
					seed = seed*7%1009 + 1
					f.SetInt(seed)
				default:
					t.Fatalf("TaskMetrics.%s has kind %s: teach this test and Totals how to sum it", typ.Field(i).Name, f.Kind())
				}
			}
			st.Tasks = append(st.Tasks, m)
		}
		job.Stages = append(job.Stages, st)
	}
	combine := func(name string, acc, x int64) int64 {
		if isPeak(name) {
			return max(acc, x)
		}
		return acc + x
	}
	jobGot := reflect.ValueOf(job.Totals())
	jobWant := make([]int64, typ.NumField())
	for _, st := range job.Stages {
		got := reflect.ValueOf(st.Totals())
		for i := 0; i < typ.NumField(); i++ {
			name := typ.Field(i).Name
			if skip[name] {
				if !got.Field(i).IsZero() {
					t.Errorf("stage %d Totals().%s = %v, want it left zero", st.StageID, name, got.Field(i))
				}
				continue
			}
			var want int64
			for _, m := range st.Tasks {
				want = combine(name, want, reflect.ValueOf(m).Field(i).Int())
			}
			if g := got.Field(i).Int(); g != want {
				t.Errorf("stage %d Totals().%s = %d, want %d", st.StageID, name, g, want)
			}
			jobWant[i] = combine(name, jobWant[i], want)
		}
	}
	for i := 0; i < typ.NumField(); i++ {
		if skip[typ.Field(i).Name] {
			continue
		}
		if g := jobGot.Field(i).Int(); g != jobWant[i] {
			t.Errorf("job Totals().%s = %d, want %d (the stages' totals combined)", typ.Field(i).Name, g, jobWant[i])
		}
	}
}
