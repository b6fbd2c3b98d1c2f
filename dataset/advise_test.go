package dataset

import (
	"strings"
	"testing"
)

// TestAdviseFindsTheSharedAggregate: two jobs over the same aggregate get one piece of
// advice, to persist the aggregate (after its shuffle), naming this file's line and both
// jobs; persisting it and running them again leaves nothing to advise about it, and the
// cache counts its hits.
func TestAdviseFindsTheSharedAggregate(t *testing.T) {
	f := newFixture(t, []int{40, 30, 50}, Config{})
	perKey := f.ds.GroupBy("k").Agg(Sum("x").As("x")) // the line the advice names
	ctx := t.Context()
	if _, err := perKey.Count(ctx); err != nil {
		t.Fatal(err)
	}
	first := f.s.LastJob().JobID
	if _, err := perKey.Filter(Col("x").Gt(Lit(int64(0)))).Count(ctx); err != nil {
		t.Fatal(err)
	}
	second := f.s.LastJob().JobID
	advice := f.s.Advise()
	if len(advice) != 1 {
		t.Fatalf("advice %v, want one", advice)
	}
	a := advice[0]
	if a.Kind != AdvisePersist || !strings.HasPrefix(a.Site, "groupBy@advise_test.go:") || !strings.HasPrefix(a.Dataset, "Aggregate") ||
		len(a.Jobs) != 2 || a.Jobs[0] != first || a.Jobs[1] != second || !strings.Contains(a.Text, "after a shuffle") {
		t.Fatalf("advice %+v, want to persist the aggregate of this file, computed by jobs %d and %d", a, first, second)
	}

	persisted := perKey.Persist(MemoryAndDisk)
	for range 2 {
		if _, err := persisted.Filter(Col("x").Gt(Lit(int64(0)))).Count(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range f.s.Advise() {
		if a.Kind != AdvisePersist || a.Jobs[len(a.Jobs)-1] > second {
			t.Errorf("after persisting the aggregate, advice %v", a)
		}
	}
	info := f.s.StorageInfo()
	if len(info) != 1 || info[0].Hits == 0 {
		t.Errorf("storage info %+v, want the aggregate's cache with hits", info)
	}
}

// TestAdviseUnpersistsACacheNeverRead: a dataset persisted and stored by one job but
// never read from the cache is advised to be unpersisted.
func TestAdviseUnpersistsACacheNeverRead(t *testing.T) {
	f := newFixture(t, []int{40, 30}, Config{})
	once := f.ds.Filter(Col("x").Gt(Lit(int64(0)))).Persist(MemoryAndDisk)
	if _, err := once.Count(t.Context()); err != nil {
		t.Fatal(err)
	}
	var got []Advice
	for _, a := range f.s.Advise() {
		if a.Kind == AdviseUnpersist {
			got = append(got, a)
		}
	}
	if len(got) != 1 || !strings.HasPrefix(got[0].Site, "persist@advise_test.go:") || !strings.Contains(got[0].Text, "Unpersist") {
		t.Fatalf("advice %v, want one to unpersist the dataset persisted in this file", got)
	}
}
